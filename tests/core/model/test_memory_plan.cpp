// The memory plan's arithmetic against what is really allocated: the weights as held, the
// gradients and AdamW state after a real optimizer step, the LoRA adapters as attached; the
// refusal and its suggestions; and the CLI's plan, refusal and --force. The activation
// coefficients are fitted to measured peaks by `prunescope-cli bench memory` (docs/memory.md),
// not checked here: a peak resident size is no test assertion.
#include <QtTest>

#include <torch/torch.h>

#include "core/model/causal_lm.h"
#include "core/model/memory_plan.h"
#include "core/model/model_io.h"
#include "core/train/lora.h"
#include "core/util/memory.h"
#include "tests/support/test_support.h"

using namespace prunescope;
using namespace prunescope::test;

namespace {

int64_t itemBytes(const MemoryPlan& plan, const std::string& name) {
    for (const auto& item : plan.items) {
        if (item.name == name) return item.bytes;
    }
    return 0;
}

// A short real sequence's summed next-token log-likelihood, as the loss.
torch::Tensor someLoss(CausalLM& model) {
    auto ids = torch::arange(1, 9, torch::kLong).unsqueeze(0);  // (1, 8)
    auto logits = model.forward(ids);                           // (1, 8, V)
    return -torch::log_softmax(logits, -1).select(-1, 3).mean();
}

}  // namespace

class TestMemoryPlan : public QObject {
    Q_OBJECT

private slots:
    void weightsAsHeld_data() {
        QTest::addColumn<QString>("arch");
        QTest::newRow("gpt2") << "gpt2";
        QTest::newRow("llama") << "llama";
    }

    // The weights item is the bytes of the parameters the loaded model holds: float32, or the
    // stored bfloat16 kept.
    void weightsAsHeld() {
        QFETCH(QString, arch);
        TempDir dir;
        makeTinyModel(dir / "f32", arch.toStdString());
        auto narrow = runCli({"init-model", "--config", (dir / "f32" / "config.json").string(), "--out",
                              (dir / "bf16").string(), "--dtype", "bfloat16"});
        QVERIFY2(narrow.exitCode == 0, narrow.err.c_str());
        PlanSettings s;
        s.job = PlanJob::Load;
        {
            ModelLoadOptions load;
            load.device = "cpu";
            auto model = loadModel(dir / "f32", load);
            s.weightBytes = 4;
            QCOMPARE(itemBytes(estimateMemory(model->config(), s), "weights"), parameterBytes(*model));
        }
        {
            ModelLoadOptions load;
            load.device = "cpu";
            load.weights = WeightHolding::Stored;
            auto model = loadModel(dir / "bf16", load);
            QCOMPARE(model->parameters().front().scalar_type(), torch::kBFloat16);
            s.weightBytes = 2;
            QCOMPARE(itemBytes(estimateMemory(model->config(), s), "weights"), parameterBytes(*model));
        }
    }

    void trainingState_data() {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<QString>("trainable");
        for (const char* arch : {"gpt2", "llama"}) {
            for (const char* rule : {"all", "ffn", "last:1"}) {
                QTest::newRow((std::string(arch) + " " + rule).c_str()) << arch << rule;
            }
        }
    }

    // Gradients and AdamW moments as allocated by a real optimizer step over the parameters
    // the rule trains, against the plan's items for that rule.
    void trainingState() {
        QFETCH(QString, arch);
        QFETCH(QString, trainable);
        TempDir dir;
        makeTinyModel(dir.path(), arch.toStdString());
        ModelLoadOptions load;
        load.device = "cpu";
        auto model = loadModel(dir.path(), load);
        std::vector<torch::Tensor> params;
        for (auto& p : model->named_parameters()) {
            const bool on = isTrainableParameter(*model, p.key(), trainable.toStdString());
            p.value().set_requires_grad(on);
            if (on) params.push_back(p.value());
        }
        torch::optim::AdamW optimizer(params, torch::optim::AdamWOptions(1e-3));
        someLoss(*model).backward();
        optimizer.step();
        int64_t gradients = 0, moments = 0;
        for (const auto& p : params) gradients += static_cast<int64_t>(p.grad().nbytes());
        for (const auto& entry : optimizer.state()) {
            const auto& state = static_cast<const torch::optim::AdamWParamState&>(*entry.second);
            moments += static_cast<int64_t>(state.exp_avg().nbytes() + state.exp_avg_sq().nbytes());
        }
        QVERIFY(gradients > 0);

        PlanSettings s;
        s.job = PlanJob::Finetune;
        s.trainable = trainable.toStdString();
        const auto plan = estimateMemory(model->config(), s);
        QCOMPARE(itemBytes(plan, "gradients"), gradients);
        QCOMPARE(itemBytes(plan, "AdamW state"), moments);
        QCOMPARE(itemBytes(plan, "keep-best copy"), gradients);
    }

