// The one place where FFN neurons are read, scaled and masked. Every architecture's block calls
// NeuronHook::apply() on its intermediate activation (GPT-2: GELU(c_fc x); SwiGLU: act(gate)*up, or
// the gate_proj output when the site is Gate); nothing else reaches into the blocks.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/settings/ig_settings.h"  // HookPositions, NeuronSite

namespace prunescope {

class NeuronHook {
public:
    explicit NeuronHook(int64_t nLayer, NeuronSite site = NeuronSite::Activation);

    int64_t nLayer() const { return static_cast<int64_t>(m_layers.size()); }
    NeuronSite site() const { return m_site; }

    // (c) A fixed 0/1 mask (nNeuron,) (pruning), applied at every position or, with `where` = Last,
    // at the last position of each forward pass only (the answer position of a letter-scored
    // prompt, where attribution measures the neurons). Undefined clears it.
    void setMask(int64_t layer, const at::Tensor& mask, HookPositions where = HookPositions::All);
    const at::Tensor& mask(int64_t layer) const { return m_layers.at(layer).mask; }
    // True when some layer's mask applies at the last position only (continuation scoring, whose
    // last position is not the answer position, refuses such a hook).
    bool masksLastOnly() const;

    // (b) Multiplies the activation at `where` by `factor`, (B, nNeuron) or broadcastable to it
    // (e.g. (B, 1)); gradients flow to `factor` (Integrated Gradients). Undefined clears it.
    void setScale(int64_t layer, const at::Tensor& factor, HookPositions where = HookPositions::Last);
    void clearScales();

    // (a) Records the activation (after mask and scale) at `where`: (B, nNeuron) for Last,
    // (B, T, nNeuron) for All. Recorded tensors are detached unless `keepGraph`.
    void setRecord(int64_t layer, bool on, HookPositions where = HookPositions::Last, bool keepGraph = false);
    void recordAll(HookPositions where = HookPositions::Last);
    const at::Tensor& recorded(int64_t layer) const { return m_layers.at(layer).recorded; }
    void clearRecords();

    // Called by the blocks with act (B, T, nNeuron) at `site`; returns the activation to use.
    at::Tensor apply(int64_t layer, NeuronSite site, const at::Tensor& act);

private:
    struct Layer {
        at::Tensor mask;  // (nNeuron,)
        HookPositions maskWhere = HookPositions::All;
        at::Tensor scale;  // (B, nNeuron) or broadcastable
        HookPositions scaleWhere = HookPositions::Last;
        bool record = false;
        bool recordGraph = false;
        HookPositions recordWhere = HookPositions::Last;
        at::Tensor recorded;
    };
    std::vector<Layer> m_layers;
    NeuronSite m_site;
};

}  // namespace prunescope
