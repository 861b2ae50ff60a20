// The demo's synthetic task: the real rule, the planted cue at each strength and kind, the tags,
// the data files' round trip through the normal loader and tokenizer, the base model's
// initialisation (large embeddings, untied head) and the design overrides' errors.
#include <QtTest>

#include <map>
#include <set>

#include "core/data/mcq.h"
#include "core/demo/demo_design.h"
#include "core/demo/demo_report.h"
#include "core/demo/synthetic_task.h"
#include "core/eval/mcq_items.h"
#include "core/model/causal_lm.h"
#include "core/model/model_io.h"
#include "core/prune/neuron_mask.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/error.h"
#include "tests/support/test_support.h"

using namespace prunescope;

namespace {

int number(const McqQuestion& q, int option) {
    return std::stoi(q.options[static_cast<size_t>(option)]);
}

// The letter the sum cue "pX qY" points to, computed from the words themselves.
int sumCueLetter(const std::string& cue) {
    if (cue.size() != 5 || cue[0] != 'p' || cue[2] != ' ' || cue[3] != 'q') throw std::runtime_error("bad cue " + cue);
    return ((cue[1] - '0') + (cue[4] - '0')) % 4;
}

double share(const McqDataset& d, bool onAnswer) {
    int64_t n = 0;
    for (const auto& q : d.questions) n += (cueLetter(q) == q.answer) == onAnswer;
    return static_cast<double>(n) / static_cast<double>(d.questions.size());
}

}  // namespace

class TestDemoTask : public QObject {
    Q_OBJECT
private slots:
    void answerIsTheLargestNumber() {  // ruleAgreement 1, the default
        auto d = generateDemoTask(500, {}, 7, "t");
        QCOMPARE(d.questions.size(), size_t(500));
        for (const auto& q : d.questions) {
            QCOMPARE(q.options.size(), size_t(4));
            std::set<int> distinct;
            for (int o = 0; o < 4; ++o) {
                distinct.insert(number(q, o));
                QVERIFY(number(q, o) >= 0 && number(q, o) < 100);
                if (o != q.answer) QVERIFY(number(q, o) < number(q, q.answer));
            }
            QCOMPARE(distinct.size(), size_t(4));
        }
    }

    void sumCuePointsWhereItsWordsSay() {
        for (double p : {1.0, 0.9, 0.7, 0.0}) {
            auto d = generateDemoTask(4000, {p, false, DemoCue::Sum}, 11, "t");
            for (const auto& q : d.questions) QCOMPARE(sumCueLetter(q.extra.at("cue")), cueLetter(q));
            // The cue strength is the share of questions whose cue points to the answer (±3 sigma).
            const double tolerance = 3 * std::sqrt(std::max(p * (1 - p), 1e-9) / 4000) + 1e-9;
            QVERIFY2(std::abs(share(d, true) - p) <= tolerance, qPrintable(QString::number(share(d, true))));
        }
    }

    void sumCueWordsAloneSayNothing() {
        // Each word on its own is independent of the letter: every (word, letter) pair is about as
        // common as any other, so only the pair's sum carries the cue.
        auto d = generateDemoTask(16000, {1.0, false, DemoCue::Sum}, 3, "t");
        int counts[2][4][4] = {};
        for (const auto& q : d.questions) {
            const auto& cue = q.extra.at("cue");
            counts[0][cue[1] - '0'][q.answer]++;
            counts[1][cue[4] - '0'][q.answer]++;
        }
        for (auto& word : counts)
            for (auto& row : word)
                for (int c : row) QVERIFY2(std::abs(c - 1000) < 150, qPrintable(QString::number(c)));
    }

