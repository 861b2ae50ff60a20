// Attribution runs: aggregation, the safetensors file, sharded + merged = unsharded,
// resumed = uninterrupted, cancel leaves no output (through the real CLI too).
#include <QProcess>
#include <QtTest>

#include <limits>
#include <thread>

#include <torch/torch.h>

#include "core/attribution/attribution_file.h"
#include "core/attribution/attribution_run.h"
#include "core/data/mcq.h"
#include "core/eval/mcq_items.h"
#include "core/model/model_io.h"
#include "core/model/safetensors.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/error.h"
#include "tests/support/test_support.h"

using namespace prunescope;
namespace fs = std::filesystem;

class TestAttributionRun : public QObject {
    Q_OBJECT
    test::TempDir m_tmp;
    fs::path m_modelDir;
    std::shared_ptr<CausalLM> m_model;
    McqDataset m_data;
    std::vector<ScoringItem> m_items;
    std::vector<QuestionScore> m_scores;

    AttributionJob job() const {
        AttributionJob j;
        j.filter.minConfidence = 0.3;
        j.ig.steps = 8;
        j.topK = 5;
        j.source.modelDir = m_modelDir;
        return j;
    }

private slots:
    void initTestCase() {
        m_modelDir = test::makeTinyModel(m_tmp / "model", "gpt2");
        m_model = loadModel(m_modelDir, {"cpu"});
        m_data = loadMcqDataset(test::sharedDataDir() / "mcq/arc-hf-jsonl/ARC-Easy-validation.jsonl");
        m_data.questions.resize(40);
        m_items = buildScoringItems(m_data, Tokenizer::fromDirectory(m_modelDir), ScoringMode::Letter, {});
        m_scores = scoreItems(*m_model, m_items, {});
    }

    // A NaN in the weights makes IG NaN: the run stops at the first question, naming it, before
    // adding NaN to every sum.
    void nonFiniteIgNamesTheQuestion() {
        auto model = loadModel(m_modelDir, {"cpu"});
        {
            torch::NoGradGuard noGrad;
            model->neuronOutputWeights(1)[3].fill_(std::numeric_limits<float>::quiet_NaN());
        }
        auto j = job();
        j.filter.minConfidence = 0;
        try {
            runAttribution(*model, m_data, m_items, m_scores, j);
            QFAIL("NaN integrated gradients were accepted");
        } catch (const Error& e) {
            std::printf("  %s\n", e.what());
            QVERIFY2(e.place().find("question '" + m_data.questions[0].id + "'") != std::string::npos, e.what());
            QVERIFY2(std::string(e.what()).find("not finite") != std::string::npos, e.what());
        }
    }

    void selectionAndShards() {
        std::vector<QuestionScore> scores(10);
        for (int i = 0; i < 10; ++i) {
            scores[i].confidence = i / 10.0;
            scores[i].correct = i % 2 == 0;
        }
        QCOMPARE(selectConfident(scores, {0.5, false, 0}), (std::vector<size_t>{5, 6, 7, 8, 9}));
        QCOMPARE(selectConfident(scores, {0.5, true, 0}), (std::vector<size_t>{6, 8}));
        QCOMPARE(selectConfident(scores, {0.0, false, 3}), (std::vector<size_t>{0, 1, 2}));
        std::vector<size_t> all = {1, 2, 3, 4, 5, 6, 7};
        std::vector<size_t> joined;
        for (int k = 0; k < 3; ++k) {
            auto s = shardSlice(all, k, 3);
            joined.insert(joined.end(), s.begin(), s.end());
        }
        QCOMPARE(joined, all);
    }

