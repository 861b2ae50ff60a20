#include "core/model/neuron_hook.h"

#include <torch/torch.h>

namespace prunescope {

NeuronHook::NeuronHook(int64_t nLayer, NeuronSite site)
    : m_layers(static_cast<size_t>(nLayer)), m_site(site) {}

void NeuronHook::setMask(int64_t layer, const at::Tensor& mask) { m_layers.at(layer).mask = mask; }

void NeuronHook::setScale(int64_t layer, const at::Tensor& factor, HookPositions where) {
    auto& l = m_layers.at(layer);
    l.scale = factor;
    l.scaleWhere = where;
}

void NeuronHook::clearScales() {
    for (auto& l : m_layers) l.scale = at::Tensor();
}

void NeuronHook::setRecord(int64_t layer, bool on, HookPositions where, bool keepGraph) {
    auto& l = m_layers.at(layer);
    l.record = on;
    l.recordWhere = where;
    l.recordGraph = keepGraph;
}

void NeuronHook::recordAll(HookPositions where) {
    for (int64_t i = 0; i < nLayer(); ++i) setRecord(i, true, where);
}

void NeuronHook::clearRecords() {
    for (auto& l : m_layers) l.recorded = at::Tensor();
}

at::Tensor NeuronHook::apply(int64_t layer, NeuronSite site, const at::Tensor& act) {
    if (site != m_site) return act;
    auto& l = m_layers.at(layer);
    at::Tensor out = act;  // (B, T, nNeuron)
    if (l.mask.defined()) out = out * l.mask;
    if (l.scale.defined()) {
        auto factor = l.scale.unsqueeze(1);  // (B, 1, nNeuron)
        const int64_t t = out.size(1);
        if (l.scaleWhere == HookPositions::All || t == 1) {
            out = out * factor;
        } else {
            out = torch::cat({out.slice(1, 0, t - 1), out.slice(1, t - 1) * factor}, 1);
        }
    }
    if (l.record) {
        auto value = l.recordWhere == HookPositions::Last ? out.select(1, out.size(1) - 1) : out;
        l.recorded = l.recordGraph ? value : value.detach();
    }
    return out;
}

}  // namespace prunescope
