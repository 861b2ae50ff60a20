#include "core/prune/neuron_mask.h"

#include <algorithm>
#include <numeric>

#include <torch/torch.h>

#include "core/model/causal_lm.h"
#include "core/model/neuron_hook.h"
#include "core/settings/selection_settings.h"
#include "core/util/error.h"
#include "core/util/files.h"

namespace prunescope {
namespace {

// Far beyond any model (Llama 3.1 405B: 126 layers of 53,248 neurons), and small enough that the
// per-layer lists and flat() of any mask that reads stay within memory.
constexpr int64_t kMaxMaskLayers = int64_t(1) << 16;
constexpr int64_t kMaxMaskNeurons = int64_t(1) << 28;  // layers x neurons

}  // namespace

NeuronMask::NeuronMask(int64_t layers, int64_t neurons)
    : nLayer(layers), nNeuron(neurons), pruned(static_cast<size_t>(layers)), scores(static_cast<size_t>(layers)) {}

int64_t NeuronMask::count() const {
    int64_t n = 0;
    for (const auto& l : pruned) n += static_cast<int64_t>(l.size());
    return n;
}

void NeuronMask::sortByNeuron() {
    for (size_t l = 0; l < pruned.size(); ++l) {
        std::vector<size_t> order(pruned[l].size());
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return pruned[l][a] < pruned[l][b]; });
        std::vector<int32_t> idx;
        std::vector<float> sc;
        for (size_t o : order) {
            idx.push_back(pruned[l][o]);
            if (o < scores[l].size()) sc.push_back(scores[l][o]);
        }
        pruned[l] = idx;
        scores[l] = sc;
    }
}

std::vector<int64_t> NeuronMask::perLayerCounts() const {
    std::vector<int64_t> counts;
    for (const auto& l : pruned) counts.push_back(static_cast<int64_t>(l.size()));
    return counts;
}

bool NeuronMask::contains(int64_t layer, int64_t neuron) const {
    const auto& l = pruned.at(static_cast<size_t>(layer));
    return std::binary_search(l.begin(), l.end(), static_cast<int32_t>(neuron));
}

at::Tensor NeuronMask::layerMask(int64_t layer) const {
    auto mask = torch::ones({nNeuron});
    for (int32_t i : pruned.at(static_cast<size_t>(layer))) mask[i] = 0;
    return mask;
}

std::vector<uint8_t> NeuronMask::flat() const {
    std::vector<uint8_t> out(static_cast<size_t>(nLayer * nNeuron), 0);
    for (int64_t l = 0; l < nLayer; ++l) {
        for (int32_t i : pruned[static_cast<size_t>(l)]) out[static_cast<size_t>(l * nNeuron + i)] = 1;
    }
    return out;
}

void NeuronMask::applyTo(NeuronHook& hook, const c10::Device& device) const {
    for (int64_t l = 0; l < nLayer; ++l) {
        hook.setMask(l, pruned[static_cast<size_t>(l)].empty() ? at::Tensor() : layerMask(l).to(device), positions);
    }
}

void NeuronMask::bakeInto(CausalLM& model) const {
    if (!bakeable()) {
        throw Error("", "field 'positions'",
                    "a mask applied at the last position only cannot be baked into the weights (weights act at "
                    "every position)",
                    "keep it as a run-time mask, or select with prune_positions all");
    }
    for (int64_t l = 0; l < nLayer; ++l) {
        const auto& idx = pruned[static_cast<size_t>(l)];
        if (idx.empty()) continue;
        model.zeroNeurons(l, torch::tensor(std::vector<int64_t>(idx.begin(), idx.end()), torch::kLong));
    }
}

void checkMaskFits(const NeuronMask& mask, int64_t nLayer, int64_t nNeuron, const std::string& where) {
    if (mask.nLayer != nLayer || mask.nNeuron != nNeuron) {
        throw Error(where, "fields 'layers', 'neurons'",
                    "the mask is for " + std::to_string(mask.nLayer) + " x " + std::to_string(mask.nNeuron) +
                        " neurons, the model has " + std::to_string(nLayer) + " x " + std::to_string(nNeuron));
    }
}

