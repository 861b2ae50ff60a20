// HeatmapView and its raster: binning, order, colour scales, selection, clicks and hover.
#include "ui/views/heatmap_view.h"

#include <QMouseEvent>
#include <QSignalSpy>
#include <QTest>
#include <QWheelEvent>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

using namespace prunescope::ui;

namespace {

std::vector<float> randomScores(int n, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = dist(rng);
    return v;
}

// Brute-force max-abs of positions [lo, hi) of one row (sign kept, first wins ties).
float maxAbs(const float* row, int lo, int hi) {
    float best = row[lo];
    for (int i = lo + 1; i < hi; ++i) {
        if (std::fabs(row[i]) > std::fabs(best)) best = row[i];
    }
    return best;
}

void showAndLayOut(HeatmapView& view, QSize size) {
    view.resize(size);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.replotNow();
}

// Reaches the view's plot, to read its axes.
class ProbedHeatmapView : public HeatmapView {
public:
    using HeatmapView::plot;
};

}  // namespace

class TestHeatmapView : public QObject {
    Q_OBJECT
private slots:
    void binningIsMaxAbsOfKnownMatrix();
    void binningMeanRule();
    void binGeometryIsConsistent();
    void scoreOrderTiesAndSpecialValues();
    void viewBinsToWidgetWidth();
    void zoomRebinsTheVisibleRange();
    void colourAndThresholdChangesDoNotRebin();
    void updateScoresReusesBuffers();
    void orderByScoreSortsEachLayer();
    void signedScaleMapsZeroToMidpoint();
    void linearAndLogScalesSpanTheTable();
    void thresholdFadesWeakBins();
    void colourRangeSaturatesTheTop();
    void selectionMarksBins();
    void referenceMarksBins();
    void clickEmitsNeuron();
    void clickInScoreOrderEmitsNeuronIndex();
    void hoverEmitsHoveredChanged();
    void ticksAreWholeNumbers();
    void wheelZoomsAlongNeuronsOnly();
    void newOrderResetsZoom();
    void clickOutlinesTheNeuron();
};

void TestHeatmapView::binningIsMaxAbsOfKnownMatrix() {
    // 2 layers x 10 neurons in 3 bins: positions [0,3) [3,6) [6,10).
    std::vector<float> s = {1, -5, 2,     3, 0,  -1, 4,  -4, 2,  9,  //
                            0, 0,  -0.5f, 7, -8, 1,  -3, 2,  -1, 2.5f};
    HeatmapRaster r;
    r.setScores(2, 10, s);
    r.update(0, 10, 3);
    QCOMPARE(r.nBin(), 3);
    const std::vector<float> expected = {-5, 3, 9, -0.5f, -8, -3};
    for (int l = 0; l < 2; ++l) {
        for (int b = 0; b < 3; ++b) QCOMPARE(r.binValue(l, b), expected[size_t(l * 3 + b)]);
    }
    // The strongest neuron of a bin is the one whose score the bin shows.
    QCOMPARE(r.strongestNeuron(0, 0), 1);
    QCOMPARE(r.strongestNeuron(1, 1), 4);
    QCOMPARE(r.image().size(), QSize(3, 2 * HeatmapRaster::kSubRows));
}

void TestHeatmapView::binningMeanRule() {
    std::vector<float> s = {1, -5, 2, 3, 0, -1, 4, -4, 2, 9};
    HeatmapRaster r;
    r.setScores(1, 10, s);
    r.setBinRule(HeatmapBinRule::Mean);
    r.update(0, 10, 3);
    const float expected[] = {-2.0f / 3.0f, 2.0f / 3.0f, 11.0f / 4.0f};
    for (int b = 0; b < 3; ++b) {
        qInfo("bin %d: %g vs %g", b, double(r.binValue(0, b)), double(expected[b]));
        QVERIFY(std::fabs(r.binValue(0, b) - expected[b]) < 1e-6f);
    }
}

