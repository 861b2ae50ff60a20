#include "core/train/lora.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <torch/torch.h>

#include "core/model/architecture.h"
#include "core/model/causal_lm.h"
#include "core/model/layers.h"
#include "core/model/lora_adapter.h"
#include "core/model/safetensors.h"
#include "core/prune/neuron_mask.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/log.h"

namespace fs = std::filesystem;

namespace prunescope {
namespace {

const char* const kLoraGroups[] = {"all", "attention", "ffn"};
const char* const kLoraModules[] = {"q_proj",    "k_proj", "v_proj", "o_proj",      "gate_proj",  "up_proj",
                                    "down_proj", "c_attn", "c_proj", "attn.c_proj", "mlp.c_proj", "c_fc"};

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// PEFT's rule for a string target: the module name equals it or ends with "." + it.
bool matchesTarget(const std::string& name, const std::string& target) {
    return name == target || endsWith(name, "." + target);
}

NeuronAxis neuronAxisOf(const std::string& name) {
    for (const char* s : {".mlp.gate_proj", ".mlp.up_proj", ".mlp.c_fc"}) {
        if (endsWith(name, s)) return NeuronAxis::Output;
    }
    for (const char* s : {".mlp.down_proj", ".mlp.c_proj"}) {
        if (endsWith(name, s)) return NeuronAxis::Input;
    }
    return NeuronAxis::None;
}

// The module path in the Hugging Face model class PEFT wraps (GPT2LMHeadModel keeps its blocks
// under "transformer.").
std::string joinNames(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}

std::string peftPath(const std::string& name, const ModelConfig& config) {
    if (name.rfind("lm_head", 0) == 0) return name;
    return config.traits().peftPrefix + name;
}

// A's columns / B's rows that belong to pruned neurons, zeroed in copies of a and b. A mask applied
// at the last position only leaves them: those neurons stay live at the other positions.
std::pair<torch::Tensor, torch::Tensor> maskedFactors(const LoraModule& m, const NeuronMask* mask) {
    auto a = m.adapter->A.detach().clone();  // (r, in)
    auto b = m.adapter->B.detach().clone();  // (out, r)
    if (mask == nullptr || !mask->bakeable() || m.layer < 0 || m.neurons == NeuronAxis::None) return {a, b};
    const auto& pruned = mask->pruned.at(static_cast<size_t>(m.layer));
    if (pruned.empty()) return {a, b};
    auto idx = torch::tensor(std::vector<int64_t>(pruned.begin(), pruned.end()), torch::kLong).to(a.device());
    if (m.neurons == NeuronAxis::Output) b.index_fill_(0, idx, 0);
    if (m.neurons == NeuronAxis::Input) a.index_fill_(1, idx, 0);
    return {a, b};
}

}  // namespace

nlohmann::json LoraSettings::toJson() const {
    // Nothing when off: settings (and the experiment cache keys made from them) stay as before LoRA.
    // (A negative rank is written, so that fromJson names it.)
    if (rank == 0) return nlohmann::json::object();
    return {{"lora_rank", rank}, {"lora_alpha", alpha}, {"lora_dropout", dropout}, {"lora_targets", targets}};
}

LoraSettings LoraSettings::fromJson(const nlohmann::json& j, const std::string& where) {
    LoraSettings s;
    if (j.contains("lora_rank")) {
        if (!j["lora_rank"].is_number_integer()) throw Error(where, "field 'lora_rank'", "expected an integer");
        s.rank = j["lora_rank"].get<int64_t>();
        if (s.rank < 0) throw Error(where, "field 'lora_rank'", "must be >= 0", "0 turns LoRA off");
    }
    if (j.contains("lora_alpha")) {
        if (!j["lora_alpha"].is_number()) throw Error(where, "field 'lora_alpha'", "expected a number");
        s.alpha = j["lora_alpha"].get<double>();
        if (!(s.alpha > 0)) throw Error(where, "field 'lora_alpha'", "must be positive");
    }
    if (j.contains("lora_dropout")) {
        if (!j["lora_dropout"].is_number()) throw Error(where, "field 'lora_dropout'", "expected a number");
        s.dropout = j["lora_dropout"].get<double>();
        if (!(s.dropout >= 0 && s.dropout < 1)) throw Error(where, "field 'lora_dropout'", "must be in [0, 1)");
    }
    if (j.contains("lora_targets")) {
        const auto& t = j["lora_targets"];
        if (t.is_string()) {
            s.targets = parseLoraTargets(t.get<std::string>(), where);
        } else if (t.is_array() && !t.empty()) {
            std::string list;
            for (const auto& e : t) {
                if (!e.is_string()) throw Error(where, "field 'lora_targets'", "expected module names (strings)");
                list += (list.empty() ? "" : ",") + e.get<std::string>();
            }
            s.targets = parseLoraTargets(list, where);
        } else {
            throw Error(where, "field 'lora_targets'", "expected a string or a non-empty array of strings");
        }
    }
    return s;
}

std::vector<std::string> parseLoraTargets(const std::string& text, const std::string& where) {
    std::vector<std::string> out;
    std::stringstream in(text);
    std::string part;
    while (std::getline(in, part, ',')) {
        part.erase(0, part.find_first_not_of(" \t"));
        part.erase(part.find_last_not_of(" \t") + 1);
        if (part.empty()) continue;
        bool known = std::find(std::begin(kLoraGroups), std::end(kLoraGroups), part) != std::end(kLoraGroups) ||
                     std::find(std::begin(kLoraModules), std::end(kLoraModules), part) != std::end(kLoraModules);
        if (!known) {
            throw Error(where, "field 'lora_targets'", "unknown target '" + part + "'",
                        "use attention, ffn, all, or module names: q_proj, k_proj, v_proj, o_proj, "
                        "gate_proj, "
                        "up_proj, down_proj (Llama family); c_attn, c_proj, c_fc, attn.c_proj, "
                        "mlp.c_proj (GPT-2)");
        }
        if (std::find(out.begin(), out.end(), part) == out.end()) out.push_back(part);
    }
    if (out.empty()) throw Error(where, "field 'lora_targets'", "names no module", "use attention, ffn or all");
    return out;
}

std::vector<std::string> resolveLoraTargets(const std::vector<std::string>& targets, const std::string& modelType) {
    const auto& traits = findArchitecture(modelType).traits;
    const std::vector<std::string>& attention = traits.attentionModules;
    const std::vector<std::string>& ffn = traits.ffnModules;
    std::vector<std::string> out;
    for (const auto& t : targets) {
        if (t == "attention" || t == "all") out.insert(out.end(), attention.begin(), attention.end());
        if (t == "ffn" || t == "all") out.insert(out.end(), ffn.begin(), ffn.end());
        if (t != "attention" && t != "ffn" && t != "all") out.push_back(t);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    // "c_proj" already covers both of GPT-2's c_proj modules.
    if (std::find(out.begin(), out.end(), "c_proj") != out.end() ||
        (std::find(out.begin(), out.end(), "attn.c_proj") != out.end() &&
         std::find(out.begin(), out.end(), "mlp.c_proj") != out.end())) {
        out.erase(std::remove_if(out.begin(), out.end(),
                                 [](const std::string& t) { return t == "attn.c_proj" || t == "mlp.c_proj"; }),
                  out.end());
        if (std::find(out.begin(), out.end(), "c_proj") == out.end()) out.push_back("c_proj");
        std::sort(out.begin(), out.end());
    }
    return out;
}

std::vector<at::Tensor> LoraAttachment::parameters() const {
    std::vector<at::Tensor> out;
    for (const auto& m : modules) {
        out.push_back(m.adapter->A);
        out.push_back(m.adapter->B);
    }
    return out;
}

std::vector<std::pair<std::string, at::Tensor>> LoraAttachment::namedParameters() const {
    std::vector<std::pair<std::string, at::Tensor>> out;
    for (const auto& m : modules) {
        out.emplace_back("base_model.model." + m.path + ".lora_A.weight", m.adapter->A);
        out.emplace_back("base_model.model." + m.path + ".lora_B.weight", m.adapter->B);
    }
    return out;
}

LoraAttachment attachLora(CausalLM& model, const LoraSettings& settings, uint64_t seed) {
    if (!settings.enabled()) throw Error("", "field 'lora_rank'", "must be > 0 to attach adapters");
    const auto& config = model.config();
    LoraAttachment lora;
    lora.settings = settings;
    lora.targetModules = resolveLoraTargets(settings.targets, config.modelType);
    lora.fanInFanOut = config.traits().conv1dWeights;
    const double scale = settings.alpha / static_cast<double>(settings.rank);
    auto gen = at::detail::createCPUGenerator(seed);
    std::vector<bool> used(lora.targetModules.size(), false);
    for (const auto& item : model.named_modules()) {
        const auto& name = item.key();
        auto dense = std::dynamic_pointer_cast<DenseImpl>(item.value());
        auto conv = std::dynamic_pointer_cast<Conv1DImpl>(item.value());
        if (!dense && !conv) continue;
        bool hit = false;
        for (size_t i = 0; i < lora.targetModules.size(); ++i) {
            if (matchesTarget(name, lora.targetModules[i])) hit = used[i] = true;
        }
        if (!hit) continue;
        if ((dense && dense->lora) || (conv && conv->lora)) {
            detachLora(lora);
            throw Error("", "module '" + name + "'", "already has a LoRA adapter", "merge or detach it first");
        }
        const auto& weight = dense ? dense->weight : conv->weight;
        const int64_t in = dense ? weight.size(1) : weight.size(0);
        const int64_t out = dense ? weight.size(0) : weight.size(1);
        // PEFT's init: A kaiming-uniform with a = sqrt(5), i.e. U(-1/sqrt(in), 1/sqrt(in)); B zero.
        const double bound = 1.0 / std::sqrt(static_cast<double>(in));
        auto adapter = std::make_shared<LoraAdapter>();
        auto opts = torch::TensorOptions().dtype(torch::kFloat);
        adapter->A = torch::empty({settings.rank, in}, opts).uniform_(-bound, bound, gen).to(weight.device());
        adapter->B = torch::zeros({out, settings.rank}, opts.device(weight.device()));
        adapter->A.set_requires_grad(true);
        adapter->B.set_requires_grad(true);
        adapter->scale = scale;
        adapter->dropout = settings.dropout;
        LoraModule m;
        m.name = name;
        m.path = peftPath(name, config);
        m.layer = model.roleOf(name + ".weight").layer;
        m.neurons = neuronAxisOf(name);
        m.adapter = adapter;
        m.dense = dense;
        m.conv1d = conv;
        (dense ? dense->lora : conv->lora) = adapter;
        lora.modules.push_back(std::move(m));
    }
    for (size_t i = 0; i < used.size(); ++i) {
        if (used[i]) continue;
        detachLora(lora);
        throw Error("", "field 'lora_targets'",
                    "'" + lora.targetModules[i] + "' matches no linear layer of this " + config.modelType + " model",
                    "use attention, ffn, all or " + joinNames(config.traits().attentionModules) + ", " +
                        joinNames(config.traits().ffnModules));
    }
    int64_t values = 0;
    for (const auto& t : lora.parameters()) values += t.numel();
    log::get("train")->info("LoRA: rank {}, alpha {}, {} adapters on {} ({} trainable values)", settings.rank,
                            settings.alpha, lora.modules.size(), nlohmann::json(lora.targetModules).dump(), values);
    return lora;
}

LoraWeights loraWeights(const LoraAttachment& lora, const NeuronMask* mask) {
    LoraWeights w;
    w.settings = lora.settings;
    w.targetModules = lora.targetModules;
    w.fanInFanOut = lora.fanInFanOut;
    for (const auto& m : lora.modules) {
        auto [a, b] = maskedFactors(m, mask);
        w.tensors.emplace_back("base_model.model." + m.path + ".lora_A.weight", a.to(torch::kCPU).contiguous());
        w.tensors.emplace_back("base_model.model." + m.path + ".lora_B.weight", b.to(torch::kCPU).contiguous());
    }
    return w;
}

void mergeLora(LoraAttachment& lora, CausalLM& model, const NeuronMask* mask) {
    torch::NoGradGuard noGrad;
    for (const auto& m : lora.modules) {
        auto [a, b] = maskedFactors(m, mask);
        auto delta = torch::matmul(b, a) * m.adapter->scale;  // (out, in) float32
        auto& weight = m.dense ? m.dense->weight : m.conv1d->weight;
        if (m.dense) {
            weight.add_(delta.to(weight.scalar_type()));  // (out, in)
        } else {
            weight.add_(delta.t().to(weight.scalar_type()));  // Conv1D: (in, out)
        }
    }
    detachLora(lora);
    if (mask != nullptr && mask->bakeable()) mask->bakeInto(model);
}

void detachLora(LoraAttachment& lora) {
    for (auto& m : lora.modules) {
        if (m.dense) m.dense->lora.reset();
        if (m.conv1d) m.conv1d->lora.reset();
    }
    lora.modules.clear();
}

void saveLoraAdapter(const LoraWeights& w, const fs::path& dir, const std::string& baseModel) {
    if (w.empty()) throw Error(dir.string(), "", "no LoRA adapter to save", "fine-tune with lora_rank > 0");
    const double alpha = w.settings.alpha;
    nlohmann::json alphaJson =
        alpha == std::floor(alpha) ? nlohmann::json(static_cast<int64_t>(alpha)) : nlohmann::json(alpha);
    nlohmann::json config = {{"peft_type", "LORA"},
                             {"task_type", "CAUSAL_LM"},
                             {"r", w.settings.rank},
                             {"lora_alpha", alphaJson},
                             {"lora_dropout", w.settings.dropout},
                             {"target_modules", w.targetModules},
                             {"bias", "none"},
                             {"fan_in_fan_out", w.fanInFanOut},
                             {"base_model_name_or_path", baseModel},
                             {"inference_mode", true},
                             {"init_lora_weights", true},
                             {"modules_to_save", nullptr},
                             {"layers_to_transform", nullptr},
                             {"layers_pattern", nullptr},
                             {"revision", nullptr}};
    auto staging = stagingDirectoryFor(dir);
    try {
        writeJsonAtomic(staging / "adapter_config.json", config);
        writeSafetensors(staging / "adapter_model.safetensors", w.tensors, {{"format", "pt"}});
        replaceDirectory(staging, dir);
    } catch (...) {
        std::error_code ec;
        fs::remove_all(staging, ec);
        throw;
    }
}

}  // namespace prunescope
