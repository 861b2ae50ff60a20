// Fine-tuning a (possibly pruned) model on multiple-choice questions: cross-entropy over the
// options at the answer position (letter mode) or over the gold option's tokens (continuation
// mode); AdamW with warm-up and linear or cosine decay; gradient accumulation and clipping;
// evaluation on a validation set with keep-best and early stopping; atomic checkpoints that resume
// to exactly the uninterrupted run on the CPU. Pruned neurons stay at zero throughout (the mask
// is applied through the neuron hook at every step). With lora.rank > 0 the base weights stay
// frozen and only LoRA adapters train; they are merged into the weights at the end.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/eval/scoring.h"
#include "core/model/memory_plan.h"
#include "core/settings/batch_settings.h"
#include "core/settings/train_settings.h"
#include "core/train/lora.h"
#include "core/util/progress.h"

namespace prunescope {

class CausalLM;
struct NeuronMask;

struct FinetuneSettings {
    ScoringMode mode = ScoringMode::Letter;
    double lr = settings::kLearningRate.value;
    double weightDecay = settings::kWeightDecay.value;  // not applied to biases and norm scales
    double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
    std::string schedule = "cosine";                          // constant, linear, cosine (after warm-up)
    double warmupFraction = settings::kWarmupFraction.value;  // of the total steps
    int64_t batchSize = settings::kTrainBatchSize.value;
    int64_t gradAccum = settings::kGradAccum.value;  // micro-batches per optimizer step
    double clipNorm = settings::kClipNorm.value;     // 0: no clipping
    int64_t epochs = settings::kEpochs.value;
    int64_t maxSteps = settings::kMaxSteps.value;  // > 0: stop after this many optimizer steps (epochs as needed)
    uint64_t seed = static_cast<uint64_t>(settings::kTrainSeed.value);  // data order
    std::string trainable = "all";                   // all, ffn, last:K (the last K blocks and the final norm / head)
    LoraSettings lora;                               // rank > 0: train LoRA adapters only (trainable must be all)
    int64_t evalEvery = settings::kEvalEvery.value;  // steps between validation passes (0: only at the end)
    bool keepBest = true;                          // restore the parameters of the best validation accuracy at the end
    int64_t patience = settings::kPatience.value;  // stop after this many evaluations without improvement (0: never)
    double l1Activation = settings::kL1Activation.value;  // penalty x mean |FFN activation| at the answer position
    bool checkpointActivations = false;                   // recompute each block in the backward pass (less memory)
    int64_t checkpointEvery = 0;                          // steps between checkpoints (0: none)
    std::filesystem::path checkpointDir;
    bool resume = false;

    nlohmann::json toJson() const;
    static FinetuneSettings fromJson(const nlohmann::json& json, const std::string& where);
};

struct TrainPoint {
    int64_t step = 0;
    int64_t totalSteps = 0;
    int64_t epoch = 0;
    double loss = 0;
    double lr = 0;
    std::optional<double> validationAccuracy;
    double etaSeconds = -1;
};

using TrainCallback = std::function<void(const TrainPoint&)>;
// Asked after every step (after the callback): true ends training there, as early stopping does.
using StopCondition = std::function<bool(const TrainPoint&)>;

struct FinetuneResult {
    std::vector<TrainPoint> history;  // every step; validationAccuracy where evaluated
    int64_t steps = 0;
    int64_t bestStep = 0;
    double bestValidationAccuracy = -1;
    bool stoppedEarly = false;
    LoraWeights adapter;  // with LoRA: the trained (kept-best) adapter, pruned neurons zeroed

    nlohmann::json toJson() const;
};

// Trains `model` in place. `mask` (may be null) stays applied and pruned neurons stay zero. With
// LoRA, the adapters are merged into `model` at the end and the mask is baked into its weights
// (unless it applies at the last position only: then the caller applies it when evaluating);
// the result keeps the adapter for saveLoraAdapter().
// `stopWhen` (may be empty) ends training early, with the result marked stoppedEarly.
// `validating` (may be empty) reports each validation pass question by question (stage
// "validation at step N"): between two steps it can take longer than the steps.
FinetuneResult finetune(CausalLM& model, const std::vector<ScoringItem>& train,
                        const std::vector<ScoringItem>& validation, const NeuronMask* mask,
                        const FinetuneSettings& settings, const TrainCallback& callback = {},
                        const CancelFlag* cancel = nullptr, const StopCondition& stopWhen = {},
                        const ProgressFn& validating = {});

// Accuracy of `items` with `mask` applied (the ablation preview); mask may be null.
double maskedAccuracy(CausalLM& model, const std::vector<ScoringItem>& items, const NeuronMask* mask, ScoringMode mode,
                      int64_t batchSize = settings::kScoringBatchSize.value, const CancelFlag* cancel = nullptr,
                      const ProgressFn& progress = {});

// The memory plan's settings for fine-tuning a `modelType` model with `settings` (the batch,
// trainable subset, LoRA rank and resolved targets, checkpointing, keep-best when there is a
// validation set); the prompt length (tokens, scoredTokens) is the caller's to fill in.
PlanSettings finetunePlanSettings(const FinetuneSettings& settings, const std::string& modelType, bool withValidation);

}  // namespace prunescope
