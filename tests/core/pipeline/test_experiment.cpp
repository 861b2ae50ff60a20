// The experiment pipeline on a tiny model and real ARC files: it finishes and reports every arm,
// seed and dataset; its numbers agree with its own per-question records, with the dataset sizes
// and with the saved fine-tuned models scored again here; each pruned arm's model has exactly its
// mask's neurons zeroed; baselines keep the IG mask's per-layer counts; a re-run recomputes nothing
// and a changed setting recomputes only what depends on it; invalid configs name the field.
#include <QtTest>

#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <set>

#include "core/eval/mcq_items.h"
#include "core/eval/scoring.h"
#include "core/model/model_io.h"
#include "core/model/safetensors.h"
#include "core/pipeline/experiment.h"
#include "core/pipeline/experiment_report.h"
#include "core/prune/damage_match.h"
#include "core/prune/neuron_mask.h"
#include "core/tokenizer/tokenizer.h"
#include "core/train/finetune.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "tests/support/test_support.h"

using namespace prunescope;
namespace fs = std::filesystem;

namespace {

std::map<std::string, fs::file_time_type> cacheEntries(const fs::path& dir) {
    std::map<std::string, fs::file_time_type> out;
    for (const auto& e : fs::directory_iterator(dir / "cache")) out[e.path().filename().string()] = e.last_write_time();
    return out;
}

int64_t jsonlLines(const fs::path& file) {
    std::ifstream in(file);
    int64_t n = 0;
    for (std::string line; std::getline(in, line);) n += !line.empty();
    return n;
}

double meanOf(const nlohmann::json& values) {
    double sum = 0;
    for (const auto& v : values) sum += v.get<double>();
    return values.empty() ? 0.0 : sum / static_cast<double>(values.size());
}

using NeuronSet = std::set<std::pair<int64_t, int64_t>>;

NeuronSet neuronsOf(const NeuronMask& mask) {
    NeuronSet out;
    for (int64_t l = 0; l < mask.nLayer; ++l) {
        for (auto i : mask.pruned[static_cast<size_t>(l)]) out.insert({l, i});
    }
    return out;
}

// The neurons whose output weights are all exactly zero (pruned and baked in).
NeuronSet zeroNeurons(CausalLM& model) {
    NeuronSet out;
    for (int64_t l = 0; l < model.config().nLayer; ++l) {
        auto zero = (model.neuronOutputWeights(l).abs().amax(1) == 0).nonzero().flatten();  // (K,)
        for (int64_t k = 0; k < zero.size(0); ++k) out.insert({l, zero[k].item<int64_t>()});
    }
    return out;
}

// The base model with a fine-tuned run's saved parameters (cache/run-*/model.safetensors).
std::shared_ptr<CausalLM> loadRun(const fs::path& modelDir, const fs::path& parameters) {
    auto model = loadModel(modelDir, {"cpu"});
    SafetensorsFile st(parameters);
    torch::NoGradGuard noGrad;
    for (auto& p : model->named_parameters()) p.value().copy_(st.tensor(p.key()));
    return model;
}

}  // namespace

class TestExperiment : public QObject {
    Q_OBJECT
    test::TempDir m_tmp;
    nlohmann::json m_config;

    ExperimentConfig config(const nlohmann::json& j) {
        return parseExperimentConfig(j, "experiment.json", m_tmp.path());
    }

    // The datasets hold what the config selects: the seeded 10 % test split of the ARC-Easy file
    // (floor(n · 0.1) of n questions) and the first 40 ARC-Challenge questions.
    void checkCounts(const nlohmann::json& report) {
        auto arc = test::sharedDataDir() / "mcq/arc-hf-jsonl";
        const int64_t nTest = jsonlLines(arc / "ARC-Easy-validation.jsonl") / 10;
        QCOMPARE(report["datasets"][0]["questions"].get<int64_t>(), nTest);
        QCOMPARE(report["datasets"][1]["questions"].get<int64_t>(), int64_t(40));
        QCOMPARE(report["confidence"]["base"]["correct"].size(), size_t(nTest));
        for (const auto& s : report["summary"]) QCOMPARE(s["n"].get<int>(), 2);  // seeds
    }

