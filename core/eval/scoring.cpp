#include "core/eval/scoring.h"

#include <cmath>
#include <numeric>

#include <torch/torch.h>

#include "core/model/causal_lm.h"
#include "core/model/layers.h"
#include "core/model/neuron_hook.h"
#include "core/util/error.h"

namespace prunescope {

ScoringMode parseScoringMode(const std::string& name) {
    if (name == "letter") return ScoringMode::Letter;
    if (name == "continuation") return ScoringMode::Continuation;
    throw Error("", "setting 'scoring'", "unknown scoring mode '" + name + "'", "use letter or continuation");
}

const char* scoringModeName(ScoringMode mode) {
    return mode == ScoringMode::Letter ? "letter" : "continuation";
}

PromptLengths promptLengths(const std::vector<ScoringItem>& items, ScoringMode mode) {
    PromptLengths lengths;
    for (const auto& item : items) {
        int64_t all = 0;
        for (size_t i = 0; i < item.continuations.size(); ++i) {
            const auto& context = i < item.optionContexts.size() ? item.optionContexts[i] : item.context;
            const int64_t scored = mode == ScoringMode::Letter ? 1 : static_cast<int64_t>(item.continuations[i].size());
            lengths.longest = std::max(lengths.longest, static_cast<int64_t>(context.size()) + scored);
            all += static_cast<int64_t>(item.continuations[i].size());
        }
        if (mode != ScoringMode::Letter) lengths.scored = std::max(lengths.scored, all);
    }
    return lengths;
}

QuestionScore scoreFromLogProbs(std::vector<double> logProbs, const ScoringItem& item) {
    QuestionScore s;
    const size_t n = logProbs.size();
    double top = *std::max_element(logProbs.begin(), logProbs.end());
    double sum = 0;
    s.probs.resize(n);
    for (size_t i = 0; i < n; ++i) sum += s.probs[i] = std::exp(logProbs[i] - top);
    for (auto& p : s.probs) p /= sum;
    s.predicted = static_cast<int>(std::max_element(logProbs.begin(), logProbs.end()) - logProbs.begin());
    s.confidence = s.probs[static_cast<size_t>(s.predicted)];
    double second = 0;
    for (size_t i = 0; i < n; ++i) {
        if (static_cast<int>(i) != s.predicted) second = std::max(second, s.probs[i]);
    }
    s.margin = s.confidence - second;
    s.gold = item.gold;
    s.correct = s.predicted == item.gold;
    if (item.optionChars.size() == n) {
        double best = -INFINITY;
        for (size_t i = 0; i < n; ++i) {
            double v = logProbs[i] / std::max(1, item.optionChars[i]);
            if (v > best) {
                best = v;
                s.predictedNorm = static_cast<int>(i);
            }
        }
        s.correctNorm = s.predictedNorm == item.gold;
    }
    s.logProbs = std::move(logProbs);
    return s;
}

namespace {

// One sequence to run: tokens, and where its scored tokens are.
struct Sequence {
    size_t item = 0;
    size_t option = 0;
    std::vector<int64_t> tokens;
    size_t scored = 0;  // the last `scored` tokens are scored (continuation); 0 in letter mode
};

// Runs `batch` left-padded; returns per sequence the log-probabilities it asks for.
std::vector<std::vector<double>> runBatch(CausalLM& model, const std::vector<const Sequence*>& batch,
                                          const std::vector<ScoringItem>& items, ScoringMode mode, NeuronHook* hook) {
    const auto device = model.unembedding().device();
    size_t longest = 0;
    for (const auto* s : batch) longest = std::max(longest, s->tokens.size());
    const auto b = static_cast<int64_t>(batch.size());
    const auto t = static_cast<int64_t>(longest);
    std::vector<int64_t> ids(static_cast<size_t>(b * t), 0), mask(static_cast<size_t>(b * t), 0);
    for (size_t r = 0; r < batch.size(); ++r) {
        const auto& tok = batch[r]->tokens;
        size_t pad = longest - tok.size();
        for (size_t i = 0; i < tok.size(); ++i) {
            ids[r * longest + pad + i] = tok[i];
            mask[r * longest + pad + i] = 1;
        }
    }
    ForwardArgs args;
    args.attentionMask = torch::tensor(mask, torch::kLong).view({b, t}).to(device);
    args.hook = hook;
    auto hidden = model.hidden(torch::tensor(ids, torch::kLong).view({b, t}).to(device), args);  // (B, T, d)

    std::vector<std::vector<double>> out(batch.size());
    if (mode == ScoringMode::Letter) {
        auto last = hidden.select(1, t - 1);                                   // (B, d)
        auto logp = torch::log_softmax(atLeastFloat(model.logits(last)), -1);  // (B, V)
        auto cpu = logp.to(torch::kCPU);
        for (size_t r = 0; r < batch.size(); ++r) {
            const auto& item = items[batch[r]->item];
            for (const auto& cont : item.continuations)
                out[r].push_back(cpu[static_cast<int64_t>(r)][cont[0]].item<double>());
        }
        return out;
    }
    // Continuation: hidden states predicting each scored token, gathered across the batch.
    std::vector<int64_t> rowIndex, posIndex, target;
    for (size_t r = 0; r < batch.size(); ++r) {
        const auto& s = *batch[r];
        for (size_t k = 0; k < s.scored; ++k) {
            rowIndex.push_back(static_cast<int64_t>(r));
            posIndex.push_back(t - static_cast<int64_t>(s.scored) - 1 + static_cast<int64_t>(k));
            target.push_back(s.tokens[s.tokens.size() - s.scored + k]);
        }
    }
    auto rows = torch::tensor(rowIndex, torch::kLong).to(device);
    auto pos = torch::tensor(posIndex, torch::kLong).to(device);
    auto h = hidden.index({rows, pos});                                 // (N, d)
    auto logp = torch::log_softmax(atLeastFloat(model.logits(h)), -1);  // (N, V)
    auto picked =
        logp.gather(1, torch::tensor(target, torch::kLong).to(device).unsqueeze(1)).squeeze(1).to(torch::kCPU);
    size_t k = 0;
    for (size_t r = 0; r < batch.size(); ++r) {
        double sum = 0;
        for (size_t j = 0; j < batch[r]->scored; ++j) sum += picked[static_cast<int64_t>(k++)].item<double>();
        out[r].push_back(sum);
    }
    return out;
}

}  // namespace

void checkPrunePositions(ScoringMode mode, bool lastOnly, const std::string& file) {
    if (mode == ScoringMode::Continuation && lastOnly) {
        throw Error(file, "field 'positions'",
                    "a mask applied at the last position only needs letter scoring (a continuation's last position "
                    "is not the answer position)",
                    "use letter scoring, or select with prune_positions all");
    }
}

std::vector<QuestionScore> scoreItems(CausalLM& model, const std::vector<ScoringItem>& items,
                                      const ScoringOptions& options, const ProgressFn& progress,
                                      const CancelFlag* cancel) {
    torch::NoGradGuard noGrad;
    checkPrunePositions(options.mode, options.hook != nullptr && options.hook->masksLastOnly());
    std::vector<Sequence> sequences;
    for (size_t i = 0; i < items.size(); ++i) {
        const auto& item = items[i];
        if (item.context.empty()) throw Error("", "question " + std::to_string(i + 1), "empty prompt");
        if (options.mode == ScoringMode::Letter) {
            if (!item.optionContexts.empty()) {
                throw Error("", "question " + std::to_string(i + 1),
                            "an option with a context of its own needs continuation scoring");
            }
            sequences.push_back({i, 0, item.context, 0});
            continue;
        }
        if (!item.optionContexts.empty() && item.optionContexts.size() != item.continuations.size()) {
            throw Error("", "question " + std::to_string(i + 1), "one context per option expected");
        }
        for (size_t o = 0; o < item.continuations.size(); ++o) {
            const auto& context = item.optionContexts.empty() ? item.context : item.optionContexts[o];
            if (context.empty()) throw Error("", "question " + std::to_string(i + 1), "empty prompt");
            Sequence s{i, o, context, item.continuations[o].size()};
            s.tokens.insert(s.tokens.end(), item.continuations[o].begin(), item.continuations[o].end());
            sequences.push_back(std::move(s));
        }
    }
    const int64_t nCtx = model.config().nCtx;
    for (const auto& s : sequences) {
        if (static_cast<int64_t>(s.tokens.size()) > nCtx && model.config().traits().learnedPositions) {
            throw Error("", "question " + std::to_string(s.item + 1),
                        "prompt of " + std::to_string(s.tokens.size()) + " tokens exceeds the model's context of " +
                            std::to_string(nCtx));
        }
    }
    // Longest first: similar lengths share a batch, and the first batch shows the worst memory use.
    std::vector<size_t> order(sequences.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return sequences[a].tokens.size() > sequences[b].tokens.size(); });