    void aggregateStatistics() {
        IgAggregate a(2, 3, 2);
        std::vector<torch::Tensor> igs = {torch::randn({2, 3}, torch::kDouble), torch::randn({2, 3}, torch::kDouble),
                                          torch::randn({2, 3}, torch::kDouble)};
        for (const auto& ig : igs) a.add(ig, {});
        auto stack = torch::stack(igs);
        QVERIFY(torch::allclose(a.mean(), stack.mean(0)));
        QVERIFY(torch::allclose(a.std(), stack.std(0, /*unbiased=*/false)));
        QVERIFY(torch::allclose(a.score(NeuronScore::MeanAbs), stack.abs().mean(0)));
        QVERIFY(torch::allclose(a.score(NeuronScore::PositiveMean), stack.clamp_min(0).mean(0)));
        auto m = stack.mean(0);
        auto layerMax = [](const torch::Tensor& t) { return t / std::get<0>(t.abs().max(1, true)); };
        QVERIFY(torch::allclose(a.score(NeuronScore::LayerNormalized), layerMax(m)));
        QVERIFY(torch::allclose(a.score(parseScoreSpec("mean+per-layer")), layerMax(m)));
        QCOMPARE(a.topKCount().sum().item<double>(), 6.0);  // 2 per question
        QCOMPARE(a.records()[0].top.size(), size_t(2));
        // Per-question normalisation by hand: each question's IG / its largest |IG|, then the mean.
        std::vector<torch::Tensor> normalized;
        for (const auto& ig : igs) normalized.push_back(ig / ig.abs().max());
        auto n = torch::stack(normalized);
        QVERIFY(torch::allclose(a.score(parseScoreSpec("mean+per-question")), n.mean(0)));
        QVERIFY(torch::allclose(a.score(parseScoreSpec("mean-abs+per-question")), n.abs().mean(0)));
        QVERIFY(torch::allclose(a.score(parseScoreSpec("mean+per-question+per-layer")), layerMax(n.mean(0))));
        QVERIFY(!torch::allclose(n.mean(0), m));  // the normalisation changes something
        // The layers' totals rank layers before any per-layer normalisation.
        QVERIFY(torch::allclose(a.layerTotals(parseScoreSpec("mean+per-layer")), m.sum(1)));
        QVERIFY(torch::allclose(a.layerTotals(parseScoreSpec("mean-abs+per-question")), n.abs().mean(0).sum(1)));
        // The written form reads back; an unknown part is an error naming the setting.
        QCOMPARE(scoreSpecName(parseScoreSpec("mean-abs+per-question+per-layer")),
                 std::string("mean-abs+per-question+per-layer"));
        try {
            parseScoreSpec("mean+per-head");
            QFAIL("accepted an unknown normalisation");
        } catch (const Error& e) {
            QVERIFY(std::string(e.what()).find("setting 'score'") != std::string::npos);
        }
    }

    void fileRoundTrip() {
        auto result = runAttribution(*m_model, m_data, m_items, m_scores, job());
        QVERIFY(result.aggregate.count() > 3);
        writeAttributionFile(m_tmp / "a.safetensors", result.aggregate, result.meta);
        auto back = readAttributionFile(m_tmp / "a.safetensors");
        QVERIFY(torch::equal(back.aggregate.sums().sum, result.aggregate.sums().sum));
        QVERIFY(back.aggregate.hasNormalizedSums());
        QVERIFY(torch::equal(back.aggregate.normalizedSums().sumAbs, result.aggregate.normalizedSums().sumAbs));
        QCOMPARE(back.meta["preset"]["name"].get<std::string>(), std::string("default"));
        QCOMPARE(back.aggregate.count(), result.aggregate.count());
        QCOMPARE(back.aggregate.records()[1].id, result.aggregate.records()[1].id);
        QCOMPARE(back.meta["settings"]["rule"].get<std::string>(), std::string("gauss-legendre"));
        // A plain safetensors reader sees the documented tensors.
        SafetensorsFile st(m_tmp / "a.safetensors");
        QCOMPARE(st.find("sum")->shape, (std::vector<int64_t>{2, 128}));
        QVERIFY(st.find("completeness_error") != nullptr);
        for (const auto& r : back.aggregate.records()) {
            QCOMPARE(r.completenessError,
                     result.aggregate.records()[&r - &back.aggregate.records()[0]].completenessError);
        }
    }