void writeMask(const std::filesystem::path& path, const NeuronMask& mask) {
    nlohmann::json pruned = nlohmann::json::array();
    for (int64_t l = 0; l < mask.nLayer; ++l) {
        const auto& idx = mask.pruned[static_cast<size_t>(l)];
        const auto& sc = mask.scores[static_cast<size_t>(l)];
        for (size_t j = 0; j < idx.size(); ++j) {
            nlohmann::json e = {{"layer", l}, {"neuron", idx[j]}};
            if (j < sc.size()) e["score"] = sc[j];
            pruned.push_back(e);
        }
    }
    nlohmann::json j = {{"format", "prunescope.mask"}, {"version", 1},          {"layers", mask.nLayer},
                        {"neurons", mask.nNeuron},     {"total", mask.count()}, {"per_layer", mask.perLayerCounts()},
                        {"meta", mask.meta},           {"pruned", pruned}};
    j["positions"] = settings::kPrunePositions.nameOf(mask.positions);
    writeJsonAtomic(path, j);
}

NeuronMask readMask(const std::filesystem::path& path) {
    const std::string file = path.string();
    auto j = readJsonFile(path);
    if (!j.is_object() || j.value("format", "") != "prunescope.mask") {
        throw Error(file, "field 'format'", "not a Prunescope mask (expected \"prunescope.mask\")");
    }
    auto integer = [&](const nlohmann::json& obj, const char* key, const std::string& where) {
        if (!obj.contains(key) || !obj[key].is_number_integer())
            throw Error(file, where + "field '" + key + "'", "missing or not an integer");
        return obj[key].get<int64_t>();
    };
    // The shape is checked before anything of its size is allocated.
    const int64_t nLayer = integer(j, "layers", ""), nNeuron = integer(j, "neurons", "");
    if (nLayer <= 0 || nNeuron <= 0) throw Error(file, "field 'layers'", "must be positive");
    if (nLayer > kMaxMaskLayers || nNeuron > kMaxMaskNeurons / nLayer) {
        throw Error(file, "fields 'layers', 'neurons'",
                    std::to_string(nLayer) + " x " + std::to_string(nNeuron) +
                        " neurons is beyond any model (at most " + std::to_string(kMaxMaskLayers) + " layers and " +
                        std::to_string(kMaxMaskNeurons) + " neurons in all)",
                    "the file is corrupt");
    }
    NeuronMask mask(nLayer, nNeuron);
    mask.meta = j.value("meta", nlohmann::json::object());
    if (j.contains("positions")) {
        const auto& p = j["positions"];
        if (!p.is_string()) throw Error(file, "field 'positions'", "not a string", "use all or last");
        try {
            mask.positions = settings::kPrunePositions.parse(p.get<std::string>());
        } catch (const Error&) {
            throw Error(file, "field 'positions'", "unknown value '" + p.get<std::string>() + "'",
                        "use " + settings::kPrunePositions.names(" or "));
        }
    }
    if (!j.contains("pruned") || !j["pruned"].is_array())
        throw Error(file, "field 'pruned'", "missing or not an array");
    std::vector<std::vector<std::pair<int32_t, float>>> entries(static_cast<size_t>(mask.nLayer));
    for (size_t i = 0; i < j["pruned"].size(); ++i) {
        const auto& e = j["pruned"][i];
        std::string where = "pruned[" + std::to_string(i) + "], ";
        int64_t l = integer(e, "layer", where), n = integer(e, "neuron", where);
        if (l < 0 || l >= mask.nLayer) throw Error(file, where + "field 'layer'", "out of range: " + std::to_string(l));
        if (n < 0 || n >= mask.nNeuron)
            throw Error(file, where + "field 'neuron'", "out of range: " + std::to_string(n));
        float score = e.contains("score") && e["score"].is_number() ? e["score"].get<float>() : 0.0f;
        entries[static_cast<size_t>(l)].emplace_back(static_cast<int32_t>(n), score);
    }
    for (size_t l = 0; l < entries.size(); ++l) {
        auto& v = entries[l];
        std::sort(v.begin(), v.end());
        for (size_t k = 0; k < v.size(); ++k) {
            if (k > 0 && v[k].first == v[k - 1].first) {
                throw Error(
                    file, "field 'pruned'",
                    "neuron " + std::to_string(v[k].first) + " of layer " + std::to_string(l) + " is listed twice");
            }
            mask.pruned[l].push_back(v[k].first);
            mask.scores[l].push_back(v[k].second);
        }
    }
    if (j.contains("total") && j["total"].is_number_integer() && j["total"].get<int64_t>() != mask.count()) {
        throw Error(file, "field 'total'",
                    "says " + std::to_string(j["total"].get<int64_t>()) + " but " + std::to_string(mask.count()) +
                        " neurons are listed");
    }
    return mask;
}

}  // namespace prunescope
