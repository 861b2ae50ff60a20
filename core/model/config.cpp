#include "core/model/config.h"

#include <cmath>

#include "core/model/architecture.h"
#include "core/model/config_fields.h"
#include "core/util/files.h"

namespace prunescope {

const ArchitectureTraits& ModelConfig::traits() const {
    return findArchitecture(modelType).traits;
}

int64_t ModelConfig::parameterCount() const {
    auto model = findArchitecture(modelType).build(*this, torch::TensorOptions().device(torch::kMeta));
    int64_t total = 0;
    for (const auto& p : model->parameters()) total += p.numel();
    return total;
}

void requireKnownActivation(const ConfigFields& fields, const std::string& key, const std::string& activation) {
    const char* known[] = {"gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu", "silu", "swish", "relu"};
    if (std::find(std::begin(known), std::end(known), activation) == std::end(known)) {
        throw Error(fields.file(), "field '" + key + "'", "unsupported activation '" + activation + "'",
                    "supported: gelu_new, gelu_pytorch_tanh, gelu, silu, relu");
    }
}

ModelConfig parseModelConfig(const nlohmann::json& json, const std::string& file) {
    if (!json.is_object()) throw Error(file, "", "config.json must be a JSON object");
    ConfigFields fields(json, file);
    ModelConfig config;
    config.raw = json;
    if (!fields.has("model_type")) {
        throw Error(file, "field 'model_type'", "missing", "is this a Hugging Face config.json?");
    }
    config.modelType = fields.stringOr("model_type", "");
    const Architecture& arch = findArchitecture(config.modelType, file);
    if (fields.has("bos_token_id") && json["bos_token_id"].is_number_integer()) {
        config.bosTokenId = json["bos_token_id"].get<int64_t>();
    }
    if (fields.has("eos_token_id") && json["eos_token_id"].is_number_integer()) {
        config.eosTokenId = json["eos_token_id"].get<int64_t>();
    }
    config.storedDtype = fields.stringOr("torch_dtype", fields.stringOr("dtype", "float32"));
    arch.parseConfig(fields, config);

    // Checks every architecture needs.
    if (config.dModel % config.nHead != 0 && !fields.has("head_dim")) {
        throw Error(file, "field 'num_attention_heads'",
                    "hidden size " + std::to_string(config.dModel) + " is not divisible by " +
                        std::to_string(config.nHead) + " heads");
    }
    if (config.nKvHead <= 0 || config.nHead % config.nKvHead != 0) {
        throw Error(file, "field 'num_key_value_heads'",
                    std::to_string(config.nHead) + " attention heads cannot be grouped over " +
                        std::to_string(config.nKvHead) + " key/value heads");
    }
    return config;
}

ModelConfig readModelConfig(const std::filesystem::path& configJson) {
    return parseModelConfig(readJsonFile(configJson), configJson.string());
}

nlohmann::json modelConfigToJson(const ModelConfig& config) {
    auto json = findArchitecture(config.modelType).configToJson(config);
    json["model_type"] = config.modelType;
    json["torch_dtype"] = config.storedDtype;
    if (config.bosTokenId) json["bos_token_id"] = *config.bosTokenId;
    if (config.eosTokenId) json["eos_token_id"] = *config.eosTokenId;
    return json;
}

std::vector<double> ropeInverseFrequencies(int64_t headDim, double theta, const std::optional<RopeScaling>& scaling) {
    std::vector<double> inv(static_cast<size_t>(headDim / 2));
    for (size_t i = 0; i < inv.size(); ++i)
        inv[i] = 1.0 / std::pow(theta, static_cast<double>(2 * i) / static_cast<double>(headDim));
    if (!scaling) return inv;
    if (scaling->type == "linear") {
        for (double& f : inv) f /= scaling->factor;
    } else if (scaling->type == "llama3") {
        const double oldLen = static_cast<double>(scaling->originalMaxPositions);
        const double lowWavelen = oldLen / scaling->lowFreqFactor;
        const double highWavelen = oldLen / scaling->highFreqFactor;
        for (double& f : inv) {
            const double wavelen = 2 * M_PI / f;
            if (wavelen > lowWavelen) {
                f /= scaling->factor;
            } else if (wavelen >= highWavelen) {
                const double smooth =
                    (oldLen / wavelen - scaling->lowFreqFactor) / (scaling->highFreqFactor - scaling->lowFreqFactor);
                f = (1 - smooth) * f / scaling->factor + smooth * f;
            }
        }
    }
    return inv;
}

}  // namespace prunescope