    std::vector<std::vector<double>> logProbs(items.size());
    for (size_t i = 0; i < items.size(); ++i) logProbs[i].assign(items[i].continuations.size(), 0.0);
    EtaClock clock;
    const auto batchSize = static_cast<size_t>(std::max<int64_t>(1, options.batchSize));
    for (size_t start = 0; start < order.size(); start += batchSize) {
        throwIfCancelled(cancel);
        std::vector<const Sequence*> batch;
        for (size_t j = start; j < std::min(order.size(), start + batchSize); ++j)
            batch.push_back(&sequences[order[j]]);
        auto values = runBatch(model, batch, items, options.mode, options.hook);
        for (size_t r = 0; r < batch.size(); ++r) {
            const auto& s = *batch[r];
            if (options.mode == ScoringMode::Letter) {
                logProbs[s.item] = values[r];
            } else {
                logProbs[s.item][s.option] = values[r][0];
            }
        }
        if (progress) {
            auto done = static_cast<int64_t>(std::min(order.size(), start + batchSize));
            progress(clock.make("scoring", done, static_cast<int64_t>(order.size())));
        }
    }
    std::vector<QuestionScore> scores;
    scores.reserve(items.size());
    for (size_t i = 0; i < items.size(); ++i) scores.push_back(scoreFromLogProbs(logProbs[i], items[i]));
    return scores;
}