    void loraAdapters_data() {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<QString>("targets");
        QTest::newRow("gpt2 all") << "gpt2"
                                  << "all";
        QTest::newRow("gpt2 attention") << "gpt2"
                                        << "attention";
        QTest::newRow("llama all") << "llama"
                                   << "all";
        QTest::newRow("llama q,v") << "llama"
                                   << "q_proj,v_proj";
        QTest::newRow("llama ffn") << "llama"
                                   << "ffn";
    }

    // The adapters item is the bytes of the A and B matrices attachLora() makes.
    void loraAdapters() {
        QFETCH(QString, arch);
        QFETCH(QString, targets);
        TempDir dir;
        makeTinyModel(dir.path(), arch.toStdString());
        ModelLoadOptions load;
        load.device = "cpu";
        auto model = loadModel(dir.path(), load);
        LoraSettings lora;
        lora.rank = 4;
        lora.targets = parseLoraTargets(targets.toStdString(), "test");
        auto attached = attachLora(*model, lora, 1);
        int64_t adapterBytes = 0;
        for (const auto& t : attached.parameters()) adapterBytes += static_cast<int64_t>(t.nbytes());
        detachLora(attached);

        PlanSettings s;
        s.job = PlanJob::Finetune;
        s.loraRank = 4;
        s.loraTargets = resolveLoraTargets(lora.targets, model->config().modelType);
        const auto plan = estimateMemory(model->config(), s);
        QCOMPARE(itemBytes(plan, "adapters"), adapterBytes);
        QCOMPARE(itemBytes(plan, "gradients"), adapterBytes);
        QCOMPARE(itemBytes(plan, "AdamW state"), 2 * adapterBytes);
    }

    // What does not fit is refused with settings that do; rows per pass is the largest power of
    // two that fits.
    void refusalAndSuggestions() {
        TempDir dir;
        makeTinyModel(dir.path(), "llama");
        const auto config = readModelConfigAt(dir.path());
        PlanSettings s;
        s.job = PlanJob::Finetune;
        s.batchSize = 64;
        s.tokens = 512;
        const auto full = estimateMemory(config, s);
        const auto plan = planMemory(config, s, full.total - 1);
        QVERIFY(!plan.fits());
        QVERIFY(!plan.suggestions.empty());
        QVERIFY(plan.text().find("does not fit") != std::string::npos);
        QVERIFY(planMemory(config, s, full.total).fits());
        QVERIFY(planMemory(config, s, -1).fits());  // unknown free memory: taken to fit

        // A model in memory already (the GUI): only what the job adds, and no suggestion about
        // how the weights are held (that is chosen at load).
        PlanSettings loaded = s;
        loaded.modelLoaded = true;
        const auto added = estimateMemory(config, loaded);
        QCOMPARE(itemBytes(added, "weights"), int64_t(0));
        QCOMPARE(itemBytes(added, "process"), int64_t(0));
        QCOMPARE(added.total, full.total - itemBytes(full, "weights") - itemBytes(full, "process"));
        for (const auto& suggestion : planMemory(config, loaded, added.total / 3).suggestions) {
            QVERIFY2(suggestion.find("--weights") == std::string::npos, suggestion.c_str());
        }

        PlanSettings a;
        a.job = PlanJob::Attribute;
        a.igSteps = 30;
        a.igPerLayer = true;
        a.questionsPerPass = 1;
        a.cuda = true;  // no process baseline: the rows are most of it
        a.tokens = 300;
        const auto all = estimateMemory(config, a);
        const int64_t available = all.total * 3 / 4;
        const auto rows = fittingRowsPerPass(config, a, available);
        QVERIFY(rows >= 1);
        QCOMPARE(rows & (rows - 1), int64_t(0));
        a.rowsPerPass = rows;
        QVERIFY(estimateMemory(config, a).total <= available);
        a.rowsPerPass = rows * 2;  // the next power of two no longer fits (it is below one question's rows)
        QVERIFY2(rows * 2 <= (a.igSteps + 2) * config.nLayer,
                 (std::to_string(rows) + " rows of " + std::to_string((a.igSteps + 2) * config.nLayer) + "; " +
                  estimateMemory(config, a).text() + planMemory(config, a, available).text())
                     .c_str());
        QVERIFY(estimateMemory(config, a).total > available);
    }

