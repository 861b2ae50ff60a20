// Fine-tuning: the loss falls on a learnable task; pruned neurons stay exactly zero and the baked
// model equals the masked one; a resumed run equals the uninterrupted run; keep-best returns the
// best evaluation's parameters, not the last step's; bad settings are errors naming the field.
#include <QtTest>

#include <torch/torch.h>

#include <cmath>
#include <map>

#include "core/data/mcq.h"
#include "core/eval/mcq_items.h"
#include "core/model/model_io.h"
#include "core/prune/neuron_mask.h"
#include "core/prune/selection.h"
#include "core/tokenizer/tokenizer.h"
#include "core/train/finetune.h"
#include "core/util/error.h"
#include "tests/support/test_support.h"

using namespace prunescope;
namespace fs = std::filesystem;

namespace {

bool sameParameters(CausalLM& a, CausalLM& b) {
    auto pa = a.parameters(), pb = b.parameters();
    for (size_t i = 0; i < pa.size(); ++i) {
        if (!torch::equal(pa[i], pb[i])) return false;
    }
    return true;
}

// One prompt through `model`, with `applied` (may be null) applied through the hook: the logits,
// and per layer the activations (1, T, k) of the k neurons `mask` prunes there.
struct PrunedActivations {
    torch::Tensor logits;
    std::vector<torch::Tensor> pruned;
};
PrunedActivations prunedActivations(CausalLM& model, const std::vector<int64_t>& prompt, const NeuronMask& mask,
                                    const NeuronMask* applied) {
    NeuronHook hook(mask.nLayer);
    if (applied != nullptr) applied->applyTo(hook, torch::kCPU);
    hook.recordAll(HookPositions::All);
    ForwardArgs args;
    args.hook = &hook;
    torch::NoGradGuard noGrad;
    PrunedActivations out;
    out.logits = model.forward(torch::tensor(prompt, torch::kLong).unsqueeze(0), args);
    for (int64_t l = 0; l < mask.nLayer; ++l) {
        const auto& idx = mask.pruned[static_cast<size_t>(l)];
        out.pruned.push_back(
            hook.recorded(l).index_select(-1, torch::tensor(std::vector<int64_t>(idx.begin(), idx.end()))));
    }
    return out;
}

}  // namespace

class TestFinetune : public QObject {
    Q_OBJECT
    test::TempDir m_tmp;
    fs::path m_modelDir;
    std::vector<ScoringItem> m_train, m_validation;

    FinetuneSettings settings() const {
        FinetuneSettings s;
        s.lr = 3e-3;
        s.batchSize = 16;
        s.maxSteps = 20;
        s.warmupFraction = 0.1;
        s.evalEvery = 5;
        return s;
    }

private slots:
    void initTestCase() {
        m_modelDir = test::makeTinyModel(m_tmp / "model", "gpt2", 3, 0.1);
        auto tok = Tokenizer::fromDirectory(m_modelDir);
        m_train = buildScoringItems(test::letterTask(400, 1), tok, ScoringMode::Letter, {});
        m_validation = buildScoringItems(test::letterTask(64, 2), tok, ScoringMode::Letter, {});
    }

    void lossFallsOnALearnableTask() {
        auto model = loadModel(m_modelDir, {"cpu"});
        double before = maskedAccuracy(*model, m_validation, nullptr, ScoringMode::Letter);
        auto s = settings();
        s.maxSteps = 150;
        s.evalEvery = 50;
        auto result = finetune(*model, m_train, m_validation, nullptr, s);
        auto mean = [&](size_t from, size_t to) {
            double sum = 0;
            for (size_t i = from; i < to; ++i) sum += result.history[i].loss;
            return sum / static_cast<double>(to - from);
        };
        double first = mean(0, 10), last = mean(140, 150);
        double after = maskedAccuracy(*model, m_validation, nullptr, ScoringMode::Letter);
        std::printf("  loss %.3f -> %.3f; validation accuracy %.3f -> %.3f\n", first, last, before, after);
        QVERIFY(last < 0.5 * first);
        QVERIFY(after > before + 0.3);
    }

