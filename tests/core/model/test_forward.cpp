// The forward pass of every architecture against an independent reference, and the properties
// that must hold whatever the weights: KV-cached decoding = full forward, left padding changes
// nothing, masking a neuron = zeroing its weights, scaling by 1 = no hook.
#include <QtTest>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "core/model/model_io.h"
#include "core/util/files.h"
#include "tests/support/test_support.h"

using namespace prunescope;

namespace {

const char* kModels[] = {"gpt2", "gpt2-bf16", "llama", "llama3", "mistral", "qwen2"};

std::filesystem::path modelDir(const char* name) {
    return test::dataDir() / "models" / name;
}

torch::Tensor ids(const nlohmann::json& expected) {
    std::vector<int64_t> flat;
    for (const auto& row : expected["input_ids"])
        for (const auto& v : row) flat.push_back(v.get<int64_t>());
    return torch::tensor(flat, torch::kLong).view({static_cast<int64_t>(expected["input_ids"].size()), -1});
}

}  // namespace

class TestForward : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { torch::manual_seed(0); }

    void matchesReference_data() {
        QTest::addColumn<QString>("name");
        for (const char* m : kModels) QTest::newRow(m) << QString(m);
    }
    void matchesReference() {
        QFETCH(QString, name);
        auto dir = modelDir(name.toUtf8().constData());
        auto expected = readJsonFile(dir / "expected.json");
        auto model = loadModel(dir, {"cpu"});
        torch::NoGradGuard noGrad;
        auto input = ids(expected);
        auto logits = model->forward(input);  // (B, T, V)
        std::vector<double> flat;
        for (const auto& row : expected["logits"])
            for (const auto& pos : row)
                for (const auto& v : pos) flat.push_back(v.get<double>());
        auto reference = torch::tensor(flat, torch::kDouble).view(logits.sizes());
        double diff = test::maxAbsDiff(logits, reference, name.toStdString() + " logits vs reference");
        QVERIFY2(diff < 1e-4, "logits differ from the reference");
        QVERIFY(reference.abs().max().item<double>() > 0.1);  // the comparison is not vacuous
    }

    void kvCacheEqualsFullForward_data() { matchesReference_data(); }
    void kvCacheEqualsFullForward() {
        QFETCH(QString, name);
        auto model = loadModel(modelDir(name.toUtf8().constData()), {"cpu"});
        torch::NoGradGuard noGrad;
        auto input = torch::randint(0, model->config().nVocab, {2, 11}, torch::kLong);
        auto full = model->forward(input);
        KvCache cache;
        ForwardArgs args;
        args.cache = &cache;
        std::vector<torch::Tensor> steps;
        steps.push_back(model->forward(input.slice(1, 0, 5), args));  // a 5-token prefix, then one at a time
        for (int64_t t = 5; t < 11; ++t) steps.push_back(model->forward(input.slice(1, t, t + 1), args));
        QCOMPARE(cache.length(), int64_t(11));
        double diff = test::maxAbsDiff(torch::cat(steps, 1), full, name.toStdString() + " cached vs full");
        QVERIFY(diff < 1e-5);
    }

    // A batch-1 prefix shared by several rows (Integrated Gradients' fast path) gives what each row
    // computes alone on the whole sequence, for two new tokens and then one more (every
    // architecture: GQA, sliding window, RoPE positions).
    void sharedPrefixEqualsFullForward_data() { matchesReference_data(); }
    void sharedPrefixEqualsFullForward() {
        QFETCH(QString, name);
        auto model = loadModel(modelDir(name.toUtf8().constData()), {"cpu"});
        torch::NoGradGuard noGrad;
        const int64_t rows = 3, prefix = 8;
        auto shared = torch::randint(0, model->config().nVocab, {1, prefix}, torch::kLong);
        auto tails = torch::randint(0, model->config().nVocab, {rows, 3}, torch::kLong);
        auto full = model->forward(torch::cat({shared.expand({rows, prefix}), tails}, 1)).slice(1, prefix);
        KvCache prefixCache;
        ForwardArgs prefixArgs;
        prefixArgs.cache = &prefixCache;
        model->forward(shared, prefixArgs);
        KvCache cache = prefixCache.sharePrefix(rows);
        ForwardArgs args;
        args.cache = &cache;
        auto first = model->forward(tails.slice(1, 0, 2), args);
        auto second = model->forward(tails.slice(1, 2, 3), args);
        QCOMPARE(cache.length(), prefix + 3);
        double diff =
            test::maxAbsDiff(torch::cat({first, second}, 1), full, name.toStdString() + " shared prefix vs full");
        QVERIFY(diff < 1e-5);
    }

    void leftPaddingChangesNothing_data() { matchesReference_data(); }
    void leftPaddingChangesNothing() {
        QFETCH(QString, name);
        auto model = loadModel(modelDir(name.toUtf8().constData()), {"cpu"});
        torch::NoGradGuard noGrad;
        auto a = torch::randint(0, model->config().nVocab, {1, 9}, torch::kLong);
        auto b = torch::randint(0, model->config().nVocab, {1, 6}, torch::kLong);
        auto padded = torch::cat({torch::zeros({1, 3}, torch::kLong), b}, 1);
        ForwardArgs args;
        args.attentionMask =
            torch::cat({torch::ones({1, 9}), torch::cat({torch::zeros({1, 3}), torch::ones({1, 6})}, 1)});
        auto batch = model->forward(torch::cat({a, padded}), args);
        double da = test::maxAbsDiff(batch[0], model->forward(a)[0], name.toStdString() + " row 0 vs alone");
        double db =
            test::maxAbsDiff(batch[1].slice(0, 3), model->forward(b)[0], name.toStdString() + " padded row vs alone");
        QVERIFY(da < 1e-5);
        QVERIFY(db < 1e-5);
    }

    void neededRowsOnly() {
        auto model = loadModel(modelDir("llama"), {"cpu"});
        torch::NoGradGuard noGrad;
        auto input = torch::randint(0, model->config().nVocab, {2, 7}, torch::kLong);
        auto h = model->hidden(input);
        auto rows = torch::tensor({3, 50, 7}, torch::kLong);
        auto some = model->logits(h.select(1, 6), rows);  // (B, 3)
        QCOMPARE(some.size(1), int64_t(3));
        QVERIFY(test::maxAbsDiff(some, model->forward(input).select(1, 6).index_select(1, rows), "rows") < 1e-6);
    }

    void maskEqualsZeroedWeights_data() { matchesReference_data(); }
    void maskEqualsZeroedWeights() {
        QFETCH(QString, name);
        auto dir = modelDir(name.toUtf8().constData());
        auto model = loadModel(dir, {"cpu"});
        auto zeroed = loadModel(dir, {"cpu"});
        const auto& c = model->config();
        torch::NoGradGuard noGrad;
        NeuronHook hook(c.nLayer);
        for (int64_t l = 0; l < c.nLayer; ++l) {
            auto pruned = torch::randperm(c.nNeuron, torch::kLong).slice(0, 0, c.nNeuron / 3);
            auto mask = torch::ones({c.nNeuron}).index_fill_(0, pruned, 0);
            hook.setMask(l, mask);
            zeroed->zeroNeurons(l, pruned);
        }
        auto input = torch::randint(0, c.nVocab, {2, 8}, torch::kLong);
        ForwardArgs args;
        args.hook = &hook;
        auto masked = model->forward(input, args);
        double diff = test::maxAbsDiff(masked, zeroed->forward(input), name.toStdString() + " masked vs zeroed");
        QVERIFY(diff < 1e-5);
        QVERIFY((masked - model->forward(input)).abs().max().item<double>() > 1e-3);  // the mask did something
    }

    // A mask at the last position only (--prune-positions last) leaves every earlier position as
    // the plain model computes it, and gives at the last position what a KV-cached step computes
    // with the mask at its one (new) position after an unmasked prefix: an independent path.
    void maskAtLastPositionOnly_data() { matchesReference_data(); }
    void maskAtLastPositionOnly() {
        QFETCH(QString, name);
        auto model = loadModel(modelDir(name.toUtf8().constData()), {"cpu"});
        const auto& c = model->config();
        torch::NoGradGuard noGrad;
        torch::manual_seed(5);
        NeuronHook last(c.nLayer), all(c.nLayer);
        for (int64_t l = 0; l < c.nLayer; ++l) {
            auto pruned = torch::randperm(c.nNeuron, torch::kLong).slice(0, 0, c.nNeuron / 3);
            auto mask = torch::ones({c.nNeuron}).index_fill_(0, pruned, 0);
            last.setMask(l, mask, HookPositions::Last);
            all.setMask(l, mask);
        }
        QVERIFY(last.masksLastOnly());
        QVERIFY(!all.masksLastOnly());
        const int64_t t = 9;
        auto input = torch::randint(0, c.nVocab, {2, t}, torch::kLong);
        ForwardArgs lastArgs;
        lastArgs.hook = &last;
        auto masked = model->forward(input, lastArgs);
        auto plain = model->forward(input);
        const auto tag = name.toStdString();
        QVERIFY(test::maxAbsDiff(masked.slice(1, 0, t - 1), plain.slice(1, 0, t - 1), tag + " earlier positions") <
                1e-5);
        KvCache cache;
        ForwardArgs prefix;
        prefix.cache = &cache;
        model->forward(input.slice(1, 0, t - 1), prefix);
        ForwardArgs step;
        step.cache = &cache;
        step.hook = &all;
        auto reference = model->forward(input.slice(1, t - 1), step);
        QVERIFY(test::maxAbsDiff(masked.slice(1, t - 1), reference, tag + " last position vs cached masked step") <
                1e-5);
        QVERIFY((masked.select(1, t - 1) - plain.select(1, t - 1)).abs().max().item<double>() > 1e-3);  // it acts
    }

    void scaleOneEqualsNoHook() {
        auto model = loadModel(modelDir("qwen2"), {"cpu"});
        const auto& c = model->config();
        auto input = torch::randint(0, c.nVocab, {3, 6}, torch::kLong);
        NeuronHook hook(c.nLayer);
        for (int64_t l = 0; l < c.nLayer; ++l) {
            hook.setScale(l, torch::ones({3, c.nNeuron}, torch::requires_grad()), HookPositions::All);
        }
        ForwardArgs args;
        args.hook = &hook;
        double diff = test::maxAbsDiff(model->forward(input, args), model->forward(input), "scale 1 vs no hook");
        QVERIFY(diff == 0.0);
    }

    void recordsActivations() {
        auto model = loadModel(modelDir("gpt2"), {"cpu"});
        const auto& c = model->config();
        torch::NoGradGuard noGrad;
        NeuronHook hook(c.nLayer);
        hook.recordAll(HookPositions::Last);
        ForwardArgs args;
        args.hook = &hook;
        model->forward(torch::randint(0, c.nVocab, {2, 5}, torch::kLong), args);
        for (int64_t l = 0; l < c.nLayer; ++l) {
            QCOMPARE(hook.recorded(l).sizes().vec(), (std::vector<int64_t>{2, c.nNeuron}));
        }
    }
};

QTEST_GUILESS_MAIN(TestForward)
#include "test_forward.moc"
