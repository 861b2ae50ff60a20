// HistogramView: bin counts, selected count, threshold by API and by dragging the line.
#include "ui/views/histogram_view.h"

#include <QSignalSpy>
#include <QTest>
#include <QWheelEvent>

#include <cmath>
#include <random>

using namespace prunescope::ui;

namespace {

struct Questions {
    std::vector<float> confidence;
    std::vector<uint8_t> correct;
};

Questions randomQuestions(int n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
    Questions q;
    for (int i = 0; i < n; ++i) {
        const float c = uniform(rng);
        q.confidence.push_back(c);
        q.correct.push_back(uniform(rng) < c ? 1 : 0);  // confident answers are right more often
    }
    return q;
}

int countAtLeast(const std::vector<float>& v, double threshold) {
    int n = 0;
    for (const float c : v) n += c >= threshold ? 1 : 0;
    return n;
}

}  // namespace

class TestHistogramView : public QObject {
    Q_OBJECT
private slots:
    void countsKnownData();
    void binCountChangesBins();
    void selectedCountFollowsThreshold();
    void setThresholdEmitsOnlyOnChange();
    void dragMovesThreshold();
    void pressOnPlotJumpsThreshold();
    void zoomRebinsTheVisibleRange();
    void logScaleShowsSmallBins();
};

void TestHistogramView::countsKnownData() {
    HistogramView view;
    QCOMPARE(view.binCount(), 20);
    // Bin i covers [i/20, (i+1)/20); 1.0 falls in the last bin.
    view.setData({0.0f, 0.01f, 0.049f, 0.05f, 0.5f, 0.999f, 1.0f, 1.0f}, {1, 0, 1, 1, 0, 1, 0, 1});
    const auto& correct = view.correctCounts();
    const auto& wrong = view.wrongCounts();
    QCOMPARE(int(correct.size()), 20);
    QCOMPARE(correct[0], 2);
    QCOMPARE(wrong[0], 1);
    QCOMPARE(correct[1], 1);
    QCOMPARE(wrong[10], 1);
    QCOMPARE(correct[19], 2);
    QCOMPARE(wrong[19], 1);
    int total = 0;
    for (int b = 0; b < 20; ++b) total += correct[size_t(b)] + wrong[size_t(b)];
    QCOMPARE(total, 8);
}

void TestHistogramView::binCountChangesBins() {
    HistogramView view;
    const Questions q = randomQuestions(500, 1);
    view.setData(q.confidence, q.correct);
    view.setBinCount(7);
    QCOMPARE(int(view.correctCounts().size()), 7);
    int total = 0;
    for (int b = 0; b < 7; ++b) total += view.correctCounts()[size_t(b)] + view.wrongCounts()[size_t(b)];
    QCOMPARE(total, 500);
}

void TestHistogramView::selectedCountFollowsThreshold() {
    HistogramView view;
    const Questions q = randomQuestions(1000, 2);
    view.setData(q.confidence, q.correct);
    for (const double t : {0.0, 0.25, 0.5, 0.9, 1.0}) {
        view.setThreshold(t);
        QCOMPARE(view.selectedCount(), countAtLeast(q.confidence, t));
        QVERIFY(view.selectionText().contains(QString::number(view.selectedCount())));
    }
    view.setThreshold(0.0);
    QCOMPARE(view.selectedCount(), 1000);
    int correct = 0;
    for (const uint8_t c : q.correct) correct += c;
    QCOMPARE(view.selectedCorrectCount(), correct);
}

void TestHistogramView::setThresholdEmitsOnlyOnChange() {
    HistogramView view;
    QSignalSpy spy(&view, &HistogramView::thresholdChanged);
    view.setThreshold(0.7);
    view.setThreshold(0.7);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toDouble(), 0.7);
    view.setThreshold(3.0);  // clamped
    QCOMPARE(view.threshold(), 1.0);
    QCOMPARE(spy.count(), 2);
}

void TestHistogramView::dragMovesThreshold() {
    HistogramView view;
    const Questions q = randomQuestions(800, 3);
    view.setData(q.confidence, q.correct);
    view.resize(600, 400);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.replotNow();
    QCOMPARE(view.threshold(), 0.5);
    QSignalSpy spy(&view, &HistogramView::thresholdChanged);
    QWidget* plot = view.plotWidget();
    QTest::mousePress(plot, Qt::LeftButton, {}, view.positionFor(0.5));
    for (const double x : {0.45, 0.4, 0.35, 0.3}) QTest::mouseMove(plot, view.positionFor(x));
    QTest::mouseRelease(plot, Qt::LeftButton, {}, view.positionFor(0.3));
    QVERIFY(spy.count() >= 4);
    const double last = spy.last().at(0).toDouble();
    qInfo("dragged threshold: %.5f (expected 0.3, |diff| %.5f)", last, std::fabs(last - 0.3));
    QVERIFY(std::fabs(last - 0.3) < 0.01);
    QCOMPARE(view.threshold(), last);
    QCOMPARE(view.selectedCount(), countAtLeast(q.confidence, last));
    // Moving after the release does nothing.
    const int count = spy.count();
    QTest::mouseMove(plot, view.positionFor(0.8));
    QCOMPARE(spy.count(), count);
}

