// Computing in bfloat16 (and float16 where this LibTorch can): weights held in the compute dtype,
// activations in it, while the gates, norms, softmax and losses stay float32; logits and
// Integrated Gradients close to float32's; fine-tuning trains float32 masters; pruned neurons
// stay zero. Also the agreement measures the precision table is made of.
#include <QtTest>

#include <fstream>

#include <torch/torch.h>

#include "core/attribution/ig_agreement.h"
#include "core/attribution/integrated_gradients.h"
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

ModelLoadOptions computeIn(torch::ScalarType dtype) {
    ModelLoadOptions o;
    o.device = "cpu";
    o.compute = dtype;
    return o;
}

torch::Tensor lastLogProbs(CausalLM& model, const std::vector<int64_t>& ids, NeuronHook* hook = nullptr) {
    torch::NoGradGuard noGrad;
    ForwardArgs args;
    args.hook = hook;
    auto logits = model.forward(torch::tensor(ids, torch::kLong).unsqueeze(0), args);
    return torch::log_softmax(logits.select(1, logits.size(1) - 1).to(torch::kFloat), -1);
}

}  // namespace

class TestPrecision : public QObject {
    Q_OBJECT
    test::TempDir m_tmp;
    std::map<std::string, fs::path> m_models;

private slots:
    void initTestCase() {
        for (const char* arch : {"gpt2", "llama"}) m_models[arch] = test::makeTinyModel(m_tmp / arch, arch, 5, 0.1);
    }

    void bfloat16HoldsAndComputesInBfloat16_data() {
        QTest::addColumn<QString>("arch");
        QTest::newRow("gpt2") << "gpt2";
        QTest::newRow("llama") << "llama";
    }
    void bfloat16HoldsAndComputesInBfloat16() {
        QFETCH(QString, arch);
        const auto dir = m_models[arch.toStdString()];
        auto f32 = loadModel(dir, computeIn(torch::kFloat));
        auto bf16 = loadModel(dir, computeIn(torch::kBFloat16));
        QCOMPARE(bf16->computeDtype(), torch::kBFloat16);
        for (const auto& p : bf16->parameters()) QCOMPARE(p.scalar_type(), torch::kBFloat16);
        QCOMPARE(parameterBytes(*bf16) * 2, parameterBytes(*f32));
        const std::vector<int64_t> ids = {464, 3139, 286, 4881, 318, 6342, 13, 383, 3290, 318};
        auto hidden = bf16->hidden(torch::tensor(ids, torch::kLong).unsqueeze(0));
        QCOMPARE(hidden.scalar_type(), torch::kBFloat16);
        const double diff =
            test::maxAbsDiff(lastLogProbs(*f32, ids), lastLogProbs(*bf16, ids), "log-probs bf16 vs f32");
        QVERIFY(diff > 0);     // really computed in bfloat16
        QVERIFY(diff < 0.05);  // bfloat16 keeps 8 bits of mantissa: about 0.4 % per rounding
    }

    void gatesAndMasksKeepTheirRoles() {
        auto model = loadModel(m_models["llama"], computeIn(torch::kBFloat16));
        const auto& c = model->config();
        NeuronHook hook(c.nLayer);
        auto mask = torch::ones({c.nNeuron});
        mask.slice(0, 0, 5).zero_();
        hook.setMask(0, mask);  // float32 mask: applied in bfloat16, the stream stays bfloat16
        auto gate = torch::full({1, c.nNeuron}, 0.5, torch::kFloat).requires_grad_(true);
        hook.setScale(1, gate);
        hook.setRecord(0, true);
        ForwardArgs args;
        args.hook = &hook;
        auto hidden = model->hidden(torch::tensor({{464, 3139, 286, 4881}}, torch::kLong), args);
        QCOMPARE(hidden.scalar_type(), torch::kBFloat16);
        QCOMPARE(hook.recorded(0).slice(1, 0, 5).abs().max().item<double>(), 0.0);  // pruned stay zero
        auto grad = torch::autograd::grad({hidden.to(torch::kFloat).pow(2).sum()}, {gate})[0];
        QCOMPARE(grad.scalar_type(), torch::kFloat);  // the gates' gradient is float32
        QVERIFY(grad.abs().sum().item<double>() > 0);
    }

