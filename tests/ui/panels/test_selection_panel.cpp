// SelectionPanel on real attribution scores: each rule gives the counts the engine's own
// selectNeurons gives, the per-layer chart and the heatmap outline follow, the slider and the
// spin box stay in step, and a burst of slider moves leads to one ablation preview after the
// debounce delay.
#include <QSignalSpy>
#include <QTest>

#include <torch/torch.h>

#include "tests/ui/ui_test_support.h"
#include "ui/panels/selection_panel.h"
#include "ui/views/bar_chart_view.h"
#include "ui/views/heatmap_view.h"

using namespace prunescope;
using namespace prunescope::ui;

class TestSelectionPanel : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void rulesMatchTheEngine();
    void sliderAndSpinBoxAgree();
    void burstOfMovesGivesOnePreview();
    void maskFileRoundTrip();
    void bigModelsAreNotPreviewedOnEveryChange();

private:
    NeuronMask expected(const SelectionSpec& spec) const;
    test::TempDir m_dir;
    test::GuiFixture m_fixture;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<SelectionPanel> m_panel;
    NeuronScores m_scores;
};

void TestSelectionPanel::initTestCase() {
    m_fixture = test::makeGuiFixture(m_dir.path(), 60, 10);
    m_engine = std::make_unique<Engine>();
    m_panel = std::make_unique<SelectionPanel>(*m_engine);
    m_panel->resize(1200, 700);
    m_panel->show();
    m_panel->setAutoPreview(false);
    m_engine->loadModel(test::qs(m_fixture.model));
    m_engine->loadDataset(test::qs(m_fixture.train), QStringLiteral("train"));
    QSignalSpy frames(m_engine.get(), &Engine::neuronScoresChanged);
    AttributionRequest request;
    request.filter.minConfidence = 0.0;
    request.filter.limit = 4;
    request.ig.steps = 4;
    m_engine->attribute(request);
    QVERIFY(test::waitIdle(*m_engine));
    m_scores = frames.last().at(0).value<NeuronScores>();
    QVERIFY(m_scores.final);
}

NeuronMask TestSelectionPanel::expected(const SelectionSpec& spec) const {
    auto tensor = torch::from_blob(const_cast<float*>(m_scores.values.data()), {2, 128}, torch::kFloat32);
    return selectNeurons(tensor, spec);
}

void TestSelectionPanel::rulesMatchTheEngine() {
    QSignalSpy changed(m_panel.get(), &SelectionPanel::selectionChanged);
    m_panel->setRule(SelectRule::GlobalTopPercent);
    m_panel->setValue(10.0);
    QTRY_VERIFY(changed.count() >= 1);
    QTest::qWait(10);
    auto spec = m_panel->spec();
    QCOMPARE(spec.percent, 10.0);
    QCOMPARE(m_panel->mask().count(), expected(spec).count());
    QCOMPARE(m_panel->mask().count(), int64_t(26));  // round(10 % of 256)
    QCOMPARE(m_panel->mask().pruned, expected(spec).pruned);

    m_panel->setRule(SelectRule::PerLayerTopPercent);
    m_panel->setValue(5.0);
    QTest::qWait(10);
    QCOMPARE(m_panel->perLayerCounts(), std::vector<int64_t>({6, 6}));  // round(5 % of 128) each
    QCOMPARE(m_panel->countChart()->categoryCount(), 2);
    QCOMPARE(m_panel->countChart()->value(0, 0), 6.0);
    QCOMPARE(m_panel->heatmap()->raster().selectedCount(), 12);

    // Settings name the rule (sessions written before gave the combo box's index, still read).
    m_panel->setRule(SelectRule::GlobalTopPercent);
    m_panel->applySettings({{"rule", "layer"}, {"layer", 1}, {"value", 50.0}});
    QTest::qWait(10);
    QCOMPARE(m_panel->spec().rule, SelectRule::LayerTopPercent);
    QCOMPARE(m_panel->perLayerCounts(), std::vector<int64_t>({0, 64}));
    QCOMPARE(m_panel->settings()["rule"].get<std::string>(), std::string("layer"));
    QVERIFY(!m_panel->settings().contains("rule_index"));
    m_panel->setRule(SelectRule::GlobalTopPercent);
    m_panel->applySettings({{"rule_index", 2}, {"layer", 1}, {"value", 50.0}});
    QTest::qWait(10);
    QCOMPARE(m_panel->perLayerCounts(), std::vector<int64_t>({0, 64}));

    m_panel->setRule(SelectRule::FractionOfMax);
    m_panel->setValue(0.5);
    QTest::qWait(10);
    QCOMPARE(m_panel->mask().pruned, expected(m_panel->spec()).pruned);

    m_panel->setRule(SelectRule::Absolute);
    const auto [lo, hi] = std::minmax_element(m_scores.values.begin(), m_scores.values.end());
    m_panel->setValue(*hi - 0.001 * (*hi - *lo));  // just under the largest score
    QTest::qWait(10);
    QVERIFY(m_panel->mask().count() >= 1);
    QCOMPARE(m_panel->mask().pruned, expected(m_panel->spec()).pruned);
}