void TestHeatmapView::binGeometryIsConsistent() {
    HeatmapRaster r;
    r.setScores(1, 1000, randomScores(1000, 1));
    r.update(17, 990, 97);
    QCOMPARE(r.binBegin(0), 17);
    QCOMPARE(r.binBegin(r.nBin()), 990);
    for (int p = 17; p < 990; ++p) {
        const int b = r.binAt(p);
        QVERIFY2(r.binBegin(b) <= p && p < r.binBegin(b + 1), qPrintable(QString::number(p)));
    }
}

void TestHeatmapView::scoreOrderTiesAndSpecialValues() {
    // Descending; ties by index; -0 equals 0; NaN last.
    const float nan = std::numeric_limits<float>::quiet_NaN();
    HeatmapRaster r;
    r.setScores(1, 7, {0.0f, 2.0f, nan, -1.0f, -0.0f, 2.0f, -3.5f});
    r.setOrder(HeatmapOrder::ByScore);
    const int expected[] = {1, 5, 0, 4, 3, 6, 2};
    for (int p = 0; p < 7; ++p) QCOMPARE(r.neuronAt(0, p), expected[p]);
    for (int p = 0; p < 7; ++p) QCOMPARE(r.rankInLayer(0, expected[p]), p + 1);
}

void TestHeatmapView::viewBinsToWidgetWidth() {
    const int nLayer = 3;
    const int nNeuron = 40000;
    const std::vector<float> s = randomScores(nLayer * nNeuron, 2);
    HeatmapView view;
    view.setScores(nLayer, nNeuron, s);
    showAndLayOut(view, QSize(800, 400));
    const HeatmapRaster& r = view.raster();
    QVERIFY(r.nBin() > 100);
    QVERIFY(r.nBin() <= 800);
    QCOMPARE(r.image().width(), r.nBin());
    int mismatches = 0;
    for (int l = 0; l < nLayer; ++l) {
        for (int b = 0; b < r.nBin(); ++b) {
            const float* row = s.data() + size_t(l) * nNeuron;
            mismatches += r.binValue(l, b) == maxAbs(row, r.binBegin(b), r.binBegin(b + 1)) ? 0 : 1;
        }
    }
    QCOMPARE(mismatches, 0);
}

void TestHeatmapView::zoomRebinsTheVisibleRange() {
    HeatmapView view;
    view.setScores(2, 40000, randomScores(80000, 3));
    showAndLayOut(view, QSize(800, 400));
    view.setVisibleRange(100, 200);
    view.replotNow();
    const HeatmapRaster& r = view.raster();
    QCOMPARE(r.binFirst(), 100);
    QCOMPARE(r.binEnd(), 200);
    QCOMPARE(r.nBin(), 100);  // fewer neurons than pixels: one bin per neuron
}

void TestHeatmapView::colourAndThresholdChangesDoNotRebin() {
    HeatmapView view;
    view.setScores(4, 5000, randomScores(20000, 4));
    showAndLayOut(view, QSize(800, 400));
    const HeatmapRaster& r = view.raster();
    const int rebins = r.rebinCount();
    const int recolors = r.recolorCount();
    view.setColorScale(HeatmapScale::Signed);
    view.replotNow();
    view.setThreshold(0.5);
    view.replotNow();
    view.setColorScale(HeatmapScale::Log);
    view.replotNow();
    QCOMPARE(r.rebinCount(), rebins);
    QCOMPARE(r.recolorCount(), recolors + 3);
    view.replotNow();  // nothing changed: no work
    QCOMPARE(r.recolorCount(), recolors + 3);
    view.setOrder(HeatmapOrder::ByScore);
    view.replotNow();
    QCOMPARE(r.rebinCount(), rebins + 1);
}

void TestHeatmapView::updateScoresReusesBuffers() {
    HeatmapView view;
    view.setScores(2, 3000, randomScores(6000, 5));
    showAndLayOut(view, QSize(800, 400));
    const HeatmapRaster& r = view.raster();
    const uchar* imageBits = r.image().constBits();
    const int nBin = r.nBin();
    std::vector<float> next = randomScores(6000, 6);
    QVERIFY(view.updateScores(next));
    view.replotNow();
    QCOMPARE(r.nBin(), nBin);
    QCOMPARE(r.image().constBits(), imageBits);  // the same image, re-coloured in place
    QCOMPARE(r.binValue(1, 0), maxAbs(next.data() + 3000, r.binBegin(0), r.binBegin(1)));
    QVERIFY(!view.updateScores(std::vector<float>(10, 0.0f)));
}