    // Every accuracy equals the one recomputed from per-question records: the report's own
    // (confidence.<arm>.correct on the test split, for the arm's first seed) and the cached
    // evaluations' predictions against the gold answers of the files; the summary's mean and
    // standard deviation are those of the seeds' accuracies.
    void checkAccuraciesAgreeWithRecords(const nlohmann::json& report) {
        const std::string id = report["datasets"][0]["name"];
        auto accuracy = [&](const std::string& arm, uint64_t seed, const std::string& dataset) {
            for (const auto& r : report["results"]) {
                if (r["arm"] == arm && r["seed"] == seed && r["dataset"] == dataset) return r["accuracy"].get<double>();
            }
            return -1.0;
        };
        QCOMPARE(report["base"][0]["accuracy"].get<double>(), meanOf(report["confidence"]["base"]["correct"]));
        for (const char* arm : {"plain", "ig", "random", "magnitude"}) {
            const auto& c = report["confidence"][arm];
            QCOMPARE(accuracy(arm, c["seed"].get<uint64_t>(), id), meanOf(c["correct"]));
        }
        for (const auto& s : report["summary"]) {
            const double a = accuracy(s["arm"], 0, s["dataset"]), b = accuracy(s["arm"], 1, s["dataset"]);
            QVERIFY(a >= 0 && b >= 0);
            QVERIFY(std::abs(s["mean"].get<double>() - (a + b) / 2) < 1e-12);
            QVERIFY(std::abs(s["std"].get<double>() - std::abs(a - b) / std::sqrt(2.0)) < 1e-12);
        }
        // Gold answers of the two evaluation sets, by size (57 and 40 questions).
        auto arc = test::sharedDataDir() / "mcq/arc-hf-jsonl";
        std::map<size_t, std::vector<int>> gold;
        const auto nTest = report["datasets"][0]["questions"].get<size_t>();
        for (const auto& q : splitDataset(loadMcqDataset(arc / "ARC-Easy-validation.jsonl"), {}).test.questions) {
            gold[nTest].push_back(q.answer);
        }
        auto ood = loadMcqDataset(arc / "ARC-Challenge-validation.jsonl");
        for (size_t i = 0; i < 40; ++i) gold[40].push_back(ood.questions[i].answer);
        QCOMPARE(gold.size(), size_t(2));
        int evals = 0;
        std::multiset<double> cachedAccuracies;
        for (const auto& e : fs::directory_iterator(m_tmp / "out" / "cache")) {
            if (e.path().filename().string().rfind("eval-", 0) != 0) continue;
            auto j = readJsonFile(e.path());
            const auto& g = gold[j["predicted"].size()];
            QVERIFY2(!g.empty(), e.path().c_str());
            int correct = 0;
            for (size_t i = 0; i < g.size(); ++i) {
                const bool right = j["predicted"][i].get<int>() == g[i];
                QCOMPARE(j["correct"][i].get<int>(), right ? 1 : 0);
                correct += right;
            }
            QCOMPARE(j["accuracy"].get<double>(), double(correct) / double(g.size()));
            cachedAccuracies.insert(j["accuracy"].get<double>());
            ++evals;
        }
        QCOMPARE(evals, 2 + 4 * 2 * 2);  // base + arms x seeds, on both sets
        std::multiset<double> reported;
        for (const auto& r : report["base"]) reported.insert(r["accuracy"].get<double>());
        for (const auto& r : report["results"]) reported.insert(r["accuracy"].get<double>());
        QVERIFY(reported == cachedAccuracies);
    }

