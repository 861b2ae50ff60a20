#include "core/prune/damage_match.h"

#include <cmath>
#include <numeric>
#include <random>

#include <torch/torch.h>

#include "core/model/causal_lm.h"
#include "core/model/neuron_hook.h"
#include "core/util/error.h"

namespace prunescope {

double maskedLoss(CausalLM& model, const std::vector<ScoringItem>& items, const NeuronMask* mask,
                  const ScoringOptions& options, const CancelFlag* cancel) {
    if (items.empty()) throw Error("", "damage match", "no questions to measure the loss on");
    NeuronHook hook(model.config().nLayer);
    if (mask != nullptr) mask->applyTo(hook, model.unembedding().device());
    ScoringOptions o = options;
    o.hook = &hook;
    const auto scores = scoreItems(model, items, o, {}, cancel);
    double loss = 0;
    int64_t n = 0;
    for (const auto& s : scores) {
        if (s.gold < 0) continue;
        loss -= std::log(std::max(1e-300, s.probs[static_cast<size_t>(s.gold)]));
        ++n;
    }
    if (n == 0) throw Error("", "damage match", "no question has a gold answer");
    return loss / static_cast<double>(n);
}

DamageMatch damageMatchedRandom(CausalLM& model, const std::vector<ScoringItem>& items, double targetLoss,
                                uint64_t seed, const ScoringOptions& options, const CancelFlag* cancel,
                                HookPositions positions) {
    const auto& c = model.config();
    const int64_t total = c.nLayer * c.nNeuron;
    // One seeded order of all neurons (our own Fisher-Yates: std::shuffle's is not portable).
    std::vector<int64_t> order(static_cast<size_t>(total));
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 rng(seed);
    for (int64_t i = total - 1; i > 0; --i) {
        const auto j = static_cast<int64_t>(rng() % static_cast<uint64_t>(i + 1));
        std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
    }
    auto prefix = [&](int64_t k) {
        NeuronMask m(c.nLayer, c.nNeuron);
        m.positions = positions;
        for (int64_t i = 0; i < k; ++i) {
            const int64_t flat = order[static_cast<size_t>(i)];
            m.pruned[static_cast<size_t>(flat / c.nNeuron)].push_back(static_cast<int32_t>(flat % c.nNeuron));
        }
        m.sortByNeuron();
        return m;
    };
    DamageMatch r;
    r.targetLoss = targetLoss;
    r.baseLoss = maskedLoss(model, items, nullptr, options, cancel);
    ++r.evaluations;
    // Smallest k in [0, total] with loss(k) >= target; loss(0) is the base loss.
    int64_t lo = 0, hi = total;
    double hiLoss = NAN;
    if (r.baseLoss >= targetLoss) {
        hi = 0;
        hiLoss = r.baseLoss;
    } else {
        while (hi - lo > 1) {
            const int64_t mid = lo + (hi - lo) / 2;
            const auto m = prefix(mid);
            const double loss = maskedLoss(model, items, &m, options, cancel);
            ++r.evaluations;
            if (loss >= targetLoss) {
                hi = mid;
                hiLoss = loss;
            } else {
                lo = mid;
            }
        }
        if (std::isnan(hiLoss)) {
            const auto m = prefix(hi);
            hiLoss = maskedLoss(model, items, &m, options, cancel);
            ++r.evaluations;
        }
    }
    r.mask = prefix(hi);
    r.achievedLoss = hiLoss;
    r.mask.meta = {{"baseline", "random, damage-matched"},
                   {"seed", seed},
                   {"target_loss", targetLoss},
                   {"achieved_loss", hiLoss},
                   {"base_loss", r.baseLoss},
                   {"evaluations", r.evaluations}};
    return r;
}

}  // namespace prunescope