void TestHeatmapView::orderByScoreSortsEachLayer() {
    const std::vector<float> s = randomScores(3 * 50, 7);
    HeatmapView view;
    view.setScores(3, 50, s);
    view.setOrder(HeatmapOrder::ByScore);
    showAndLayOut(view, QSize(800, 400));
    const HeatmapRaster& r = view.raster();
    QCOMPARE(r.nBin(), 50);
    for (int l = 0; l < 3; ++l) {
        for (int b = 1; b < 50; ++b) QVERIFY(r.binValue(l, b - 1) >= r.binValue(l, b));
        const float* row = s.data() + l * 50;
        const int argmax = int(std::max_element(row, row + 50) - row);
        QCOMPARE(r.neuronAt(l, 0), argmax);
        QCOMPARE(r.rankInLayer(l, argmax), 1);
        for (int n = 0; n < 50; ++n) {
            QCOMPARE(r.neuronAt(l, r.positionOf(l, n)), n);
            QCOMPARE(r.rankInLayer(l, n), r.positionOf(l, n) + 1);
        }
    }
}

void TestHeatmapView::signedScaleMapsZeroToMidpoint() {
    HeatmapRaster r;
    r.setScores(1, 5, {-2.0f, -1.0f, 0.0f, 1.0f, 2.0f});
    r.setScale(HeatmapScale::Signed);
    r.update(0, 5, 100);
    const QRgb mid = HeatmapPalette::midpointColor(HeatmapScale::Signed);
    QCOMPARE(mid, HeatmapPalette::table(HeatmapScale::Signed)[HeatmapPalette::kSize / 2]);
    QCOMPARE(mid, qRgb(0xf7, 0xf7, 0xf7));
    QCOMPARE(r.image().pixel(2, 0), mid);
    QCOMPARE(r.image().pixel(0, 0), HeatmapPalette::table(HeatmapScale::Signed).front());
    QCOMPARE(r.image().pixel(4, 0), HeatmapPalette::table(HeatmapScale::Signed).back());
    // Symmetric: -1 and +1 sit at equal distances from the middle of the table.
    QCOMPARE(r.mapping().index(-1.0f) + r.mapping().index(1.0f), HeatmapPalette::kSize - 1);
}

void TestHeatmapView::linearAndLogScalesSpanTheTable() {
    HeatmapRaster r;
    r.setScores(1, 4, {0.001f, 0.01f, 0.1f, 1.0f});
    r.update(0, 4, 4);
    const auto& table = HeatmapPalette::table(HeatmapScale::Linear);
    QCOMPARE(r.image().pixel(0, 0), table.front());
    QCOMPARE(r.image().pixel(3, 0), table.back());
    r.setScale(HeatmapScale::Log);
    r.update(0, 4, 4);
    // Log: decades equally spaced.
    QCOMPARE(r.mapping().index(0.001f), 0);
    QCOMPARE(r.mapping().index(0.01f), 85);
    QCOMPARE(r.mapping().index(0.1f), 169);
    QCOMPARE(r.mapping().index(1.0f), HeatmapPalette::kSize - 1);
    // The Log scale's step table agrees with rounding position(): compare on random values.
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> exponent(-3.5f, 0.5f);
    int worst = 0;
    for (int i = 0; i < 10000; ++i) {
        const float v = std::pow(10.0f, exponent(rng));
        const int direct = int(std::lround(r.mapping().position(v) * (HeatmapPalette::kSize - 1)));
        worst = std::max(worst, std::abs(r.mapping().index(v) - direct));
    }
    qInfo("Log scale: largest index difference to direct rounding: %d", worst);
    QVERIFY(worst <= 1);  // only at a step, where float rounding may fall either way
}

