// LineChartView: appends are cheap and bursts are merged into one throttled replot.
#include "ui/views/line_chart_view.h"

#include <QTest>

using namespace prunescope::ui;

class TestLineChartView : public QObject {
    Q_OBJECT
private slots:
    void burstIsOneReplot();
    void twoAxes();
    void clearRemovesSeries();
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

QTEST_MAIN(TestLineChartView)
#include "test_line_chart_view.moc"
