#include "core/model/model_io.h"

#include <fstream>
#include <set>

#include "core/model/architecture.h"
#include "core/model/gguf.h"
#include "core/model/gguf_model.h"
#include "core/model/safetensors.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/device.h"
#include "core/util/files.h"
#include "core/util/log.h"
#include "core/util/memory.h"
#include "core/util/sha256.h"

namespace fs = std::filesystem;

namespace prunescope {
namespace {

std::string shapeText(c10::IntArrayRef shape) {
    std::string text = "[";
    for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

bool isFloat(StDtype d) {
    return d == StDtype::F32 || d == StDtype::F16 || d == StDtype::BF16 || d == StDtype::F64;
}

torch::ScalarType scalarFromName(const std::string& name, const std::string& where) {
    if (name == "float32" || name == "float") return torch::kFloat;
    if (name == "float16" || name == "half") return torch::kHalf;
    if (name == "bfloat16") return torch::kBFloat16;
    throw Error("", where, "unsupported dtype '" + name + "'", "use float32, float16 or bfloat16");
}

}  // namespace

WeightHolding parseWeightHolding(const std::string& text) {
    if (text == "auto") return WeightHolding::Auto;
    if (text == "float32") return WeightHolding::Float32;
    if (text == "stored") return WeightHolding::Stored;
    throw Error("", "setting 'weights'", "unknown value '" + text + "'", "use auto, float32 or stored");
}

const char* weightHoldingName(WeightHolding holding) {
    switch (holding) {
        case WeightHolding::Float32: return "float32";
        case WeightHolding::Stored: return "stored";
        case WeightHolding::Auto: break;
    }
    return "auto";
}

torch::ScalarType heldWeightDtype(const ModelConfig& config, WeightHolding holding, int64_t freeBytes,
                                  torch::ScalarType compute) {
    if (compute != torch::kFloat) return compute;
    const bool narrow = config.storedDtype == "bfloat16" || config.storedDtype == "float16";
    if (!narrow || holding == WeightHolding::Float32) return torch::kFloat;
    const auto stored = scalarFromName(config.storedDtype, "config.json torch_dtype");
    if (holding == WeightHolding::Stored) return stored;
    const double float32Bytes = 4.0 * static_cast<double>(config.parameterCount());
    return float32Bytes > 0.5 * static_cast<double>(freeBytes) ? stored : torch::kFloat;
}

ModelConfig readModelConfigAt(const fs::path& path) {
    if (isGgufFile(path)) return parseModelConfig(ggufConfigJson(GgufFile(path)), path.string() + " (metadata)");
    if (!fs::is_directory(path)) {
        throw Error(path.string(), "",
                    fs::exists(path) ? "neither a model folder nor a GGUF file" : "no such file or folder",
                    "give a Hugging Face model folder or a llama.cpp .gguf file");
    }
    if (!fs::exists(path / "config.json")) {
        throw Error(path.string(), "", "no config.json in the folder", "is this a Hugging Face model folder?");
    }
    return readModelConfig(path / "config.json");
}

std::vector<fs::path> weightFiles(const fs::path& dir) {
    if (fs::exists(dir / "model.safetensors")) return {dir / "model.safetensors"};
    auto index = dir / "model.safetensors.index.json";
    if (fs::exists(index)) {
        auto json = readJsonFile(index);
        if (!json.contains("weight_map") || !json["weight_map"].is_object()) {
            throw Error(index.string(), "field 'weight_map'", "missing or not an object");
        }
        std::set<std::string> names;
        for (auto it = json["weight_map"].begin(); it != json["weight_map"].end(); ++it) {
            if (!it.value().is_string()) {
                throw Error(index.string(), "field 'weight_map." + it.key() + "'", "expected a file name");
            }
            names.insert(it.value().get<std::string>());
        }
        std::vector<fs::path> files;
        for (const auto& n : names) {
            if (!fs::exists(dir / n)) throw Error(index.string(), "shard '" + n + "'", "listed but not in the folder");
            files.push_back(dir / n);
        }
        return files;
    }
    std::string hint = fs::exists(dir / "pytorch_model.bin")
                           ? "only safetensors weights are read; convert pytorch_model.bin with "
                             "transformers' save_pretrained(safe_serialization=True)"
                           : "a Hugging Face model folder has model.safetensors or model.safetensors.index.json";
    throw Error(dir.string(), "", "no safetensors weights found", hint);
}

namespace {

// The checkpoint's tensors against the model config.json describes, built first on the meta device
// (shapes, no memory): a config that disagrees with the weights (a hidden size of 2^20, a million
// layers) is refused, naming the tensor, before a model of its sizes is allocated. Every tensor the
// model has must be there, in a floating-point dtype and in the shape the config implies.
void checkCheckpoint(const fs::path& dir, const ModelConfig& config) {
    auto shapes = findArchitecture(config.modelType)
                      .build(config, torch::TensorOptions().dtype(torch::kFloat).device(torch::kMeta));
    std::map<std::string, torch::Tensor> params;
    for (auto& p : shapes->named_parameters()) params[p.key()] = p.value();
    std::set<std::string> seen;
    const auto files = weightFiles(dir);
    for (const auto& file : files) {
        SafetensorsFile st(file);
        for (const auto& info : st.tensors()) {
            const std::string name = shapes->parameterNameFor(info.name);
            const auto it = name.empty() ? params.end() : params.find(name);
            if (it == params.end()) continue;  // not the model's (counted when loading)
            const std::string place = "tensor '" + info.name + "'";
            if (!isFloat(info.dtype)) {
                throw Error(file.string(), place,
                            std::string("has dtype ") + stDtypeName(info.dtype) + ", a floating-point dtype is needed");
            }
            if (c10::IntArrayRef(info.shape) != it->second.sizes()) {
                throw Error(
                    file.string(), place,
                    "has shape " + shapeText(info.shape) + ", config.json implies " + shapeText(it->second.sizes()));
            }
            seen.insert(name);
        }
    }
    for (const auto& [name, tensor] : params) {
        if (!seen.count(name)) {
            throw Error(files.front().string(), "tensor '" + name + "'", "missing from the checkpoint",
                        "config.json describes a model that has it");
        }
    }
}

}  // namespace

std::shared_ptr<CausalLM> loadModel(const fs::path& dir, const ModelLoadOptions& options) {
    if (isGgufFile(dir)) return loadGgufModel(dir, options);
    if (!fs::is_directory(dir)) {
        throw Error(dir.string(), "",
                    fs::exists(dir) ? "neither a model folder nor a GGUF file" : "no such file or folder",
                    "give a Hugging Face model folder or a llama.cpp .gguf file");
    }
    if (!fs::exists(dir / "config.json")) {
        throw Error(dir.string(), "", "no config.json in the folder", "is this a Hugging Face model folder?");
    }
    auto config = readModelConfig(dir / "config.json");
    auto device = chooseDevice(options.device);
    const auto computeDtype = options.compute;
    const bool narrowCompute = computeDtype != torch::kFloat;
    if (narrowCompute) checkComputeDtype(computeDtype, device, "--dtype");
    const auto dtype = heldWeightDtype(config, options.weights, availableMemoryBytes(device), computeDtype);
    checkCheckpoint(dir, config);

    auto model = findArchitecture(config.modelType).build(config, torch::TensorOptions().dtype(dtype).device(device));
    std::map<std::string, torch::Tensor> params;
    for (auto& p : model->named_parameters()) params[p.key()] = p.value();

    std::set<std::string> loaded;
    std::vector<std::string> unexpected;
    for (const auto& file : weightFiles(dir)) {
        SafetensorsFile st(file);
        for (const auto& info : st.tensors()) {
            std::string name = model->parameterNameFor(info.name);
            if (name.empty()) continue;
            auto it = params.find(name);
            if (it == params.end()) {
                unexpected.push_back(info.name);
                continue;
            }
            // (dtype, shape and presence were checked by checkCheckpoint)
            const std::string place = "tensor '" + info.name + "'";
            if (!loaded.insert(name).second) throw Error(file.string(), place, "appears twice in the checkpoint");
            auto value = st.tensor(info.name);
            torch::NoGradGuard noGrad;
            if (device.is_cpu()) {
                // Held narrow as stored: a float32 tensor stays float32 (no precision is lost). A
                // narrow compute dtype holds every weight in it.
                auto held = !narrowCompute && dtype != torch::kFloat && value.scalar_type() == torch::kFloat
                                ? torch::kFloat
                                : dtype;
                it->second.set_data(value.scalar_type() == held ? value : value.to(held));
            } else {
                it->second.copy_(value);
            }
        }
    }
    if (!unexpected.empty()) {
        log::get("model")->warn("{}: {} tensor(s) not used by the {} model, e.g. '{}'", dir.string(), unexpected.size(),
                                config.modelType, unexpected.front());
    }
    // Weights held narrower than the computation, and a narrow compute dtype (whose trainable
    // weights may become float32 masters), pin the dtype; otherwise it follows the weights (a
    // model converted later, e.g. to float64, computes in float64).
    if (narrowCompute || dtype != computeDtype) model->setComputeDtype(computeDtype);
    model->eval();
    log::get("model")->info(
        "loaded {} ({}, {} layers x {} neurons, {:.1f}M parameters, weights held in {}, computing in {}) on {}",
        dir.string(), config.modelType, config.nLayer, config.nNeuron,
        static_cast<double>(config.parameterCount()) / 1e6, dtypeName(dtype), dtypeName(computeDtype),
        deviceName(device));
    return model;
}

void initializeWeights(CausalLM& model, uint64_t seed, double std) {
    torch::NoGradGuard noGrad;
    auto gen = at::detail::createCPUGenerator(seed);
    for (auto& p : model.named_parameters()) {
        const auto& name = p.key();
        auto& t = p.value();
        bool isBias = name.size() >= 5 && name.compare(name.size() - 5, 5, ".bias") == 0;
        if (isBias) {
            t.zero_();
        } else if (t.dim() == 1) {
            t.fill_(1.0);  // norm scales
        } else {
            auto values = at::normal(0.0, std, t.sizes(), gen, torch::TensorOptions().dtype(torch::kFloat));
            t.copy_(values);
        }
    }
}

std::shared_ptr<CausalLM> buildModel(const ModelConfig& config, uint64_t seed, const torch::Device& device, double std,
                                     torch::ScalarType dtype) {
    auto model = findArchitecture(config.modelType).build(config, torch::TensorOptions().dtype(dtype));
    initializeWeights(*model, seed, std);
    if (dtype == torch::kBFloat16 || dtype == torch::kHalf) model->setComputeDtype(torch::kFloat);
    model->to(device);
    model->eval();
    return model;
}

void saveModel(CausalLM& model, const fs::path& dir, const ModelSaveOptions& options,
               const std::function<void(const fs::path& folder)>& writeMore) {
    if (!options.copyFilesFrom.empty() && fs::exists(dir) &&
        fs::equivalent(fs::absolute(dir), fs::absolute(options.copyFilesFrom))) {
        throw Error(dir.string(), "", "refusing to overwrite the input model folder", "choose another output folder");
    }
    auto dtype = scalarFromName(options.dtype, "--dtype");
    writeDirectoryAtomic(dir, [&](const fs::path& staging) {
        ModelConfig config = model.config();
        nlohmann::json json = config.raw.is_object() && !config.raw.empty() ? config.raw : modelConfigToJson(config);
        json["torch_dtype"] = options.dtype;
        if (json.contains("dtype")) json["dtype"] = options.dtype;
        writeJsonAtomic(staging / "config.json", json);
        std::vector<std::pair<std::string, at::Tensor>> tensors;
        for (auto& p : model.named_parameters()) tensors.emplace_back(p.key(), p.value().detach());
        writeSafetensors(staging / "model.safetensors", tensors, {{"format", "pt"}}, dtype);  // converted one by one
        if (!options.copyFilesFrom.empty() && isGgufFile(options.copyFilesFrom)) {
            writeGgufTokenizerFiles(options.copyFilesFrom, staging);
        } else if (!options.copyFilesFrom.empty()) {
            for (const auto& name : tokenizerFileNames()) {
                // (not fs::copy_file: on a full disk it reports "Input/output error")
                if (fs::exists(options.copyFilesFrom / name))
                    writeFileAtomic(staging / name, readTextFile(options.copyFilesFrom / name));
            }
        }
        if (writeMore) writeMore(staging);
    });
}

const std::vector<std::string>& tokenizerFileNames() {
    static const std::vector<std::string> names = {"tokenizer.json",
                                                   "tokenizer_config.json",
                                                   "special_tokens_map.json",
                                                   "vocab.json",
                                                   "merges.txt",
                                                   "encoder.json",
                                                   "vocab.bpe",
                                                   "added_tokens.json",
                                                   "tokenizer.model",
                                                   "generation_config.json"};
    return names;
}

std::string modelFingerprint(const fs::path& dir) {
    constexpr uint64_t kFullLimit = 2ull << 30;
    constexpr uint64_t kSample = 64 << 10;
    Sha256 h;
    const bool gguf = isGgufFile(dir);
    if (!gguf) h.update(readTextFile(dir / "config.json"));
    auto files = gguf ? std::vector<fs::path>{dir} : weightFiles(dir);
    uint64_t total = 0;
    for (const auto& f : files) total += fs::file_size(f);
    const bool sampled = total > kFullLimit;
    std::vector<char> buffer(1 << 20);
    for (const auto& f : files) {
        std::ifstream in(f, std::ios::binary);
        const uint64_t size = fs::file_size(f);
        h.update(f.filename().string() + ":" + std::to_string(size));
        if (!sampled) {
            while (in) {
                in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
                h.update(buffer.data(), static_cast<size_t>(in.gcount()));
            }
            continue;
        }
        for (int i = 0; i < 256; ++i) {
            uint64_t offset = size <= kSample ? 0 : (size - kSample) / 255 * static_cast<uint64_t>(i);
            in.seekg(static_cast<std::streamoff>(offset));
            in.read(buffer.data(), static_cast<std::streamsize>(std::min(kSample, size)));
            h.update(buffer.data(), static_cast<size_t>(in.gcount()));
            in.clear();
        }
    }
    return (sampled ? "sampled:" : "") + h.hexDigest();
}

torch::ScalarType dtypeFromName(const std::string& name, const std::string& where) {
    return scalarFromName(name, where);
}

std::string dtypeName(torch::ScalarType dtype) {
    switch (dtype) {
        case torch::kFloat: return "float32";
        case torch::kHalf: return "float16";
        case torch::kBFloat16: return "bfloat16";
        case torch::kDouble: return "float64";
        default: return c10::toString(dtype);
    }
}

void checkComputeDtype(torch::ScalarType dtype, const torch::Device& device, const std::string& where) {
    if (dtype == torch::kFloat) return;
    try {
        auto a = torch::ones({2, 2}, torch::TensorOptions().dtype(dtype).device(device));
        (void)torch::matmul(a, a);
    } catch (const c10::Error&) {
        throw Error("", where,
                    dtypeName(dtype) + " computation is not supported on " + deviceName(device) +
                        " by this build's LibTorch " + TORCH_VERSION,
                    dtype == torch::kHalf ? "use bfloat16 or float32 on the CPU; float16 needs a GPU or LibTorch 2.x"
                                          : "use float32");
    }
}

void setComputeDtype(CausalLM& model, torch::ScalarType compute) {
    if (compute != torch::kFloat) {
        checkComputeDtype(compute, model.unembedding().device(), "--dtype");
        torch::NoGradGuard noGrad;
        for (auto& p : model.parameters()) {
            if (p.scalar_type() != compute) p.set_data(p.to(compute));
        }
    }
    model.setComputeDtype(compute);
}

int64_t parameterBytes(CausalLM& model) {
    int64_t bytes = 0;
    for (const auto& p : model.parameters()) bytes += p.numel() * static_cast<int64_t>(p.element_size());
    return bytes;
}

}  // namespace prunescope
