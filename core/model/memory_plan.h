// The memory plan: what a job (load, eval, attribute, finetune) will need, estimated from the
// model's config and the job's settings before anything is allocated, set against the memory the
// device has free. A job that does not fit is refused with the estimate and settings that would
// fit; `prunescope-cli info --plan JOB` prints it; `bench memory` measures it.
//
// The estimate sums: the weights as held (float32, or the stored bfloat16 / float16), the
// process's own baseline (LibTorch, BLAS buffers), the widened copy of one matrix when weights are
// held narrow, the activations a pass keeps (per token and layer, from d_model, the FFN width and
// the attention length), the logits, and for fine-tuning the float32 masters, gradients, AdamW
// state and keep-best copy of the trainable parameters (or of the LoRA adapters). The
// coefficients were fitted to measured peaks (docs/memory.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/model/config.h"
#include "core/settings/batch_settings.h"
#include "core/settings/ig_settings.h"

namespace prunescope {

enum class PlanJob { Load, Eval, Attribute, Finetune };
PlanJob parsePlanJob(const std::string& name);  // load, eval, attribute, finetune
const char* planJobName(PlanJob job);

struct PlanSettings {
    PlanJob job = PlanJob::Eval;
    bool cuda = false;     // the device: CUDA (no process baseline counted) or the CPU
    int weightBytes = 4;   // bytes per weight as held: 4 (float32) or 2 (bfloat16 / float16 kept)
    int computeBytes = 4;  // bytes per activation: 4, or 2 when computing in the stored dtype
    int64_t batchSize = settings::kScoringBatchSize.value;  // questions per pass (eval, finetune)
    int64_t tokens = 256;                                   // the longest prompt, in tokens
    int64_t scoredTokens = 1;  // tokens scored per question: 1 (letter) or the option's length
    // attribute
    int64_t igSteps = settings::kIgSteps.value;
    bool igPerLayer = false;  // scope per-layer: every layer's gates in its own rows
    int64_t questionsPerPass = settings::kQuestionsPerPass.value;
    int64_t rowsPerPass = 0;  // 0: all scaled copies of a pass at once
    // finetune
    std::string trainable = "all";         // all, ffn, last:K
    int64_t loraRank = 0;                  // > 0: LoRA adapters train, the model is frozen
    std::vector<std::string> loraTargets;  // module names (q_proj, ...); empty: every linear layer of the blocks
    bool checkpointActivations = false;
    bool keepBest = true;  // a copy of the trainable parameters (with validation questions)
    // The model is in memory already (the GUI): only what the job adds to it is counted (no
    // process baseline, weights or loading peak).
    bool modelLoaded = false;
};

struct PlanItem {
    std::string name;
    int64_t bytes = 0;
    std::string detail;
};

struct MemoryPlan {
    std::string job;
    std::string device;
    std::vector<PlanItem> items;
    int64_t total = 0;
    int64_t available = -1;                // free memory of the device; -1: unknown (then it is taken to fit)
    std::vector<std::string> suggestions;  // settings that would fit, when it does not

    bool fits() const { return available < 0 || total <= available; }
    // A few lines: the items, the total against the free memory, and the suggestions.
    std::string text() const;
    nlohmann::json toJson() const;
};

// The estimate for `settings` (no suggestions).
MemoryPlan estimateMemory(const ModelConfig& config, const PlanSettings& settings);

// The estimate set against `availableBytes`; when it does not fit, the suggestions are the
// changes of settings (one at a time, then combined) whose estimate fits, as command-line flags.
MemoryPlan planMemory(const ModelConfig& config, const PlanSettings& settings, int64_t availableBytes);

// The largest rows per pass (a power of two) with which an attribution fits `availableBytes`;
// 0 when even one row does not fit.
int64_t fittingRowsPerPass(const ModelConfig& config, PlanSettings settings, int64_t availableBytes);

}  // namespace prunescope
