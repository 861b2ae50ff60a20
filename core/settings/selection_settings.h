// How neurons are chosen from their scores, declared once (core/settings/setting.h); the choosing
// itself is core/prune/selection.h.
#pragma once

#include "core/settings/ig_settings.h"  // HookPositions
#include "core/settings/setting.h"

namespace prunescope {

enum class SelectRule {
    GlobalTopPercent,       // the p % highest scores over all (non-excluded) layers
    PerLayerTopPercent,     // the p % highest of every (non-excluded) layer
    LayerTopPercent,        // the p % highest of one named layer
    Absolute,               // score >= threshold
    FractionOfMax,          // score >= fraction x the largest score (Knowledge-Neurons style)
    LargestLayerTopPercent  // the p % highest of the layer with the largest total score
};

}  // namespace prunescope

namespace prunescope::settings {

inline constexpr ChoiceSetting<SelectRule, 6> kSelectRule{
    "rule",
    "Rule",
    "How neurons are chosen from their scores",
    SelectRule::GlobalTopPercent,
    {{{SelectRule::GlobalTopPercent, "global", "the top p % over all layers"},
      {SelectRule::PerLayerTopPercent, "per-layer", "the top p % of every layer"},
      {SelectRule::LayerTopPercent, "layer", "the top p % of one named layer"},
      {SelectRule::Absolute, "absolute", "every neuron with score >= T"},
      {SelectRule::FractionOfMax, "fraction-of-max", "every neuron with score >= F x the largest score"},
      {SelectRule::LargestLayerTopPercent, "largest-layer",
       "the top p % of the layer with the largest total score (before per-layer normalisation)"}}}};

inline constexpr RealSetting kPrunePercent{"percent", "Top p %", "Top-p rules: the percent of the neurons in play",
                                           1.0,       0.0,       100.0};
inline constexpr IntSetting kSelectLayer{"layer", "Layer", "Rule 'layer': the layer", 0, 0, 1 << 20};
inline constexpr RealSetting kSelectThreshold{"threshold", "Threshold", "Rule 'absolute': score >= T",
                                              0.0,         -1e300,      1e300};
inline constexpr RealSetting kFractionOfMax{
    "fraction", "Fraction of the maximum", "Rule 'fraction-of-max': score >= F x the largest score", 0.2, 0.0, 1.0};
inline constexpr IntSetting kPerLayerCap{
    "per_layer_cap", "Per-layer cap", "At most N neurons per layer (0: no cap)", 0, 0, INT64_MAX};

// Pruning zeroes a neuron at every position, while attribution measures it at the answer position;
// "last" makes the two match (a run-time mask, never baked into weights; letter scoring only).
inline constexpr ChoiceSetting<HookPositions, 2> kPrunePositions{
    "prune_positions",
    "Prune at",
    "Where a pruned neuron is zeroed: at every position, or at the last (answer) position only, where "
    "attribution measures it",
    HookPositions::All,
    {{{HookPositions::All, "all", "every position (can be baked into saved weights)"},
      {HookPositions::Last, "last",
       "the answer position only: applied at run time, never baked into weights; letter scoring only"}}}};

}  // namespace prunescope::settings
