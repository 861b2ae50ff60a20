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
#include "core/model/neuron_hook.h"

namespace prunescope {

class CausalLM;
struct ScoringItem;

enum class IgTarget { PredictedLogProb, GoldProb, MaxLogit };
enum class IgScope { Joint, PerLayer };

IgTarget parseIgTarget(const std::string& name);  // predicted, gold, max-logit
const char* igTargetName(IgTarget target);
IgScope parseIgScope(const std::string& name);    // joint, per-layer
const char* igScopeName(IgScope scope);
HookPositions parseIgPositions(const std::string& name);  // last, all
const char* igPositionsName(HookPositions positions);
NeuronSite parseNeuronSite(const std::string& name);      // activation, gate
const char* neuronSiteName(NeuronSite site);

struct IgSettings {
    IgTarget target = IgTarget::PredictedLogProb;
    IgScope scope = IgScope::Joint;
    HookPositions positions = HookPositions::Last;
    IgRule rule = IgRule::GaussLegendre;
    int steps = 20;
    NeuronSite site = NeuronSite::Activation;
    bool naive = false;       // re-run the whole sequence for every α (the reference path)
    int64_t rowsPerPass = 0;  // scaled copies per forward/backward (0: all in the fast path, 8 naive)
    int questionsPerPass = 8; // questions attributed together in the fast path (attribution runs)
};

struct QuestionIg {
    at::Tensor ig;              // (nLayer, nNeuron) float64, on the CPU
    double fx = 0;              // target at the input (all gates 1)
    std::vector<double> f0;     // target at the baseline: one value (joint) or one per layer
    double completenessError = 0;  // |Σ IG − (F(x) − F(0))| / |F(x) − F(0)| (per-layer: summed over layers)
    int predicted = -1;         // the option predicted at the input
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
