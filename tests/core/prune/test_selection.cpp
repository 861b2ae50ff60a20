// Neuron selection rules give the documented counts; baselines copy the per-layer counts; masks
// round-trip through mask.json and bad mask files are errors naming the field; a baked mask
// computes what the hook mask computes.
#include <QtTest>

#include <torch/torch.h>

#include "core/eval/scoring.h"
#include "core/model/model_io.h"
#include "core/model/neuron_hook.h"
#include "core/prune/activation_stats.h"
#include "core/prune/neuron_mask.h"
#include "core/prune/selection.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "tests/support/test_support.h"

using namespace prunescope;

namespace {

torch::Tensor scores() {
    torch::manual_seed(4);
    return torch::randn({4, 100}, torch::kDouble);
}

void expectMaskError(const std::string& text, const std::string& place) {
    test::TempDir dir;
    writeFileAtomic(dir / "m.json", text);
    try {
        readMask(dir / "m.json");
        QFAIL("no error");
    } catch (const Error& e) {
        std::printf("  %s\n", e.what());
        QVERIFY2(e.place().find(place) != std::string::npos, e.what());
    }
}

}  // namespace

class TestSelection : public QObject {
    Q_OBJECT
private slots:
    void globalTopPercent() {
        auto s = scores();
        SelectionSpec spec;
        spec.percent = 10;
        auto mask = selectNeurons(s, spec);
        QCOMPARE(mask.count(), int64_t(40));
        // The 40 highest: every selected score >= every unselected one.
        double lowestIn = INFINITY, highestOut = -INFINITY;
        for (int64_t l = 0; l < 4; ++l)
            for (int64_t i = 0; i < 100; ++i) {
                double v = s[l][i].item<double>();
                if (mask.contains(l, i))
                    lowestIn = std::min(lowestIn, v);
                else
                    highestOut = std::max(highestOut, v);
            }
        QVERIFY(lowestIn >= highestOut);
    }

    void perLayerAndSingleLayer() {
        SelectionSpec spec;
        spec.rule = SelectRule::PerLayerTopPercent;
        spec.percent = 5;
        QCOMPARE(selectNeurons(scores(), spec).perLayerCounts(), (std::vector<int64_t>{5, 5, 5, 5}));
        spec.rule = SelectRule::LayerTopPercent;
        spec.layer = 2;
        spec.percent = 30;
        QCOMPARE(selectNeurons(scores(), spec).perLayerCounts(), (std::vector<int64_t>{0, 0, 30, 0}));
        spec.layer = 9;
        QVERIFY_THROWS_EXCEPTION(Error, selectNeurons(scores(), spec));
    }

    // The top p % of the layer with the largest total, by hand: the layer whose scores sum highest
    // (or whose given total is highest), then the highest scores of that layer alone.
    void largestLayer() {
        auto s = scores();
        s[1] += 0.5;  // layer 1 has the largest total
        SelectionSpec spec;
        spec.rule = SelectRule::LargestLayerTopPercent;
        spec.percent = 10;
        auto mask = selectNeurons(s, spec);
        QCOMPARE(mask.perLayerCounts(), (std::vector<int64_t>{0, 10, 0, 0}));
        QCOMPARE(mask.meta["selection"]["chosen_layer"].get<int64_t>(), int64_t(1));
        auto [values, index] = s[1].topk(10);
        auto expected = std::get<0>(index.to(torch::kInt).sort());
        for (int64_t j = 0; j < 10; ++j) QCOMPARE(int64_t(mask.pruned[1][size_t(j)]), expected[j].item<int64_t>());
        // Totals given separately (before per-layer normalisation) choose the layer instead.
        auto normalized = s / std::get<0>(s.abs().max(1, true));
        auto byTotals = selectNeurons(normalized, spec, s.sum(1));
        QCOMPARE(byTotals.perLayerCounts(), (std::vector<int64_t>{0, 10, 0, 0}));
        QCOMPARE(byTotals.pruned[1], mask.pruned[1]);  // the ranking inside a layer is the same
        auto third = torch::tensor({0.0, 0.0, 5.0, 0.0}, torch::kDouble);
        QCOMPARE(selectNeurons(s, spec, third).perLayerCounts(), (std::vector<int64_t>{0, 0, 10, 0}));
        // An excluded layer is never chosen.
        spec.excludeLayers = {1};
        QCOMPARE(selectNeurons(s, spec).perLayerCounts()[1], int64_t(0));
        QCOMPARE(parseSelectRule("largest-layer"), SelectRule::LargestLayerTopPercent);
    }

