#include "core/model/gguf_model.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include "core/model/architecture.h"
#include "core/model/config.h"
#include "core/model/gguf.h"
#include "core/model/model_io.h"
#include "core/util/device.h"
#include "core/util/error.h"
#include "core/util/log.h"

namespace fs = std::filesystem;

namespace prunescope {
namespace {

bool isLlamaFamily(const std::string& arch) {
    return arch == "llama" || arch == "mistral" || arch == "qwen2";
}

// Llama 3.1-style files carry the rope scaling as a tensor: rope_freqs.weight holds, per rotary
// frequency, the divisor llama.cpp applies to it (1 for short wavelengths, `factor` for long ones,
// interpolated between). Hugging Face describes the same rotation by four numbers (rope_type
// "llama3": factor, low/high_freq_factor, original_max_position_embeddings), which is what the
// rest of Prunescope and a saved config.json use. They are recovered here: `factor` is the largest
// divisor, and the band between gives low and high through
//     1 / divisor = (1 - s) / factor + s,   s = (original / wavelength - low) / (high - low).
// Only the ratios original/low and original/high are determined by the divisors, so `original` is
// taken as Llama 3's 8192 (the value of every Meta release) and low and high follow; the rotation is
// the same for any choice. The recovered parameters must reproduce every stored divisor, or the file
// is refused: its factors follow some other rule.
std::optional<nlohmann::json> llama3ScalingFromFactors(const GgufFile& f, const GgufTensorInfo& info, int64_t headDim,
                                                       double theta) {
    const std::string place = "tensor 'rope_freqs.weight'";
    if (info.numel() != headDim / 2 || info.dims.size() != 1) {
        throw Error(f.path().string(), place,
                    "has " + std::to_string(info.numel()) + " values; the model's " + std::to_string(headDim) +
                        "-dimensional heads rotate " + std::to_string(headDim / 2) + " frequencies");
    }
    const std::vector<float> divisors = f.dequantize(info);
    float factor = 0;
    for (float d : divisors) {
        if (!std::isfinite(d) || d <= 0) {
            throw Error(f.path().string(), place, "holds " + std::to_string(d) + "; rope factors must be positive");
        }
        factor = std::max(factor, d);
    }
    if (factor == 1.0F) return std::nullopt;  // no scaling at all
    constexpr double kOriginal = 8192;
    const auto plain = ropeInverseFrequencies(headDim, theta, std::nullopt);
    // Least-squares line s = a x + b through the band's points, x = original / wavelength.
    double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (size_t i = 0; i < divisors.size(); ++i) {
        const double d = divisors[i];
        if (d <= 1.0 + 1e-6 || d >= factor * (1.0 - 1e-6)) continue;
        const double x = kOriginal * plain[i] / (2 * M_PI);
        const double y = (1.0 / d - 1.0 / factor) / (1.0 - 1.0 / factor);
        n += 1, sx += x, sy += y, sxx += x * x, sxy += x * y;
    }
    const double det = n * sxx - sx * sx;
    const std::string unsupported = "per-frequency rope factors that do not follow Llama 3's rule (rope_type 'llama3')";
    if (n < 2 || det <= 0) {
        throw Error(f.path().string(), place, unsupported,
                    "fewer than two frequencies lie between the unscaled and the scaled band, so "
                    "the band cannot be recovered; use the Hugging Face folder of this model");
    }
    const double a = (n * sxy - sx * sy) / det;
    const double b = (sy - a * sx) / n;
    if (!(a > 0)) throw Error(f.path().string(), place, unsupported);
    RopeScaling s;
    s.type = "llama3";
    s.factor = factor;
    s.originalMaxPositions = static_cast<int64_t>(kOriginal);
    s.lowFreqFactor = -b / a;
    s.highFreqFactor = s.lowFreqFactor + 1.0 / a;
    // Prefer round numbers (1 and 4 rather than 0.99999994 and 4.0000001) when they reproduce the
    // divisors as well.
    auto reproduces = [&](const RopeScaling& candidate) {
        const auto scaled = ropeInverseFrequencies(headDim, theta, candidate);
        for (size_t i = 0; i < divisors.size(); ++i) {
            const double divisor = plain[i] / scaled[i];
            if (std::abs(divisor - divisors[i]) > 1e-5 * divisors[i]) return false;
        }
        return true;
    };
    RopeScaling rounded = s;
    rounded.lowFreqFactor = std::round(s.lowFreqFactor * 1e4) / 1e4;
    rounded.highFreqFactor = std::round(s.highFreqFactor * 1e4) / 1e4;
    if (reproduces(rounded)) {
        s = rounded;
    } else if (!reproduces(s)) {
        throw Error(f.path().string(), place, unsupported);
    }
    return nlohmann::json{{"rope_type", "llama3"},
                          {"factor", s.factor},
                          {"low_freq_factor", s.lowFreqFactor},
                          {"high_freq_factor", s.highFreqFactor},
                          {"original_max_position_embeddings", s.originalMaxPositions}};
}

std::string shapeText(c10::IntArrayRef shape) {
    std::string text = "[";
    for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

// GGUF block-tensor suffix -> Hugging Face module path inside a block.
const std::map<std::string, std::string>& llamaBlockNames() {
    static const std::map<std::string, std::string> names = {
        {"attn_norm", "input_layernorm"}, {"ffn_norm", "post_attention_layernorm"},
        {"attn_q", "self_attn.q_proj"},   {"attn_k", "self_attn.k_proj"},
        {"attn_v", "self_attn.v_proj"},   {"attn_output", "self_attn.o_proj"},
        {"ffn_gate", "mlp.gate_proj"},    {"ffn_up", "mlp.up_proj"},
        {"ffn_down", "mlp.down_proj"},
    };
    return names;
}

const std::map<std::string, std::string>& gpt2BlockNames() {
    static const std::map<std::string, std::string> names = {
        {"attn_norm", "ln_1"},          {"ffn_norm", "ln_2"},   {"attn_qkv", "attn.c_attn"},
        {"attn_output", "attn.c_proj"}, {"ffn_up", "mlp.c_fc"}, {"ffn_down", "mlp.c_proj"},
    };
    return names;
}

// llama.cpp's converter stores q/k rows of each head in interleaved rotary order (pairs 2i, 2i+1);
// Hugging Face's rotate_half wants the halves (i, i + headDim/2). rows (nHead * headDim, ...) ->
// the same shape in Hugging Face's order.
torch::Tensor unpermuteRotary(const torch::Tensor& w, int64_t nHead) {
    std::vector<int64_t> shape = {nHead, w.size(0) / nHead / 2, 2};
    for (int64_t d = 1; d < w.dim(); ++d) shape.push_back(w.size(d));
    return w.reshape(shape).transpose(1, 2).reshape(w.sizes()).contiguous();
}

void dequantizeInto(const GgufFile& file, const GgufTensorInfo& info, float* out) {
    const int64_t rows = info.rows(), rowLength = info.rowLength();
    const int64_t grain = std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(1, rowLength));
    at::parallel_for(0, rows, grain, [&](int64_t begin, int64_t end) {
        file.dequantizeRows(info, begin, end - begin, out + begin * rowLength);
    });
}

}  // namespace

bool isGgufFile(const fs::path& path) {
    if (!fs::is_regular_file(path)) return false;
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (ext == ".gguf") return true;
    std::ifstream in(path, std::ios::binary);
    char magic[4] = {};
    in.read(magic, 4);
    return in.gcount() == 4 && std::string(magic, 4) == "GGUF";
}

nlohmann::json ggufConfigJson(const GgufFile& f) {
    const std::string file = f.path().string();
    const std::string arch = f.getString("general.architecture");
    auto k = [&](const std::string& key) { return arch + "." + key; };
    const GgufTensorInfo* embd = f.find("token_embd.weight");
    if (embd == nullptr || embd->dims.size() != 2) {
        throw Error(file, "tensor 'token_embd.weight'", embd ? "expected 2 dimensions" : "missing",
                    "every llama.cpp model has a token embedding");
    }
    int64_t vocab = f.has(k("vocab_size")) ? f.getInt(k("vocab_size")) : embd->dims[1];
    if (vocab != embd->dims[1]) {
        throw Error(
            file, "key '" + k("vocab_size") + "'",
            "says " + std::to_string(vocab) + " tokens, token_embd.weight has " + std::to_string(embd->dims[1]));
    }
    const bool tied = f.find("output.weight") == nullptr;
    // Sizes a model is built with before any tensor is read, checked against the tensors first: a
    // block count no tensors back (2^30 blocks would be built, and fill memory, before a tensor is
    // found missing), a hidden size other than the embedding's.
    auto blockCount = [&] {
        const int64_t n = f.getInt(k("block_count"));
        if (n > static_cast<int64_t>(f.tensors().size())) {
            throw Error(file, "key '" + k("block_count") + "'",
                        "says " + std::to_string(n) + " blocks, but the file has only " +
                            std::to_string(f.tensors().size()) + " tensors",
                        "each block has tensors of its own; the file is corrupt");
        }
        return n;
    };
    auto embeddingLength = [&] {
        const int64_t n = f.getInt(k("embedding_length"));
        if (n != embd->dims[0]) {
            throw Error(file, "key '" + k("embedding_length") + "'",
                        "says " + std::to_string(n) + ", token_embd.weight has " + std::to_string(embd->dims[0]) +
                            " values per token");
        }
        return n;
    };
    nlohmann::json j;
    if (isLlamaFamily(arch)) {
        const int64_t d = embeddingLength();
        const int64_t heads = f.getInt(k("attention.head_count"));
        const int64_t kvHeads = f.has(k("attention.head_count_kv")) ? f.getInt(k("attention.head_count_kv")) : heads;
        const int64_t headDim =
            f.has(k("attention.key_length")) ? f.getInt(k("attention.key_length")) : (heads > 0 ? d / heads : 0);
        if (f.has(k("attention.value_length")) && f.getInt(k("attention.value_length")) != headDim) {
            throw Error(file, "key '" + k("attention.value_length") + "'",
                        "differs from the key length " + std::to_string(headDim) + "; not supported");
        }
        if (f.has(k("rope.dimension_count")) && f.getInt(k("rope.dimension_count")) != headDim) {
            throw Error(file, "key '" + k("rope.dimension_count") + "'",
                        "rotates " + std::to_string(f.getInt(k("rope.dimension_count"))) + " of " +
                            std::to_string(headDim) + " head dimensions; partial rotary is not supported");
        }
        j = {{"model_type", arch},
             {"architectures",
              {arch == "llama"     ? "LlamaForCausalLM"
               : arch == "mistral" ? "MistralForCausalLM"
                                   : "Qwen2ForCausalLM"}},
             {"hidden_size", d},
             {"intermediate_size", f.getInt(k("feed_forward_length"))},
             {"num_hidden_layers", blockCount()},
             {"num_attention_heads", heads},
             {"num_key_value_heads", kvHeads},
             {"head_dim", headDim},
             {"rms_norm_eps", f.getFloat(k("attention.layer_norm_rms_epsilon"))},
             {"rope_theta", f.has(k("rope.freq_base")) ? f.getFloat(k("rope.freq_base")) : 10000.0},
             {"max_position_embeddings", f.has(k("context_length")) ? f.getInt(k("context_length")) : 2048},
             {"vocab_size", vocab},
             {"hidden_act", "silu"},
             {"tie_word_embeddings", tied}};
        if (f.has(k("rope.scaling.type"))) {
            std::string type = f.getString(k("rope.scaling.type"));
            if (type == "linear") {
                j["rope_scaling"] = {{"rope_type", "linear"}, {"factor", f.getFloat(k("rope.scaling.factor"))}};
            } else if (type != "none") {
                throw Error(file, "key '" + k("rope.scaling.type") + "'",
                            "rope scaling '" + type + "' is not supported", "supported: none, linear");
            }
        }
        if (const GgufTensorInfo* freqs = f.find("rope_freqs.weight")) {
            if (j.contains("rope_scaling")) {
                throw Error(file, "tensor 'rope_freqs.weight'",
                            "per-frequency rope factors beside '" + k("rope.scaling.type") + "'; not supported");
            }
            auto scaling = llama3ScalingFromFactors(f, *freqs, headDim, j["rope_theta"].get<double>());
            if (scaling) j["rope_scaling"] = *scaling;
        }
        if (arch == "mistral" && f.has(k("attention.sliding_window"))) {
            j["sliding_window"] = f.getInt(k("attention.sliding_window"));
        }
        if (arch == "qwen2") j["use_sliding_window"] = false;
        if (arch == "llama" && f.find("blk.0.attn_q.bias") != nullptr) j["attention_bias"] = true;
    } else if (arch == "gpt2") {
        j = {{"model_type", "gpt2"},
             {"architectures", {"GPT2LMHeadModel"}},
             {"n_embd", embeddingLength()},
             {"n_layer", blockCount()},
             {"n_head", f.getInt(k("attention.head_count"))},
             {"n_inner", f.getInt(k("feed_forward_length"))},
             {"n_ctx", f.getInt(k("context_length"))},
             {"n_positions", f.getInt(k("context_length"))},
             {"layer_norm_epsilon", f.getFloat(k("attention.layer_norm_epsilon"))},
             {"activation_function", "gelu_new"},
             {"vocab_size", vocab},
             {"tie_word_embeddings", tied}};
    } else {
        throw Error(file, "key 'general.architecture'", "architecture '" + arch + "' is not supported",
                    "supported in GGUF files: llama (Llama 2/3, TinyLlama, SmolLM), mistral, qwen2, gpt2");
    }
    if (f.has("tokenizer.ggml.bos_token_id")) j["bos_token_id"] = f.getInt("tokenizer.ggml.bos_token_id");
    if (f.has("tokenizer.ggml.eos_token_id")) j["eos_token_id"] = f.getInt("tokenizer.ggml.eos_token_id");
    j["torch_dtype"] = "float32";
    return j;
}

std::string ggufTensorKey(const std::string& name, const std::string& modelType) {
    const bool gpt2 = modelType == "gpt2";
    if (name == "token_embd.weight") return gpt2 ? "wte.weight" : "model.embed_tokens.weight";
    if (name == "position_embd.weight") return gpt2 ? "wpe.weight" : "";
    if (name == "output.weight") return "lm_head.weight";
    if (name.rfind("output_norm.", 0) == 0) return (gpt2 ? "ln_f." : "model.norm.") + name.substr(12);
    if (name.rfind("blk.", 0) != 0) return "";
    // blk.N.<part>.<weight|bias>
    const size_t a = name.find('.', 4);
    const size_t b = name.rfind('.');
    if (a == std::string::npos || b <= a) return "";
    const std::string layer = name.substr(4, a - 4);
    const std::string part = name.substr(a + 1, b - a - 1);
    const std::string kind = name.substr(b + 1);
    const auto& names = gpt2 ? gpt2BlockNames() : llamaBlockNames();
    auto it = names.find(part);
    if (it == names.end()) return "";
    return (gpt2 ? "h." : "model.layers.") + layer + "." + it->second + "." + kind;
}

std::shared_ptr<CausalLM> loadGgufModel(const fs::path& path, const ModelLoadOptions& options) {
    const GgufFile file(path);
    const std::string where = path.string();
    const ModelConfig config = parseModelConfig(ggufConfigJson(file), where + " (metadata)");
    if (file.has("tokenizer.ggml.tokens")) {
        const auto& tokens = file.metadata().at("tokenizer.ggml.tokens");
        if (!tokens.is_array() || static_cast<int64_t>(tokens.size()) != config.nVocab) {
            throw Error(where, "key 'tokenizer.ggml.tokens'",
                        "has " + std::to_string(tokens.is_array() ? tokens.size() : 0) +
                            " tokens, the model's vocabulary has " + std::to_string(config.nVocab));
        }
    }
    const auto device = chooseDevice(options.device);
    const Architecture& architecture = findArchitecture(config.modelType);

    // Every tensor is matched to its parameter on the model built first on the meta device (shapes,
    // no memory): metadata that disagrees with the tensors is refused before a model of its sizes,
    // however large, is allocated.
    struct Match {
        const GgufTensorInfo* info;
        std::string param;
        std::vector<int64_t> shape;  // Hugging Face order
        bool conv1d;
    };
    std::vector<Match> matches;
    std::vector<std::string> unexpected;
    {
        const auto shapes =
            architecture.build(config, torch::TensorOptions().dtype(torch::kFloat).device(torch::kMeta));
        std::map<std::string, torch::Tensor> params;
        for (auto& p : shapes->named_parameters()) params[p.key()] = p.value();
        std::set<std::string> loaded;
        for (const auto& info : file.tensors()) {
            const std::string key = ggufTensorKey(info.name, config.modelType);
            const std::string name = key.empty() ? "" : shapes->parameterNameFor(key);
            auto it = name.empty() ? params.end() : params.find(name);
            if (it == params.end()) {
                if (!(key.empty() || name.empty()))
                    unexpected.push_back(info.name);
                else if (info.name.rfind("blk.", 0) == 0 || info.name == "position_embd.weight")
                    unexpected.push_back(info.name);
                continue;
            }
            // GGUF lists dims fastest-first; Hugging Face shapes are the reverse. GPT-2's Conv1D
            // weights are stored (in, out) by Hugging Face and were transposed by the converter.
            std::vector<int64_t> shape(info.dims.rbegin(), info.dims.rend());
            const bool conv1d = config.traits().conv1dWeights && info.dims.size() == 2 && name.rfind("h.", 0) == 0 &&
                                name.find("ln_") == std::string::npos;
            std::vector<int64_t> expected(it->second.sizes().begin(), it->second.sizes().end());
            if (conv1d) std::reverse(expected.begin(), expected.end());
            const std::string place = "tensor '" + info.name + "'";
            if (shape != expected) {
                throw Error(where, place,
                            "has shape " + shapeText(shape) + " (" + ggmlTypeName(info.type) +
                                "), the metadata implies " + shapeText(expected));
            }
            if (!loaded.insert(name).second) throw Error(where, place, "appears twice in the file");
            matches.push_back({&info, name, std::move(shape), conv1d});
        }
        for (const auto& [name, tensor] : params) {
            if (!loaded.count(name)) {
                throw Error(where, "tensor for '" + name + "'", "missing from the file",
                            "the metadata describes a model that has it");
            }
        }
    }

    auto model = architecture.build(config, torch::TensorOptions().dtype(torch::kFloat));
    std::map<std::string, torch::Tensor> params;
    for (auto& p : model->named_parameters()) params[p.key()] = p.value();
    const bool rotaryOrder = config.modelType == "llama" || config.modelType == "mistral";
    torch::NoGradGuard noGrad;
    for (const Match& m : matches) {
        const GgufTensorInfo& info = *m.info;
        torch::Tensor& param = params.at(m.param);
        const std::string part = info.name.substr(0, info.name.rfind('.'));
        const bool isQ = part.size() > 7 && part.compare(part.size() - 7, 7, ".attn_q") == 0;
        const bool isK = part.size() > 7 && part.compare(part.size() - 7, 7, ".attn_k") == 0;
        if (!m.conv1d && !(rotaryOrder && (isQ || isK))) {
            dequantizeInto(file, info, param.data_ptr<float>());  // straight into the parameter
            continue;
        }
        auto values = torch::empty(m.shape, torch::kFloat);
        dequantizeInto(file, info, values.data_ptr<float>());
        if (m.conv1d) values = values.t();
        if (rotaryOrder && isQ) values = unpermuteRotary(values, config.nHead);
        if (rotaryOrder && isK) values = unpermuteRotary(values, config.nKvHead);
        param.copy_(values);
    }
    if (!unexpected.empty()) {
        log::get("model")->warn("{}: {} tensor(s) not used by the {} model, e.g. '{}'", where, unexpected.size(),
                                config.modelType, unexpected.front());
    }
    if (!device.is_cpu()) model->to(device);
    if (options.compute != torch::kFloat) setComputeDtype(*model, options.compute);
    model->eval();
    log::get("model")->info(
        "loaded {} (GGUF v{}, {}, {} layers x {} neurons, {:.1f}M parameters, computing in {}) on {}", where,
        file.version(), config.modelType, config.nLayer, config.nNeuron,
        static_cast<double>(config.parameterCount()) / 1e6, dtypeName(model->computeDtype()), deviceName(device));
    return model;
}

}  // namespace prunescope