    void integratedGradientsAgreeWithFloat32_data() { bfloat16HoldsAndComputesInBfloat16_data(); }
    void integratedGradientsAgreeWithFloat32() {
        QFETCH(QString, arch);
        const auto dir = m_models[arch.toStdString()];
        auto tokenizer = Tokenizer::fromDirectory(dir);
        auto items = buildScoringItems(test::letterTask(4, 9), tokenizer, ScoringMode::Letter, {});
        std::vector<const ScoringItem*> group;
        for (const auto& item : items) group.push_back(&item);
        const std::vector<int> predicted(items.size(), 2);
        IgSettings s;
        auto f32 = loadModel(dir, computeIn(torch::kFloat));
        auto bf16 = loadModel(dir, computeIn(torch::kBFloat16));
        auto ref = integratedGradientsBatch(*f32, group, predicted, s);
        auto low = integratedGradientsBatch(*bf16, group, predicted, s);
        for (size_t i = 0; i < items.size(); ++i) {
            const auto a = compareScores(ref[i].ig, low[i].ig, 0.05);
            std::printf(
                "  question %zu: Spearman %.4f, top-5%% overlap %.2f, max rel diff %.2e, completeness %.1e (f32 "
                "%.1e)\n",
                i, a.spearman, a.topOverlap, a.maxRelativeDiff, low[i].completenessError, ref[i].completenessError);
            QCOMPARE(low[i].ig.scalar_type(), torch::kDouble);  // summed in float64 whatever the compute dtype
            QVERIFY(a.spearman > 0.9);
            QVERIFY(a.topOverlap >= 0.6);
            QVERIFY(low[i].completenessError < 0.05);
            QVERIFY(ref[i].completenessError < 1e-4);
        }
    }

    void finetuningTrainsFloat32MastersAndKeepsPruning() {
        auto model = loadModel(m_models["gpt2"], computeIn(torch::kBFloat16));
        auto tokenizer = Tokenizer::fromDirectory(m_models["gpt2"]);
        auto train = buildScoringItems(test::letterTask(48, 1), tokenizer, ScoringMode::Letter, {});
        const auto& c = model->config();
        SelectionSpec spec;
        spec.percent = 10;
        torch::manual_seed(3);
        auto mask = selectNeurons(torch::randn({c.nLayer, c.nNeuron}), spec);
        FinetuneSettings s;
        s.lr = 3e-3;
        s.batchSize = 8;
        s.maxSteps = 6;
        s.trainable = "ffn";
        auto before = model->named_parameters()["h.0.mlp.c_fc.weight"].to(torch::kFloat).clone();
        auto result = finetune(*model, train, {}, &mask, s);
        QCOMPARE(result.steps, int64_t(6));
        // Every weight trainable: every one a float32 master, the model still computing in bfloat16.
        auto whole = loadModel(m_models["gpt2"], computeIn(torch::kBFloat16));
        s.trainable = "all";
        s.maxSteps = 2;
        finetune(*whole, train, {}, &mask, s);
        for (const auto& p : whole->parameters()) QCOMPARE(p.scalar_type(), torch::kFloat);
        QCOMPARE(whole->computeDtype(), torch::kBFloat16);
        QCOMPARE(whole->hidden(torch::tensor({{464, 3139}}, torch::kLong)).scalar_type(), torch::kBFloat16);
        for (const auto& p : result.history) QVERIFY(std::isfinite(p.loss));
        for (const auto& p : model->named_parameters()) {
            const bool ffn = model->roleOf(p.key()).ffn;
            QCOMPARE(p.value().scalar_type(), ffn ? torch::kFloat : torch::kBFloat16);  // masters vs frozen
        }
        auto after = model->named_parameters()["h.0.mlp.c_fc.weight"];
        QVERIFY((after - before).abs().max().item<double>() > 0);
        QCOMPARE(model->computeDtype(), torch::kBFloat16);  // masters do not change what is computed in
        // Pruned neurons stay exactly zero in the bfloat16 forward pass.
        NeuronHook hook(c.nLayer);
        mask.applyTo(hook, torch::kCPU);
        hook.recordAll();
        ForwardArgs args;
        args.hook = &hook;
        torch::NoGradGuard noGrad;
        auto hidden = model->hidden(torch::tensor({{464, 3139, 286, 4881}}, torch::kLong), args);
        QCOMPARE(hidden.scalar_type(), torch::kBFloat16);
        for (int64_t l = 0; l < c.nLayer; ++l) {
            auto zeroed = hook.recorded(l).squeeze(0).masked_select(hook.mask(l).to(torch::kBool).logical_not());
            QCOMPARE(zeroed.abs().max().item<double>(), 0.0);
        }
    }

