#include "core/attribution/integrated_gradients.h"

#include <cmath>

#include <torch/torch.h>

#include "core/eval/scoring.h"
#include "core/model/causal_lm.h"
#include "core/model/layers.h"
#include "core/model/neuron_hook.h"
#include "core/util/error.h"

namespace prunescope {

namespace {

// One scaled copy of the input: the gates of `layer` (all layers when -1) at `alpha`, the rest 1.
struct Row {
    enum class Kind { Step, Input, Baseline };  // a quadrature point, F(x) (α = 1), F(0) (α = 0)
    Kind kind = Kind::Step;
    int64_t layer = -1;
    double alpha = 0;
    double weight = 0;  // quadrature weight (steps only)

    bool scales(int64_t l) const { return layer == -1 || layer == l; }
    double gate(int64_t l) const { return scales(l) ? alpha : 1.0; }
    double stepWeight(int64_t l) const { return kind == Kind::Step && scales(l) ? weight : 0.0; }
};

// The gates of `count` rows, the whole list repeated `copies` times (one copy per question), as one
// (copies * count, nNeuron) tensor per layer from `firstLayer` on that requires grad, set on `hook`
// at `where` (the layers below get an undefined tensor: the pass starts above them).
std::vector<torch::Tensor> makeGates(const Row* rows, size_t count, int64_t copies, int64_t nLayer, int64_t nNeuron,
                                     const torch::Device& device, NeuronHook& hook, HookPositions where,
                                     int64_t firstLayer = 0) {
    std::vector<torch::Tensor> gates(static_cast<size_t>(firstLayer));
    const auto n = copies * static_cast<int64_t>(count);
    for (int64_t l = firstLayer; l < nLayer; ++l) {
        std::vector<float> values;
        values.reserve(static_cast<size_t>(n));
        for (int64_t c = 0; c < copies; ++c)
            for (size_t k = 0; k < count; ++k) values.push_back(static_cast<float>(rows[k].gate(l)));
        auto g = torch::tensor(values).to(device).unsqueeze(1).expand({n, nNeuron}).contiguous().requires_grad_(true);
        hook.setScale(l, g, where);
        gates.push_back(g);
    }
    return gates;
}

// The lowest block the rows scale (every block for the joint scope); F(x)'s row scales none. Below
// it each row's hidden state is the unscaled pass's, so a pass over these rows can start there.
int64_t firstScaledLayer(const Row* rows, size_t count, int64_t nLayer) {
    int64_t first = nLayer - 1;
    for (size_t k = 0; k < count; ++k) {
        if (rows[k].kind != Row::Kind::Input) first = std::min(first, std::max<int64_t>(0, rows[k].layer));
    }
    return first;
}

// Takes F(x) (and the option predicted there) or F(0) from an endpoint row's target value;
// quadrature rows carry none.
template <typename Argmax>
void takeEndpoint(const Row& row, double value, const Argmax& argmax, QuestionIg& out, std::vector<double>& f0) {
    if (row.kind == Row::Kind::Input) {
        out.fx = value;
        out.predicted = argmax();
    } else if (row.kind == Row::Kind::Baseline) {
        f0[row.layer == -1 ? 0 : static_cast<size_t>(row.layer)] = value;
    }
}

// The logits a target reads for R rows of hidden states (R, d): the whole vocabulary's (R, V) when
// it needs them, else only the options' letters (R, nOptions).
torch::Tensor targetLogits(CausalLM& model, const torch::Tensor& hidden, IgTarget target,
                           const torch::Tensor& options) {
    return targetNeedsVocabulary(target) ? model.logits(hidden) : model.logits(hidden, options);
}

// The option with the largest logit in one row of targetLogits.
int predictedOption(const torch::Tensor& row, IgTarget target, const torch::Tensor& options) {
    const auto optionLogits = targetNeedsVocabulary(target) ? row.index_select(0, options) : row;
    return static_cast<int>(optionLogits.argmax().item<int64_t>());
}

// The target of each row from its targetLogits -> (R,). `predicted` and `gold` index the options;
// `options` holds their letters' token ids.
torch::Tensor target(const torch::Tensor& logits, IgTarget target, int predicted, int gold,
                     const std::vector<int64_t>& options) {
    switch (target) {
        case IgTarget::PredictedLogProb: return torch::log_softmax(logits, -1).select(1, predicted);
        case IgTarget::GoldProb: return torch::softmax(logits, -1).select(1, gold);
        case IgTarget::MaxLogit: return std::get<0>(logits.max(-1));
        case IgTarget::AnswerLogit: return logits.select(1, options.at(static_cast<size_t>(predicted)));
        case IgTarget::AnswerProb:
            return torch::softmax(logits, -1).select(1, options.at(static_cast<size_t>(predicted)));
    }
    return {};
}

// The rows of one question: the quadrature points of each scope block (-1: every layer at once,
// else that layer alone), an F(0) row per block and one F(x) row (weight 0).
std::vector<Row> makeRows(const IgSettings& settings, int64_t nLayer, std::vector<int64_t>& blocks) {
    blocks.clear();
    if (settings.scope == IgScope::Joint) {
        blocks.push_back(-1);
    } else {
        for (int64_t l = 0; l < nLayer; ++l) blocks.push_back(l);
    }
    const auto q = quadrature(settings.rule, settings.steps);
    std::vector<Row> rows;
    for (int64_t b : blocks) {
        for (size_t k = 0; k < q.alphas.size(); ++k) rows.push_back({Row::Kind::Step, b, q.alphas[k], q.weights[k]});
        rows.push_back({Row::Kind::Baseline, b, 0.0, 0.0});
    }
    rows.push_back({Row::Kind::Input, -1, 1.0, 0.0});
    return rows;
}

void checkItem(const ScoringItem& item, const IgSettings& settings) {
    for (const auto& c : item.continuations) {
        if (c.size() != 1) throw Error("", "attribution", "needs letter-scored questions (one token per option)");
    }
    if (item.context.empty()) throw Error("", "attribution", "empty prompt");
    if (settings.target == IgTarget::GoldProb && item.gold < 0)
        throw Error("", "setting 'target'", "a question has no gold answer", "use the predicted target");
}

// |Σ IG − (F(x) − F(0))| / |F(x) − F(0)|, summed over the scope blocks.
double completenessError(const QuestionIg& q, const std::vector<int64_t>& blocks) {
    double error = 0, scale = 0;
    for (size_t b = 0; b < blocks.size(); ++b) {
        const double total = blocks[b] == -1 ? q.ig.sum().item<double>() : q.ig[blocks[b]].sum().item<double>();
        error += std::abs(total - (q.fx - q.f0[b]));
        scale += std::abs(q.fx - q.f0[b]);
    }
    return scale > 0 ? error / scale : error;
}

}  // namespace

QuestionIg integratedGradients(CausalLM& model, const ScoringItem& item, int predicted, const IgSettings& settings) {
    const auto& config = model.config();
    const int64_t nLayer = config.nLayer, nNeuron = config.nNeuron;
    checkItem(item, settings);
    const bool fast = settings.positions == HookPositions::Last && !settings.naive;
    torch::AutoGradMode gradMode(true);
    const auto device = model.unembedding().device();
    auto longOpts = torch::TensorOptions().dtype(torch::kLong).device(device);

    std::vector<int64_t> blocks;
    const auto rows = makeRows(settings, nLayer, blocks);

    std::vector<int64_t> optionIds;
    for (const auto& c : item.continuations) optionIds.push_back(c[0]);
    auto optionRows = torch::tensor(optionIds, longOpts);

    // Fast path: the prefix does not depend on α; run it once and keep its keys/values.
    KvCache prefixCache;
    const auto contextLen = static_cast<int64_t>(item.context.size());
    auto context = torch::tensor(item.context, longOpts).unsqueeze(0);  // (1, T)
    if (fast && contextLen > 1) {
        torch::NoGradGuard noGrad;
        ForwardArgs prefixArgs;
        prefixArgs.cache = &prefixCache;
        model.hidden(context.slice(1, 0, contextLen - 1), prefixArgs);
    }

    // One layer at a time (fast path): the hidden state entering each block in the unscaled pass of
    // the last token, where passes over the rows of higher layers start.
    std::vector<torch::Tensor> blockInputs;
    const auto lastToken = context.slice(1, contextLen - 1);  // (1, 1)
    if (fast && settings.scope == IgScope::PerLayer) {
        torch::NoGradGuard noGrad;
        KvCache cache = prefixCache.sharePrefix(1);
        ForwardArgs args;
        args.blockInputs = &blockInputs;
        if (contextLen > 1) args.cache = &cache;
        model.hidden(lastToken, args);
    }

    QuestionIg out;
    out.ig = torch::zeros({nLayer, nNeuron}, torch::kDouble);
    std::vector<double> f0(blocks.size(), 0.0);
    const auto rowsPerLayer = static_cast<int64_t>(rows.size() - 1) / static_cast<int64_t>(blocks.size());
    const int64_t perPass = settings.rowsPerPass > 0              ? settings.rowsPerPass
                            : !fast                               ? 8
                            : settings.scope == IgScope::PerLayer ? layerBandRows(rowsPerLayer, nLayer)
                                                                  : static_cast<int64_t>(rows.size());
    for (size_t start = 0; start < rows.size(); start += static_cast<size_t>(perPass)) {
        const size_t end = std::min(rows.size(), start + static_cast<size_t>(perPass));
        const auto r = static_cast<int64_t>(end - start);
        const int64_t first = blockInputs.empty() ? 0 : firstScaledLayer(rows.data() + start, end - start, nLayer);
        // Gates per layer: (R, nNeuron), α on the rows that scale this layer, 1 elsewhere.
        NeuronHook hook(nLayer, settings.site);
        auto gates =
            makeGates(rows.data() + start, end - start, 1, nLayer, nNeuron, device, hook, settings.positions, first);
        ForwardArgs args;
        args.hook = &hook;
        torch::Tensor hidden;
        KvCache cache;
        if (fast) {
            if (contextLen > 1) {
                cache = prefixCache.sharePrefix(r);
                args.cache = &cache;
            }
            if (first > 0) {
                args.startLayer = first;
                args.start = blockInputs[static_cast<size_t>(first)].expand({r, 1, -1});
            }
            hidden = model.hidden(lastToken.expand({r, 1}), args).select(1, 0);  // (R, d)
        } else {
            hidden = model.hidden(context.expand({r, contextLen}), args).select(1, contextLen - 1);  // (R, d)
        }
        auto logits = targetLogits(model, hidden, settings.target, optionRows);
        auto f = target(atLeastFloat(logits), settings.target, predicted, item.gold, optionIds);  // (R,)
        const std::vector<torch::Tensor> scaled(gates.begin() + first, gates.end());
        auto grads = torch::autograd::grad({f.sum()}, scaled);
        auto fcpu = f.detach().to(torch::kCPU, torch::kDouble);
        for (int64_t l = first; l < nLayer; ++l) {
            auto g = grads[static_cast<size_t>(l - first)].detach().to(torch::kCPU, torch::kDouble);  // (R, nNeuron)
            for (size_t j = start; j < end; ++j) {
                if (const double w = rows[j].stepWeight(l); w != 0)
                    out.ig[l].add_(g[static_cast<int64_t>(j - start)], w);
            }
        }
        for (size_t j = start; j < end; ++j) {
            const auto i = static_cast<int64_t>(j - start);
            takeEndpoint(
                rows[j], fcpu[i].item<double>(),
                [&] { return predictedOption(logits[i], settings.target, optionRows); }, out, f0);
        }
    }
    out.f0 = f0;
    out.completenessError = completenessError(out, blocks);
    return out;
}

namespace {

// The fast path for several questions at once: their prompts (all but the last token) run as one
// left-padded batch that fills a key/value cache, then every question's rows (the scaled copies of
// its last token) run as one batch attending to their own prompt in that cache.
std::vector<QuestionIg> fastGroup(CausalLM& model, const std::vector<const ScoringItem*>& items,
                                  const std::vector<int>& predicted, const IgSettings& settings) {
    const auto& config = model.config();
    const int64_t nLayer = config.nLayer, nNeuron = config.nNeuron;
    const auto q = static_cast<int64_t>(items.size());
    torch::AutoGradMode gradMode(true);
    const auto device = model.unembedding().device();
    auto longOpts = torch::TensorOptions().dtype(torch::kLong).device(device);

    std::vector<int64_t> blocks;
    const auto rows = makeRows(settings, nLayer, blocks);
    const auto r = static_cast<int64_t>(rows.size());

    // Prompts, left-padded to the longest.
    int64_t longest = 0;
    for (const auto* item : items) longest = std::max(longest, static_cast<int64_t>(item->context.size()) - 1);
    std::vector<int64_t> ids(static_cast<size_t>(q * longest), 0), mask(static_cast<size_t>(q * longest), 0), last;
    for (int64_t j = 0; j < q; ++j) {
        const auto& c = items[static_cast<size_t>(j)]->context;
        const auto n = static_cast<int64_t>(c.size()) - 1;
        for (int64_t k = 0; k < n; ++k) {
            ids[static_cast<size_t>(j * longest + longest - n + k)] = c[static_cast<size_t>(k)];
            mask[static_cast<size_t>(j * longest + longest - n + k)] = 1;
        }
        last.push_back(c.back());
    }
    KvCache prefixCache;
    {
        torch::NoGradGuard noGrad;
        ForwardArgs prefixArgs;
        prefixArgs.cache = &prefixCache;
        prefixArgs.attentionMask = torch::tensor(mask, longOpts).view({q, longest});
        model.hidden(torch::tensor(ids, longOpts).view({q, longest}), prefixArgs);
    }

    NeuronHook hook(nLayer, settings.site);
    auto gates = makeGates(rows.data(), rows.size(), q, nLayer, nNeuron, device, hook, HookPositions::Last);
    KvCache cache = prefixCache.sharePrefix(r);
    ForwardArgs args;
    args.hook = &hook;
    args.cache = &cache;
    auto input = torch::tensor(last, longOpts).repeat_interleave(r).unsqueeze(1);  // (Q*R, 1)
    auto hidden = model.hidden(input, args).select(1, 0);                          // (Q*R, d)

    std::vector<torch::Tensor> targets, logitsOf, optionsOf;
    for (int64_t j = 0; j < q; ++j) {
        const auto* item = items[static_cast<size_t>(j)];
        std::vector<int64_t> optionIds;
        for (const auto& c : item->continuations) optionIds.push_back(c[0]);
        auto h = hidden.slice(0, j * r, (j + 1) * r);
        auto options = torch::tensor(optionIds, longOpts);
        auto logits = targetLogits(model, h, settings.target, options);
        targets.push_back(
            target(atLeastFloat(logits), settings.target, predicted[static_cast<size_t>(j)], item->gold, optionIds));
        logitsOf.push_back(logits);
        optionsOf.push_back(options);
    }
    auto f = torch::cat(targets);  // (Q*R,)
    auto grads = torch::autograd::grad({f.sum()}, gates);
    auto fcpu = f.detach().to(torch::kCPU, torch::kDouble).contiguous();
    std::vector<torch::Tensor> gcpu;
    for (auto& g : grads) gcpu.push_back(g.detach().to(torch::kCPU, torch::kDouble));

    // Quadrature weights per row and layer: IG = weights (R,) . grads (R, nNeuron).
    std::vector<QuestionIg> out(static_cast<size_t>(q));
    for (int64_t j = 0; j < q; ++j) {
        auto& result = out[static_cast<size_t>(j)];
        result.ig = torch::zeros({nLayer, nNeuron}, torch::kDouble);
        for (int64_t l = 0; l < nLayer; ++l) {
            std::vector<double> w;
            for (const auto& row : rows) w.push_back(row.stepWeight(l));
            result.ig[l] = torch::matmul(torch::tensor(w, torch::kDouble),
                                         gcpu[static_cast<size_t>(l)].slice(0, j * r, (j + 1) * r));
        }
        std::vector<double> f0(blocks.size(), 0.0);
        const double* fj = fcpu.data_ptr<double>() + j * r;
        for (int64_t k = 0; k < r; ++k) {
            const auto jj = static_cast<size_t>(j);
            takeEndpoint(
                rows[static_cast<size_t>(k)], fj[k],
                [&] { return predictedOption(logitsOf[jj][k], settings.target, optionsOf[jj]); }, result, f0);
        }
        result.f0 = f0;
        result.completenessError = completenessError(result, blocks);
    }
    return out;
}

}  // namespace

std::vector<QuestionIg> integratedGradientsBatch(CausalLM& model, const std::vector<const ScoringItem*>& items,
                                                 const std::vector<int>& predicted, const IgSettings& settings) {
    if (items.size() != predicted.size()) throw Error("", "attribution", "one predicted option per question is needed");
    std::vector<QuestionIg> out;
    // Questions share a pass in the joint scope; one layer at a time, each question's rows already
    // fill passes of several layers (rowsPerPass), which start at their lowest layer.
    bool grouped = settings.positions == HookPositions::Last && !settings.naive && settings.rowsPerPass == 0 &&
                   settings.scope == IgScope::Joint;
    for (const auto* item : items) {
        checkItem(*item, settings);
        grouped = grouped && item->context.size() > 1;
    }
    if (!grouped || items.size() < 2) {
        for (size_t i = 0; i < items.size(); ++i)
            out.push_back(integratedGradients(model, *items[i], predicted[i], settings));
        return out;
    }
    return fastGroup(model, items, predicted, settings);
}

}  // namespace prunescope
