#include "core/model/neuron_hook.h"

#include <torch/torch.h>

namespace prunescope {

NeuronHook::NeuronHook(int64_t nLayer, NeuronSite site) : m_layers(static_cast<size_t>(nLayer)), m_site(site) {}

void NeuronHook::setMask(int64_t layer, const at::Tensor& mask) {
    m_layers.at(layer).mask = mask;
}

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
    const auto dtype = act.scalar_type();
    if (l.mask.defined()) out = out * (l.mask.scalar_type() == dtype ? l.mask : l.mask.to(dtype));
    if (l.scale.defined()) {
        // The gates keep their own dtype (float32): with bfloat16 / float16 activations the
        // product, and so the gradient that reaches the gates, is formed in float32 and only the
        // scaled activation goes back to the compute dtype.
        auto factor = l.scale.unsqueeze(1);  // (B, 1, nNeuron)
        auto scaled = [&](const at::Tensor& x) {
            return x.scalar_type() == factor.scalar_type() ? x * factor
                                                           : (x.to(factor.scalar_type()) * factor).to(dtype);
        };
        const int64_t t = out.size(1);
        if (l.scaleWhere == HookPositions::All || t == 1) {
            out = scaled(out);
        } else {
            out = torch::cat({out.slice(1, 0, t - 1), scaled(out.slice(1, t - 1))}, 1);
        }
    }
    if (l.record) {
        auto value = l.recordWhere == HookPositions::Last ? out.select(1, out.size(1) - 1) : out;
        l.recorded = l.recordGraph ? value : value.detach();
    }
    return out;
}

}  // namespace prunescope
