// Architectures as data: each model_type is one small file (gpt2.cpp, llama.cpp, mistral.cpp,
// qwen2.cpp) that says how its config.json reads and how its model is built. Adding one means
// writing that file and listing it in architecture.cpp.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/model/causal_lm.h"
#include "core/model/config.h"
#include "core/model/config_fields.h"

namespace prunescope {

struct Architecture {
    const char* modelType;
    // Reads the architecture's config.json keys into `config` (common keys are already read).
    void (*parseConfig)(const ConfigFields& fields, ModelConfig& config);
    // The config.json of a model Prunescope creates.
    nlohmann::json (*configToJson)(const ModelConfig& config);
    // The model with placeholder parameters (allocated with `options`, not initialized).
    std::shared_ptr<CausalLM> (*build)(const ModelConfig& config, const torch::TensorOptions& options);
    ArchitectureTraits traits;
};

const Architecture& findArchitecture(const std::string& modelType, const std::string& file = "config.json");
std::vector<std::string> architectureNames();

// Per-architecture definitions (one per file).
extern const Architecture kGpt2Architecture;
extern const Architecture kLlamaArchitecture;
extern const Architecture kMistralArchitecture;
extern const Architecture kQwen2Architecture;

// The Llama family's config keys, shared by Mistral and Qwen2.
void parseLlamaFamilyConfig(const ConfigFields& fields, ModelConfig& config);
nlohmann::json llamaFamilyConfigToJson(const ModelConfig& config);
std::shared_ptr<CausalLM> buildLlamaFamily(const ModelConfig& config, const torch::TensorOptions& options);

// Errors naming `key` unless `activation` is one the layers implement.
void requireKnownActivation(const ConfigFields& fields, const std::string& key, const std::string& activation);

}  // namespace prunescope