    void shardedMergedEqualsUnsharded() {
        auto whole = runAttribution(*m_model, m_data, m_items, m_scores, job());
        std::vector<fs::path> parts;
        for (int k = 0; k < 3; ++k) {
            auto j = job();
            j.shardIndex = k;
            j.shardCount = 3;
            auto part = runAttribution(*m_model, m_data, m_items, m_scores, j);
            parts.push_back(m_tmp / ("shard" + std::to_string(k) + ".safetensors"));
            writeAttributionFile(parts.back(), part.aggregate, part.meta);
        }
        std::reverse(parts.begin(), parts.end());  // the order given does not matter
        auto merged = mergeAttributionFiles(parts);
        QCOMPARE(merged.aggregate.count(), whole.aggregate.count());
        // Shards batch other questions together, so the sums agree to float rounding, not bits.
        auto relative = [](const torch::Tensor& a, const torch::Tensor& b, const char* what) {
            return test::maxAbsDiff(a, b, what) / b.abs().max().item<double>();
        };
        QVERIFY(relative(merged.aggregate.sums().sum, whole.aggregate.sums().sum, "merged vs unsharded sum") < 1e-6);
        QVERIFY(relative(merged.aggregate.sums().sumSquares, whole.aggregate.sums().sumSquares, "sum of squares") <
                1e-6);
        QVERIFY(relative(merged.aggregate.normalizedSums().sum, whole.aggregate.normalizedSums().sum,
                         "normalised sum") < 1e-6);
        for (size_t i = 0; i < merged.aggregate.records().size(); ++i) {
            QCOMPARE(merged.aggregate.records()[i].index, whole.aggregate.records()[i].index);
        }
        // A shard of another run is refused, naming the field.
        auto other = job();
        other.ig.steps = 4;
        other.shardCount = 3;
        auto foreign = runAttribution(*m_model, m_data, m_items, m_scores, other);
        writeAttributionFile(m_tmp / "foreign.safetensors", foreign.aggregate, foreign.meta);
        try {
            mergeAttributionFiles({parts[0], m_tmp / "foreign.safetensors"});
            QFAIL("merged files of different runs");
        } catch (const Error& e) {
            QCOMPARE(e.place(), std::string("field 'settings'"));
        }
    }

    // Questions attributed together (the fast path's batches) give what one at a time gives, to
    // float rounding.
    void batchedEqualsOneAtATime() {
        auto batched = runAttribution(*m_model, m_data, m_items, m_scores, job());
        auto j = job();
        j.ig.questionsPerPass = 1;
        auto single = runAttribution(*m_model, m_data, m_items, m_scores, j);
        QCOMPARE(batched.aggregate.count(), single.aggregate.count());
        double d = test::maxAbsDiff(batched.aggregate.sum(), single.aggregate.sum(), "batched vs one at a time") /
                   single.aggregate.sum().abs().max().item<double>();
        // Float32 reductions in another order (batched products): 1.06e-6 relative with OpenBLAS's
        // Haswell kernels on an AMD EPYC, below 1e-6 on the Intel machines before it.
        qInfo("relative difference %.3g", d);
        QVERIFY(d < 1e-5);
        for (size_t i = 0; i < single.aggregate.records().size(); ++i) {
            QVERIFY(std::abs(batched.aggregate.records()[i].fx - single.aggregate.records()[i].fx) < 1e-5);
        }
    }

