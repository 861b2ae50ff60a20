// The fine-tuning settings, declared once (core/settings/setting.h): FinetuneSettings takes its
// defaults from here, experiment and session files use the keys, `finetune` its options and the
// Fine-tune panel its spin boxes. The batch size is in core/settings/batch_settings.h.
#pragma once

#include "core/settings/setting.h"

namespace prunescope::settings {

inline constexpr RealSetting kLearningRate{"lr", "Learning rate", "Peak learning rate (AdamW)", 5e-5, 1e-9, 1.0};
inline constexpr RealSetting kWeightDecay{
    "weight_decay", "Weight decay", "AdamW weight decay (not on biases and norm scales)", 0.01, 0.0, 1.0};
inline constexpr RealSetting kWarmupFraction{"warmup_fraction", "Warm-up", "Warm-up share of the steps", 0.1, 0.0, 1.0};
inline constexpr IntSetting kGradAccum{"grad_accum",
                                       "Gradient accumulation",
                                       "Micro-batches per optimizer step: the same effective batch with less memory",
                                       1,
                                       1,
                                       4096};
inline constexpr RealSetting kClipNorm{"clip_norm", "Gradient clip", "Gradient norm clip (0: none)", 1.0, 0.0, 1e9};
inline constexpr IntSetting kEpochs{"epochs", "Epochs", "Passes over the training questions", 1, 1, 100000};
inline constexpr IntSetting kMaxSteps{"max_steps", "Max steps", "Stop after this many optimizer steps (0: the epochs)",
                                      0,           0,           INT64_MAX};
inline constexpr IntSetting kTrainSeed{"seed", "Seed", "Seed of the data order", 0, 0, INT64_MAX};
inline constexpr IntSetting kEvalEvery{
    "eval_every", "Evaluate every", "Steps between validation passes (0: only at the end)", 0, 0, INT64_MAX};
inline constexpr IntSetting kPatience{
    "patience", "Patience", "Stop after this many evaluations without gain (0: never)", 0, 0, INT64_MAX};
inline constexpr RealSetting kL1Activation{
    "l1_activation", "L1 on activations", "Penalty x mean |FFN activation| at the answer position", 0.0, 0.0, 1e9};
inline constexpr IntSetting kLoraRank{
    "lora_rank", "LoRA rank", "Train rank-R adapters on the frozen model (0: full fine-tuning)", 0, 0, 65536};
inline constexpr RealSetting kLoraAlpha{"lora_alpha", "LoRA alpha", "Scale numerator: the update is (alpha / R) B A",
                                        16.0,         0.0,          1e6};
inline constexpr RealSetting kLoraDropout{
    "lora_dropout", "LoRA dropout", "Dropout on the adapters' input while training", 0.0, 0.0, 0.999};

}  // namespace prunescope::settings
