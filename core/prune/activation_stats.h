// Neuron activations over questions at the answer position: the magnitude baseline (mean
// |activation|) and one neuron's activation per question (the GUI's neuron panel).
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/settings/batch_settings.h"
#include "core/util/progress.h"

namespace prunescope {

class CausalLM;
struct ScoringItem;

// (nLayer, nNeuron) float64: mean over `indices` of |activation| at each prompt's last token.
at::Tensor meanAbsActivation(CausalLM& model, const std::vector<ScoringItem>& items, const std::vector<size_t>& indices,
                             int64_t batchSize = settings::kScoringBatchSize.value, const ProgressFn& progress = {},
                             const CancelFlag* cancel = nullptr);

// Activation of neuron (layer, neuron) at each item's last prompt token, in item order.
std::vector<float> neuronActivations(CausalLM& model, const std::vector<ScoringItem>& items, int64_t layer,
                                     int64_t neuron, int64_t batchSize = settings::kScoringBatchSize.value,
                                     const CancelFlag* cancel = nullptr);

}  // namespace prunescope