    // The live callback carries each question's own IG, in the order attributed, after every
    // group: they add up to the aggregate and equal a run of one question per pass.
    void liveUpdatesCarryEachQuestion() {
        auto j = job();
        j.ig.questionsPerPass = 3;
        std::vector<torch::Tensor> seen;
        int updates = 0;
        int64_t lastDone = 0;
        auto result = runAttribution(*m_model, m_data, m_items, m_scores, j, [&](const AttributionUpdate& u) {
            ++updates;
            QVERIFY(u.questions.size() <= 3);
            for (const auto& q : u.questions) seen.push_back(q.ig.clone());
            QCOMPARE(u.progress.done, int64_t(seen.size()));
            QCOMPARE(u.aggregate.count(), int64_t(seen.size()));
            lastDone = u.progress.done;
        });
        QCOMPARE(int64_t(seen.size()), result.aggregate.count());
        QCOMPARE(lastDone, result.aggregate.count());
        QCOMPARE(updates, int((seen.size() + 2) / 3));
        QVERIFY(torch::allclose(torch::stack(seen).sum(0), result.aggregate.sum(), 1e-12, 1e-12));
        auto one = job();
        one.ig.questionsPerPass = 1;
        std::vector<torch::Tensor> single;
        runAttribution(*m_model, m_data, m_items, m_scores, one, [&](const AttributionUpdate& u) {
            QCOMPARE(u.questions.size(), size_t(1));
            single.push_back(u.questions[0].ig.clone());
        });
        QCOMPARE(single.size(), seen.size());
        for (size_t i = 0; i < seen.size(); ++i) {
            const double scale = single[i].abs().max().item<double>();
            QVERIFY(test::maxAbsDiff(seen[i], single[i], "question's IG, batched vs alone") / scale < 1e-5);
        }
    }

    // One provenance record, whoever runs it: the model, the data and the prompt as given.
    void provenanceRecord() {
        auto j = job();
        j.source.split = "train";
        j.source.splitSeed = 7;
        j.source.prompt.text = "Q: {question}\n{options}\nA:";
        auto meta = runAttribution(*m_model, m_data, m_items, m_scores, j).meta;
        QCOMPARE(meta["model"]["dir"].get<std::string>(), fs::absolute(m_modelDir).lexically_normal().string());
        QCOMPARE(meta["model"]["model_type"].get<std::string>(), std::string("gpt2"));
        QCOMPARE(meta["model"]["fingerprint"].get<std::string>(), modelFingerprint(m_modelDir));
        QVERIFY(!meta["model"].contains("dtype"));  // float32
        QCOMPARE(meta["dataset"]["fingerprint"].get<std::string>(), m_data.fingerprint());
        QCOMPARE(meta["dataset"]["format"].get<std::string>(), mcqFormatName(m_data.format));
        QCOMPARE(meta["dataset"]["file"].get<std::string>(), fs::absolute(m_data.source).lexically_normal().string());
        QCOMPARE(meta["dataset"]["split"].get<std::string>(), std::string("train"));
        QCOMPARE(meta["dataset"]["split_seed"].get<int>(), 7);
        QCOMPARE(meta["scoring"]["prompt"]["template"].get<std::string>(), j.source.prompt.text);
        QCOMPARE(meta["scoring"]["prompt"]["task_preset"].get<std::string>(), std::string("none"));
        QCOMPARE(meta["selection"]["questions"].get<size_t>(), m_items.size());
    }

