// Integrated Gradients: properties that cannot be faked. Completeness (Σ IG = F(x) − F(0)), the
// fast path (prefix once, scaled copies of the last token) equals the naive path, per-layer scope
// equals an independent gate-by-gate computation, quadrature rules integrate what they should.
#include <QtTest>

#include <torch/torch.h>

#include <numeric>

#include "core/attribution/integrated_gradients.h"
#include "core/eval/scoring.h"
#include "core/model/model_io.h"
#include "core/prune/neuron_mask.h"
#include "tests/support/test_support.h"

using namespace prunescope;

namespace {

std::shared_ptr<CausalLM> tinyModel(const QString& name) {
    return loadModel(test::dataDir() / "models" / name.toStdString(), {"cpu"});
}

ScoringItem randomItem(int64_t vocab, int64_t length, uint64_t seed) {
    auto gen = at::detail::createCPUGenerator(seed);
    auto ids = torch::randint(0, vocab, {length}, gen, torch::kLong);
    ScoringItem item;
    for (int64_t i = 0; i < length; ++i) item.context.push_back(ids[i].item<int64_t>());
    for (int64_t o = 0; o < 4; ++o) item.continuations.push_back({10 + 7 * o});
    item.gold = 2;
    return item;
}

int predictedOption(CausalLM& model, const ScoringItem& item) {
    torch::NoGradGuard noGrad;
    auto h = model.hidden(torch::tensor(item.context, torch::kLong).unsqueeze(0));
    auto logits = model.logits(h[0][-1], torch::tensor({10, 17, 24, 31}, torch::kLong));
    return static_cast<int>(logits.argmax().item<int64_t>());
}

// F(x) and F(0) by plain forward passes, without the IG code: the target at the last position
// (over the option letters: log-softmax at the predicted option, or softmax at the gold one; over
// the whole vocabulary: the predicted option's token's logit or probability) of the
// model as it is, and of a copy whose FFN neurons in `layers` are baked to zero (NeuronMask, the
// pruning path). With positions "last" only the last position runs in the zeroed copy: the
// prompt's keys and values come from the intact model through the cache, as IG scales the last
// position only.
struct PlainF {
    double fx = 0;
    double f0 = 0;
};

double plainTarget(const torch::Tensor& logits, IgTarget target, int predicted, int gold) {
    const int64_t tokens[] = {10, 17, 24, 31};
    auto vocab = logits.to(torch::kDouble);  // (V,)
    if (target == IgTarget::AnswerLogit) return vocab[tokens[predicted]].item<double>();
    if (target == IgTarget::AnswerProb) return torch::softmax(vocab, 0)[tokens[predicted]].item<double>();
    auto options = vocab.index_select(0, torch::tensor({10, 17, 24, 31}, torch::kLong));  // (4,)
    if (target == IgTarget::GoldProb) return torch::softmax(options, 0)[gold].item<double>();
    return torch::log_softmax(options, 0)[predicted].item<double>();
}

PlainF plainF(const QString& name, const ScoringItem& item, const IgSettings& s, int predicted,
              const std::vector<int64_t>& layers) {
    torch::NoGradGuard noGrad;
    auto lm = tinyModel(name);
    auto zeroed = tinyModel(name);
    const auto& c = lm->config();
    NeuronMask all(c.nLayer, c.nNeuron);
    for (int64_t l : layers) {
        for (int32_t i = 0; i < c.nNeuron; ++i) all.pruned[size_t(l)].push_back(i);
    }
    all.bakeInto(*zeroed);
    auto ids = torch::tensor(item.context, torch::kLong).unsqueeze(0);  // (1, T)
    PlainF f;
    f.fx = plainTarget(lm->forward(ids)[0][-1], s.target, predicted, item.gold);
    torch::Tensor last;  // (nVocab,)
    if (s.positions == HookPositions::All) {
        last = zeroed->forward(ids)[0][-1];
    } else {
        KvCache cache;
        ForwardArgs args;
        args.cache = &cache;
        const int64_t t = ids.size(1);
        lm->hidden(ids.slice(1, 0, t - 1), args);
        last = zeroed->forward(ids.slice(1, t - 1), args)[0][-1];
    }
    f.f0 = plainTarget(last, s.target, predicted, item.gold);
    return f;
}

double relDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a - b).abs().max().item<double>() / std::max(1e-30, b.abs().max().item<double>());
}

}  // namespace