    // An 8B bfloat16 checkpoint attributed on 20 GB with float32 weights: the first suggestion keeps
    // the numbers (weights as stored, fewer rows per pass), bfloat16 computation comes last.
    void suggestionsKeepTheNumbersFirst() {
        const auto config = readModelConfigAt(sharedDataDir() / "configs" / "Llama-3.1-8B");
        PlanSettings s;
        s.job = PlanJob::Attribute;
        const auto plan = planMemory(config, s, 20'000'000'000);
        QVERIFY(!plan.fits());
        for (const auto& line : plan.suggestions) std::printf("  would fit: %s\n", line.c_str());
        QVERIFY(plan.suggestions.size() >= 2);
        QVERIFY2(plan.suggestions.front().find("--weights stored --rows-per-pass") == 0,
                 plan.suggestions.front().c_str());
        QCOMPARE(plan.suggestions.back(), std::string("--dtype bfloat16"));
    }

    void byteSizes() {
        QCOMPARE(parseByteSize("123"), int64_t(123));
        QCOMPARE(parseByteSize("12GB"), int64_t(12'000'000'000));
        QCOMPARE(parseByteSize("1.5 GiB"), int64_t(1'610'612'736));
        QCOMPARE(parseByteSize("800m"), int64_t(800'000'000));
        QCOMPARE(parseByteSize("lots"), int64_t(-1));
        QCOMPARE(parseByteSize("3 apples"), int64_t(-1));
        QCOMPARE(formatBytes(1'234'000'000), std::string("1.23 GB"));
    }

    // info --plan prints the plan; a job that does not fit stops with exit 2 before loading,
    // naming the estimate and what would fit; --force runs it anyway.
    void cliPlanRefusalAndForce() {
        TempDir dir;
        makeTinyModel(dir / "model", "llama");
        const auto model = (dir / "model").string();
        auto info =
            runCli({"info", "--model", model, "--plan", "finetune", "--batch-size", "4", "--available", "0.001"});
        QVERIFY2(info.exitCode == 0, info.err.c_str());
        QVERIFY2(info.out.find("does not fit") != std::string::npos, info.out.c_str());
        QVERIFY2(info.out.find("AdamW state") != std::string::npos, info.out.c_str());
        const auto data = (dataDir() / "mcq" / "arc-hf-challenge-validation-head40.jsonl").string();
        QVERIFY(std::filesystem::exists(data));
        qputenv("PRUNESCOPE_MEMORY_LIMIT", "1MB");
        auto refused = runCli({"eval", "--model", model, "--data", data, "--limit", "3", "--quiet"});
        auto forced = runCli({"eval", "--model", model, "--data", data, "--limit", "3", "--quiet", "--force", "--out",
                              (dir / "eval.json").string()});
        qunsetenv("PRUNESCOPE_MEMORY_LIMIT");
        QCOMPARE(refused.exitCode, 2);
        QVERIFY2(refused.err.find("memory plan") != std::string::npos, refused.err.c_str());
        QVERIFY2(refused.err.find("1.0 MB free") != std::string::npos, refused.err.c_str());
        QVERIFY2(refused.err.find("--force") != std::string::npos, refused.err.c_str());
        QVERIFY2(forced.exitCode == 0, forced.err.c_str());
        QVERIFY(std::filesystem::exists(dir / "eval.json"));
    }
};

QTEST_GUILESS_MAIN(TestMemoryPlan)
#include "test_memory_plan.moc"
