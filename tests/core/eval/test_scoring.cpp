// Scoring against a slow one-question-at-a-time reference built from the full-vocabulary
// forward pass: batching, left padding, sorting and LM-head row selection change nothing.
#include <QtTest>

#include <torch/torch.h>

#include <cmath>

#include "core/data/mcq.h"
#include "core/eval/mcq_items.h"
#include "core/eval/report.h"
#include "core/eval/scoring.h"
#include "core/model/model_io.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/error.h"
#include "tests/support/test_support.h"

using namespace prunescope;

namespace {

// log p of each option, the slow way: one question, one sequence at a time, full logits.
std::vector<double> referenceLogProbs(CausalLM& model, const ScoringItem& item, ScoringMode mode) {
    torch::NoGradGuard noGrad;
    std::vector<double> out;
    if (mode == ScoringMode::Letter) {
        auto ids = torch::tensor(item.context, torch::kLong).unsqueeze(0);
        auto logp = torch::log_softmax(model.forward(ids)[0][-1].to(torch::kDouble), -1);
        for (const auto& c : item.continuations) out.push_back(logp[c[0]].item<double>());
        return out;
    }
    for (size_t o = 0; o < item.continuations.size(); ++o) {
        const auto& c = item.continuations[o];
        const auto& context = item.optionContexts.empty() ? item.context : item.optionContexts[o];
        std::vector<int64_t> seq = context;
        seq.insert(seq.end(), c.begin(), c.end());
        auto logp =
            torch::log_softmax(model.forward(torch::tensor(seq, torch::kLong).unsqueeze(0))[0].to(torch::kDouble), -1);
        double sum = 0;
        for (size_t k = 0; k < c.size(); ++k)
            sum += logp[static_cast<int64_t>(context.size() + k - 1)][c[k]].item<double>();
        out.push_back(sum);
    }
    return out;
}

// What a score must say, worked out here from reference log-probabilities: the argmax (the first
// on a tie), the softmax over the options at it, whether it is the gold option, and acc_norm's
// argmax of log p / characters when the item has option lengths.
struct Expected {
    int predicted = 0;
    double confidence = 0;
    int predictedNorm = -1;
};

Expected expectedScore(const std::vector<double>& ref, const ScoringItem& item) {
    Expected e;
    for (size_t o = 1; o < ref.size(); ++o) {
        if (ref[o] > ref[static_cast<size_t>(e.predicted)]) e.predicted = static_cast<int>(o);
    }
    double sum = 0;
    for (double v : ref) sum += std::exp(v - ref[static_cast<size_t>(e.predicted)]);
    e.confidence = 1.0 / sum;  // exp(0) / Σ exp(ref - max)
    if (item.optionChars.size() == ref.size()) {
        auto perChar = [&](size_t o) { return ref[o] / item.optionChars[o]; };
        e.predictedNorm = 0;
        for (size_t o = 1; o < ref.size(); ++o) {
            if (perChar(o) > perChar(static_cast<size_t>(e.predictedNorm))) e.predictedNorm = static_cast<int>(o);
        }
    }
    return e;
}

// |confidence - expected| when the prediction, gold, correctness (and acc_norm's) are as expected;
// infinity otherwise.
double checkScore(const QuestionScore& score, const std::vector<double>& ref, const ScoringItem& item) {
    const auto e = expectedScore(ref, item);
    if (score.predicted != e.predicted) {
        std::printf("  predicted %d, expected %d from log p", score.predicted, e.predicted);
        for (double v : ref) std::printf(" %.6f", v);
        std::printf("\n");
    }
    const bool same =
        score.predicted == e.predicted && score.gold == item.gold && score.correct == (e.predicted == item.gold);
    const bool sameNorm = e.predictedNorm < 0 || (score.predictedNorm == e.predictedNorm &&
                                                  score.correctNorm == (e.predictedNorm == item.gold));
    return same && sameNorm ? std::abs(score.confidence - e.confidence) : INFINITY;
}

}  // namespace

class TestScoring : public QObject {
    Q_OBJECT
    test::TempDir m_tmp;
    std::shared_ptr<CausalLM> m_gpt2, m_llama, m_gpt2Double, m_llamaDouble;
    Tokenizer m_gpt2Tok, m_llamaTok;
    McqDataset m_data;

private slots:
    void initTestCase() {
        auto g = test::makeTinyModel(m_tmp / "gpt2", "gpt2");
        auto l = test::makeTinyModel(m_tmp / "llama", "llama");
        m_gpt2 = loadModel(g, {"cpu"});
        m_llama = loadModel(l, {"cpu"});
        m_gpt2Double = loadModel(g, {"cpu"});
        m_llamaDouble = loadModel(l, {"cpu"});
        m_gpt2Double->to(torch::kDouble);
        m_llamaDouble->to(torch::kDouble);
        m_gpt2Tok = Tokenizer::fromDirectory(g);
        m_llamaTok = Tokenizer::fromDirectory(l);
        m_data = loadMcqDataset(test::sharedDataDir() / "mcq/arc-hf-jsonl/ARC-Challenge-validation.jsonl");
        m_data.questions.resize(23);  // an odd count: the last batch is partial
    }