void TestHistogramView::pressOnPlotJumpsThreshold() {
    HistogramView view;
    view.resize(600, 400);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.replotNow();
    QSignalSpy spy(&view, &HistogramView::thresholdChanged);
    QTest::mouseClick(view.plotWidget(), Qt::LeftButton, {}, view.positionFor(0.85));
    QCOMPARE(spy.count(), 1);
    QVERIFY(std::fabs(view.threshold() - 0.85) < 0.01);
}

// Most answers of a confident model land in [0.95, 1]: zooming there spreads them over the bins.
void TestHistogramView::zoomRebinsTheVisibleRange() {
    HistogramView view;
    std::vector<float> confidence;
    for (int i = 0; i < 100; ++i) confidence.push_back(0.9502f + 0.0005f * float(i));  // 0.9502 ... 0.9997
    confidence.push_back(0.2f);
    view.setData(confidence, std::vector<uint8_t>(confidence.size(), 1));
    QCOMPARE(view.correctCounts()[19], 100);  // all in the last bin
    view.setVisibleRange(0.95, 1.0);
    int inView = 0;
    for (int b = 0; b < 20; ++b) {
        QCOMPARE(view.correctCounts()[size_t(b)], 5);  // 0.0025 wide: 5 answers each
        inView += view.correctCounts()[size_t(b)];
    }
    QCOMPARE(inView, 100);  // 0.2 is out of view
    // Counts above the threshold do not depend on the zoom.
    view.setThreshold(0.5);
    QCOMPARE(view.selectedCount(), 100);
    // A range narrower than the minimum widens around its centre; outside [0, 1] is cut.
    view.setVisibleRange(0.5, 0.5);
    QCOMPARE(view.visibleRange().second - view.visibleRange().first, HistogramView::kMinRange);
    view.setVisibleRange(-1.0, 2.0);
    QCOMPARE(view.visibleRange(), std::make_pair(0.0, 1.0));
    // The wheel zooms around the mouse; a double click shows everything again.
    view.resize(600, 300);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.replotNow();
    const QPoint at = view.positionFor(0.9);
    QWheelEvent wheel(at, view.plotWidget()->mapToGlobal(at), QPoint(), QPoint(0, 480), Qt::NoButton, Qt::NoModifier,
                      Qt::NoScrollPhase, false);
    QApplication::sendEvent(view.plotWidget(), &wheel);
    const auto [lo, hi] = view.visibleRange();
    QVERIFY2(lo > 0.0 && hi <= 1.0 && hi - lo < 0.9, qPrintable(QStringLiteral("%1 %2").arg(lo).arg(hi)));
    QVERIFY(lo < 0.9 && 0.9 < hi);
    QTest::mouseDClick(view.plotWidget(), Qt::LeftButton, {}, at);
    QCOMPARE(view.visibleRange(), std::make_pair(0.0, 1.0));
}

void TestHistogramView::logScaleShowsSmallBins() {
    HistogramView view;
    view.resize(600, 300);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    std::vector<float> confidence(1000, 0.99f);
    confidence.push_back(0.3f);  // one answer: 1/1000 of the tallest bar
    view.setData(confidence, std::vector<uint8_t>(confidence.size(), 1));
    auto barHeight = [&] {  // pixels of the 0.3 bin's bar, from the plot as drawn
        view.replotNow();
        const QImage image = view.plotWidget()->grab().toImage();
        const QPoint base = view.positionFor(0.325);
        int height = 0;
        for (int y = image.height() - 1; y >= 0; --y)
            if (QColor(image.pixel(base.x(), y)).green() > 150 && QColor(image.pixel(base.x(), y)).red() < 150)
                ++height;
        return height;
    };
    QVERIFY(barHeight() <= 1);  // linear: under a pixel
    view.setLogScale(true);
    QVERIFY(view.logScale());
    const int logHeight = barHeight();
    qInfo("one-answer bar: %d px on the log axis", logHeight);
    QVERIFY(logHeight >= 10);
}

QTEST_MAIN(TestHistogramView)
#include "test_histogram_view.moc"