class TestIntegratedGradients : public QObject {
    Q_OBJECT
private slots:
    void quadratureIntegratesPolynomials() {
        for (int m : {1, 2, 5, 20, 64}) {
            auto q = quadrature(IgRule::GaussLegendre, m);
            for (int k = 0; k <= 2 * m - 1; ++k) {
                double sum = 0;
                for (size_t i = 0; i < q.alphas.size(); ++i) sum += q.weights[i] * std::pow(q.alphas[i], k);
                QVERIFY2(std::abs(sum - 1.0 / (k + 1)) < 1e-12, qPrintable(QString("m=%1 k=%2").arg(m).arg(k)));
            }
        }
        for (auto rule : {IgRule::Left, IgRule::Right, IgRule::Midpoint, IgRule::Trapezoid}) {
            auto q = quadrature(rule, 10);
            double w = 0, first = 0;
            for (size_t i = 0; i < q.alphas.size(); ++i) {
                w += q.weights[i];
                first += q.weights[i] * q.alphas[i];
            }
            QVERIFY(std::abs(w - 1) < 1e-12);
            // ∫ x dx = 1/2: exact for midpoint and trapezoid, off by ∓1/(2m) for left / right.
            double expected = rule == IgRule::Left ? 0.45 : rule == IgRule::Right ? 0.55 : 0.5;
            QVERIFY(std::abs(first - expected) < 1e-12);
        }
    }