    // A learning rate far too large overflows the weights: the run stops at the first step whose
    // loss or gradients are not finite, naming it and its questions, instead of training on NaN.
    void nonFiniteStepStopsTheRun() {
        auto model = loadModel(m_modelDir, {"cpu"});
        auto s = settings();
        s.lr = 1e30;
        s.warmupFraction = 0;
        s.clipNorm = 0;
        std::vector<TrainPoint> points;
        try {
            finetune(*model, m_train, {}, nullptr, s, [&](const TrainPoint& p) { points.push_back(p); });
            QFAIL("training on NaN went on");
        } catch (const Error& e) {
            std::printf("  %s\n", e.what());
            QVERIFY2(e.place().rfind("fine-tuning step ", 0) == 0, e.what());
            QCOMPARE(e.place(), "fine-tuning step " + std::to_string(points.size() + 1));
            QVERIFY2(std::string(e.what()).find("not finite") != std::string::npos, e.what());
            QVERIFY2(std::string(e.what()).find("training questions ") != std::string::npos, e.what());
        }
        for (const auto& p : points) QVERIFY(std::isfinite(p.loss));  // every step reported was finite
    }

    void continuationModeTrains() {
        auto model = loadModel(m_modelDir, {"cpu"});
        auto tok = Tokenizer::fromDirectory(m_modelDir);
        auto train = buildScoringItems(test::letterTask(200, 3), tok, ScoringMode::Continuation, {});
        auto s = settings();
        s.mode = ScoringMode::Continuation;
        s.maxSteps = 30;
        auto result = finetune(*model, train, {}, nullptr, s);
        QVERIFY(result.history.back().loss < result.history.front().loss);
    }

