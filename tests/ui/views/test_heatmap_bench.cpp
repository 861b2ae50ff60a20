// Redraw time of HeatmapView at Llama-3-8B size (32 layers x 14 336 neurons) in a 1600 x 900
// widget. Each "redraw" is: the change, a full QCustomPlot replot with an immediate repaint, and
// QWidget::grab() (a second real paint into a pixmap). Prints ms per redraw; asserts only on
// behaviour (what work was done), never on time.
#include "ui/views/heatmap_view.h"

#include <QElapsedTimer>
#include <QTest>

#include <functional>
#include <memory>
#include <random>

using namespace prunescope::ui;

namespace {

constexpr int kLayers = 32;
constexpr int kNeurons = 14336;
constexpr int kRepeats = 40;  // redraws timed by hand in addition to QBENCHMARK

std::vector<float> randomScores(unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<float> v(static_cast<size_t>(kLayers) * kNeurons);
    for (float& x : v) x = dist(rng);
    return v;
}

std::vector<uint8_t> randomMask(unsigned seed) {
    std::mt19937 rng(seed);
    std::bernoulli_distribution pick(0.01);
    std::vector<uint8_t> m(static_cast<size_t>(kLayers) * kNeurons);
    for (uint8_t& x : m) x = pick(rng) ? 1 : 0;
    return m;
}

}  // namespace

class TestHeatmapBench : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void colourScaleChange();
    void thresholdChange();
    void selectionChange();
    void runningMeanUpdate();
    void zoomChange();
    void colourOnlyRasterWork();
    void summary();

private:
    void redraw();
    double msPerRedraw(const char* what, const std::function<void(int)>& change);

    std::unique_ptr<HeatmapView> m_view;
    std::vector<float> m_scores[2];
    std::vector<uint8_t> m_masks[2];
};

void TestHeatmapBench::initTestCase() {
    m_scores[0] = randomScores(1);
    m_scores[1] = randomScores(2);
    m_masks[0] = randomMask(3);
    m_masks[1] = randomMask(4);
    m_view = std::make_unique<HeatmapView>();
    m_view->resize(1600, 900);
    m_view->setScores(kLayers, kNeurons, m_scores[0]);
    m_view->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_view.get()));
    redraw();
    const HeatmapRaster& r = m_view->raster();
    qInfo("heatmap %d x %d in a %dx%d widget: %d bins per layer (%.1f neurons per bin), image %dx%d", kLayers, kNeurons,
          m_view->width(), m_view->height(), r.nBin(), double(kNeurons) / r.nBin(), r.image().width(),
          r.image().height());
    QVERIFY(r.nBin() > 1000 && r.nBin() <= 1600);
}

void TestHeatmapBench::redraw() {
    m_view->replotNow();
    const QPixmap pixmap = m_view->grab();
    QVERIFY(!pixmap.isNull());
}

double TestHeatmapBench::msPerRedraw(const char* what, const std::function<void(int)>& change) {
    QElapsedTimer timer;
    timer.start();
    for (int i = 0; i < kRepeats; ++i) {
        change(i);
        redraw();
    }
    const double ms = double(timer.nsecsElapsed()) / 1e6 / kRepeats;
    qInfo("%s: %.2f ms per redraw (mean of %d)", what, ms, kRepeats);
    return ms;
}

void TestHeatmapBench::colourScaleChange() {
    const HeatmapScale scales[] = {HeatmapScale::Linear, HeatmapScale::Log, HeatmapScale::Signed};
    const int rebins = m_view->raster().rebinCount();
    int i = 0;
    QBENCHMARK {
        m_view->setColorScale(scales[++i % 3]);
        redraw();
    }
    QCOMPARE(m_view->raster().rebinCount(), rebins);  // re-coloured, never re-binned
}

void TestHeatmapBench::thresholdChange() {
    const int rebins = m_view->raster().rebinCount();
    int i = 0;
    QBENCHMARK {
        m_view->setThreshold(0.5 + 0.01 * (++i % 100));
        redraw();
    }
    QCOMPARE(m_view->raster().rebinCount(), rebins);
}