    void completeness_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("target");
        QTest::addColumn<QString>("positions");
        for (const char* m : {"gpt2", "llama", "llama3", "mistral", "qwen2"}) {
            QTest::newRow(QString("%1 predicted last").arg(m).toUtf8()) << QString(m) << "predicted"
                                                                        << "last";
        }
        QTest::newRow("gpt2 gold last") << "gpt2"
                                        << "gold"
                                        << "last";
        QTest::newRow("qwen2 predicted all") << "qwen2"
                                             << "predicted"
                                             << "all";
        // The paper's targets, over the whole vocabulary.
        QTest::newRow("llama answer-logit last") << "llama"
                                                 << "answer-logit"
                                                 << "last";
        QTest::newRow("gpt2 answer-prob last") << "gpt2"
                                               << "answer-prob"
                                               << "last";
        QTest::newRow("qwen2 answer-prob all") << "qwen2"
                                               << "answer-prob"
                                               << "all";
    }
    void completeness() {
        QFETCH(QString, model);
        QFETCH(QString, target);
        QFETCH(QString, positions);
        auto lm = tinyModel(model);
        auto item = randomItem(lm->config().nVocab, 9, 3);
        IgSettings s;
        s.steps = 64;
        s.target = parseIgTarget(target.toStdString());
        s.positions = parseIgPositions(positions.toStdString());
        const int predicted = predictedOption(*lm, item);
        auto ig = integratedGradients(*lm, item, predicted, s);
        const double delta = ig.fx - ig.f0[0];
        std::printf("  %s: F(x)=%.5f F(0)=%.5f sum IG=%.5f rel. error %.2e\n", QTest::currentDataTag(), ig.fx, ig.f0[0],
                    ig.ig.sum().item<double>(), ig.completenessError);
        QVERIFY(std::abs(delta) > 1e-3);  // not a vacuous check
        QVERIFY(ig.completenessError < 1e-3);
        // The same against F(x) and F(0) from plain forward passes (every layer's neurons zeroed).
        std::vector<int64_t> layers(size_t(lm->config().nLayer));
        std::iota(layers.begin(), layers.end(), 0);
        const auto f = plainF(model, item, s, predicted, layers);
        const double error = std::abs(ig.ig.sum().item<double>() - (f.fx - f.f0)) / std::abs(f.fx - f.f0);
        std::printf("  plain forward: F(x)=%.5f F(0)=%.5f; |sum IG - (F(x) - F(0))| / |F(x) - F(0)| = %.2e\n", f.fx,
                    f.f0, error);
        QVERIFY(std::abs(f.fx - f.f0) > 1e-3);
        QVERIFY(error < 1e-3);
        // The target itself: F(x) and F(0) as computed by hand.
        QVERIFY(std::abs(ig.fx - f.fx) <= 1e-5 * std::max(1.0, std::abs(f.fx)));
        QVERIFY(std::abs(ig.f0[0] - f.f0) <= 1e-5 * std::max(1.0, std::abs(f.f0)));
        QCOMPARE(ig.predicted, predicted);
    }

    // The vocabulary targets through the batched path (several questions in one pass) give what
    // each question gives alone, per-layer scope included (the paper preset's combination).
    void vocabularyTargetsBatched() {
        auto lm = tinyModel("llama");
        for (auto target : {IgTarget::AnswerLogit, IgTarget::AnswerProb}) {
            IgSettings s;
            s.target = target;
            s.scope = IgScope::PerLayer;
            s.rule = IgRule::Left;
            std::vector<ScoringItem> items;
            for (int64_t k = 0; k < 3; ++k)
                items.push_back(randomItem(lm->config().nVocab, 6 + 3 * k, 70 + uint64_t(k)));
            std::vector<const ScoringItem*> group;
            std::vector<int> predicted;
            for (const auto& item : items) {
                group.push_back(&item);
                predicted.push_back(predictedOption(*lm, item));
            }
            auto batch = integratedGradientsBatch(*lm, group, predicted, s);
            for (size_t k = 0; k < items.size(); ++k) {
                auto alone = integratedGradients(*lm, items[k], predicted[k], s);
                const double d = relDiff(batch[k].ig, alone.ig);
                std::printf("  %s, question %zu: batched vs alone %.2e, F(x) %.5f\n", igTargetName(target), k, d,
                            alone.fx);
                QVERIFY(alone.ig.abs().max().item<double>() > 0);
                QVERIFY(d < 1e-4);
                QCOMPARE(batch[k].predicted, predicted[k]);
            }
        }
    }

    // The label-free target max_v logit_v is not smooth where the argmax changes along the path, so
    // quadrature converges slowly there: the error must fall as the steps grow.
    void maxLogitConvergesWithSteps() {
        auto lm = tinyModel("llama");
        auto item = randomItem(lm->config().nVocab, 9, 3);
        IgSettings s;
        s.target = IgTarget::MaxLogit;
        s.rule = IgRule::Midpoint;
        std::vector<double> errors;
        for (int steps : {16, 1024}) {
            s.steps = steps;
            auto ig = integratedGradients(*lm, item, 0, s);
            errors.push_back(ig.completenessError);
            std::printf("  max-logit, %d midpoint steps: F(x)-F(0)=%.4f, sum IG=%.4f, rel. error %.2e\n", steps,
                        ig.fx - ig.f0[0], ig.ig.sum().item<double>(), ig.completenessError);
        }
        QVERIFY(errors[1] < errors[0]);
        QVERIFY(errors[1] < 0.1);
    }

    void perLayerCompleteness() {
        auto lm = tinyModel("llama");
        auto item = randomItem(lm->config().nVocab, 7, 5);
        IgSettings s;
        s.steps = 64;
        s.scope = IgScope::PerLayer;
        const int predicted = predictedOption(*lm, item);
        auto ig = integratedGradients(*lm, item, predicted, s);
        std::printf("  per-layer completeness error %.2e\n", ig.completenessError);
        QCOMPARE(ig.f0.size(), size_t(lm->config().nLayer));
        QVERIFY(ig.completenessError < 1e-3);
        // Layer by layer against plain forward passes with only that layer's neurons zeroed.
        double error = 0, scale = 0;
        for (int64_t l = 0; l < lm->config().nLayer; ++l) {
            const auto f = plainF("llama", item, s, predicted, {l});
            const double sum = ig.ig[l].sum().item<double>();
            std::printf("  layer %lld: plain F(x)-F(0)=%.5f, sum IG=%.5f\n", (long long)l, f.fx - f.f0, sum);
            error += std::abs(sum - (f.fx - f.f0));
            scale += std::abs(f.fx - f.f0);
        }
        std::printf("  per-layer, plain forward: sum |sum IG - (F(x) - F(0))| / sum |F(x) - F(0)| = %.2e\n",
                    error / scale);
        QVERIFY(scale > 1e-3);
        QVERIFY(error / scale < 1e-3);
    }

    // Per layer, the fast path's passes start at the lowest layer their rows scale, from the
    // unscaled pass's hidden state there: with 128 steps each layer's rows fill a pass of their own
    // (kLayerBandRows; the second starts at layer 1), with 7 rows per pass some passes straddle two
    // layers.
    void fastPathEqualsNaive_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("scope");
        QTest::addColumn<int>("steps");
        QTest::addColumn<int>("rowsPerPass");
        for (const char* m : {"gpt2", "llama", "mistral", "qwen2"}) {
            QTest::newRow(QString("%1 joint").arg(m).toUtf8()) << QString(m) << "joint" << 20 << 0;
            QTest::newRow(QString("%1 per-layer").arg(m).toUtf8()) << QString(m) << "per-layer" << 20 << 0;
            QTest::newRow(QString("%1 per-layer, a pass per layer").arg(m).toUtf8())
                << QString(m) << "per-layer" << 128 << 0;
            QTest::newRow(QString("%1 per-layer, 7 rows per pass").arg(m).toUtf8())
                << QString(m) << "per-layer" << 20 << 7;
        }
    }
    void fastPathEqualsNaive() {
        QFETCH(QString, model);
        QFETCH(QString, scope);
        QFETCH(int, steps);
        QFETCH(int, rowsPerPass);
        auto lm = tinyModel(model);
        auto item = randomItem(lm->config().nVocab, 12, 11);
        IgSettings s;
        s.scope = parseIgScope(scope.toStdString());
        s.steps = steps;
        s.rowsPerPass = rowsPerPass;
        int predicted = predictedOption(*lm, item);
        auto fast = integratedGradients(*lm, item, predicted, s);
        s.naive = true;
        s.rowsPerPass = 5;  // also checks that chunking the steps changes nothing
        auto naive = integratedGradients(*lm, item, predicted, s);
        double d = relDiff(fast.ig, naive.ig);
        std::printf("  %s: max relative difference fast vs naive %.2e\n", QTest::currentDataTag(), d);
        QVERIFY(d < 1e-4);
        QVERIFY(std::abs(fast.fx - naive.fx) < 1e-5);
        QCOMPARE(fast.predicted, naive.predicted);
        QCOMPARE(fast.f0.size(), naive.f0.size());
        for (size_t b = 0; b < fast.f0.size(); ++b) QVERIFY(std::abs(fast.f0[b] - naive.f0[b]) < 1e-5);
        QVERIFY(std::abs(fast.completenessError - naive.completenessError) < 1e-4);
    }

    // Several questions of different lengths attributed together (left-padded prompts, every
    // question's rows in one batch) give what each gives alone.
    void batchEqualsOneAtATime_data() { fastPathEqualsNaive_data(); }
    void batchEqualsOneAtATime() {
        QFETCH(QString, model);
        QFETCH(QString, scope);
        QFETCH(int, steps);
        QFETCH(int, rowsPerPass);
        auto lm = tinyModel(model);
        IgSettings s;
        s.scope = parseIgScope(scope.toStdString());
        s.steps = steps;
        s.rowsPerPass = rowsPerPass;
        std::vector<ScoringItem> items;
        for (int64_t k = 0; k < 3; ++k) items.push_back(randomItem(lm->config().nVocab, 7 + 4 * k, 40 + uint64_t(k)));
        std::vector<const ScoringItem*> group;
        std::vector<int> predicted;
        for (const auto& item : items) {
            group.push_back(&item);
            predicted.push_back(predictedOption(*lm, item));
        }
        auto batch = integratedGradientsBatch(*lm, group, predicted, s);
        QCOMPARE(batch.size(), items.size());
        for (size_t k = 0; k < items.size(); ++k) {
            auto alone = integratedGradients(*lm, items[k], predicted[k], s);
            double d = relDiff(batch[k].ig, alone.ig);
            std::printf("  %s, question %zu: max relative difference batched vs alone %.2e (max |IG| %.2e)\n",
                        QTest::currentDataTag(), k, d, alone.ig.abs().max().item<double>());
            QVERIFY(alone.ig.abs().max().item<double>() > 0);
            QVERIFY(d < 1e-4);
            QVERIFY(std::abs(batch[k].fx - alone.fx) < 1e-5);
            QCOMPARE(batch[k].predicted, alone.predicted);
            QVERIFY(std::abs(batch[k].completenessError - alone.completenessError) < 1e-4);
        }
    }

    // Per-layer scope against an independent computation: gate only layer l, sum the weighted
    // gradients by hand.
    void perLayerEqualsGatingOneLayer() {
        auto lm = tinyModel("gpt2");
        const auto& c = lm->config();
        auto item = randomItem(c.nVocab, 8, 21);
        int predicted = predictedOption(*lm, item);
        IgSettings s;
        s.scope = IgScope::PerLayer;
        s.steps = 16;
        auto perLayer = integratedGradients(*lm, item, predicted, s);
        auto q = quadrature(IgRule::GaussLegendre, 16);
        auto ids = torch::tensor(item.context, torch::kLong).unsqueeze(0);
        auto options = torch::tensor({10, 17, 24, 31}, torch::kLong);
        for (int64_t l = 0; l < c.nLayer; ++l) {
            auto expected = torch::zeros({c.nNeuron}, torch::kDouble);
            for (size_t k = 0; k < q.alphas.size(); ++k) {
                auto gate = torch::full({1, c.nNeuron}, q.alphas[k], torch::requires_grad());
                NeuronHook hook(c.nLayer);
                hook.setScale(l, gate, HookPositions::Last);
                ForwardArgs args;
                args.hook = &hook;
                auto h = lm->hidden(ids, args);
                auto f = torch::log_softmax(lm->logits(h[0][-1], options), -1)[predicted];
                f.backward();
                expected += gate.grad()[0].to(torch::kDouble) * q.weights[k];
            }
            double d = relDiff(perLayer.ig[l], expected);
            std::printf("  layer %lld: per-layer scope vs gating layer alone %.2e\n", (long long)l, d);
            QVERIFY(d < 1e-5);
        }
    }

    void finerRulesConverge() {
        auto lm = tinyModel("qwen2");
        auto item = randomItem(lm->config().nVocab, 6, 8);
        int predicted = predictedOption(*lm, item);
        IgSettings s;
        s.rule = IgRule::Right;
        s.steps = 4;
        double coarse = integratedGradients(*lm, item, predicted, s).completenessError;
        s.steps = 64;
        double fine = integratedGradients(*lm, item, predicted, s).completenessError;
        s.rule = IgRule::GaussLegendre;
        s.steps = 20;
        double gauss = integratedGradients(*lm, item, predicted, s).completenessError;
        std::printf("  right Riemann 4 steps %.2e, 64 steps %.2e; Gauss-Legendre 20 steps %.2e\n", coarse, fine, gauss);
        QVERIFY(fine < coarse);
        QVERIFY(gauss < fine);
    }
};

QTEST_GUILESS_MAIN(TestIntegratedGradients)
#include "test_integrated_gradients.moc"