void TestSelectionPanel::sliderAndSpinBoxAgree() {
    m_panel->setRule(SelectRule::GlobalTopPercent);
    m_panel->setSliderPosition(SelectionPanel::kSliderSteps / 2);  // percent = 100 * 0.5^2
    QCOMPARE(m_panel->value(), 25.0);
    m_panel->setSliderPosition(SelectionPanel::kSliderSteps / 10);
    QCOMPARE(m_panel->value(), 1.0);
    QTest::qWait(10);
    QCOMPARE(m_panel->mask().count(), int64_t(3));  // round(1 % of 256)
}

void TestSelectionPanel::burstOfMovesGivesOnePreview() {
    m_panel->setRule(SelectRule::GlobalTopPercent);
    m_panel->setAutoPreview(true);
    QSignalSpy previews(m_engine.get(), &Engine::previewFinished);
    QSignalSpy started(m_engine.get(), &Engine::taskStarted);
    for (int p = 100; p <= 300; p += 20) {  // a drag: moves 5 ms apart, under the debounce delay
        m_panel->setSliderPosition(p);
        QTest::qWait(5);
    }
    QTRY_COMPARE_WITH_TIMEOUT(previews.count(), 1, 60000);
    QVERIFY(test::waitIdle(*m_engine));
    QCOMPARE(previews.count(), 1);
    int previewTasks = 0;
    for (const auto& args : started) previewTasks += args.at(0).value<Task>() == Task::Preview ? 1 : 0;
    QCOMPARE(previewTasks, 1);
    const auto p = m_panel->preview();
    QVERIFY(p.has_value());
    QCOMPARE(p->pruned, m_panel->mask().count());
    QVERIFY2(m_panel->previewText().contains(QStringLiteral("with %1 neuron").arg(p->pruned)),
             qPrintable(m_panel->previewText()));
    std::printf("preview: %.2f s\n", p->seconds);
    QVERIFY(p->seconds > 0 && p->seconds < SelectionPanel::kAutoPreviewMaxSeconds);
    QVERIFY(m_panel->autoPreview());  // quick: still recomputed after each change
    m_panel->setAutoPreview(false);
}

// A 0.5B model takes minutes per preview on the CPU: opening one turns the automatic preview off
// and says why; turning it on again is the user's choice.
void TestSelectionPanel::bigModelsAreNotPreviewedOnEveryChange() {
    m_panel->setAutoPreview(true);
    ModelCard card = m_engine->model();
    card.parameters = 494'000'000;  // Qwen2.5-0.5B
    emit m_engine->modelChanged(card);
    QVERIFY(!m_panel->autoPreview());
    QVERIFY2(m_panel->previewText().contains(QStringLiteral("Not recomputed after each change")),
             qPrintable(m_panel->previewText()));
    m_panel->setAutoPreview(true);
    QVERIFY(!m_panel->previewText().contains(QStringLiteral("Not recomputed")));
    m_panel->setAutoPreview(false);
}

void TestSelectionPanel::maskFileRoundTrip() {
    m_panel->setRule(SelectRule::GlobalTopPercent);
    m_panel->setValue(10.0);
    QTest::qWait(10);
    const auto before = m_panel->mask();
    const QString file = test::qs(m_dir / "mask.json");
    QString error;
    QVERIFY2(m_panel->saveMask(file, &error), qPrintable(error));
    m_panel->setValue(2.0);
    QTest::qWait(10);
    QVERIFY(m_panel->mask().count() != before.count());
    QVERIFY2(m_panel->openMask(file, &error), qPrintable(error));
    QCOMPARE(m_panel->mask().pruned, before.pruned);
    QVERIFY(!m_panel->openMask(test::qs(m_dir / "missing.json"), &error));
    QVERIFY(!error.isEmpty());
}

QTEST_MAIN(TestSelectionPanel)
#include "test_selection_panel.moc"
