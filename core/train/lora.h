// LoRA: low-rank adapters on the linear layers of a frozen model (the usual way to adapt a 7B model
// on one GPU). attachLora() puts an adapter (A (r, in) kaiming-uniform, B (out, r) zero, float32)
// on every targeted projection; fine-tuning trains only those; mergeLora() adds scale * B A into
// the weights; saveLoraAdapter() writes the folder the Hugging Face PEFT library loads. Pruned
// neurons stay pruned: the merged update and the saved adapter never touch a pruned neuron's
// input or output.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "core/settings/train_settings.h"

namespace prunescope {

class CausalLM;
struct NeuronMask;
struct LoraAdapter;
struct DenseImpl;
struct Conv1DImpl;

struct LoraSettings {
    int64_t rank = settings::kLoraRank.value;  // 0: LoRA off (full fine-tuning)
    double alpha = settings::kLoraAlpha.value;
    double dropout = settings::kLoraDropout.value;
    // Module names (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj; GPT-2: c_attn,
    // c_proj, c_fc, attn.c_proj, mlp.c_proj) or the groups attention, ffn, all.
    std::vector<std::string> targets = {"all"};

    bool enabled() const { return rank > 0; }
    // {"lora_rank", "lora_alpha", "lora_dropout", "lora_targets"}
    nlohmann::json toJson() const;
    // Reads those keys of `json` (others are left to the caller); errors name the field.
    static LoraSettings fromJson(const nlohmann::json& json, const std::string& where);
};

// "attention", "ffn", "all" or a comma list of module names and groups; errors name `where`'s
// field 'lora_targets'.
std::vector<std::string> parseLoraTargets(const std::string& text, const std::string& where);

// The module-name suffixes (PEFT's target_modules) the targets stand for in `modelType`.
std::vector<std::string> resolveLoraTargets(const std::vector<std::string>& targets, const std::string& modelType);

// Which FFN neurons a module's adapter can reach: Output: B's rows (gate_proj, up_proj, c_fc);
// Input: A's columns (down_proj, mlp.c_proj).
enum class NeuronAxis { None, Output, Input };

struct LoraModule {
    std::string name;  // parameter prefix in our model: h.0.attn.c_attn
    std::string path;  // PEFT module path: transformer.h.0.attn.c_attn
    int64_t layer = -1;
    NeuronAxis neurons = NeuronAxis::None;
    std::shared_ptr<LoraAdapter> adapter;
    std::shared_ptr<DenseImpl> dense;  // one of the two
    std::shared_ptr<Conv1DImpl> conv1d;
};

// The adapters attached to a model. Dropping it does not detach them: call mergeLora() or
// detachLora().
struct LoraAttachment {
    LoraSettings settings;
    std::vector<std::string> targetModules;  // resolved, sorted
    bool fanInFanOut = false;                // GPT-2's Conv1D layout
    std::vector<LoraModule> modules;         // in the model's module order

    // A and B of every module, in order (what the optimizer trains).
    std::vector<at::Tensor> parameters() const;
    // PEFT's keys: base_model.model.<path>.lora_A.weight, ....lora_B.weight, with the tensors.
    std::vector<std::pair<std::string, at::Tensor>> namedParameters() const;
};

// Attaches adapters to every Dense / Conv1D module whose name matches a target (PEFT's rule: the
// name equals it or ends with "." + it). A is drawn from `seed`. Errors when a target matches
// nothing, or when adapters are attached already.
LoraAttachment attachLora(CausalLM& model, const LoraSettings& settings, uint64_t seed);

// An adapter as PEFT saves it: CPU float32 tensors under PEFT's keys, pruned neurons zeroed (B's
// rows for gate/up/c_fc, A's columns for down_proj/mlp.c_proj).
struct LoraWeights {
    LoraSettings settings;
    std::vector<std::string> targetModules;
    bool fanInFanOut = false;
    std::vector<std::pair<std::string, at::Tensor>> tensors;

    bool empty() const { return tensors.empty(); }
};
LoraWeights loraWeights(const LoraAttachment& lora, const NeuronMask* mask);

// W += scale * B A in W's dtype (transposed for Conv1D), with the rows / columns of pruned neurons
// of the update zeroed and then `mask` baked into the weights; detaches the adapters. A mask applied
// at the last position only is neither: the caller keeps applying it through the hook.
void mergeLora(LoraAttachment& lora, CausalLM& model, const NeuronMask* mask);
// Removes the adapters without merging them.
void detachLora(LoraAttachment& lora);

// Writes `dir` atomically: adapter_config.json and adapter_model.safetensors in PEFT's layout.
void saveLoraAdapter(const LoraWeights& weights, const std::filesystem::path& dir, const std::string& baseModel);

}  // namespace prunescope