    // The masks: the IG mask has the count the selection asks for; the baselines keep its per-layer
    // counts but not its neurons, and each random seed draws its own. The saved fine-tuned models:
    // exactly their mask's neurons are zero (none in the plain arm), and scored again here on the
    // test split they give the reported accuracies.
    void checkMasksAndModels(const nlohmann::json& report) {
        auto ig = readMask(m_tmp / "out" / "mask-ig.json");
        QCOMPARE(ig.perLayerCounts(), (std::vector<int64_t>{13, 13}));  // 10 % of 128, rounded
        QCOMPARE(report["attribution"]["pruned"].get<int64_t>(), int64_t(26));
        std::map<std::string, NeuronSet> masks = {{"ig", neuronsOf(ig)}};
        for (const char* name : {"random-seed0", "random-seed1", "magnitude"}) {
            auto m = readMask(m_tmp / "out" / ("mask-" + std::string(name) + ".json"));
            QCOMPARE(m.perLayerCounts(), ig.perLayerCounts());
            masks[name] = neuronsOf(m);
        }
        QCOMPARE(masks.size(), size_t(4));
        for (const auto& [a, sa] : masks) {
            QCOMPARE(sa.size(), size_t(26));
            for (const auto& [b, sb] : masks) QVERIFY2(a == b || sa != sb, (a + " = " + b).c_str());
        }

        const std::string id = report["datasets"][0]["name"];
        auto arc = test::sharedDataDir() / "mcq/arc-hf-jsonl";
        auto testSplit = splitDataset(loadMcqDataset(arc / "ARC-Easy-validation.jsonl"), {}).test;
        auto items = buildScoringItems(testSplit, Tokenizer::fromModel(m_tmp / "model"), ScoringMode::Letter, {});
        auto base = loadModel(m_tmp / "model", {"cpu"});
        QVERIFY(zeroNeurons(*base).empty());
        std::map<std::string, std::multiset<double>> rescored, reported;
        for (const auto& r : report["results"]) {
            if (r["dataset"] != id) continue;
            std::string arm = r["arm"];
            if (arm == "random") arm += "-seed" + std::to_string(r["seed"].get<uint64_t>());
            reported[arm].insert(r["accuracy"].get<double>());
        }
        int runs = 0;
        for (const auto& e : fs::directory_iterator(m_tmp / "out" / "cache")) {
            if (e.path().filename().string().rfind("run-", 0) != 0) continue;
            ++runs;
            auto model = loadRun(m_tmp / "model", e.path() / "model.safetensors");
            const auto zero = zeroNeurons(*model);
            std::string arm = zero.empty() ? "plain" : "";
            for (const auto& [name, set] : masks) {
                if (zero == set) arm = name;
            }
            QVERIFY2(
                !arm.empty(),
                qPrintable(
                    QString("%1: %2 zero neurons match no mask").arg(e.path().filename().c_str()).arg(zero.size())));
            QVERIFY(!torch::equal(model->unembedding(), base->unembedding()));  // it trained
            torch::NoGradGuard noGrad;
            auto scores = scoreItems(*model, items, {});
            int correct = 0;
            for (size_t i = 0; i < scores.size(); ++i) correct += scores[i].predicted == testSplit.questions[i].answer;
            rescored[arm].insert(double(correct) / double(items.size()));
        }
        QCOMPARE(runs, 4 * 2);
        for (const auto& [arm, values] : reported) {
            std::printf("  %s: reported", arm.c_str());
            for (double v : values) std::printf(" %.4f", v);
            std::printf("; saved model(s) scored here");
            for (double v : rescored[arm]) std::printf(" %.4f", v);
            std::printf("\n");
        }
        QVERIFY(rescored == reported);
    }

private slots:
    void initTestCase() {
        test::makeTinyModel(m_tmp / "model", "gpt2", 5, 0.1);
        auto arc = test::sharedDataDir() / "mcq/arc-hf-jsonl";
        m_config = {
            {"model", "model"},
            {"data", {{"file", (arc / "ARC-Easy-validation.jsonl").string()}, {"limit", 120}}},
            {"ood",
             {{{"name", "challenge"}, {"file", (arc / "ARC-Challenge-validation.jsonl").string()}, {"limit", 40}}}},
            {"attribution", {{"min_confidence", 0.0}, {"steps", 4}, {"limit", 10}}},
            {"selection", {{"rule", "per-layer"}, {"percent", 10}}},
            {"finetune", {{"lr", 1e-3}, {"max_steps", 6}, {"batch_size", 8}}},
            {"seeds", {0, 1}},
            {"out", "out"}};
    }

