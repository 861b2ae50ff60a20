// A random control that does as much damage in distribution as the mask it is compared with:
// neurons drawn in one seeded random order over all layers, as many as make the model's loss on
// in-distribution questions reach the loss with the compared mask. The plain random control copies
// the per-layer counts instead, and can do far less damage (a fairer "is it just damage?" check).
#pragma once

#include <cstdint>
#include <vector>

#include "core/eval/scoring.h"
#include "core/prune/neuron_mask.h"
#include "core/util/progress.h"

namespace prunescope {

class CausalLM;

// Mean over `items` of -log p(gold option) (over the options), with `mask` (nullptr: none) zeroed.
double maskedLoss(CausalLM& model, const std::vector<ScoringItem>& items, const NeuronMask* mask,
                  const ScoringOptions& options, const CancelFlag* cancel = nullptr);

struct DamageMatch {
    NeuronMask mask;
    double targetLoss = 0;    // the loss with the compared mask
    double achievedLoss = 0;  // with `mask`
    double baseLoss = 0;      // with no neuron zeroed
    int evaluations = 0;      // loss evaluations the bisection needed
};

// The shortest prefix of a seeded random order of all neurons whose loss reaches targetLoss (by
// bisection, taking the loss as increasing with the prefix), capped at every neuron. The neurons are
// zeroed at `positions`, as the compared mask's are.
DamageMatch damageMatchedRandom(CausalLM& model, const std::vector<ScoringItem>& items, double targetLoss,
                                uint64_t seed, const ScoringOptions& options, const CancelFlag* cancel = nullptr,
                                HookPositions positions = HookPositions::All);

}  // namespace prunescope