    void thresholds() {
        auto s = scores();
        SelectionSpec spec;
        spec.rule = SelectRule::Absolute;
        spec.threshold = 1.5;
        QCOMPARE(selectNeurons(s, spec).count(), (s >= 1.5).sum().item<int64_t>());
        spec.rule = SelectRule::FractionOfMax;
        spec.fraction = 0.5;
        QCOMPARE(selectNeurons(s, spec).count(), (s >= 0.5 * s.max().item<double>()).sum().item<int64_t>());
    }

    void exclusionsAndCaps() {
        SelectionSpec spec;
        spec.percent = 10;
        spec.excludeLayers = {0, 3};
        auto mask = selectNeurons(scores(), spec);
        QCOMPARE(mask.count(), int64_t(20));  // 10 % of the 200 neurons in play
        QCOMPARE(mask.perLayerCounts()[0], int64_t(0));
        QCOMPARE(mask.perLayerCounts()[3], int64_t(0));
        spec.excludeLayers = {};
        spec.percent = 50;
        spec.perLayerCap = 7;
        for (auto c : selectNeurons(scores(), spec).perLayerCounts()) QVERIFY(c <= 7);
    }

    void baselinesKeepPerLayerCounts() {
        SelectionSpec spec;
        spec.percent = 12;
        auto ig = selectNeurons(scores(), spec);
        auto r1 = randomLike(ig, 1), r1again = randomLike(ig, 1), r2 = randomLike(ig, 2);
        QCOMPARE(r1.perLayerCounts(), ig.perLayerCounts());
        QCOMPARE(r1.pruned, r1again.pruned);
        QVERIFY(r1.pruned != r2.pruned);
        auto magnitude = torch::rand({4, 100}, torch::kDouble);
        auto m = magnitudeLike(ig, magnitude);
        QCOMPARE(m.perLayerCounts(), ig.perLayerCounts());
        for (int64_t l = 0; l < 4; ++l) {
            auto k = ig.perLayerCounts()[static_cast<size_t>(l)];
            if (k == 0) continue;
            auto top = std::get<1>(magnitude[l].topk(k));
            for (int64_t j = 0; j < k; ++j) QVERIFY(m.contains(l, top[j].item<int64_t>()));
        }
    }

    void maskFileRoundTrip() {
        test::TempDir dir;
        SelectionSpec spec;
        spec.percent = 3;
        auto mask = selectNeurons(scores(), spec);
        mask.meta["note"] = "test";
        writeMask(dir / "mask.json", mask);
        auto back = readMask(dir / "mask.json");
        QCOMPARE(back.pruned, mask.pruned);
        QCOMPARE(back.meta["note"].get<std::string>(), std::string("test"));
        QCOMPARE(back.flat(), mask.flat());
    }

    // A mask at the last position only: written and read back as such, copied by the baselines,
    // never baked; a file without the field means every position.
    void lastPositionMasks() {
        test::TempDir dir;
        SelectionSpec spec;
        spec.percent = 3;
        spec.positions = HookPositions::Last;
        auto mask = selectNeurons(scores(), spec);
        QCOMPARE(mask.positions, HookPositions::Last);
        QVERIFY(!mask.bakeable());
        QCOMPARE(mask.meta["selection"]["prune_positions"].get<std::string>(), std::string("last"));
        writeMask(dir / "mask.json", mask);
        QCOMPARE(readJsonFile(dir / "mask.json")["positions"].get<std::string>(), std::string("last"));
        QCOMPARE(readMask(dir / "mask.json").positions, HookPositions::Last);
        QCOMPARE(randomLike(mask, 1).positions, HookPositions::Last);
        QCOMPARE(magnitudeLike(mask, torch::rand({mask.nLayer, mask.nNeuron})).positions, HookPositions::Last);
        writeJsonAtomic(
            dir / "old.json",
            nlohmann::json::parse(R"({"format": "prunescope.mask", "layers": 2, "neurons": 4, "pruned": []})"));
        QCOMPARE(readMask(dir / "old.json").positions, HookPositions::All);
        auto model = loadModel(test::dataDir() / "models" / "llama", {"cpu"});
        const auto& c = model->config();
        auto fitting = selectNeurons(torch::randn({c.nLayer, c.nNeuron}), spec);
        const auto before = model->parameters()[3].clone();
        try {
            fitting.bakeInto(*model);
            QFAIL("no error");
        } catch (const Error& e) {
            qInfo("%s", e.what());
            QCOMPARE(e.place(), std::string("field 'positions'"));
        }
        QVERIFY(torch::equal(model->parameters()[3], before));
    }