    // Task presets: WinoGrande's partial scoring (one context per option, the same continuation),
    // HellaSwag's and ARC's continuations, MMLU's letters; batched scores equal the slow reference.
    void presetsEqualSlowReference_data() {
        QTest::addColumn<QString>("preset");
        QTest::addColumn<QString>("file");
        QTest::newRow("winogrande") << "winogrande"
                                    << "winogrande_dev.jsonl";
        QTest::newRow("hellaswag") << "hellaswag"
                                   << "hellaswag_val.jsonl";
        QTest::newRow("arc") << "arc"
                             << "arc-hf-challenge-validation-head40.jsonl";
        QTest::newRow("mmlu") << "mmlu"
                              << "college_physics_test.csv";
    }
    void presetsEqualSlowReference() {
        QFETCH(QString, preset);
        QFETCH(QString, file);
        auto data = loadMcqDataset(test::dataDir() / "mcq" / file.toStdString());
        PromptTemplate prompt;
        prompt.task = parseTaskPreset(preset.toStdString());
        const auto mode = presetScoringMode(prompt.task);
        auto items = buildScoringItems(data, m_gpt2Tok, mode, prompt);
        if (prompt.task == TaskPreset::Winogrande) {
            for (const auto& item : items) {
                QCOMPARE(item.optionContexts.size(), size_t(2));
                QVERIFY(item.optionContexts[0] != item.optionContexts[1]);
                QCOMPARE(item.continuations[0], item.continuations[1]);
            }
        } else {
            for (const auto& item : items) QVERIFY(item.optionContexts.empty());
        }
        const auto other = mode == ScoringMode::Letter ? ScoringMode::Continuation : ScoringMode::Letter;
        QVERIFY_THROWS_EXCEPTION(Error, buildScoringItems(data, m_gpt2Tok, other, prompt));
        ScoringOptions options;
        options.mode = mode;
        options.batchSize = 3;
        auto scores = scoreItems(*m_gpt2Double, items, options);
        double worst = 0, worstConfidence = 0;
        for (size_t i = 0; i < items.size(); ++i) {
            auto ref = referenceLogProbs(*m_gpt2Double, items[i], mode);
            for (size_t o = 0; o < ref.size(); ++o) worst = std::max(worst, std::abs(ref[o] - scores[i].logProbs[o]));
            worstConfidence = std::max(worstConfidence, checkScore(scores[i], ref, items[i]));
        }
        std::printf("  %s: max |log p - reference| = %.3g, max |confidence - reference| = %.3g over %zu questions\n",
                    QTest::currentDataTag(), worst, worstConfidence, items.size());
        QVERIFY(worst < 1e-9);
        QVERIFY(worstConfidence < 1e-9);
    }

    // acc_norm divides by the option's length in characters without the " " (lm-eval's len(choice)).
    void normalisesByTheChoiceLength() {
        auto data = loadMcqDataset(test::dataDir() / "mcq" / "arc-hf-challenge-validation-head40.jsonl");
        PromptTemplate prompt;
        for (TaskPreset task : {TaskPreset::None, TaskPreset::Arc}) {
            prompt.task = task;
            auto item = buildScoringItem(data.questions[0], m_gpt2Tok, ScoringMode::Continuation, prompt);
            for (size_t o = 0; o < item.optionChars.size(); ++o) {
                QCOMPARE(item.optionChars[o], static_cast<int>(data.questions[0].options[o].size()));  // ASCII
            }
        }
    }

