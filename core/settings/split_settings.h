// How a data file without a split of its own is split, declared once (core/settings/setting.h).
#pragma once

#include "core/settings/setting.h"

namespace prunescope::settings {

inline constexpr RealSetting kValidationFraction{
    "validation_fraction", "Validation", "Share of a file held out for validation (keep-best, preview)", 0.1, 0.0, 0.5};
inline constexpr RealSetting kTestFraction{
    "test_fraction", "Test", "Share of a file held out for testing, when no test file is given", 0.1, 0.0, 0.5};
inline constexpr IntSetting kSplitSeed{"split_seed", "Split seed", "Seed of the split's shuffle", 0, 0, INT64_MAX};

}  // namespace prunescope::settings
