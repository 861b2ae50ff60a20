// Neuron selection from the displayed scores with the engine's own rule (selectNeurons), for the
// Select panel's instant feedback. Works on a copy of the scores; touches no model.
#pragma once

#include <vector>

#include "core/prune/selection.h"

namespace prunescope::ui {

// scores: (nLayer, nNeuron) row-major.
// `layerTotals` (nLayer values, or empty: the sums of `scores`) ranks the layers for largest-layer.
NeuronMask selectFromScores(const std::vector<float>& scores, int nLayer, int nNeuron, const SelectionSpec& spec,
                            const std::vector<float>& layerTotals = {});

}  // namespace prunescope::ui
