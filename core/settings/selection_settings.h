// How neurons are chosen from their scores, declared once (core/settings/setting.h). The rule
// itself is core/prune/selection.h's SelectRule.
#pragma once

#include "core/settings/setting.h"

namespace prunescope::settings {

inline constexpr RealSetting kPrunePercent{"percent", "Top p %", "Top-p rules: the percent of the neurons in play",
                                           1.0,       0.0,       100.0};
inline constexpr IntSetting kSelectLayer{"layer", "Layer", "Rule 'layer': the layer", 0, 0, 1 << 20};
inline constexpr RealSetting kSelectThreshold{"threshold", "Threshold", "Rule 'absolute': score >= T",
                                              0.0,         -1e300,      1e300};
inline constexpr RealSetting kFractionOfMax{
    "fraction", "Fraction of the maximum", "Rule 'fraction-of-max': score >= F x the largest score", 0.2, 0.0, 1.0};
inline constexpr IntSetting kPerLayerCap{
    "per_layer_cap", "Per-layer cap", "At most N neurons per layer (0: no cap)", 0, 0, INT64_MAX};

}  // namespace prunescope::settings
