#include "core/prune/activation_stats.h"

#include <torch/torch.h>

#include "core/eval/scoring.h"
#include "core/model/causal_lm.h"
#include "core/model/layers.h"
#include "core/util/error.h"

namespace prunescope {
namespace {

// Runs the prompts of `items` at `indices` left-padded in batches; calls `use` with the hook
// holding each batch's last-token activations of every layer.
template <typename Use>
void forEachBatch(CausalLM& model, const std::vector<ScoringItem>& items, const std::vector<size_t>& indices,
                  int64_t batchSize, const CancelFlag* cancel, const ProgressFn& progress, Use use) {
    for (const size_t i : indices) {
        if (i >= items.size()) {
            throw Error("", "question " + std::to_string(i),
                        "no such question: the set has " + std::to_string(items.size()),
                        "question indices must come from the set they were recorded on");
        }
    }
    torch::NoGradGuard noGrad;
    const auto device = model.unembedding().device();
    NeuronHook hook(model.config().nLayer);
    hook.recordAll(HookPositions::Last);
    EtaClock clock;
    const auto step = static_cast<size_t>(std::max<int64_t>(1, batchSize));
    for (size_t start = 0; start < indices.size(); start += step) {
        throwIfCancelled(cancel);
        const size_t end = std::min(indices.size(), start + step);
        size_t longest = 0;
        for (size_t j = start; j < end; ++j) longest = std::max(longest, items[indices[j]].context.size());
        const auto b = static_cast<int64_t>(end - start), t = static_cast<int64_t>(longest);
        auto ids = torch::zeros({b, t}, torch::kLong), mask = torch::zeros({b, t}, torch::kLong);
        for (size_t j = start; j < end; ++j) {
            const auto& ctx = items[indices[j]].context;
            const auto row = static_cast<int64_t>(j - start), pad = t - static_cast<int64_t>(ctx.size());
            ids[row].slice(0, pad) = torch::tensor(ctx, torch::kLong);
            mask[row].slice(0, pad) = 1;
        }
        ForwardArgs args;
        args.attentionMask = mask.to(device);
        args.hook = &hook;
        model.hidden(ids.to(device), args);
        use(hook, start, end);
        if (progress)
            progress(clock.make("activations", static_cast<int64_t>(end), static_cast<int64_t>(indices.size())));
    }
}

}  // namespace

at::Tensor meanAbsActivation(CausalLM& model, const std::vector<ScoringItem>& items, const std::vector<size_t>& indices,
                             int64_t batchSize, const ProgressFn& progress, const CancelFlag* cancel) {
    const auto& c = model.config();
    auto sum = torch::zeros({c.nLayer, c.nNeuron}, torch::kDouble);
    forEachBatch(model, items, indices, batchSize, cancel, progress, [&](const NeuronHook& hook, size_t, size_t) {
        for (int64_t l = 0; l < c.nLayer; ++l) {
            sum[l] += atLeastFloat(hook.recorded(l))
                          .abs()
                          .sum(0)
                          .to(torch::kCPU, torch::kDouble);  // (B, nNeuron) -> (nNeuron,)
        }
    });
    return indices.empty() ? sum : sum / static_cast<double>(indices.size());
}

std::vector<float> neuronActivations(CausalLM& model, const std::vector<ScoringItem>& items, int64_t layer,
                                     int64_t neuron, int64_t batchSize, const CancelFlag* cancel) {
    std::vector<size_t> all(items.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = i;
    std::vector<float> out(items.size());
    forEachBatch(model, items, all, batchSize, cancel, {}, [&](const NeuronHook& hook, size_t start, size_t end) {
        auto values = hook.recorded(layer).select(1, neuron).to(torch::kCPU, torch::kFloat);  // (B,)
        for (size_t j = start; j < end; ++j) out[j] = values[static_cast<int64_t>(j - start)].item<float>();
    });
    return out;
}

}  // namespace prunescope
