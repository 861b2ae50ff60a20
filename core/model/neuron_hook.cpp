#include "core/model/neuron_hook.h"

#include <torch/torch.h>

namespace prunescope {

NeuronHook::NeuronHook(int64_t nLayer, NeuronSite site) : m_layers(static_cast<size_t>(nLayer)), m_site(site) {}

void NeuronHook::setMask(int64_t layer, const at::Tensor& mask, HookPositions where) {
    auto& l = m_layers.at(layer);
    l.mask = mask;
    l.maskWhere = where;
}

bool NeuronHook::masksLastOnly() const {
    for (const auto& l : m_layers)
        if (l.mask.defined() && l.maskWhere == HookPositions::Last) return true;
    return false;
}

namespace {

// `f` applied to the whole of act (B, T, n), or to its last position only.
template <class F>
at::Tensor atPositions(const at::Tensor& act, HookPositions where, F&& f) {
    const int64_t t = act.size(1);
    if (where == HookPositions::All || t == 1) return f(act);
    return torch::cat({act.slice(1, 0, t - 1), f(act.slice(1, t - 1))}, 1);
}

}  // namespace

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
    if (l.mask.defined()) {
        const auto mask = l.mask.scalar_type() == dtype ? l.mask : l.mask.to(dtype);
        out = atPositions(out, l.maskWhere, [&](const at::Tensor& x) { return x * mask; });
    }
    if (l.scale.defined()) {
        // The gates keep their own dtype (float32): with bfloat16 / float16 activations the
        // product, and so the gradient that reaches the gates, is formed in float32 and only the
        // scaled activation goes back to the compute dtype.
        auto factor = l.scale.unsqueeze(1);  // (B, 1, nNeuron)
        auto scaled = [&](const at::Tensor& x) {
            return x.scalar_type() == factor.scalar_type() ? x * factor
                                                           : (x.to(factor.scalar_type()) * factor).to(dtype);
        };
        out = atPositions(out, l.scaleWhere, scaled);
    }
    if (l.record) {
        auto value = l.recordWhere == HookPositions::Last ? out.select(1, out.size(1) - 1) : out;
        l.recorded = l.recordGraph ? value : value.detach();
    }
    return out;
}

}  // namespace prunescope