    void runsAndReports() {
        auto c = config(m_config);
        auto report = runExperiment(c);
        QVERIFY(fs::exists(m_tmp / "out" / "report.json"));
        QVERIFY(fs::exists(m_tmp / "out" / "report.md"));
        QCOMPARE(report["results"].size(), size_t(4 * 2 * 2));  // arms x seeds x datasets
        QCOMPARE(report["summary"].size(), size_t(4 * 2));
        QCOMPARE(report["datasets"][0]["kind"].get<std::string>(), std::string("id"));
        QCOMPARE(report["datasets"][1]["name"].get<std::string>(), std::string("challenge"));
        std::printf("%s", reportMarkdown(report).substr(0, 900).c_str());
        checkCounts(report);
        if (QTest::currentTestFailed()) return;
        checkAccuraciesAgreeWithRecords(report);
        if (QTest::currentTestFailed()) return;
        checkMasksAndModels(report);
    }

    void rerunRecomputesOnlyWhatChanged() {
        auto before = cacheEntries(m_tmp / "out");
        runExperiment(config(m_config));
        QCOMPARE(cacheEntries(m_tmp / "out"), before);  // nothing recomputed

        auto more = m_config;
        more["seeds"] = {0, 1, 2};
        runExperiment(config(more));
        auto after = cacheEntries(m_tmp / "out");
        std::set<std::string> added;
        for (const auto& [name, time] : after) {
            if (!before.count(name))
                added.insert(name);
            else
                QVERIFY2(before[name] == time, name.c_str());  // untouched
        }
        int runs = 0, evals = 0;
        for (const auto& n : added) {
            runs += n.rfind("run-", 0) == 0;
            evals += n.rfind("eval-", 0) == 0;
        }
        std::printf("  a third seed added %d run(s) and %d evaluation(s), nothing else\n", runs, evals);
        QCOMPARE(runs, 4);
        QCOMPARE(evals, 8);
        QCOMPARE(static_cast<int>(added.size()), runs + evals);

        // A new OOD limit: only evaluations of that set, on the cached fine-tuned models.
        auto ood = more;
        ood["ood"][0]["limit"] = 30;
        runExperiment(config(ood));
        auto third = cacheEntries(m_tmp / "out");
        int newRuns = 0, newEvals = 0;
        for (const auto& [name, time] : third) {
            if (after.count(name)) continue;
            newRuns += name.rfind("run-", 0) == 0;
            newEvals += name.rfind("eval-", 0) == 0;
        }
        QCOMPARE(newRuns, 0);
        QCOMPARE(newEvals, 13);  // base + 4 arms x 3 seeds
    }

    // The two control arms of the pre-registered demo: prune-only scores the base model with IG's
    // selection zeroed (nothing trained; the same accuracy scored here); random-matched prunes random
    // neurons, as many as raise the validation loss to IG's (checked here with maskedLoss).
    void pruneOnlyAndDamageMatchedArms() {
        auto j = m_config;
        j["arms"] = {"plain", "ig", "random-matched", "prune-only"};
        j["seeds"] = {0};
        j["out"] = "arms";
        auto c = config(j);
        auto report = runExperiment(c);
        QCOMPARE(report["results"].size(), size_t(4 * 2));
        const std::string id = report["datasets"][0]["name"];
        double pruneOnly = -1;
        for (const auto& r : report["results"])
            if (r["arm"] == "prune-only" && r["dataset"] == id) pruneOnly = r["accuracy"].get<double>();
        auto arc = test::sharedDataDir() / "mcq/arc-hf-jsonl";
        const auto split = splitDataset(loadMcqDataset(arc / "ARC-Easy-validation.jsonl"), {});
        auto tokenizer = Tokenizer::fromModel(m_tmp / "model");
        auto testItems = buildScoringItems(split.test, tokenizer, ScoringMode::Letter, {});
        auto validationItems = buildScoringItems(split.validation, tokenizer, ScoringMode::Letter, {});
        auto base = loadModel(m_tmp / "model", {"cpu"});
        const auto ig = readMask(m_tmp / "arms" / "mask-ig.json");
        const double expected = maskedAccuracy(*base, testItems, &ig, ScoringMode::Letter);
        std::printf("  prune-only %.4f, scored here %.4f\n", pruneOnly, expected);
        QCOMPARE(pruneOnly, expected);

        const auto matched = readMask(m_tmp / "arms" / "mask-random-matched-seed0.json");
        const double igLoss = maskedLoss(*base, validationItems, &ig, {});
        const double matchedLoss = maskedLoss(*base, validationItems, &matched, {});
        std::printf("  validation loss: none %.4f, IG (%lld neurons) %.4f, random-matched (%lld neurons) %.4f\n",
                    maskedLoss(*base, validationItems, nullptr, {}), (long long)ig.count(), igLoss,
                    (long long)matched.count(), matchedLoss);
        QVERIFY(matchedLoss >= igLoss);
        QVERIFY(std::abs(matched.meta["achieved_loss"].get<double>() - matchedLoss) < 1e-9);
        QVERIFY(std::abs(matched.meta["target_loss"].get<double>() - igLoss) < 1e-9);
        bool compared = false;
        for (const auto& p : report["paired"]) compared = compared || (p["arm"] == "ig" && p["versus"] == "prune-only");
        QVERIFY(compared);
    }