    void float16IsRefusedClearlyWhereUnsupported() {
        // LibTorch 1.13 has no float16 matrix product on the CPU; 2.x has one.
        try {
            auto model = loadModel(m_models["gpt2"], computeIn(torch::kHalf));
            QCOMPARE(model->computeDtype(), torch::kHalf);
            const std::vector<int64_t> ids = {464, 3139, 286, 4881};
            auto f32 = loadModel(m_models["gpt2"], computeIn(torch::kFloat));
            QVERIFY(test::maxAbsDiff(lastLogProbs(*f32, ids), lastLogProbs(*model, ids), "log-probs f16 vs f32") <
                    0.01);
        } catch (const Error& e) {
            const std::string text = e.what();
            std::printf("  %s\n", text.c_str());
            QVERIFY(text.find("float16 computation is not supported") != std::string::npos);
            QVERIFY(text.find("bfloat16") != std::string::npos);  // the hint names what works
        }
    }

    void agreementMeasures() {
        auto a = torch::tensor({0.1, 0.5, -0.2, 0.9, 0.0, 0.3, 0.7, -0.5, 0.2, 0.4});
        auto same = compareScores(a, a * 2, 0.2);
        QCOMPARE(same.spearman, 1.0);
        QCOMPARE(same.topOverlap, 1.0);
        QCOMPARE(same.topCount, int64_t(2));
        QCOMPARE(compareScores(a, -a, 0.2).spearman, -1.0);
        QCOMPARE(compareScores(a, -a, 0.2).topOverlap, 0.0);
        // One of the top two (0.9, 0.7) replaced by 0.5: half the top set is kept.
        auto swapped = a.clone();
        swapped[6] = 0.45;
        QCOMPARE(compareScores(a, swapped, 0.2).topOverlap, 0.5);
        // Ties get their mean rank: [1, 1, 2] against [1, 2, 3] is not a perfect order.
        const double tied = spearmanCorrelation(torch::tensor({1.0, 1.0, 2.0}), torch::tensor({1.0, 2.0, 3.0}));
        QVERIFY(std::abs(tied - std::sqrt(0.75)) < 1e-12);
        QVERIFY(std::abs(compareScores(a, a + 0.09, 0.2).maxRelativeDiff - 0.1) < 1e-6);
    }

    void cliComputesInTheDtypeAsked() {
        const auto data = (test::sharedDataDir() / "mcq/arc-hf-jsonl/ARC-Easy-validation.jsonl").string();
        const auto out = m_tmp / "scores-bf16.json";
        auto r = test::runCli({"eval", "--model", m_models["gpt2"].string(), "--data", data, "--limit", "6", "--dtype",
                               "bfloat16", "--out", out.string(), "--quiet"});
        QCOMPARE(r.exitCode, 0);
        auto j = nlohmann::json::parse(std::ifstream(out));
        QCOMPARE(j["model"]["dtype"].get<std::string>(), std::string("bfloat16"));
        auto bad = test::runCli({"eval", "--model", m_models["gpt2"].string(), "--data", data, "--dtype", "bfloat16",
                                 "--weights", "float32", "--quiet"});
        QCOMPARE(bad.exitCode, 2);
        QVERIFY(bad.err.find("disagree") != std::string::npos);
        auto unknown = test::runCli({"eval", "--model", m_models["gpt2"].string(), "--data", data, "--dtype", "int8"});
        QCOMPARE(unknown.exitCode, 2);
        QVERIFY(unknown.err.find("int8") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestPrecision)
#include "test_precision.moc"