    void stopConditionEndsTrainingCleanly() {
        // A stop condition ends training after the step it answers true, as early stopping does:
        // the model comes back frozen and in evaluation mode, the result says it stopped early.
        auto model = loadModel(m_modelDir, {"cpu"});
        auto s = settings();
        std::vector<int64_t> asked;
        auto stopWhen = [&](const TrainPoint& p) {
            asked.push_back(p.step);
            return p.step == 7;
        };
        auto result = finetune(*model, m_train, {}, nullptr, s, {}, nullptr, stopWhen);
        QCOMPARE(result.steps, int64_t(7));
        QVERIFY(result.stoppedEarly);
        QCOMPARE(result.history.size(), size_t(7));
        QCOMPARE(asked, (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7}));
        QVERIFY(!model->is_training());
        for (const auto& p : model->parameters()) QVERIFY(!p.requires_grad());
        // Never true: the full run, not marked as stopped early.
        auto full = finetune(*model, m_train, {}, nullptr, s, {}, nullptr, [](const TrainPoint&) { return false; });
        QCOMPARE(full.steps, s.maxSteps);
        QVERIFY(!full.stoppedEarly);
    }

    // However a run ends, the model comes back frozen and without gradient buffers (as large as
    // the trainable weights): finished, cancelled, or stopped by a NaN.
    void everyEndLeavesNoGradients() {
        auto leftovers = [](CausalLM& model) {
            int n = 0;
            for (const auto& p : model.parameters()) n += p.grad().defined() || p.requires_grad();
            return n;
        };
        auto s = settings();
        s.maxSteps = 3;
        auto model = loadModel(m_modelDir, {"cpu"});
        finetune(*model, m_train, {}, nullptr, s);
        QCOMPARE(leftovers(*model), 0);

        CancelFlag cancel{false};
        s.maxSteps = 10;
        QVERIFY_THROWS_EXCEPTION(CancelledError, finetune(
                                                     *model, m_train, {}, nullptr, s,
                                                     [&](const TrainPoint& p) {
                                                         if (p.step == 2) cancel = true;
                                                     },
                                                     &cancel));
        QCOMPARE(leftovers(*model), 0);

        s.lr = 1e30;
        s.warmupFraction = 0;
        s.clipNorm = 0;
        QVERIFY_THROWS_EXCEPTION(Error, finetune(*model, m_train, {}, nullptr, s));
        QCOMPARE(leftovers(*model), 0);
    }

    void prunedNeuronsStayZero() {
        auto model = loadModel(m_modelDir, {"cpu"});
        const auto& c = model->config();
        SelectionSpec spec;
        spec.percent = 30;
        auto mask = selectNeurons(torch::randn({c.nLayer, c.nNeuron}), spec);
        auto s = settings();
        s.l1Activation = 0.05;
        finetune(*model, m_train, m_validation, &mask, s);
        // With the hook mask: the activations of pruned neurons are exactly zero.
        const auto& prompt = m_validation[0].context;
        const auto masked = prunedActivations(*model, prompt, mask, &mask);
        for (const auto& dead : masked.pruned) QCOMPARE(dead.abs().max().item<double>(), 0.0);
        // Baked: the model without any hook computes the same, and its pruned neurons are zero too.
        mask.bakeInto(*model);
        const auto baked = prunedActivations(*model, prompt, mask, nullptr);
        QVERIFY(test::maxAbsDiff(baked.logits, masked.logits, "baked vs masked after training") < 1e-6);
        for (const auto& dead : baked.pruned) QCOMPARE(dead.abs().max().item<double>(), 0.0);
    }

    // Neurons pruned at the last position only: after training through the hook they are zero at
    // the last position and live before it; a continuation-scored run refuses such a mask, naming
    // the field.
    void lastPositionMask() {
        auto model = loadModel(m_modelDir, {"cpu"});
        const auto& c = model->config();
        SelectionSpec spec;
        spec.percent = 30;
        spec.positions = HookPositions::Last;
        auto mask = selectNeurons(torch::randn({c.nLayer, c.nNeuron}), spec);
        auto s = settings();
        s.maxSteps = 4;
        finetune(*model, m_train, m_validation, &mask, s);
        // Through the hook: zero at the last position, live before it.
        for (const auto& dead : prunedActivations(*model, m_validation[0].context, mask, &mask).pruned) {
            const auto t = dead.size(1);
            QCOMPARE(dead.select(1, t - 1).abs().max().item<double>(), 0.0);
            QVERIFY(dead.slice(1, 0, t - 1).abs().max().item<double>() > 0);
        }
        const double masked = maskedAccuracy(*model, m_validation, &mask, ScoringMode::Letter);
        const double plain = maskedAccuracy(*model, m_validation, nullptr, ScoringMode::Letter);
        std::printf("  validation accuracy with the mask %.4f, without %.4f\n", masked, plain);
        auto tok = Tokenizer::fromDirectory(m_modelDir);
        auto continuation = buildScoringItems(test::letterTask(16, 3), tok, ScoringMode::Continuation, {});
        s.mode = ScoringMode::Continuation;
        try {
            finetune(*model, continuation, {}, &mask, s);
            QFAIL("no error");
        } catch (const Error& e) {
            qInfo("%s", e.what());
            QCOMPARE(e.place(), std::string("field 'positions'"));
        }
        try {
            maskedAccuracy(*model, continuation, &mask, ScoringMode::Continuation);
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(e.place(), std::string("field 'positions'"));
        }
    }

    void resumedEqualsUninterrupted() {
        auto s = settings();
        s.gradAccum = 2;
        s.batchSize = 8;
        auto whole = loadModel(m_modelDir, {"cpu"});
        auto wholeResult = finetune(*whole, m_train, m_validation, nullptr, s);

        auto part = loadModel(m_modelDir, {"cpu"});
        s.checkpointEvery = 4;
        s.checkpointDir = m_tmp / "ckpt";
        CancelFlag cancel{false};
        auto stopAt = [&](const TrainPoint& p) {
            if (p.step == 13) cancel = true;
        };
        QVERIFY_THROWS_EXCEPTION(CancelledError, finetune(*part, m_train, m_validation, nullptr, s, stopAt, &cancel));
        auto resumedModel = loadModel(m_modelDir, {"cpu"});  // a fresh process would start like this
        s.resume = true;
        auto resumed = finetune(*resumedModel, m_train, m_validation, nullptr, s);
        QCOMPARE(resumed.steps, wholeResult.steps);
        QCOMPARE(resumed.bestStep, wholeResult.bestStep);
        QCOMPARE(resumed.history.size(), wholeResult.history.size());
        QCOMPARE(resumed.history.back().loss, wholeResult.history.back().loss);
        QVERIFY(sameParameters(*resumedModel, *whole));
    }

    // A validation set that training makes worse: its gold answer is the letter after the one the
    // question names, so its accuracy falls as the model learns to copy the letter and the best
    // evaluation comes before the last step. The parameters at every evaluation are copied in the
    // callback (it runs right after the evaluation). With keep-best the returned model holds the
    // best evaluation's parameters and accuracy; without it, the last step's.
    void keepBestRestoresTheBestParameters() {
        auto misleading = m_validation;
        for (auto& item : misleading) item.gold = (item.gold + 1) % 4;
        auto s = settings();
        s.maxSteps = 30;
        s.evalEvery = 3;
        for (bool keepBest : {true, false}) {
            s.keepBest = keepBest;
            auto model = loadModel(m_modelDir, {"cpu"});
            std::map<int64_t, std::pair<double, std::vector<torch::Tensor>>> evaluated;  // step -> accuracy, parameters
            auto copyAtEvaluation = [&](const TrainPoint& p) {
                if (!p.validationAccuracy) return;
                std::vector<torch::Tensor> parameters;
                for (const auto& t : model->parameters()) parameters.push_back(t.detach().clone());
                evaluated[p.step] = {*p.validationAccuracy, parameters};
            };
            auto result = finetune(*model, m_train, misleading, nullptr, s, copyAtEvaluation);
            QCOMPARE(evaluated.size(), size_t(10));
            int64_t bestStep = 0;
            double best = -1;
            for (const auto& [step, e] : evaluated) {
                if (e.first > best) {  // the first of equal accuracies
                    best = e.first;
                    bestStep = step;
                }
            }
            const auto& last = evaluated.rbegin()->second;
            std::printf("  keep-best %s: validation accuracy by step:", keepBest ? "on" : "off");
            for (const auto& [step, e] : evaluated) std::printf(" %lld:%.3f", (long long)step, e.first);
            std::printf("; best at step %lld\n", (long long)bestStep);
            QCOMPARE(result.bestStep, bestStep);
            QCOMPARE(result.bestValidationAccuracy, best);
            QVERIFY2(bestStep < s.maxSteps && last.first < best, "the case needs a best step before the last");

            const double acc = maskedAccuracy(*model, misleading, nullptr, ScoringMode::Letter);
            auto equals = [&](const std::vector<torch::Tensor>& snapshot) {
                auto now = model->parameters();
                for (size_t i = 0; i < now.size(); ++i) {
                    if (!torch::equal(now[i], snapshot[i])) return false;
                }
                return true;
            };
            if (keepBest) {
                QCOMPARE(acc, best);
                QVERIFY(equals(evaluated[bestStep].second));
                QVERIFY(!equals(last.second));
            } else {
                QCOMPARE(acc, last.first);
                QVERIFY(equals(last.second));
                QVERIFY(!equals(evaluated[bestStep].second));
            }
        }
    }

    void badSettingsNameTheField_data() {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("field");
        QTest::newRow("unknown") << R"({"learning_rate": 1})"
                                 << "field 'learning_rate'";
        QTest::newRow("lr") << R"({"lr": -1})"
                            << "field 'lr'";
        QTest::newRow("lr type") << R"({"lr": "fast"})"
                                 << "field 'lr'";
        QTest::newRow("schedule") << R"({"schedule": "exp"})"
                                  << "field 'schedule'";
        QTest::newRow("batch") << R"({"batch_size": 0})"
                               << "field 'batch_size'";
        QTest::newRow("betas") << R"({"betas": [0.9]})"
                               << "field 'betas'";
        QTest::newRow("warmup") << R"({"warmup_fraction": 2})"
                                << "field 'warmup_fraction'";
    }
    void badSettingsNameTheField() {
        QFETCH(QString, json);
        QFETCH(QString, field);
        try {
            FinetuneSettings::fromJson(nlohmann::json::parse(json.toStdString()), "settings.json");
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(QString::fromStdString(e.place()), field);
            QCOMPARE(e.file(), std::string("settings.json"));
        }
    }

    void trainableSubsets() {
        auto model = loadModel(m_modelDir, {"cpu"});
        auto before = loadModel(m_modelDir, {"cpu"});
        auto s = settings();
        s.maxSteps = 3;
        s.trainable = "ffn";
        s.weightDecay = 0;
        finetune(*model, m_train, {}, nullptr, s);
        auto a = model->named_parameters(), b = before->named_parameters();
        for (const auto& p : a) {
            bool changed = !torch::equal(p.value(), b[p.key()]);
            QCOMPARE(changed, model->roleOf(p.key()).ffn);
        }
    }
};

QTEST_GUILESS_MAIN(TestFinetune)
#include "test_finetune.moc"
