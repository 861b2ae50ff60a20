// A whole attribution run: choose the confident questions, attribute each (optionally a shard of
// them), aggregate, checkpoint and resume, report progress with the running aggregate, cancel.
#pragma once

#include <filesystem>
#include <functional>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/attribution/aggregate.h"
#include "core/attribution/integrated_gradients.h"
#include "core/data/mcq.h"
#include "core/eval/scoring.h"
#include "core/util/progress.h"

namespace prunescope {

struct QuestionFilter {
    double minConfidence = 0.9;
    bool correctOnly = false;
    int64_t limit = 0;  // at most this many (the first in dataset order); 0: no limit
};

// Indices of the questions attribution runs on, in dataset order.
std::vector<size_t> selectConfident(const std::vector<QuestionScore>& scores, const QuestionFilter& filter);

// Shard k (0-based) of n: a contiguous slice of `selected`.
std::vector<size_t> shardSlice(const std::vector<size_t>& selected, int shardIndex, int shardCount);

// A run whose mean completeness error exceeds this is logged as a warning (not converged).
inline constexpr double kCompletenessWarning = 0.1;

struct AttributionJob {
    IgSettings ig;
    QuestionFilter filter;
    int topK = 20;
    int shardIndex = 0;  // 0-based
    int shardCount = 1;
    int64_t checkpointEvery = 0;           // questions between checkpoints; 0: none
    std::filesystem::path checkpointPath;  // where checkpoints go
    bool resume = false;                   // continue from checkpointPath
    nlohmann::json meta;  // model, dataset, scoring: copied into the output with the settings
};

// Live view for the GUI: called after each question with progress and the running aggregate.
using AttributionLive = std::function<void(const Progress&, const IgAggregate&)>;

struct AttributionResult {
    IgAggregate aggregate;
    nlohmann::json meta;  // everything writeAttributionFile() records
};

// Runs the job over `items` (letter-scored) with their confidence-pass `scores`. Throws
// CancelledError when `cancel` is raised (the last checkpoint, if any, stays for --resume).
AttributionResult runAttribution(CausalLM& model, const McqDataset& data, const std::vector<ScoringItem>& items,
                                 const std::vector<QuestionScore>& scores, const AttributionJob& job,
                                 const AttributionLive& live = {}, const CancelFlag* cancel = nullptr);

nlohmann::json igSettingsJson(const IgSettings& settings, int topK);

}  // namespace prunescope