// One strong neuron among 999 weak ones: with the full range the weak ones all get nearly the
// middle colour; with the 99 % range they spread over the scale and the strong one saturates.
void TestHeatmapView::colourRangeSaturatesTheTop() {
    std::vector<float> scores(1000);
    for (int i = 0; i < 1000; ++i) scores[size_t(i)] = 0.001f * float(i % 100) - 0.05f;  // [-0.05, 0.049]
    scores[156] = 4.2f;  // layer 0, neuron 156 of the SmolLM2 screenshot
    HeatmapRaster r;
    r.setScores(1, 1000, scores);
    r.setScale(HeatmapScale::Signed);
    r.update(0, 1000, 1000);
    QCOMPARE(r.colorRange(), 1.0);
    QCOMPARE(r.saturatedCount(), 0);
    const int mid = HeatmapPalette::kSize / 2;
    QVERIFY(std::abs(r.mapping().index(0.049f) - mid) <= 2);  // a weak neuron: the middle colour

    r.setColorRange(0.99);
    r.update(0, 1000, 1000);
    // The 99th percentile of |score| over 1000 values: 0.05 (the weak neurons' largest |score|).
    QCOMPARE(r.mapping().maxAbs(), 0.05f);
    QCOMPARE(r.saturatedCount(), 1);
    QCOMPARE(r.largestAbs(), 4.2f);
    QCOMPARE(r.mapping().index(4.2f), HeatmapPalette::kSize - 1);
    QVERIFY(r.mapping().index(0.049f) >= HeatmapPalette::kSize - 6);  // near the end colour
    QVERIFY(r.mapping().index(-0.05f) == 0);
    QCOMPARE(r.image().pixel(156, 0), HeatmapPalette::table(HeatmapScale::Signed).back());
    // Scores are kept: only the colours change.
    QCOMPARE(r.score(0, 156), 4.2f);

    // A view starts at the 99 % range and names the saturated cells on its colour bar.
    HeatmapView view;
    view.setScores(1, 1000, scores);
    QCOMPARE(view.raster().colorRange(), HeatmapView::kDefaultColorRange);
    QCOMPARE(view.raster().saturatedCount(), 1);
}

void TestHeatmapView::thresholdFadesWeakBins() {
    HeatmapRaster r;
    r.setScores(1, 3, {0.1f, 0.5f, 0.9f});
    r.setThreshold(0.4f);
    r.update(0, 3, 3);
    const auto& table = HeatmapPalette::table(HeatmapScale::Linear);
    const auto& faded = HeatmapPalette::fadedTable(HeatmapScale::Linear);
    QCOMPARE(r.image().pixel(0, 0), faded[size_t(r.mapping().index(0.1f))]);
    QCOMPARE(r.image().pixel(1, 0), table[size_t(r.mapping().index(0.5f))]);
    QCOMPARE(r.image().pixel(2, 0), table[size_t(r.mapping().index(0.9f))]);
}

void TestHeatmapView::selectionMarksBins() {
    HeatmapRaster r;
    r.setScores(2, 10, randomScores(20, 8));
    std::vector<uint8_t> mask(20, 0);
    mask[1 * 10 + 7] = 1;
    r.setSelection(mask);
    r.update(0, 10, 5);  // 2 neurons per bin: neuron 7 is in bin 3
    QCOMPARE(r.selectedCount(), 1);
    const int markerRow = HeatmapRaster::kSubRows - 1;
    const QRgb marker = HeatmapPalette::selectionColor();
    for (int l = 0; l < 2; ++l) {
        for (int b = 0; b < 5; ++b) {
            const bool expected = l == 1 && b == 3;
            QCOMPARE(r.binSelected(l, b), expected);
            QCOMPARE(r.image().pixel(b, l * HeatmapRaster::kSubRows + markerRow) == marker, expected);
            QVERIFY(r.image().pixel(b, l * HeatmapRaster::kSubRows) != marker);
        }
    }
    r.setSelection({});
    r.update(0, 10, 5);
    QCOMPARE(r.binSelected(1, 3), false);
}

