// Loading and saving Hugging Face model folders (config.json + safetensors, single or sharded).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/model/causal_lm.h"

namespace prunescope {

// How weights are held in memory when the computation is float32 (the default). With a narrow
// compute dtype (ModelLoadOptions::compute) the weights are held in that dtype.
enum class WeightHolding {
    Auto,     // float32, unless float32 weights would take more than half of the free memory: then stored
    Float32,  // widened once at load: fastest on the CPU, 2x the memory of a bfloat16 checkpoint
    Stored,   // float16 / bfloat16 kept as stored, widened one matrix at a time during computation
};
WeightHolding parseWeightHolding(const std::string& text);  // auto, float32, stored
const char* weightHoldingName(WeightHolding holding);

struct ModelLoadOptions {
    std::string device = "auto";  // auto, cpu, cuda, cuda:N
    // The dtype activations are computed in: float32, or bfloat16 / float16, which hold the weights
    // in that dtype too (a checkpoint stored in it is used as mapped, others are converted once).
    // Reductions stay in float32 either way (norms, softmax, log-softmax, Integrated Gradients'
    // gates and sums): see docs/precision.md.
    torch::ScalarType compute = torch::kFloat;
    WeightHolding weights = WeightHolding::Auto;  // float32 compute only
};

// Converts every parameter that is not in `compute` (one at a time, so the peak is one tensor
// more) and pins the model's compute dtype. float32 leaves narrow held weights as they are.
void setComputeDtype(CausalLM& model, torch::ScalarType compute);

// The dtype each stored weight is held in under `holding` for a model of `config` (float32, or
// the checkpoint's float16 / bfloat16), with `freeBytes` of memory available (Auto's choice). A
// narrow `compute` dtype holds every weight in it, whatever `holding` says.
torch::ScalarType heldWeightDtype(const ModelConfig& config, WeightHolding holding, int64_t freeBytes,
                                  torch::ScalarType compute = torch::kFloat);

// Loads `dir`: a Hugging Face folder, or a llama.cpp .gguf file (see gguf_model.h; its weights are
// dequantized once into float32). CPU weights held in their stored dtype point into the
// memory-mapped files (no second copy); others are converted once. Errors name the file and the
// tensor or field.
std::shared_ptr<CausalLM> loadModel(const std::filesystem::path& dir, const ModelLoadOptions& options = {});

// The config of a Hugging Face folder (config.json) or of a GGUF file (its metadata), without
// reading any weights.
ModelConfig readModelConfigAt(const std::filesystem::path& path);

// The safetensors files of a folder: model.safetensors, or the shards listed in
// model.safetensors.index.json.
std::vector<std::filesystem::path> weightFiles(const std::filesystem::path& dir);

// A model with freshly initialized weights (N(0, std) matrices, unit norms, zero biases).
// `dtype`: the dtype the weights are made and held in (bfloat16 halves the memory of large shapes).
std::shared_ptr<CausalLM> buildModel(const ModelConfig& config, uint64_t seed,
                                     const torch::Device& device = torch::kCPU, double std = 0.02,
                                     torch::ScalarType dtype = torch::kFloat);
void initializeWeights(CausalLM& model, uint64_t seed, double std = 0.02);

// The tokenizer and generation files of a Hugging Face folder that go with its weights (those
// present are copied when a model is saved).
const std::vector<std::string>& tokenizerFileNames();

struct ModelSaveOptions {
    std::string dtype = "float32";  // float32, float16, bfloat16
    // Tokenizer and generation files are copied from this folder; from a GGUF file, its tokenizer is
    // written as tokenizer.json + tokenizer_config.json.
    std::filesystem::path copyFilesFrom;
};

// Writes config.json + model.safetensors (+ copied tokenizer files) into `dir`, atomically (the
// folder is built beside `dir` and swapped into place). Refuses to overwrite `copyFilesFrom`.
// `writeMore` writes more files of the folder (prunescope.json, mask.json) into the folder it is
// given while it is being built, so that `dir` never appears without them. A write error names
// the file in `dir`.
void saveModel(CausalLM& model, const std::filesystem::path& dir, const ModelSaveOptions& options = {},
               const std::function<void(const std::filesystem::path& folder)>& writeMore = {});

// sha256 over config.json and the weight files (above 2 GiB of weights: their headers, sizes and
// 256 evenly spaced 64 KiB samples, marked with a "sampled:" prefix).
std::string modelFingerprint(const std::filesystem::path& dir);

// float32, float16 or bfloat16 by name (`where` names the setting in errors).
torch::ScalarType dtypeFromName(const std::string& name, const std::string& where);
// The inverse: float32, float16, bfloat16, float64.
std::string dtypeName(torch::ScalarType dtype);

// Throws a clear error when this LibTorch cannot multiply matrices in `dtype` on `device` (float16
// on the CPU before LibTorch 2.x); `where` names the setting.
void checkComputeDtype(torch::ScalarType dtype, const torch::Device& device, const std::string& where);

// Total bytes of the parameters as they are held now.
int64_t parameterBytes(CausalLM& model);

}  // namespace prunescope