    // selection.prune_positions "last": the IG mask says so, the fine-tuned model keeps the pruned
    // neurons' weights (nothing baked), and the reported accuracy is the saved model scored with the
    // mask applied at the last position through the hook.
    void lastPositionPruningInExperiment() {
        auto j = m_config;
        j["arms"] = {"ig"};
        j["seeds"] = {0};
        j["out"] = "last";
        j["selection"]["prune_positions"] = "last";
        auto report = runExperiment(config(j));
        const auto ig = readMask(m_tmp / "last" / "mask-ig.json");
        QCOMPARE(ig.positions, HookPositions::Last);
        QVERIFY(ig.count() > 0);
        const std::string id = report["datasets"][0]["name"];
        double reported = -1;
        for (const auto& r : report["results"])
            if (r["dataset"] == id) reported = r["accuracy"].get<double>();
        auto arc = test::sharedDataDir() / "mcq/arc-hf-jsonl";
        auto testSplit = splitDataset(loadMcqDataset(arc / "ARC-Easy-validation.jsonl"), {}).test;
        auto items = buildScoringItems(testSplit, Tokenizer::fromModel(m_tmp / "model"), ScoringMode::Letter, {});
        int runs = 0;
        for (const auto& e : fs::directory_iterator(m_tmp / "last" / "cache")) {
            if (e.path().filename().string().rfind("run-", 0) != 0) continue;
            ++runs;
            auto model = loadRun(m_tmp / "model", e.path() / "model.safetensors");
            QVERIFY(zeroNeurons(*model).empty());
            const double rescored = maskedAccuracy(*model, items, &ig, ScoringMode::Letter);
            std::printf("  ig at the last position: reported %.4f, scored here %.4f\n", reported, rescored);
            QCOMPARE(rescored, reported);
        }
        QCOMPARE(runs, 1);
    }

    void invalidConfigsNameTheField_data() {
        QTest::addColumn<QString>("patch");
        QTest::addColumn<QString>("field");
        QTest::newRow("unknown") << R"({"colour": 1})"
                                 << "field 'colour'";
        QTest::newRow("no model") << R"({"model": null})"
                                  << "field 'model'";
        QTest::newRow("arm") << R"({"arms": ["plain", "lasso"]})"
                             << "field 'arms'";
        QTest::newRow("seed") << R"({"seeds": [-1]})"
                              << "field 'seeds'";
        QTest::newRow("percent") << R"({"selection": {"percent": 150}})"
                                 << "field 'selection.percent'";
        QTest::newRow("rule") << R"({"selection": {"rule": "best"}})"
                              << "field 'selection.rule'";
        QTest::newRow("steps") << R"({"attribution": {"steps": 0}})"
                               << "field 'attribution.steps'";
        QTest::newRow("ig rule") << R"({"attribution": {"rule": "simpson"}})"
                                 << "field 'attribution.rule'";
        QTest::newRow("lr") << R"({"finetune": {"lr": "high"}})"
                            << "field 'finetune.lr'";
        QTest::newRow("split") << R"({"ood": [{"file": "x.jsonl", "split": "dev"}]})"
                               << "field 'ood[0].split'";
        QTest::newRow("ood file") << R"({"ood": [{"name": "x"}]})"
                                  << "field 'ood[0].file'";
        QTest::newRow("template") << R"({"scoring": {"template": "{question}"}})"
                                  << "field 'scoring.template'";
        QTest::newRow("data file") << R"({"data": {"file": null, "limit": 3}})"
                                   << "field 'data.file'";
        QTest::newRow("preset") << R"({"scoring": {"task_preset": "arc-easy"}})"
                                << "field 'scoring.task_preset'";
        QTest::newRow("preset mode") << R"({"scoring": {"task_preset": "mmlu", "mode": "continuation"}})"
                                     << "field 'scoring.mode'";
        QTest::newRow("method preset") << R"({"preset": "kn"})"
                                       << "field 'preset'";
        QTest::newRow("score") << R"({"selection": {"score": "mean+per-head"}})"
                               << "field 'selection.score'";
        QTest::newRow("prune positions") << R"({"selection": {"prune_positions": "first"}})"
                                         << "field 'selection.prune_positions'";
        QTest::newRow("prune positions, continuation")
            << R"({"scoring": {"mode": "continuation"}, "selection": {"prune_positions": "last"}})"
            << "field 'selection.prune_positions'";
    }