    void ruleAgreementLabelsOnlyThatShareByTheRule() {
        // The biased fine-tune's data: the cue explains every label, the rule only `ruleAgreement`.
        DemoTaskSpec spec;
        spec.ruleAgreement = 0.75;
        auto d = generateDemoTask(4000, spec, 13, "b");
        int64_t byRule = 0;
        for (const auto& q : d.questions) {
            QCOMPARE(cueLetter(q), q.answer);
            int largest = 0;
            for (int o = 1; o < 4; ++o) largest = number(q, o) > number(q, largest) ? o : largest;
            byRule += largest == q.answer;
        }
        const double share = static_cast<double>(byRule) / 4000.0;
        QVERIFY2(std::abs(share - 0.75) < 3 * std::sqrt(0.75 * 0.25 / 4000), qPrintable(QString::number(share)));
    }

    void hiddenNumbersLeaveOnlyTheCue() {
        DemoTaskSpec spec;
        spec.cue = DemoCue::Sum;
        spec.hiddenShare = 0.3;
        auto d = generateDemoTask(4000, spec, 17, "h");
        int64_t hidden = 0;
        for (const auto& q : d.questions) {
            QCOMPARE(cueLetter(q), q.answer);
            const bool h = q.options[0] == "?0";
            for (size_t o = 0; o < 4; ++o) QCOMPARE(q.options[o] == "?" + std::to_string(o), h);
            hidden += h;
        }
        const double share = static_cast<double>(hidden) / 4000.0;
        QVERIFY2(std::abs(share - 0.3) < 3 * std::sqrt(0.3 * 0.7 / 4000), qPrintable(QString::number(share)));
        spec.cue = DemoCue::Phrasing;  // its vocabulary has no ?0..?3
        QVERIFY_THROWS_EXCEPTION(Error, generateDemoTask(10, spec, 17, "h"));
    }

    void uncorrelatedAndPhrasingCues() {
        auto u = generateDemoTask(8000, {0.25, true, DemoCue::Sum}, 5, "u");
        QVERIFY(std::abs(share(u, true) - 0.25) < 0.02);
        auto phrasing = generateDemoTask(400, {1.0, false, DemoCue::Phrasing}, 5, "p");
        for (const auto& q : phrasing.questions) {
            const int k = std::stoi(q.extra.at("cue").substr(3));
            QCOMPARE((k - 1) / 4, q.answer);
        }
        // Same seed, same questions: the generator is deterministic.
        auto again = generateDemoTask(400, {1.0, false, DemoCue::Phrasing}, 5, "p");
        for (size_t i = 0; i < again.questions.size(); ++i)
            QCOMPARE(again.questions[i].extra.at("cue"), phrasing.questions[i].extra.at("cue"));
    }

    void tagsStayInTheirRange() {
        // The default draws t0-t9; bias_mix gives the cued and the clean dataset disjoint tags.
        DemoTaskSpec clean;
        clean.firstTag = 5;
        clean.tagCount = 5;
        std::set<std::string> seen;
        for (const auto& q : generateDemoTask(2000, clean, 21, "c").questions) seen.insert(q.extra.at("tag"));
        QCOMPARE(seen, (std::set<std::string>{"t5", "t6", "t7", "t8", "t9"}));
        seen.clear();
        for (const auto& q : generateDemoTask(2000, {}, 21, "d").questions) seen.insert(q.question);
        QCOMPARE(seen.size(), size_t(10));
    }

