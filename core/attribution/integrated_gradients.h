// Integrated Gradients over FFN neurons.
//
// Each neuron (l, i) gets a gate s_li that multiplies its activation (NeuronHook::setScale). With
// H(s) the target with the gates at s, the attribution is
//     IG_li = ∫_0^1 ∂H/∂s_li (α·1) dα     (baseline: every gate 0, i.e. the zero activation)
// For one layer alone (scope per-layer) this is exactly a_li · ∫ ∂F(α·a)/∂a_li dα of Dai et al.'s
// knowledge neurons; with every layer gated together (scope joint) completeness holds over all
// neurons: Σ IG = F(x) − F(all FFN neurons zeroed). See docs/attribution.md.
#pragma once

#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/attribution/quadrature.h"
#include "core/settings/ig_settings.h"

namespace prunescope {

class CausalLM;
struct ScoringItem;

struct QuestionIg {
    at::Tensor ig;                 // (nLayer, nNeuron) float64, on the CPU
    double fx = 0;                 // target at the input (all gates 1)
    std::vector<double> f0;        // target at the baseline: one value (joint) or one per layer
    double completenessError = 0;  // |Σ IG − (F(x) − F(0))| / |F(x) − F(0)| (per-layer: summed over layers)
    int predicted = -1;            // the option predicted at the input
};

// Attributes one letter-scored question. `predicted` is the option the target follows (from the
// confidence pass; also checked at α = 1); `gold` is used by the gold target.
QuestionIg integratedGradients(CausalLM& model, const ScoringItem& item, int predicted, const IgSettings& settings);

// Several questions at once, with the results of integratedGradients (to float rounding): in the
// fast path (last position, not naive) their prompts run as one left-padded batch and all their
// scaled copies as one batch, which turns many small matrix products into a few large ones.
// Otherwise the questions run one at a time.
std::vector<QuestionIg> integratedGradientsBatch(CausalLM& model, const std::vector<const ScoringItem*>& items,
                                                 const std::vector<int>& predicted, const IgSettings& settings);

}  // namespace prunescope