// Reference neurons (the demo's true cue neurons) take their own colour on the marker row; a bin
// holding a selected and a reference neuron takes a third; the score rows are untouched. By score
// order the marks follow their neurons.
void TestHeatmapView::referenceMarksBins() {
    HeatmapRaster r;
    r.setScores(2, 10, randomScores(20, 8));
    std::vector<uint8_t> selected(20, 0), reference(20, 0);
    selected[1 * 10 + 7] = 1;   // layer 1, bin 3
    reference[1 * 10 + 6] = 1;  // layer 1, bin 3: both
    reference[0 * 10 + 0] = 1;  // layer 0, bin 0: reference only
    r.setSelection(selected);
    r.setReference(reference);
    r.update(0, 10, 5);
    QCOMPARE(r.referenceCount(), 2);
    const int markerRow = HeatmapRaster::kSubRows - 1;
    auto pixel = [&](int l, int b) { return r.image().pixel(b, l * HeatmapRaster::kSubRows + markerRow); };
    QCOMPARE(pixel(0, 0), HeatmapPalette::referenceColor());
    QCOMPARE(pixel(1, 3), HeatmapPalette::bothColor());
    QVERIFY(r.binReference(0, 0) && !r.binSelected(0, 0));
    QVERIFY(r.binReference(1, 3) && r.binSelected(1, 3));
    QVERIFY(r.isReference(0, 0) && !r.isReference(0, 1));
    for (int b = 1; b < 5; ++b) QVERIFY(pixel(0, b) != HeatmapPalette::referenceColor());
    r.setSelection({});
    r.update(0, 10, 5);
    QCOMPARE(pixel(1, 3), HeatmapPalette::referenceColor());
    // By score: neuron 0 of layer 0 moves to its rank's position; its mark moves with it.
    r.setOrder(HeatmapOrder::ByScore);
    r.update(0, 10, 10);
    const int at = r.positionOf(0, 0);
    for (int p = 0; p < 10; ++p) QCOMPARE(pixel(0, p) == HeatmapPalette::referenceColor(), p == at);
    r.setReference({});
    r.update(0, 10, 10);
    QCOMPARE(r.referenceCount(), 0);
    QVERIFY(pixel(0, at) != HeatmapPalette::referenceColor());
}

void TestHeatmapView::clickEmitsNeuron() {
    HeatmapView view;
    view.setScores(4, 12, randomScores(48, 9));
    showAndLayOut(view, QSize(800, 400));
    QSignalSpy spy(&view, &HeatmapView::neuronClicked);
    const std::pair<int, int> cells[] = {{0, 0}, {3, 11}, {2, 5}, {1, 6}};
    for (const auto& [layer, neuron] : cells) {
        QTest::mouseClick(view.plotWidget(), Qt::LeftButton, {}, view.cellCenter(layer, neuron));
        QCOMPARE(spy.count(), 1);
        QCOMPARE(spy.at(0).at(0).toInt(), layer);
        QCOMPARE(spy.at(0).at(1).toInt(), neuron);
        spy.clear();
    }
    // Outside the cells (the axis labels): nothing.
    QTest::mouseClick(view.plotWidget(), Qt::LeftButton, {}, QPoint(2, 2));
    QCOMPARE(spy.count(), 0);
}

void TestHeatmapView::clickInScoreOrderEmitsNeuronIndex() {
    std::vector<float> s(2 * 6, 0.0f);
    for (int n = 0; n < 6; ++n) s[size_t(6 + n)] = float(n);  // layer 1 ascending
    HeatmapView view;
    view.setScores(2, 6, s);
    view.setOrder(HeatmapOrder::ByScore);
    showAndLayOut(view, QSize(800, 400));
    // Layer 1 sorted descending: neuron 5 is drawn first, at the left.
    const QPoint leftmost = view.cellCenter(1, 5);
    QVERIFY(leftmost.x() < view.cellCenter(1, 0).x());
    QSignalSpy spy(&view, &HeatmapView::neuronClicked);
    QTest::mouseClick(view.plotWidget(), Qt::LeftButton, {}, leftmost);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(1).toInt(), 5);
}

void TestHeatmapView::hoverEmitsHoveredChanged() {
    HeatmapView view;
    view.setScores(3, 8, randomScores(24, 10));
    showAndLayOut(view, QSize(800, 400));
    QSignalSpy spy(&view, &HeatmapView::hoveredChanged);
    const QPoint pos = view.cellCenter(2, 3);
    QMouseEvent move(QEvent::MouseMove, pos, view.plotWidget()->mapToGlobal(pos), Qt::NoButton, Qt::NoButton,
                     Qt::NoModifier);
    QApplication::sendEvent(view.plotWidget(), &move);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toInt(), 2);
    QCOMPARE(spy.at(0).at(1).toInt(), 3);
    QApplication::sendEvent(view.plotWidget(), &move);  // same cell: no new signal
    QCOMPARE(spy.count(), 1);
}

