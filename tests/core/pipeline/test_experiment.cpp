// The experiment pipeline on a tiny model and real ARC files: it finishes and reports every arm,
// seed and dataset; baselines keep the IG mask's per-layer counts; a re-run recomputes nothing and
// a changed setting recomputes only what depends on it; invalid configs name the field.
#include <QtTest>

#include <set>

#include "core/pipeline/experiment.h"
#include "core/pipeline/experiment_report.h"
#include "core/prune/neuron_mask.h"
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

}  // namespace

class TestExperiment : public QObject {
    Q_OBJECT
    test::TempDir m_tmp;
    nlohmann::json m_config;

    ExperimentConfig config(const nlohmann::json& j) { return parseExperimentConfig(j, "experiment.json", m_tmp.path()); }

private slots:
    void initTestCase() {
        test::makeTinyModel(m_tmp / "model", "gpt2", 5, 0.1);
        auto arc = test::sharedDataDir() / "mcq/arc-hf-jsonl";
        m_config = {{"model", "model"},
                    {"data", {{"file", (arc / "ARC-Easy-validation.jsonl").string()}, {"limit", 120}}},
                    {"ood", {{{"name", "challenge"}, {"file", (arc / "ARC-Challenge-validation.jsonl").string()}, {"limit", 40}}}},
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
        for (const auto& r : report["results"]) {
            double a = r["accuracy"].get<double>();
            QVERIFY(a >= 0 && a <= 1);
        }
        // Baselines prune as many neurons per layer as the IG mask.
        auto ig = readMask(m_tmp / "out" / "mask-ig.json");
        QCOMPARE(ig.perLayerCounts(), (std::vector<int64_t>{13, 13}));  // 10 % of 128, rounded
        QCOMPARE(readMask(m_tmp / "out" / "mask-random-seed1.json").perLayerCounts(), ig.perLayerCounts());
        QCOMPARE(readMask(m_tmp / "out" / "mask-magnitude.json").perLayerCounts(), ig.perLayerCounts());
        std::printf("%s", reportMarkdown(report).substr(0, 900).c_str());
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
            if (!before.count(name)) added.insert(name);
            else QVERIFY2(before[name] == time, name.c_str());  // untouched
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

    void invalidConfigsNameTheField_data() {
        QTest::addColumn<QString>("patch");
        QTest::addColumn<QString>("field");
        QTest::newRow("unknown") << R"({"colour": 1})" << "field 'colour'";
        QTest::newRow("no model") << R"({"model": null})" << "field 'model'";
        QTest::newRow("arm") << R"({"arms": ["plain", "lasso"]})" << "field 'arms'";
        QTest::newRow("seed") << R"({"seeds": [-1]})" << "field 'seeds'";
        QTest::newRow("percent") << R"({"selection": {"percent": 150}})" << "field 'selection.percent'";
        QTest::newRow("rule") << R"({"selection": {"rule": "best"}})" << "field 'selection.rule'";
        QTest::newRow("steps") << R"({"attribution": {"steps": 0}})" << "field 'attribution.steps'";
        QTest::newRow("ig rule") << R"({"attribution": {"rule": "simpson"}})" << "field 'attribution.rule'";
        QTest::newRow("lr") << R"({"finetune": {"lr": "high"}})" << "field 'finetune.lr'";
        QTest::newRow("split") << R"({"ood": [{"file": "x.jsonl", "split": "dev"}]})" << "field 'ood[0].split'";
        QTest::newRow("ood file") << R"({"ood": [{"name": "x"}]})" << "field 'ood[0].file'";
        QTest::newRow("template") << R"({"scoring": {"template": "{question}"}})" << "field 'scoring.template'";
        QTest::newRow("data file") << R"({"data": {"file": null, "limit": 3}})" << "field 'data.file'";
        QTest::newRow("preset") << R"({"scoring": {"task_preset": "arc-easy"}})" << "field 'scoring.task_preset'";
        QTest::newRow("preset mode") << R"({"scoring": {"task_preset": "mmlu", "mode": "continuation"}})"
                                     << "field 'scoring.mode'";
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
