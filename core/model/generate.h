// Greedy decoding with the KV cache.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/model/causal_lm.h"

namespace prunescope {

// Feeds `prompt` once, then one token per step through the cache; stops after `maxNewTokens` or
// at `eosId`. Returns the generated ids only.
std::vector<int64_t> generateGreedy(CausalLM& model, const std::vector<int64_t>& prompt, int64_t maxNewTokens,
                                    std::optional<int64_t> eosId = std::nullopt);

}  // namespace prunescope