ScoreSummary summarize(const std::vector<QuestionScore>& scores) {
    ScoreSummary s;
    s.questions = static_cast<int64_t>(scores.size());
    s.histogram.assign(10, 0);
    int64_t correct = 0, correctNorm = 0;
    double sumConf = 0, sumCorrect = 0, sumWrong = 0;
    for (const auto& q : scores) {
        correct += q.correct;
        correctNorm += q.correctNorm;
        sumConf += q.confidence;
        (q.correct ? sumCorrect : sumWrong) += q.confidence;
        s.atLeast50 += q.confidence >= 0.5;
        s.atLeast70 += q.confidence >= 0.7;
        s.atLeast90 += q.confidence >= 0.9;
        s.histogram[static_cast<size_t>(std::min(9, static_cast<int>(q.confidence * 10)))]++;
    }
    if (s.questions > 0) {
        const auto n = static_cast<double>(s.questions);
        s.accuracy = static_cast<double>(correct) / n;
        s.accuracyNorm = static_cast<double>(correctNorm) / n;
        s.meanConfidence = sumConf / n;
    }
    if (correct > 0) s.meanConfidenceCorrect = sumCorrect / static_cast<double>(correct);
    if (s.questions - correct > 0) s.meanConfidenceWrong = sumWrong / static_cast<double>(s.questions - correct);
    return s;
}

}  // namespace prunescope