void TestHeatmapBench::selectionChange() {
    const int rebins = m_view->raster().rebinCount();
    int i = 0;
    QBENCHMARK {
        m_view->setSelection(m_masks[++i % 2]);
        redraw();
    }
    QCOMPARE(m_view->raster().rebinCount(), rebins);
}

void TestHeatmapBench::runningMeanUpdate() {
    int i = 0;
    QBENCHMARK {
        m_view->updateScores(m_scores[++i % 2]);
        redraw();
    }
}

void TestHeatmapBench::zoomChange() {
    int i = 0;
    QBENCHMARK {
        ++i;
        m_view->setVisibleRange(i % 2 ? 0 : 1000, kNeurons - (i % 2 ? 0 : 1000));
        redraw();
    }
    m_view->resetZoom();
}

void TestHeatmapBench::colourOnlyRasterWork() {
    // The raster's part alone (no plot): re-colouring the bins after a scale change.
    HeatmapRaster raster;
    raster.setScores(kLayers, kNeurons, m_scores[0]);
    raster.update(0, kNeurons, 1500);
    const HeatmapScale scales[] = {HeatmapScale::Linear, HeatmapScale::Log, HeatmapScale::Signed};
    QElapsedTimer timer;
    timer.start();
    for (int k = 0; k < 300; ++k) {
        raster.setScale(scales[k % 3]);
        raster.update(0, kNeurons, 1500);
    }
    const double recolorMs = double(timer.nsecsElapsed()) / 1e6 / 300;
    timer.restart();
    for (int k = 0; k < 100; ++k) raster.update(0, kNeurons - ((k + 1) % 2), 1500);
    const double rebinMs = double(timer.nsecsElapsed()) / 1e6 / 100;
    qInfo("raster only: re-colour %.3f ms, re-bin + re-colour %.3f ms", recolorMs, rebinMs);
    QCOMPARE(raster.rebinCount(), 1 + 100);
}

void TestHeatmapBench::summary() {
    // The same redraws timed by hand (kRepeats each), printed together.
    const HeatmapScale scales[] = {HeatmapScale::Linear, HeatmapScale::Log, HeatmapScale::Signed};
    m_view->setColorScale(HeatmapScale::Linear);
    m_view->clearThreshold();
    m_view->setSelection({});
    redraw();
    const int rebins = m_view->raster().rebinCount();
    const double scale = msPerRedraw("colour-scale change", [&](int k) { m_view->setColorScale(scales[(k + 1) % 3]); });
    const double threshold = msPerRedraw("threshold change", [&](int k) { m_view->setThreshold(0.5 + 0.01 * k); });
    const double selection = msPerRedraw("selection change", [&](int k) { m_view->setSelection(m_masks[k % 2]); });
    QCOMPARE(m_view->raster().rebinCount(), rebins);
    const double update = msPerRedraw("updateScores, ByIndex (re-bin + re-colour)",
                                      [&](int k) { m_view->updateScores(m_scores[(k + 1) % 2]); });
    m_view->setOrder(HeatmapOrder::ByScore);
    redraw();
    const double sorted = msPerRedraw("updateScores, ByScore (re-sort + re-bin + re-colour)",
                                      [&](int k) { m_view->updateScores(m_scores[k % 2]); });
    m_view->setOrder(HeatmapOrder::ByIndex);
    const double zoom = msPerRedraw("zoom change (re-bin)", [&](int k) {
        m_view->setVisibleRange(k % 2 ? 0 : 1000, kNeurons - (k % 2 ? 0 : 1000));
    });
    m_view->resetZoom();
    qInfo(
        "SUMMARY ms/redraw (32 x 14336, 1600x900): scale %.1f, threshold %.1f, selection %.1f, "
        "update %.1f, update-by-score %.1f, zoom %.1f",
        scale, threshold, selection, update, sorted, zoom);
}

QTEST_MAIN(TestHeatmapBench)
#include "test_heatmap_bench.moc"
