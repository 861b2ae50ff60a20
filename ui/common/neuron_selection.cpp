#include "ui/common/neuron_selection.h"

#include <torch/torch.h>

namespace prunescope::ui {

NeuronMask selectFromScores(const std::vector<float>& scores, int nLayer, int nNeuron, const SelectionSpec& spec,
                            const std::vector<float>& layerTotals) {
    if (nLayer <= 0 || nNeuron <= 0 || scores.size() != size_t(nLayer) * size_t(nNeuron)) {
        return NeuronMask(std::max(nLayer, 0), std::max(nNeuron, 0));
    }
    // (nLayer, nNeuron) view of the caller's buffer; selectNeurons copies it to float64.
    auto tensor = torch::from_blob(const_cast<float*>(scores.data()), {nLayer, nNeuron}, torch::kFloat32);
    at::Tensor totals;
    if (layerTotals.size() == size_t(nLayer))
        totals = torch::from_blob(const_cast<float*>(layerTotals.data()), {nLayer}, torch::kFloat32);
    return selectNeurons(tensor, spec, totals);
}

}  // namespace prunescope::ui
