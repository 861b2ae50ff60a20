#include "core/prune/selection.h"

#include <cmath>
#include <numeric>
#include <random>

#include <torch/torch.h>

#include "core/util/error.h"

namespace prunescope {

nlohmann::json SelectionSpec::toJson() const {
    nlohmann::json j = {{"rule", selectRuleName(rule)},
                        {"exclude_layers", excludeLayers},
                        {"per_layer_cap", perLayerCap},
                        {settings::kPrunePositions.key, settings::kPrunePositions.nameOf(positions)}};
    switch (rule) {
        case SelectRule::GlobalTopPercent:
        case SelectRule::PerLayerTopPercent: j["percent"] = percent; break;
        case SelectRule::LayerTopPercent:
            j["percent"] = percent;
            j["layer"] = layer;
            break;
        case SelectRule::LargestLayerTopPercent: j["percent"] = percent; break;
        case SelectRule::Absolute: j["threshold"] = threshold; break;
        case SelectRule::FractionOfMax: j["fraction"] = fraction; break;
    }
    return j;
}

namespace {

struct Candidate {
    double score;
    int64_t layer;
    int64_t neuron;
};

// Highest score first; ties: lower layer, then lower neuron.
bool before(const Candidate& a, const Candidate& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.layer != b.layer) return a.layer < b.layer;
    return a.neuron < b.neuron;
}

int64_t percentCount(double percent, int64_t pool) {
    if (percent < 0 || percent > 100) throw Error("", "setting 'percent'", "must be between 0 and 100");
    return static_cast<int64_t>(std::llround(percent / 100.0 * static_cast<double>(pool)));
}

void add(NeuronMask& mask, const Candidate& c) {
    mask.pruned[static_cast<size_t>(c.layer)].push_back(static_cast<int32_t>(c.neuron));
    mask.scores[static_cast<size_t>(c.layer)].push_back(static_cast<float>(c.score));
}

}  // namespace

NeuronMask selectNeurons(const at::Tensor& scoresIn, const SelectionSpec& spec, const at::Tensor& layerTotals) {
    if (scoresIn.dim() != 2) throw std::logic_error("selectNeurons: scores must be (nLayer, nNeuron)");
    auto scores = scoresIn.to(torch::kCPU, torch::kDouble).contiguous();
    const int64_t nLayer = scores.size(0), nNeuron = scores.size(1);
    NeuronMask mask(nLayer, nNeuron);
    mask.positions = spec.positions;
    mask.meta["selection"] = spec.toJson();
    std::vector<bool> inPlay(static_cast<size_t>(nLayer), true);
    for (int64_t l : spec.excludeLayers) {
        if (l < 0 || l >= nLayer)
            throw Error("", "setting 'exclude_layers'", "layer " + std::to_string(l) + " does not exist");
        inPlay[static_cast<size_t>(l)] = false;
    }
    if (spec.rule == SelectRule::LayerTopPercent) {
        if (spec.layer < 0 || spec.layer >= nLayer)
            throw Error("", "setting 'layer'", "layer " + std::to_string(spec.layer) + " does not exist");
        std::fill(inPlay.begin(), inPlay.end(), false);
        inPlay[static_cast<size_t>(spec.layer)] = true;
    }
    if (spec.rule == SelectRule::LargestLayerTopPercent) {
        // The layer in play with the largest total (NaN scores count as 0; ties: the lower layer).
        auto totals = layerTotals.defined() ? layerTotals.to(torch::kCPU, torch::kDouble).contiguous()
                                            : torch::nan_to_num(scores, 0.0).sum(1);
        if (totals.numel() != nLayer) throw std::logic_error("selectNeurons: layerTotals must be (nLayer,)");
        int64_t best = -1;
        for (int64_t l = 0; l < nLayer; ++l) {
            if (!inPlay[static_cast<size_t>(l)]) continue;
            if (best < 0 || totals[l].item<double>() > totals[best].item<double>()) best = l;
        }
        if (best < 0) throw Error("", "setting 'exclude_layers'", "every layer is excluded");
        std::fill(inPlay.begin(), inPlay.end(), false);
        inPlay[static_cast<size_t>(best)] = true;
        mask.meta["selection"]["chosen_layer"] = best;
        mask.meta["selection"]["layer_total"] = totals[best].item<double>();
    }
    const double* s = scores.data_ptr<double>();
    std::vector<std::vector<Candidate>> byLayer(static_cast<size_t>(nLayer));
    std::vector<Candidate> all;
    double maxScore = -INFINITY;
    for (int64_t l = 0; l < nLayer; ++l) {
        if (!inPlay[static_cast<size_t>(l)]) continue;
        for (int64_t i = 0; i < nNeuron; ++i) {
            Candidate c{s[l * nNeuron + i], l, i};
            if (std::isnan(c.score)) continue;
            byLayer[static_cast<size_t>(l)].push_back(c);
            all.push_back(c);
            maxScore = std::max(maxScore, c.score);
        }
        std::sort(byLayer[static_cast<size_t>(l)].begin(), byLayer[static_cast<size_t>(l)].end(), before);
    }
    std::sort(all.begin(), all.end(), before);
    std::vector<Candidate> chosen;
    switch (spec.rule) {
        case SelectRule::GlobalTopPercent: {
            int64_t k = percentCount(spec.percent, static_cast<int64_t>(all.size()));
            chosen.assign(all.begin(), all.begin() + k);
            break;
        }
        case SelectRule::PerLayerTopPercent:
        case SelectRule::LayerTopPercent:
        case SelectRule::LargestLayerTopPercent:
            for (const auto& layer : byLayer) {
                if (layer.empty()) continue;
                int64_t k = percentCount(spec.percent, static_cast<int64_t>(layer.size()));
                chosen.insert(chosen.end(), layer.begin(), layer.begin() + k);
            }
            break;
        case SelectRule::Absolute:
            for (const auto& c : all)
                if (c.score >= spec.threshold) chosen.push_back(c);
            break;
        case SelectRule::FractionOfMax:
            if (spec.fraction < 0 || spec.fraction > 1)
                throw Error("", "setting 'fraction'", "must be between 0 and 1");
            for (const auto& c : all)
                if (maxScore > 0 && c.score >= spec.fraction * maxScore) chosen.push_back(c);
            break;
    }
    std::sort(chosen.begin(), chosen.end(), before);
    std::vector<int64_t> perLayer(static_cast<size_t>(nLayer), 0);
    for (const auto& c : chosen) {
        if (spec.perLayerCap > 0 && perLayer[static_cast<size_t>(c.layer)] >= spec.perLayerCap) continue;
        ++perLayer[static_cast<size_t>(c.layer)];
        add(mask, c);
    }
    mask.sortByNeuron();
    return mask;
}

