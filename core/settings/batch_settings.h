// Batch sizes, declared once (core/settings/setting.h).
#pragma once

#include "core/settings/setting.h"

namespace prunescope::settings {

inline constexpr IntSetting kScoringBatchSize{
    "batch_size", "Batch size", "Sequences per forward pass when scoring (more: faster, more memory)", 8, 1, 4096};
inline constexpr IntSetting kTrainBatchSize{
    "batch_size", "Batch size", "Questions per fine-tuning micro-batch (more: more memory)", 8, 1, 4096};

}  // namespace prunescope::settings
