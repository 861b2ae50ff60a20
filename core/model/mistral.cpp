// Mistral: the Llama block with sliding-window attention.
#include "core/model/architecture.h"

namespace prunescope {
namespace {

void parseMistral(const ConfigFields& f, ModelConfig& c) {
    parseLlamaFamilyConfig(f, c);
    c.slidingWindow = f.integerOr("sliding_window", 0);
    if (c.slidingWindow < 0) throw Error(f.file(), "field 'sliding_window'", "must not be negative");
}

nlohmann::json mistralToJson(const ModelConfig& c) {
    auto j = llamaFamilyConfigToJson(c);
    j["architectures"] = {"MistralForCausalLM"};
    j["sliding_window"] = c.slidingWindow > 0 ? nlohmann::json(c.slidingWindow) : nlohmann::json();
    return j;
}

}  // namespace

const Architecture kMistralArchitecture{"mistral", parseMistral, mistralToJson, buildLlamaFamily, {}};

}  // namespace prunescope