    void badMaskFiles() {
        expectMaskError(R"({"format": "something"})", "field 'format'");
        expectMaskError(
            R"({"format": "prunescope.mask", "layers": 2, "neurons": 4, "pruned": [{"layer": 5, "neuron": 1}]})",
            "pruned[0], field 'layer'");
        expectMaskError(
            R"({"format": "prunescope.mask", "layers": 2, "neurons": 4, "pruned": [{"layer": 1, "neuron": 4}]})",
            "pruned[0], field 'neuron'");
        expectMaskError(
            R"({"format": "prunescope.mask", "layers": 2, "neurons": 4, "pruned": [{"layer": 1, "neuron": 2}, {"layer": 1, "neuron": 2}]})",
            "field 'pruned'");
        expectMaskError(
            R"({"format": "prunescope.mask", "layers": 2, "neurons": 4, "total": 3, "pruned": [{"layer": 1, "neuron": 2}]})",
            "field 'total'");
        expectMaskError(R"({"format": "prunescope.mask", "neurons": 4, "pruned": []})", "field 'layers'");
        expectMaskError(R"({"format": "prunescope.mask", "layers": -3, "neurons": 4, "pruned": []})", "field 'layers'");
        // Refused before anything of their size is allocated (900 million layers asked for 43 GB of
        // per-layer lists; the second, 8 * 10^12 neurons, for as many bytes in flat()); the inputs
        // are in tests/fuzz/regressions/fuzz_mask/.
        expectMaskError(R"({"format": "prunescope.mask", "layers": 900000000, "neurons": 5, "pruned": []})",
                        "fields 'layers', 'neurons'");
        expectMaskError(R"({"format": "prunescope.mask", "layers": 4096, "neurons": 2000000000, "pruned": []})",
                        "fields 'layers', 'neurons'");
        expectMaskError(
            R"({"format": "prunescope.mask", "layers": 2, "neurons": 4, "positions": "first", "pruned": []})",
            "field 'positions'");
        expectMaskError(R"({"format": "prunescope.mask", "layers": 2, "neurons": 4, "positions": 1, "pruned": []})",
                        "field 'positions'");
    }

    // The magnitude baseline's mean |activation| equals the mean of the per-question activations;
    // a question index past the set is an Error, not a read past the end (a GUI session once passed
    // an attributions file's indices from another set).
    void activationStatsAgreeAndCheckIndices() {
        auto model = loadModel(test::dataDir() / "models" / "llama", {"cpu"});
        std::vector<ScoringItem> items(3);
        items[0].context = {1, 5, 17, 42};
        items[1].context = {3, 9};
        items[2].context = {8, 21, 77, 64, 2, 11};
        const auto mean = meanAbsActivation(*model, items, {0, 2}, 2);
        const auto& c = model->config();
        for (int64_t layer : {int64_t{0}, c.nLayer - 1}) {
            const auto a = neuronActivations(*model, items, layer, 7);
            const double expected = (std::fabs(a[0]) + std::fabs(a[2])) / 2;
            QVERIFY(std::fabs(mean[layer][7].item<double>() - expected) <= 1e-6 * (1 + expected));
        }
        try {
            meanAbsActivation(*model, items, {0, 3});
            QFAIL("no error");
        } catch (const Error& e) {
            qInfo("%s", e.what());
            QCOMPARE(e.place(), std::string("question 3"));
        }
    }

    void bakedEqualsMasked() {
        for (const char* name : {"gpt2", "llama", "qwen2"}) {
            auto dir = test::dataDir() / "models" / name;
            auto masked = loadModel(dir, {"cpu"});
            auto baked = loadModel(dir, {"cpu"});
            const auto& c = masked->config();
            SelectionSpec spec;
            spec.percent = 25;
            auto mask = selectNeurons(torch::randn({c.nLayer, c.nNeuron}), spec);
            mask.bakeInto(*baked);
            NeuronHook hook(c.nLayer);
            mask.applyTo(hook, torch::kCPU);
            ForwardArgs args;
            args.hook = &hook;
            torch::NoGradGuard noGrad;
            auto ids = torch::randint(0, c.nVocab, {2, 7}, torch::kLong);
            double d = test::maxAbsDiff(masked->forward(ids, args), baked->forward(ids),
                                        std::string(name) + " baked vs masked");
            QVERIFY(d < 1e-6);
            // Saved and loaded back, the baked model still computes the masked one.
            test::TempDir out;
            saveModel(*baked, out / "m", {"float32", dir});
            QVERIFY(test::maxAbsDiff(loadModel(out / "m", {"cpu"})->forward(ids), masked->forward(ids, args),
                                     std::string(name) + " saved baked vs masked") < 1e-6);
        }
    }
};

QTEST_GUILESS_MAIN(TestSelection)
#include "test_selection.moc"