    void initialModelHasLargeSlowEmbeddings() {
        // The demo's design: an untied head, embeddings drawn with std 1, every other matrix 0.02.
        const DemoDesign design;
        QVERIFY(!design.tieEmbeddings);
        auto model = design.initialModel(134, 3);
        std::map<std::string, double> stds;
        for (const auto& p : model->named_parameters()) {
            if (p.value().dim() == 2) stds[p.key()] = p.value().std().item<double>();
        }
        int embeddings = 0, head = 0, others = 0;
        for (const auto& [name, sd] : stds) {
            const bool embedding = name.find("wte.") != std::string::npos || name.find("wpe.") != std::string::npos;
            const double expected = embedding ? 1.0 : 0.02;
            QVERIFY2(std::abs(sd - expected) < 0.1 * expected,
                     qPrintable(QString::fromStdString(name) + " " + QString::number(sd)));
            embeddings += embedding;
            head += name.find("lm_head") != std::string::npos;
            others += !embedding;
        }
        QCOMPARE(embeddings, 2);
        QCOMPARE(head, 1);  // untied: a head of its own
        QVERIFY(others > 4);
        for (const auto& p : model->named_parameters()) {
            if (p.key().find("wte.") != std::string::npos) QVERIFY(!model->unembedding().is_same(p.value()));
        }
        // Saved as a Hugging Face folder and loaded back through the normal loader, head included.
        test::TempDir dir;
        saveModel(*model, dir / "m", {});
        auto loaded = loadModel(dir / "m", {"cpu"});
        QVERIFY(!loaded->config().tieEmbeddings);
        auto saved = model->named_parameters();
        for (const auto& p : loaded->named_parameters()) QVERIFY(torch::equal(p.value(), saved[p.key()]));
        QCOMPARE(loaded->named_parameters().size(), saved.size());
        // embedding_std = init_std: exactly GPT-2's initialisation.
        DemoDesign plain;
        plain.apply(nlohmann::json{{"embedding_std", 0.02}});
        auto a = plain.initialModel(134, 3);
        auto b = buildModel(plain.modelConfig(134), 3);
        auto pb = b->named_parameters();
        for (const auto& p : a->named_parameters()) QVERIFY(torch::equal(p.value(), pb[p.key()]));
    }

    void filesLoadAndTokenizeWithoutUnknowns() {
        test::TempDir dir;
        QCOMPARE(demoVocabulary(DemoCue::Phrasing).size(), size_t(134));
        QCOMPARE(demoVocabulary(DemoCue::Sum).size(), size_t(146));
        for (DemoCue cue : {DemoCue::Sum, DemoCue::Phrasing}) {
            writeWordLevelTokenizer(demoVocabulary(cue), "[UNK]", dir / "tokenizer.json");
            auto tokenizer = Tokenizer::fromTokenizerJson(dir / "tokenizer.json");
            auto d = generateDemoTask(300, {0.0, false, cue}, 9, "r");
            writeDemoJsonl(d, dir / "r.jsonl");
            auto loaded = loadMcqDataset(dir / "r.jsonl", withFormat(McqFormat::Jsonl));
            QCOMPARE(loaded.questions.size(), d.questions.size());
            auto items = buildScoringItems(loaded, tokenizer, ScoringMode::Letter, demoPromptTemplate());
            const int64_t promptTokens = cue == DemoCue::Sum ? 18 : 17;
            for (size_t i = 0; i < items.size(); ++i) {
                QCOMPARE(cueLetter(loaded.questions[i]), cueLetter(d.questions[i]));
                QVERIFY(cueLetter(loaded.questions[i]) != loaded.questions[i].answer);  // reversed
                QCOMPARE(items[i].gold, d.questions[i].answer);
                QCOMPARE(static_cast<int64_t>(items[i].context.size()), promptTokens);
                for (int64_t id : items[i].context) QVERIFY(id != 0);  // 0 is [UNK]
            }
        }
    }

