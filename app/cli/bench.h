// Shared pieces of the benchmarks.
#pragma once

#include <string>
#include <vector>

#include "core/model/config.h"

namespace prunescope::cli {

// A GPT-2- or Llama-shaped config for random-weight benchmarks.
ModelConfig benchConfig(const std::string& arch, int64_t layers, int64_t dModel, int64_t heads, int64_t neurons,
                        int64_t vocab, int64_t seq);

// Matmul FLOPs of one token's forward pass in a `seq`-token sequence (projections, FFN,
// attention scores and mixing averaged over causal positions, and the head when asked).
double forwardFlopsPerToken(const ModelConfig& config, int64_t seq, bool headAtEveryPosition);

using Argv = std::vector<std::string>;
int benchEval(const Argv& argv);
int benchAttribution(const Argv& argv);
int benchMemory(const Argv& argv);
int benchFrontEnds(const Argv& argv);

}  // namespace prunescope::cli