// The 2-layer demo showed layer ticks at -0.5, 0, 0.5, 1, 1.5.
void TestHeatmapView::ticksAreWholeNumbers() {
    ProbedHeatmapView view;
    view.setScores(2, 7, randomScores(14, 12));
    showAndLayOut(view, QSize(800, 400));
    for (QCPAxis* axis : {view.plot()->xAxis, view.plot()->yAxis}) {
        const QVector<double> ticks = axis->tickVector();
        QVERIFY(!ticks.isEmpty());
        for (double t : ticks) QVERIFY2(t == std::round(t), qPrintable(QString::number(t)));
    }
    QCOMPARE(view.plot()->yAxis->tickVector(), QVector<double>({0.0, 1.0}));
}

void TestHeatmapView::wheelZoomsAlongNeuronsOnly() {
    ProbedHeatmapView view;
    view.setScores(6, 400, randomScores(2400, 13));
    showAndLayOut(view, QSize(800, 400));
    const QCPRange layers = view.plot()->yAxis->range();
    const QCPRange neurons = view.plot()->xAxis->range();
    const QPoint at = view.cellCenter(3, 200);
    QWheelEvent wheel(at, view.plotWidget()->mapToGlobal(at), QPoint(), QPoint(0, 480), Qt::NoButton, Qt::NoModifier,
                      Qt::NoScrollPhase, false);
    QApplication::sendEvent(view.plotWidget(), &wheel);
    QVERIFY(view.plot()->xAxis->range().size() < neurons.size() * 0.9);  // zoomed in on neurons
    QCOMPARE(view.plot()->yAxis->range().lower, layers.lower);           // every layer still shown
    QCOMPARE(view.plot()->yAxis->range().upper, layers.upper);
}

void TestHeatmapView::newOrderResetsZoom() {
    ProbedHeatmapView view;
    view.setScores(2, 100, randomScores(200, 14));
    view.setVisibleRange(10, 20);
    QCOMPARE(view.plot()->xAxis->range().lower, 9.5);
    view.setOrder(HeatmapOrder::ByScore);  // positions 10..19 are other neurons now
    QCOMPARE(view.plot()->xAxis->range().lower, -0.5);
    QCOMPARE(view.plot()->xAxis->range().upper, 99.5);
}

void TestHeatmapView::clickOutlinesTheNeuron() {
    HeatmapView view;
    view.setScores(3, 10, std::vector<float>(30, 0.5f));  // one colour everywhere
    showAndLayOut(view, QSize(800, 400));
    QCOMPARE(view.highlighted(), std::make_pair(-1, -1));
    const QPoint centre = view.cellCenter(1, 4);
    const int halfWidth = (view.cellCenter(1, 5).x() - centre.x()) / 2;
    const QPoint edge(centre.x() - halfWidth, centre.y());  // the cell's left border
    auto pixel = [&](QPoint p) { return view.plotWidget()->grab().toImage().pixel(p); };
    const QRgb cellColour = pixel(centre);
    QCOMPARE(pixel(edge), cellColour);
    QTest::mouseClick(view.plotWidget(), Qt::LeftButton, {}, centre);
    QCOMPARE(view.highlighted(), std::make_pair(1, 4));
    view.replotNow();
    const QRgb border = pixel(edge);
    QVERIFY2(border == qRgb(255, 255, 255) || border == qRgb(0, 0, 0), qPrintable(QString::number(border, 16)));
    QCOMPARE(pixel(centre), cellColour);                  // an outline: the cell's colour stays visible
    view.setScores(4, 10, std::vector<float>(40, 0.5f));  // another model: no outline
    QCOMPARE(view.highlighted(), std::make_pair(-1, -1));
}

QTEST_MAIN(TestHeatmapView)
#include "test_heatmap_view.moc"