NeuronMask randomLike(const NeuronMask& like, uint64_t seed) {
    NeuronMask mask(like.nLayer, like.nNeuron);
    mask.positions = like.positions;
    mask.meta = {{"baseline", "random"}, {"seed", seed}, {"counts_from", like.meta}};
    std::mt19937_64 rng(seed);
    for (int64_t l = 0; l < like.nLayer; ++l) {
        std::vector<int32_t> idx(static_cast<size_t>(like.nNeuron));
        std::iota(idx.begin(), idx.end(), 0);
        const size_t k = like.pruned[static_cast<size_t>(l)].size();
        // Partial Fisher-Yates with our own draw (std::shuffle's algorithm is not portable).
        for (size_t i = 0; i < k; ++i) {
            size_t j = i + static_cast<size_t>(rng() % (idx.size() - i));
            std::swap(idx[i], idx[j]);
        }
        idx.resize(k);
        std::sort(idx.begin(), idx.end());
        mask.pruned[static_cast<size_t>(l)] = idx;
    }
    return mask;
}

NeuronMask magnitudeLike(const NeuronMask& like, const at::Tensor& magnitudeIn) {
    auto magnitude = magnitudeIn.to(torch::kCPU, torch::kDouble);
    if (magnitude.size(0) != like.nLayer || magnitude.size(1) != like.nNeuron) {
        throw std::logic_error("magnitudeLike: shape mismatch");
    }
    NeuronMask mask(like.nLayer, like.nNeuron);
    mask.positions = like.positions;
    mask.meta = {{"baseline", "activation magnitude"}, {"counts_from", like.meta}};
    for (int64_t l = 0; l < like.nLayer; ++l) {
        std::vector<Candidate> layer;
        for (int64_t i = 0; i < like.nNeuron; ++i) layer.push_back({magnitude[l][i].item<double>(), l, i});
        std::sort(layer.begin(), layer.end(), before);
        layer.resize(like.pruned[static_cast<size_t>(l)].size());
        for (const auto& c : layer) add(mask, c);
    }
    mask.sortByNeuron();
    return mask;
}

}  // namespace prunescope
