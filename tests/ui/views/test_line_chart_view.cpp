// LineChartView: appends are cheap and bursts are merged into one throttled replot.
#include "ui/views/line_chart_view.h"

#include <QTest>

#include <qcustomplot.h>

using namespace prunescope::ui;

class TestLineChartView : public QObject {
    Q_OBJECT
private slots:
    void burstIsOneReplot();
    void twoAxes();
    void clearRemovesSeries();
    void rangesFollowTheData();
};

void TestLineChartView::burstIsOneReplot() {
    LineChartView view;
    view.resize(600, 400);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QTRY_COMPARE(view.replotCount(), 0);
    for (int step = 0; step < 2000; ++step) view.addPoint(QStringLiteral("loss"), step, 1.0 / (1 + step));
    QCOMPARE(view.pointCount(QStringLiteral("loss")), 2000);
    QCOMPARE(view.replotCount(), 0);  // nothing drawn synchronously
    QTRY_COMPARE(view.replotCount(), 1);
    QTest::qWait(3 * LineChartView::kReplotDelayMs);
    QCOMPARE(view.replotCount(), 1);  // and only once
    view.addPoint(QStringLiteral("loss"), 2000, 0.0);
    QTRY_COMPARE(view.replotCount(), 2);
}

void TestLineChartView::twoAxes() {
    LineChartView view;
    view.addSeries(QStringLiteral("loss"), LineAxis::Left);
    view.addSeries(QStringLiteral("val acc"), LineAxis::Right);
    view.setAxisLabels(QStringLiteral("step"), QStringLiteral("loss"), QStringLiteral("accuracy"));
    for (int step = 0; step < 10; ++step) {
        view.addPoint(QStringLiteral("loss"), step, 5.0 - step);
        view.addPoint(QStringLiteral("val acc"), step, 0.1 * step);
    }
    QCOMPARE(view.seriesCount(), 2);
    QCOMPARE(view.pointCount(QStringLiteral("val acc")), 10);
    QCOMPARE(view.pointCount(QStringLiteral("missing")), 0);
    QTRY_VERIFY(view.replotCount() >= 1);
}

void TestLineChartView::clearRemovesSeries() {
    LineChartView view;
    view.addPoint(QStringLiteral("a"), 0, 1);
    view.clear();
    QCOMPARE(view.seriesCount(), 0);
    view.addPoint(QStringLiteral("a"), 0, 1);
    QCOMPARE(view.pointCount(QStringLiteral("a")), 1);
}

// One validation point at step 0: a visible dot, a step axis that does not go negative, an
// accuracy axis that stays near its value however often the view replots; an axis with no data
// keeps its range instead of growing on every replot.
void TestLineChartView::rangesFollowTheData() {
    LineChartView view;
    view.resize(600, 400);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.addSeries(QStringLiteral("loss"), LineAxis::Left);
    view.addSeries(QStringLiteral("val acc"), LineAxis::Right);
    view.addPoint(QStringLiteral("val acc"), 0, 0.5);
    QTRY_VERIFY(view.replotCount() >= 1);
    const auto* p = view.findChild<QCustomPlot*>();
    QVERIFY(p != nullptr);
    for (int i = 0; i < 20; ++i) {
        view.addPoint(QStringLiteral("val acc"), 0, 0.5);  // the same point again: a replot each time
        const int before = view.replotCount();
        QTRY_VERIFY(view.replotCount() > before);
    }
    QCOMPARE(p->xAxis->range().lower, 0.0);
    QVERIFY(p->xAxis->range().upper > 0);
    QVERIFY(p->yAxis2->range().lower >= 0.0 && p->yAxis2->range().upper <= 1.0);
    QVERIFY(p->yAxis2->range().contains(0.5));
    const QCPRange leftBefore = p->yAxis->range();  // no loss points: untouched
    QCOMPARE(p->graph(1)->scatterStyle().shape(), QCPScatterStyle::ssDisc);
    for (int step = 1; step <= 100; ++step) view.addPoint(QStringLiteral("loss"), step, 2.0 - 0.01 * step);
    QTRY_VERIFY(p->yAxis->range() != leftBefore);
    QVERIFY(p->yAxis->range().lower > 0.9 && p->yAxis->range().upper < 2.1);
    QCOMPARE(p->graph(0)->scatterStyle().shape(), QCPScatterStyle::ssNone);  // 100 points: a line
}

QTEST_MAIN(TestLineChartView)
#include "test_line_chart_view.moc"
