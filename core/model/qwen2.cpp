// Qwen2 / Qwen2.5: the Llama block with biases on the q/k/v projections; sliding window only
// when use_sliding_window is set (and then, as in transformers, above max_window_layers — not
// supported here: such configs are rejected).
#include "core/model/architecture.h"

namespace prunescope {
namespace {

void parseQwen2(const ConfigFields& f, ModelConfig& c) {
    parseLlamaFamilyConfig(f, c);
    c.attnBias = true;
    if (f.booleanOr("use_sliding_window", false)) {
        throw Error(f.file(), "field 'use_sliding_window'", "sliding-window Qwen2 models are not supported");
    }
}

nlohmann::json qwen2ToJson(const ModelConfig& c) {
    auto j = llamaFamilyConfigToJson(c);
    j["architectures"] = {"Qwen2ForCausalLM"};
    j.erase("attention_bias");
    j["use_sliding_window"] = false;
    return j;
}

}  // namespace

const Architecture kQwen2Architecture{"qwen2", parseQwen2, qwen2ToJson, buildLlamaFamily, {}};

}  // namespace prunescope
