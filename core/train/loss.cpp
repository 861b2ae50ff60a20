#include "core/train/loss.h"

#include <limits>

#include "core/model/causal_lm.h"
#include "core/model/layers.h"
#include "core/model/neuron_hook.h"
#include "core/util/error.h"

namespace prunescope {

torch::Tensor questionLoss(CausalLM& model, const std::vector<const ScoringItem*>& batch, ScoringMode mode,
                           NeuronHook& hook, double l1, bool checkpoint) {
    checkPrunePositions(mode, hook.masksLastOnly());
    const auto device = model.unembedding().device();
    const auto b = static_cast<int64_t>(batch.size());
    // Sequences: letter mode the prompt; continuation mode the (gold option's) prompt + its tokens.
    std::vector<std::vector<int64_t>> seqs;
    for (const auto* item : batch) {
        if (item->gold < 0) throw Error("", "fine-tuning", "a training question has no gold answer");
        const auto gold = static_cast<size_t>(item->gold);
        auto s = mode == ScoringMode::Continuation && !item->optionContexts.empty() ? item->optionContexts[gold]
                                                                                    : item->context;
        if (mode == ScoringMode::Continuation) {
            const auto& cont = item->continuations[gold];
            s.insert(s.end(), cont.begin(), cont.end());
        }
        seqs.push_back(std::move(s));
    }
    size_t longest = 0;
    for (const auto& s : seqs) longest = std::max(longest, s.size());
    const auto t = static_cast<int64_t>(longest);
    std::vector<int64_t> ids(static_cast<size_t>(b * t), 0), mask(static_cast<size_t>(b * t), 0);
    for (size_t r = 0; r < seqs.size(); ++r) {
        size_t pad = longest - seqs[r].size();
        for (size_t i = 0; i < seqs[r].size(); ++i) {
            ids[r * longest + pad + i] = seqs[r][i];
            mask[r * longest + pad + i] = 1;
        }
    }
    const bool penalize = l1 > 0;
    if (penalize) {
        for (int64_t l = 0; l < hook.nLayer(); ++l) hook.setRecord(l, true, HookPositions::Last, true);
    }
    ForwardArgs args;
    args.attentionMask = torch::tensor(mask, torch::kLong).view({b, t}).to(device);
    args.hook = &hook;
    args.checkpoint = checkpoint;
    auto hidden = model.hidden(torch::tensor(ids, torch::kLong).view({b, t}).to(device), args);  // (B, T, d)

    torch::Tensor loss;
    if (mode == ScoringMode::Letter) {
        // Option letters of each row, padded with a repeated id and masked out of the softmax.
        size_t most = 0;
        for (const auto* item : batch) most = std::max(most, item->continuations.size());
        std::vector<int64_t> optionIds(static_cast<size_t>(b) * most), gold;
        std::vector<uint8_t> valid(static_cast<size_t>(b) * most, 0);
        for (size_t r = 0; r < batch.size(); ++r) {
            const auto& conts = batch[r]->continuations;
            for (size_t o = 0; o < most; ++o) {
                optionIds[r * most + o] = conts[std::min(o, conts.size() - 1)][0];
                valid[r * most + o] = o < conts.size();
            }
            gold.push_back(batch[r]->gold);
        }
        auto last = hidden.select(1, t - 1);  // (B, d)
        auto rows = model.unembedding()
                        .index_select(0, torch::tensor(optionIds, torch::kLong).to(device))  // (B*O, d)
                        .view({b, static_cast<int64_t>(most), -1});
        auto logits = atLeastFloat((inDtype(rows, last.scalar_type()) * last.unsqueeze(1)).sum(-1));  // (B, O)
        auto validMask = torch::tensor(valid, torch::kBool).view({b, static_cast<int64_t>(most)}).to(device);
        logits = logits.masked_fill(validMask.logical_not(), -std::numeric_limits<float>::infinity());
        loss = torch::nn::functional::cross_entropy(logits, torch::tensor(gold, torch::kLong).to(device));
    } else {
        std::vector<int64_t> rowIndex, posIndex, target;
        for (size_t r = 0; r < batch.size(); ++r) {
            const auto& cont = batch[r]->continuations[static_cast<size_t>(batch[r]->gold)];
            for (size_t k = 0; k < cont.size(); ++k) {
                rowIndex.push_back(static_cast<int64_t>(r));
                posIndex.push_back(t - static_cast<int64_t>(cont.size()) - 1 + static_cast<int64_t>(k));
                target.push_back(cont[k]);
            }
        }
        auto h = hidden.index({torch::tensor(rowIndex, torch::kLong).to(device),
                               torch::tensor(posIndex, torch::kLong).to(device)});  // (N, d)
        auto logits = atLeastFloat(model.logits(h));                                // (N, V)
        loss = torch::nn::functional::cross_entropy(logits, torch::tensor(target, torch::kLong).to(device));
    }
    if (penalize) {
        auto penalty = torch::zeros({}, loss.options());
        for (int64_t l = 0; l < hook.nLayer(); ++l) penalty = penalty + atLeastFloat(hook.recorded(l).abs().mean());
        loss = loss + l1 * penalty / static_cast<double>(hook.nLayer());
        for (int64_t l = 0; l < hook.nLayer(); ++l) hook.setRecord(l, false);
        hook.clearRecords();
    }
    return loss;
}

}  // namespace prunescope
