#include "core/eval/provenance.h"

#include <torch/torch.h>

#include "core/model/causal_lm.h"
#include "core/model/model_io.h"

namespace prunescope {
namespace {

std::string absoluteName(const std::filesystem::path& path) {
    return std::filesystem::absolute(path).lexically_normal().string();
}

}  // namespace

nlohmann::json modelProvenance(CausalLM& model, const std::filesystem::path& dir) {
    nlohmann::json out = {
        {"dir", absoluteName(dir)}, {"model_type", model.config().modelType}, {"fingerprint", modelFingerprint(dir)}};
    if (const auto dtype = model.computeDtype(); dtype != torch::kFloat) out["dtype"] = dtypeName(dtype);
    return out;
}

nlohmann::json datasetProvenance(const McqDataset& data, const std::string& split, uint64_t splitSeed) {
    return {{"file", absoluteName(data.source)},
            {"format", mcqFormatName(data.format)},
            {"fingerprint", data.fingerprint()},
            {"split", split},
            {"split_seed", splitSeed}};
}

nlohmann::json promptJson(const PromptTemplate& prompt) {
    return {{"template", prompt.text},
            {"option_template", prompt.option},
            {"task_preset", taskPresetName(prompt.task)},
            {"few_shot_prefix", prompt.fewShotPrefix}};
}

}  // namespace prunescope