    // With a limit, the confidence pass stops once enough questions pass the filter, and the run
    // attributes exactly what it would with every question scored.
    void lazyScoringForALimit() {
        QuestionFilter filter;
        filter.minConfidence = 0.3;
        filter.limit = 3;
        ScoringOptions options;
        options.batchSize = 4;
        std::vector<ScoringItem> many;  // 40 * 5 items: more than one chunk
        for (int k = 0; k < 5; ++k) many.insert(many.end(), m_items.begin(), m_items.end());
        auto partial = scoreForAttribution(*m_model, many, filter, options);
        const auto chosen = selectConfident(m_scores, filter);
        QCOMPARE(chosen.size(), size_t(3));
        QVERIFY(partial.size() >= chosen.back() + 1);
        QVERIFY2(partial.size() < many.size(), "scored every question although 3 were enough");
        for (size_t i = 0; i < partial.size(); ++i)
            QVERIFY(std::abs(partial[i].confidence - m_scores[i % m_scores.size()].confidence) < 1e-5);
        filter.limit = 0;
        QCOMPARE(scoreForAttribution(*m_model, m_items, filter, options).size(), m_items.size());
        // The run on the partial scores equals the run on all of them.
        auto j = job();
        j.filter.limit = 3;
        auto lazy = runAttribution(
            *m_model, m_data, m_items,
            std::vector<QuestionScore>(m_scores.begin(), m_scores.begin() + std::ptrdiff_t(chosen.back() + 1)), j);
        auto full = runAttribution(*m_model, m_data, m_items, m_scores, j);
        QCOMPARE(lazy.aggregate.count(), int64_t(3));
        QVERIFY(torch::equal(lazy.aggregate.sum(), full.aggregate.sum()));
    }

    // Batches start at multiples of questionsPerPass and checkpoints fall at batch ends, so a resumed
    // run batches exactly as the uninterrupted one: the sums are equal to the bit.
    void resumedEqualsUninterrupted() {
        auto base = job();
        base.ig.questionsPerPass = 2;
        auto whole = runAttribution(*m_model, m_data, m_items, m_scores, base);
        auto j = base;
        j.checkpointEvery = 2;
        j.checkpointPath = m_tmp / "run.checkpoint";
        CancelFlag cancel{false};
        int seen = 0;
        auto stopAfterFive = [&](const AttributionUpdate&) {
            if (++seen == 2) cancel = true;  // after 2 batches: 4 questions
        };
        QVERIFY_THROWS_EXCEPTION(CancelledError,
                                 runAttribution(*m_model, m_data, m_items, m_scores, j, stopAfterFive, &cancel));
        QVERIFY(fs::exists(j.checkpointPath));
        QCOMPARE(readAttributionFile(j.checkpointPath).aggregate.count(), int64_t(4));
        j.resume = true;
        auto resumed = runAttribution(*m_model, m_data, m_items, m_scores, j);
        QCOMPARE(resumed.aggregate.count(), whole.aggregate.count());
        QVERIFY(torch::equal(resumed.aggregate.sum(), whole.aggregate.sum()));
        QVERIFY(torch::equal(resumed.aggregate.sums().sumSquares, whole.aggregate.sums().sumSquares));
        // A checkpoint of other settings is refused.
        j.ig.steps = 9;
        QVERIFY_THROWS_EXCEPTION(Error, runAttribution(*m_model, m_data, m_items, m_scores, j));
    }

