// Loading and saving Hugging Face model folders (config.json + safetensors, single or sharded).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/model/causal_lm.h"

namespace prunescope {

struct ModelLoadOptions {
    std::string device = "auto";   // auto, cpu, cuda, cuda:N
    bool keepStoredDtype = false;  // on CUDA: compute in the stored F16/BF16; CPU always computes in F32
};

// Loads `dir`: a Hugging Face folder, or a llama.cpp .gguf file (see gguf_model.h; its weights are
// dequantized once into float32). CPU float32 weights point into the memory-mapped files (no second copy); F16 and
// BF16 are converted once. Errors name the file and the tensor or field.
std::shared_ptr<CausalLM> loadModel(const std::filesystem::path& dir, const ModelLoadOptions& options = {});

// The safetensors files of a folder: model.safetensors, or the shards listed in
// model.safetensors.index.json.
std::vector<std::filesystem::path> weightFiles(const std::filesystem::path& dir);

// A model with freshly initialized weights (N(0, std) matrices, unit norms, zero biases).
std::shared_ptr<CausalLM> buildModel(const ModelConfig& config, uint64_t seed,
                                     const torch::Device& device = torch::kCPU, double std = 0.02);
void initializeWeights(CausalLM& model, uint64_t seed, double std = 0.02);

struct ModelSaveOptions {
    std::string dtype = "float32";        // float32, float16, bfloat16
    // Tokenizer and generation files are copied from this folder; from a GGUF file, its tokenizer is
    // written as tokenizer.json + tokenizer_config.json.
    std::filesystem::path copyFilesFrom;
};

// Writes config.json + model.safetensors (+ copied tokenizer files) into `dir`, atomically (the
// folder is built beside `dir` and renamed into place). Refuses to overwrite `copyFilesFrom`.
void saveModel(CausalLM& model, const std::filesystem::path& dir, const ModelSaveOptions& options = {});

// sha256 over config.json and the weight files (above 2 GiB of weights: their headers, sizes and
// 256 evenly spaced 64 KiB samples, marked with a "sampled:" prefix).
std::string modelFingerprint(const std::filesystem::path& dir);

// Total bytes of the parameters as they are held now.
int64_t parameterBytes(CausalLM& model);

}  // namespace prunescope
