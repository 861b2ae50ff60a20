// A set of FFN neurons to prune, per layer, with where it came from. Saved as a human-readable
// mask.json; applied through the neuron hook (a fixed 0/1 mask) or baked into the weights.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "core/settings/ig_settings.h"  // HookPositions

namespace prunescope {

class CausalLM;
class NeuronHook;

struct NeuronMask {
    int64_t nLayer = 0;
    int64_t nNeuron = 0;
    std::vector<std::vector<int32_t>> pruned;  // per layer, ascending neuron indices
    std::vector<std::vector<float>> scores;    // the selection score of each pruned neuron (may be empty)
    nlohmann::json meta;                       // rule, score, source file and fingerprint
    // Where the neurons are zeroed (settings::kPrunePositions): every position, or the last
    // (answer) position only, which only the hook can do.
    HookPositions positions = HookPositions::All;

    NeuronMask() = default;
    NeuronMask(int64_t layers, int64_t neurons);

    int64_t count() const;
    // Puts each layer's neurons in ascending order, their scores (when there are) along with them.
    void sortByNeuron();
    std::vector<int64_t> perLayerCounts() const;
    bool contains(int64_t layer, int64_t neuron) const;
    at::Tensor layerMask(int64_t layer) const;  // (nNeuron,) float, 0 = pruned
    std::vector<uint8_t> flat() const;          // (nLayer * nNeuron) 1 = pruned, row-major

    // Sets a fixed 0/1 mask for every layer with pruned neurons (on the model's device), at
    // `positions`.
    void applyTo(NeuronHook& hook, const c10::Device& device) const;
    // Whether bakeInto() can express the mask: only one applied at every position.
    bool bakeable() const { return positions == HookPositions::All; }
    // Zeroes the weights that feed and read the pruned neurons (the saved model runs pruned anywhere).
    // Throws (naming field 'positions') for a mask applied at the last position only.
    void bakeInto(CausalLM& model) const;
};

// mask.json: {"format": "prunescope.mask", "version": 1, "layers", "neurons", "total", "positions"
// ("all" or "last"; "all" when absent), "per_layer": [...], "meta": {...},
// "pruned": [{"layer", "neuron", "score"}, ...]}. Atomic.
void writeMask(const std::filesystem::path& path, const NeuronMask& mask);
NeuronMask readMask(const std::filesystem::path& path);

// Errors unless the mask fits the model's shape.
void checkMaskFits(const NeuronMask& mask, int64_t nLayer, int64_t nNeuron, const std::string& where);

}  // namespace prunescope
