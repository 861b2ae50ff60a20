// BarChartView: shapes, error bars and rejection of mismatched input.
#include "ui/views/bar_chart_view.h"

#include <QTest>

#include <qcustomplot.h>

using namespace prunescope::ui;

class TestBarChartView : public QObject {
    Q_OBJECT
private slots:
    void groupedBarsWithErrors();
    void singleSeriesWithoutErrors();
    void mismatchedShapesAreRejected();
    void labelsThinOutWhenTheyWouldOverlap();
    void nonNegativeValuesKeepTheAxisAtZero();
    void countsTickWholeNumbers();
};

void TestBarChartView::groupedBarsWithErrors() {
    BarChartView view;
    const bool ok =
        view.setData({"base", "pruned", "random"}, {"MMLU", "ARC"}, {{0.61, 0.55}, {0.64, 0.57}, {0.58, 0.51}},
                     {{0.01, 0.02}, {0.015, 0.01}, {0.02, 0.03}});
    QVERIFY(ok);
    QCOMPARE(view.categoryCount(), 3);
    QCOMPARE(view.seriesCount(), 2);
    QCOMPARE(view.value(1, 0), 0.64);
    QVERIFY(view.hasErrors());
    view.resize(600, 400);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.replotNow();  // draws bars and error bars without complaint
}

void TestBarChartView::singleSeriesWithoutErrors() {
    BarChartView view;
    QStringList layers;
    std::vector<std::vector<double>> counts;
    for (int l = 0; l < 32; ++l) {
        layers << QString::number(l);
        counts.push_back({double(l * 3 % 17)});
    }
    QVERIFY(view.setData(layers, {"neurons to prune"}, counts));
    QCOMPARE(view.categoryCount(), 32);
    QVERIFY(!view.hasErrors());
    view.setValueLabel(QStringLiteral("neurons"));
    view.setCategoryLabel(QStringLiteral("layer"));
    view.replotNow();
}

void TestBarChartView::mismatchedShapesAreRejected() {
    BarChartView view;
    QVERIFY(!view.setData({"a", "b"}, {"s"}, {{1.0}}));           // one row missing
    QVERIFY(!view.setData({"a"}, {"s", "t"}, {{1.0}}));           // one column missing
    QVERIFY(!view.setData({"a"}, {"s"}, {{1.0}}, {{1.0, 2.0}}));  // errors' shape
    QCOMPARE(view.categoryCount(), 0);
    QVERIFY(view.setData({"a"}, {"s"}, {{1.0}}, {{0.5}}));
}

// A histogram of 16 bins labelled "4.14", "4.16", ... : in a narrow plot only every k-th label is
// drawn (they overlapped); in a wide one, all of them.
void TestBarChartView::labelsThinOutWhenTheyWouldOverlap() {
    BarChartView view;
    QStringList bins;
    std::vector<std::vector<double>> counts;
    for (int b = 0; b < 16; ++b) {
        bins << QString::number(4.14 + 0.0306 * b, 'g', 3);
        counts.push_back({double(b % 5)});
    }
    QVERIFY(view.setData(bins, {"activation"}, counts));
    view.resize(300, 250);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.replotNow();
    const int narrow = view.labelStride();
    qInfo("300 px: every %d-th label", narrow);
    QVERIFY(narrow >= 2);
    view.resize(1600, 250);
    view.replotNow();
    view.replotNow();  // the first replot lays out at the new width
    qInfo("1600 px: every %d-th label", view.labelStride());
    QCOMPARE(view.labelStride(), 1);

    // No data: a message instead of bare axes.
    QVERIFY(!view.showsEmptyState());
    view.setEmptyText(QStringLiteral("nothing to show"));
    QVERIFY(view.setData({}, {}, {}));
    view.replotNow();
    QCOMPARE(view.categoryCount(), 0);
    QVERIFY(view.showsEmptyState());
    QVERIFY(!view.plotWidget()->isVisible());
    QVERIFY(view.setData({"a"}, {"s"}, {{1.0}}));
    QVERIFY(!view.showsEmptyState());
    QVERIFY(view.plotWidget()->isVisible());
}

// Accuracies near 0 with wide error bars (the Compare panel's chance-level arms): the axis starts
// at 0, not at value - error; values below 0 still get room below 0.
void TestBarChartView::nonNegativeValuesKeepTheAxisAtZero() {
    BarChartView view;
    QVERIFY(view.setData({"plain", "ig"}, {"ood"}, {{0.02}, {0.10}}, {{0.05}, {0.04}}));
    const auto* p = view.findChild<QCustomPlot*>();
    QVERIFY(p != nullptr);
    QCOMPARE(p->yAxis->range().lower, 0.0);
    QVERIFY(p->yAxis->range().upper >= 0.14);
    QVERIFY(view.setData({"a", "b"}, {"diff"}, {{-0.03}, {0.05}}, {{0.01}, {0.01}}));
    QVERIFY(p->yAxis->range().lower < -0.04);
}

// Counts (the neuron panel's histograms, neurons per layer) tick 0, 1, 2 …, never 0.5.
void TestBarChartView::countsTickWholeNumbers() {
    BarChartView view;
    view.resize(400, 600);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QVERIFY(view.setData({"a", "b", "c"}, {"questions"}, {{1.0}, {2.0}, {0.0}}));
    view.replotNow();
    const auto* p = view.findChild<QCustomPlot*>();
    QVERIFY(p != nullptr);
    const auto ticks = p->yAxis->tickVector();
    QVERIFY(ticks.size() >= 2);
    for (double t : ticks) QCOMPARE(t, std::round(t));
    // Fractions keep the default ticker.
    QVERIFY(view.setData({"a"}, {"accuracy"}, {{0.37}}));
    view.replotNow();
    QVERIFY(p->yAxis->ticker().dynamicCast<QCPAxisTickerFixed>().isNull());
}

QTEST_MAIN(TestBarChartView)
#include "test_bar_chart_view.moc"
