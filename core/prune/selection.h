// Choosing neurons to prune from per-neuron scores, and the baselines with exactly the same
// number of neurons in each layer (random; activation magnitude).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "core/prune/neuron_mask.h"
#include "core/settings/selection_settings.h"

namespace prunescope {

// Names: global, per-layer, layer, absolute, fraction-of-max, largest-layer (settings::kSelectRule).
inline SelectRule parseSelectRule(const std::string& name) {
    return settings::kSelectRule.parse(name);
}
inline const char* selectRuleName(SelectRule rule) {
    return settings::kSelectRule.nameOf(rule);
}

struct SelectionSpec {
    SelectRule rule = settings::kSelectRule.value;
    double percent = settings::kPrunePercent.value;       // top-p rules: p in percent (0..100)
    int64_t layer = settings::kSelectLayer.value;         // LayerTopPercent
    double threshold = settings::kSelectThreshold.value;  // Absolute
    double fraction = settings::kFractionOfMax.value;     // FractionOfMax
    std::vector<int64_t> excludeLayers;
    int64_t perLayerCap = settings::kPerLayerCap.value;  // at most this many per layer (0: no cap), keeping the highest
    HookPositions positions = settings::kPrunePositions.value;  // copied to the mask

    nlohmann::json toJson() const;
};

// Counts (documented in docs/pruning.md): top-p rules take round(p/100 x pool) neurons, pool =
// neurons of the layers in play; ties go to the lower layer, then the lower index.
// `layerTotals` (nLayer,) ranks the layers for the largest-layer rule (IgAggregate::layerTotals: the
// total before any per-layer normalisation); when undefined, the sums of `scores` per layer do.
NeuronMask selectNeurons(const at::Tensor& scores, const SelectionSpec& spec,
                         const at::Tensor& layerTotals = at::Tensor());

// The same per-layer counts (and positions) as `like`, chosen uniformly at random (seeded).
NeuronMask randomLike(const NeuronMask& like, uint64_t seed);
// The same per-layer counts (and positions) as `like`, the neurons with the largest `magnitude` (nLayer, nNeuron),
// e.g. mean |activation| over the attributed questions.
NeuronMask magnitudeLike(const NeuronMask& like, const at::Tensor& magnitude);

}  // namespace prunescope
