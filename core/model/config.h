// The architecture-independent description of a causal language model, parsed from a Hugging Face
// config.json by the model_type's architecture (see architecture.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace prunescope {

struct RopeScaling {
    std::string type;  // "linear" or "llama3"
    double factor = 1.0;
    double lowFreqFactor = 1.0;           // llama3
    double highFreqFactor = 4.0;          // llama3
    int64_t originalMaxPositions = 8192;  // llama3
};

// What an architecture implies beyond its config.json keys; each architecture's file says
// (core/model/architecture.h), so nothing else tests model_type.
struct ArchitectureTraits {
    bool gatedFfn = true;           // SwiGLU: act(gate_proj x) * up_proj x -> down_proj; false: c_fc -> act -> c_proj
    bool learnedPositions = false;  // absolute position embeddings: no position at or past nCtx
    bool conv1dWeights = false;     // Hugging Face stores the projections as (in, out): GPT-2's Conv1D
    const char* peftPrefix = "";    // where the Hugging Face class keeps the blocks (PEFT adapter keys)
    std::vector<std::string> attentionModules = {"q_proj", "k_proj", "v_proj", "o_proj"};  // LoRA "attention"
    std::vector<std::string> ffnModules = {"gate_proj", "up_proj", "down_proj"};           // LoRA "ffn"
};

struct ModelConfig {
    std::string modelType;  // config.json "model_type": gpt2, llama, mistral, qwen2
    int64_t nLayer = 0;
    int64_t dModel = 0;
    int64_t nHead = 0;
    int64_t nKvHead = 0;
    int64_t headDim = 0;
    int64_t nNeuron = 0;  // FFN width: n_inner / intermediate_size
    int64_t nVocab = 0;
    int64_t nCtx = 0;  // maximum positions
    double normEps = 1e-5;
    std::string activation;  // gelu_new, gelu, relu, silu
    bool tieEmbeddings = false;
    bool attnBias = false;  // bias on the q/k/v projections
    bool mlpBias = false;   // bias on the FFN projections (llama's mlp_bias)
    double ropeTheta = 10000.0;
    std::optional<RopeScaling> ropeScaling;
    int64_t slidingWindow = 0;  // 0: full attention
    std::optional<int64_t> bosTokenId;
    std::optional<int64_t> eosTokenId;
    std::string storedDtype = "float32";  // torch_dtype / dtype

    nlohmann::json raw;  // the config.json as read (written back unchanged when saving)

    // Parameters as stored: embeddings, blocks, final norm, and the head unless tied.
    int64_t parameterCount() const;
    // The architecture's traits (an Error for an unknown model_type).
    const ArchitectureTraits& traits() const;
};

// Parses config.json text (from `file`) into a ModelConfig; errors name the file and the field.
ModelConfig parseModelConfig(const nlohmann::json& json, const std::string& file);
ModelConfig readModelConfig(const std::filesystem::path& configJson);

// Builds the config.json for a ModelConfig (used for models Prunescope creates).
nlohmann::json modelConfigToJson(const ModelConfig& config);

// Rotary inverse frequencies theta^(-2i/headDim), i < headDim / 2, with the scaling applied as
// Hugging Face's rope_scaling types define it (linear: all divided by `factor`; llama3: long
// wavelengths divided by `factor`, short ones kept, the band between interpolated).
std::vector<double> ropeInverseFrequencies(int64_t headDim, double theta, const std::optional<RopeScaling>& scaling);

}  // namespace prunescope