    void equalsSlowReference_data() {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<QString>("mode");
        QTest::addColumn<int>("batch");
        QTest::addColumn<bool>("float64");
        for (bool f64 : {false, true}) {
            for (const char* arch : {"gpt2", "llama"}) {
                for (const char* mode : {"letter", "continuation"}) {
                    for (int batch : {1, 5}) {
                        QTest::newRow(QString("%1 %2 batch %3 %4")
                                          .arg(arch, mode)
                                          .arg(batch)
                                          .arg(f64 ? "float64" : "float32")
                                          .toUtf8()
                                          .constData())
                            << QString(arch) << QString(mode) << batch << f64;
                    }
                }
            }
        }
    }
    void equalsSlowReference() {
        QFETCH(QString, arch);
        QFETCH(QString, mode);
        QFETCH(int, batch);
        QFETCH(bool, float64);
        auto& model =
            float64 ? (arch == "gpt2" ? *m_gpt2Double : *m_llamaDouble) : (arch == "gpt2" ? *m_gpt2 : *m_llama);
        const auto& tok = arch == "gpt2" ? m_gpt2Tok : m_llamaTok;
        auto scoringMode = parseScoringMode(mode.toStdString());
        auto items = buildScoringItems(m_data, tok, scoringMode, PromptTemplate{});
        ScoringOptions options;
        options.mode = scoringMode;
        options.batchSize = batch;
        auto scores = scoreItems(model, items, options);
        QCOMPARE(scores.size(), items.size());
        // float64: padding and batching must change nothing beyond rounding (1e-9). float32: the
        // same within 1e-5 relative to the option's log-likelihood (a sum over its tokens).
        double worst = 0, worstConfidence = 0;
        for (size_t i = 0; i < items.size(); ++i) {
            auto ref = referenceLogProbs(model, items[i], scoringMode);
            for (size_t o = 0; o < ref.size(); ++o) {
                worst = std::max(worst, std::abs(ref[o] - scores[i].logProbs[o]) / std::max(1.0, std::abs(ref[o])));
            }
            QCOMPARE(scores[i].gold, m_data.questions[i].answer);
            worstConfidence = std::max(worstConfidence, checkScore(scores[i], ref, items[i]));
        }
        std::printf(
            "  %s: max |log p - reference| / max(1, |log p|) = %.3g, max |confidence - reference| = %.3g "
            "over %zu questions\n",
            QTest::currentDataTag(), worst, worstConfidence, items.size());
        QVERIFY(worst < (float64 ? 1e-9 : 1e-5));
        QVERIFY(worstConfidence < (float64 ? 1e-9 : 1e-5));
    }

    void letterItemsUseOneTokenPerLetter() {
        auto items = buildScoringItems(m_data, m_gpt2Tok, ScoringMode::Letter, PromptTemplate{});
        // GPT-2: " A" = 317, " B" = 347, " C" = 327, " D" = 360.
        QCOMPARE(items[0].continuations[0][0], int64_t(317));
        QCOMPARE(items[0].continuations[1][0], int64_t(347));
        QCOMPARE(items[0].continuations[2][0], int64_t(327));
        QCOMPARE(items[0].continuations[3][0], int64_t(360));
        auto llama = buildScoringItems(m_data, m_llamaTok, ScoringMode::Letter, PromptTemplate{});
        QCOMPARE(llama[0].context.front(), int64_t(1));  // BOS
        QCOMPARE(llama[0].continuations[0].size(), size_t(1));
    }

    void probabilitiesAreASoftmax() {
        ScoringItem item;
        item.gold = 1;
        item.continuations = {{1}, {2}, {3}};
        auto s = scoreFromLogProbs({std::log(0.2), std::log(0.5), std::log(0.3)}, item);
        QCOMPARE(s.predicted, 1);
        QVERIFY(s.correct);
        QVERIFY(std::abs(s.confidence - 0.5) < 1e-12);
        QVERIFY(std::abs(s.margin - 0.2) < 1e-12);
        // log-probabilities that do not sum to one are renormalized over the options
        auto t = scoreFromLogProbs({-10.0, -10.0}, item);
        QVERIFY(std::abs(t.probs[0] - 0.5) < 1e-12);
    }

    void accNormDividesByCharacters() {
        ScoringItem item;
        item.gold = 0;
        item.continuations = {{1}, {2}};
        item.optionChars = {10, 2};
        auto s = scoreFromLogProbs({-5.0, -2.0}, item);  // raw: option 1; per character: -0.5 vs -1
        QCOMPARE(s.predicted, 1);
        QCOMPARE(s.predictedNorm, 0);
        QVERIFY(s.correctNorm);
    }

    void summaryCounts() {
        std::vector<QuestionScore> scores(4);
        double conf[] = {0.95, 0.75, 0.55, 0.3};
        for (int i = 0; i < 4; ++i) {
            scores[i].confidence = conf[i];
            scores[i].correct = i % 2 == 0;
        }
        auto s = summarize(scores);
        QCOMPARE(s.atLeast90, int64_t(1));
        QCOMPARE(s.atLeast70, int64_t(2));
        QCOMPARE(s.atLeast50, int64_t(3));
        QVERIFY(std::abs(s.accuracy - 0.5) < 1e-12);
        QCOMPARE(s.histogram[9], int64_t(1));
        QCOMPARE(s.histogram[3], int64_t(1));
    }

    void cancelStops() {
        CancelFlag cancel{true};
        auto items = buildScoringItems(m_data, m_gpt2Tok, ScoringMode::Letter, PromptTemplate{});
        QVERIFY_THROWS_EXCEPTION(CancelledError, scoreItems(*m_gpt2, items, {}, {}, &cancel));
    }
};

QTEST_GUILESS_MAIN(TestScoring)
#include "test_scoring.moc"