    // "preset": "paper" sets the paper's attribution, score and rule; a field of the attribution or
    // selection block changes that one setting only. Written back with the config.
    void methodPresetInExperiment() {
        auto j = m_config;
        j.merge_patch(nlohmann::json::parse(R"({"preset": "paper", "attribution": {"steps": 8}})"));
        j["selection"].erase("rule");  // the preset's rule; the config's percent stays
        auto c = config(j);
        QCOMPARE(c.preset, Preset::Paper);
        QCOMPARE(c.attribution.preset, Preset::Paper);
        QCOMPARE(c.attribution.ig.target, IgTarget::AnswerProb);
        QCOMPARE(c.attribution.ig.scope, IgScope::PerLayer);
        QCOMPARE(c.attribution.ig.rule, IgRule::Right);
        QCOMPARE(c.attribution.ig.steps, 8);
        QVERIFY(c.score == (ScoreSpec{NeuronScore::Mean, false, true}));
        QCOMPARE(c.selection.rule, SelectRule::LargestLayerTopPercent);
        QCOMPARE(c.selection.percent, 10.0);
        j["selection"]["rule"] = "layer";  // a rule given beside the preset wins
        QCOMPARE(config(j).selection.rule, SelectRule::LayerTopPercent);
        QCOMPARE(c.toJson()["preset"].get<std::string>(), std::string("paper"));
        QCOMPARE(c.toJson()["selection"]["score"].get<std::string>(), std::string("mean+per-layer"));
        // The config's own attribution block set steps 8 and min_confidence 0: changes to the preset.
        QCOMPARE(presetChanges(Preset::Paper, c.attribution.ig, c.attribution.filter),
                 (std::vector<std::string>{"steps", "min_confidence"}));
        QCOMPARE(config(m_config).attribution.ig.target, IgTarget::PredictedLogProb);  // no preset: the defaults
    }

    // A task preset sets the scoring mode it needs and is written back with the config.
    void taskPresetSetsTheMode() {
        auto j = m_config;
        j.merge_patch(nlohmann::json::parse(R"({"scoring": {"task_preset": "commonsenseqa"}})"));
        auto c = config(j);
        QCOMPARE(c.prompt.task, TaskPreset::CommonsenseQa);
        QCOMPARE(c.scoring, ScoringMode::Letter);
        QCOMPARE(c.toJson()["scoring"]["task_preset"].get<std::string>(), std::string("commonsenseqa"));
        j.merge_patch(nlohmann::json::parse(R"({"scoring": {"task_preset": "arc"}})"));
        QCOMPARE(config(j).scoring, ScoringMode::Continuation);
    }
    void invalidConfigsNameTheField() {
        QFETCH(QString, patch);
        QFETCH(QString, field);
        auto j = m_config;
        j.merge_patch(nlohmann::json::parse(patch.toStdString()));
        try {
            config(j);
            QFAIL("no error");
        } catch (const Error& e) {
            std::printf("  %s\n", e.what());
            QCOMPARE(QString::fromStdString(e.place()), field);
            QCOMPARE(e.file(), std::string("experiment.json"));
        }
    }
};

QTEST_GUILESS_MAIN(TestExperiment)
#include "test_experiment.moc"