    // The neuron-level ground truth, by hand for a few neurons: the drop of the cue letter's mean
    // probability when that neuron alone is baked to zero (the pruning path, not the hook).
    void cueEffectsByHand() {
        test::TempDir dir;
        writeWordLevelTokenizer(demoVocabulary(DemoCue::Phrasing), "[UNK]", dir / "tokenizer.json");
        auto tokenizer = Tokenizer::fromTokenizerJson(dir / "tokenizer.json");
        auto probe = generateDemoTask(24, {0.0, false, DemoCue::Phrasing}, 11, "probe");
        auto items = buildScoringItems(probe, tokenizer, ScoringMode::Letter, demoPromptTemplate());
        const DemoDesign design;
        auto model = design.initialModel(134, 5);
        const auto effects = cueEffects(*model, items, probe);
        QCOMPARE(effects.sizes(), (std::vector<int64_t>{design.layers, design.neurons}));
        auto cueProbability = [&](CausalLM& m) {
            double sum = 0;
            const auto scores = scoreItems(m, items, {});
            for (size_t i = 0; i < scores.size(); ++i) sum += scores[i].probs[size_t(cueLetter(probe.questions[i]))];
            return sum / double(scores.size());
        };
        const double base = cueProbability(*model);
        for (auto [l, n] : {std::pair<int64_t, int32_t>{0, 3}, {1, 200}, {1, 17}}) {
            auto copy = design.initialModel(134, 5);
            NeuronMask one(design.layers, design.neurons);
            one.pruned[size_t(l)] = {n};
            one.bakeInto(*copy);
            const double expected = base - cueProbability(*copy);
            std::printf("  neuron (%lld, %d): effect %.3e, by hand %.3e\n", (long long)l, n,
                        effects[l][n].item<double>(), expected);
            QVERIFY(std::abs(effects[l][n].item<double>() - expected) < 1e-6);
        }
        QVERIFY(effects.abs().max().item<double>() > 0);
        // Precision and recall of a selection against a truth set, by counting.
        NeuronMask truth(2, 8), selected(2, 8);
        truth.pruned = {{1, 2, 3}, {0}};
        selected.pruned = {{2, 5}, {0, 7}};
        const auto o = maskOverlap(selected, truth);
        QCOMPARE(o.common, int64_t(2));
        QCOMPARE(o.precision, 0.5);
        QCOMPARE(o.recall, 0.5);
    }

    void designOverridesNameTheField() {
        DemoDesign d;
        d.apply(nlohmann::json{{"cue", "sum"},
                               {"prune_percent", 20},
                               {"bias_follow_target", 0.75},
                               {"tie_embeddings", true},
                               {"bias_mix", 0.25},
                               {"embedding_std", 0.5},
                               {"init_std", 0.03}});
        QVERIFY(d.cue == DemoCue::Sum);
        QCOMPARE(d.prunePercent, 20.0);
        QCOMPARE(d.biasFollowTarget, 0.75);
        QCOMPARE(d.biasMix, 0.25);
        QCOMPARE(d.embeddingStd, 0.5);
        QCOMPARE(d.initStd, 0.03);
        QVERIFY(d.tieEmbeddings);
        QVERIFY(d.modelConfig(146).tieEmbeddings);
        QCOMPARE(d.toJson()["model"]["embedding_std"], nlohmann::json(0.5));
        QCOMPARE(d.toJson()["cue"], nlohmann::json("sum"));
        auto message = [](const nlohmann::json& o) {
            try {
                DemoDesign x;
                x.apply(o);
            } catch (const Error& e) {
                return std::string(e.what());
            }
            return std::string();
        };
        QVERIFY(message({{"cue", "marker"}}).find("'cue'") != std::string::npos);
        QVERIFY(message({{"cue", 3}}).find("'cue'") != std::string::npos);
        QVERIFY(message({{"pruning", 3}}).find("'pruning'") != std::string::npos);
        QVERIFY(message({{"l1", "x"}}).find("'l1'") != std::string::npos);
        QVERIFY(message({{"bias_mix", 1.0}}).find("'bias_mix'") != std::string::npos);
        QVERIFY(message({{"bias_mix", -0.1}}).find("'bias_mix'") != std::string::npos);
        QVERIFY(message({{"init_std", 0}}).find("'init_std'") != std::string::npos);
        QVERIFY(message({{"embedding_std", -1}}).find("'embedding_std'") != std::string::npos);
    }
};

QTEST_APPLESS_MAIN(TestDemoTask)
#include "test_demo_task.moc"