    // A run whose integral has not converged says so (max-logit with two midpoint steps is far from
    // complete); a converged one does not.
    void unconvergedRunWarns() {
        auto data = (test::sharedDataDir() / "mcq/arc-hf-jsonl/ARC-Easy-train.jsonl").string();
        std::vector<std::string> common = {"attribute",        "--model", m_modelDir.string(), "--data", data,
                                           "--min-confidence", "0",       "--limit",           "4",      "--quiet"};
        auto rough = common;
        rough.insert(rough.end(), {"--target", "max-logit", "--rule", "midpoint", "--steps", "2", "--out",
                                   (m_tmp / "rough.safetensors").string()});
        auto r = test::runCli(rough);
        QCOMPARE(r.exitCode, 0);
        std::printf("  %s", r.err.c_str());
        QVERIFY(r.err.find("completeness error") != std::string::npos);
        QVERIFY(r.err.find("unreliable") != std::string::npos);
        QVERIFY(r.err.find("more steps") != std::string::npos);
        // Every question whose error is above the tolerance (1 % by default) is counted in the file.
        QVERIFY(r.err.find("have a completeness error above 0.01") != std::string::npos);
        auto countOver = [](const AttributionFile& f, double tolerance) {
            int64_t n = 0;
            for (const auto& q : f.aggregate.records()) n += q.completenessError > tolerance ? 1 : 0;
            return n;
        };
        const auto roughFile = readAttributionFile(m_tmp / "rough.safetensors");
        QCOMPARE(roughFile.meta["completeness"]["tolerance"].get<double>(), 0.01);
        QCOMPARE(roughFile.meta["completeness"]["over_tolerance"].get<int64_t>(), countOver(roughFile, 0.01));
        QVERIFY(roughFile.meta["completeness"]["over_tolerance"].get<int64_t>() > 0);
        auto fine = common;
        fine.insert(fine.end(), {"--out", (m_tmp / "fine.safetensors").string()});
        auto f = test::runCli(fine);
        QCOMPARE(f.exitCode, 0);
        QVERIFY(f.err.find("unreliable") == std::string::npos);
        // A loose tolerance counts none: no question here misses by 1000 times F(x) - F(0).
        auto loose = common;
        loose.insert(loose.end(),
                     {"--target", "max-logit", "--rule", "midpoint", "--steps", "2", "--completeness-tolerance", "1000",
                      "--out", (m_tmp / "loose.safetensors").string()});
        QCOMPARE(test::runCli(loose).exitCode, 0);
        const auto looseFile = readAttributionFile(m_tmp / "loose.safetensors");
        QCOMPARE(looseFile.meta["completeness"]["over_tolerance"].get<int64_t>(), countOver(looseFile, 1000));
        QCOMPARE(looseFile.meta["completeness"]["over_tolerance"].get<int64_t>(), int64_t(0));
    }

    // Through the CLI: SIGTERM mid-run exits 130 without an output file; --resume finishes it and
    // gives what an uninterrupted run gives.
    void cliCancelAndResume() {
        auto data = (test::sharedDataDir() / "mcq/arc-hf-jsonl/ARC-Easy-train.jsonl").string();
        auto out = m_tmp / "cli.safetensors";
        std::vector<std::string> common = {
            "attribute", "--model", m_modelDir.string(), "--data", data,     "--min-confidence", "0",
            "--limit",   "300",     "--steps",           "16",     "--quiet"};
        QProcess p;
        QStringList args;
        for (const auto& a : common) args << QString::fromStdString(a);
        args << "--out" << QString::fromStdString(out.string()) << "--checkpoint-every"
             << "1";
        p.start(QString::fromStdString(test::cliPath().string()), args);
        QVERIFY(p.waitForStarted());
        fs::path checkpoint = out.string() + ".checkpoint";
        for (int i = 0; i < 600 && !fs::exists(checkpoint); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        QVERIFY2(fs::exists(checkpoint), "no checkpoint appeared");
        p.terminate();
        QVERIFY(p.waitForFinished(60000));
        std::printf("  interrupted run: exit %d, stderr: %s\n", p.exitCode(), p.readAllStandardError().constData());
        QCOMPARE(p.exitCode(), 130);
        QVERIFY(!fs::exists(out));
        QVERIFY(fs::exists(checkpoint));

        auto resumeArgs = common;
        resumeArgs.insert(resumeArgs.end(), {"--out", out.string(), "--resume", "--checkpoint-every", "1"});
        auto resumed = test::runCli(resumeArgs);
        QCOMPARE(resumed.exitCode, 0);
        QVERIFY(!fs::exists(checkpoint));
        auto full = common;
        full.insert(full.end(), {"--out", (m_tmp / "full.safetensors").string()});
        QCOMPARE(test::runCli(full).exitCode, 0);
        auto a = readAttributionFile(out), b = readAttributionFile(m_tmp / "full.safetensors");
        QCOMPARE(a.aggregate.count(), int64_t(300));
        QVERIFY(torch::equal(a.aggregate.sum(), b.aggregate.sum()));
    }
};

QTEST_GUILESS_MAIN(TestAttributionRun)
#include "test_attribution_run.moc"
