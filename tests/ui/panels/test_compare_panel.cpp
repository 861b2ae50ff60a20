// Compare: the report built from runs (mean and sample std over seeds, paired differences against
// plain fine-tuning, wins), the table and bar chart that show it, reading and writing report.json.
#include <QSignalSpy>
#include <QTableWidget>
#include <QTest>

#include <cmath>

#include "tests/support/test_support.h"
#include "ui/panels/compare_panel.h"
#include "ui/report/report_model.h"
#include "ui/views/bar_chart_view.h"
#include "ui/views/series_colors.h"
#include "ui/worker/engine.h"

using namespace prunescope;
using namespace prunescope::ui;

namespace {

RunResult run(const char* arm, int seed, double test, double ood) {
    RunResult r;
    r.arm = QString::fromLatin1(arm);
    r.seed = seed;
    r.base = {{QStringLiteral("test"), QStringLiteral("id"), 0.40, 0.5},
              {QStringLiteral("ood-x"), QStringLiteral("ood"), 0.30, 0.5}};
    r.results = {{QStringLiteral("test"), QStringLiteral("id"), test, 0.6},
                 {QStringLiteral("ood-x"), QStringLiteral("ood"), ood, 0.6}};
    return r;
}

std::vector<RunResult> runs() {
    return {run("plain", 0, 0.60, 0.30), run("ig", 0, 0.58, 0.40),    run("plain", 1, 0.62, 0.34),
            run("ig", 1, 0.60, 0.32),    run("plain", 2, 0.64, 0.32), run("ig", 2, 0.61, 0.38)};
}

}  // namespace

class TestComparePanel : public QObject {
    Q_OBJECT
private slots:
    void reportFromRuns();
    void panelShowsReport();
    void reportFileRoundTrip();
    void rejectsNonReports();
    void reportsAreAddedNeverReplaced();
};

void TestComparePanel::reportFromRuns() {
    const auto report = buildReport(runs());
    QCOMPARE(report["format"].get<std::string>(), std::string("prunescope.report"));
    QVERIFY(report["arms"] == nlohmann::json({"plain", "ig"}));
    QVERIFY(report["seeds"] == nlohmann::json({0, 1, 2}));
    QCOMPARE(report["results"].size(), size_t(12));
    const auto t = reportTable(report);
    QCOMPARE(t.datasets, QStringList({"test", "ood-x"}));
    QCOMPARE(t.datasetKinds, QStringList({"id", "ood"}));
    // plain on test: 0.60, 0.62, 0.64 -> mean 0.62, sample std 0.02
    QVERIFY(std::abs(t.mean[0][0] - 0.62) < 1e-12);
    QVERIFY(std::abs(t.std[0][0] - 0.02) < 1e-12);
    QCOMPARE(t.n[0][0], 3);
    QCOMPARE(t.base[1], 0.30);
    // ig vs plain on ood-x: diffs 0.10, -0.02, 0.06 -> mean 0.04667, wins 2 of 3
    const PairedRow* ood = nullptr;
    for (const auto& p : t.paired)
        if (p.arm == QLatin1String("ig") && p.dataset == QLatin1String("ood-x")) ood = &p;
    QVERIFY(ood != nullptr);
    QVERIFY(std::abs(ood->meanDiff - 0.14 / 3) < 1e-12);
    QCOMPARE(ood->wins, 2);
    QCOMPARE(ood->n, 3);
    const double sd = std::sqrt(((0.10 - 0.14 / 3) * (0.10 - 0.14 / 3) + (-0.02 - 0.14 / 3) * (-0.02 - 0.14 / 3) +
                                 (0.06 - 0.14 / 3) * (0.06 - 0.14 / 3)) /
                                2.0);
    QVERIFY(std::abs(ood->stdErr - sd / std::sqrt(3.0)) < 1e-12);
}

void TestComparePanel::panelShowsReport() {
    Engine engine;
    ComparePanel panel(engine);
    QSignalSpy changed(&panel, &ComparePanel::reportChanged);
    for (const auto& r : runs()) panel.addRun(r);
    QCOMPARE(panel.runCount(), 6);
    QCOMPARE(changed.count(), 6);
    auto* table = panel.table();
    QCOMPARE(table->rowCount(), 3);  // base, plain, ig
    QCOMPARE(table->columnCount(), 2);
    QCOMPARE(table->verticalHeaderItem(1)->text(), QStringLiteral("plain"));
    QCOMPARE(table->item(1, 0)->text(), QStringLiteral("62.0 % ± 2.0 (n=3)"));
    QCOMPARE(table->item(0, 1)->text(), QStringLiteral("30.0 %"));
    QCOMPARE(panel.pairedTable()->rowCount(), 2);
    auto* chart = panel.chart();
    QCOMPARE(chart->categoryCount(), 2);
    QCOMPARE(chart->seriesCount(), 3);
    QVERIFY(chart->hasErrors());
    QVERIFY(std::abs(chart->value(1, 2) - (0.40 + 0.32 + 0.38) / 3) < 1e-12);
    QVERIFY(!panel.sourceText().contains(QStringLiteral("no accuracies")));
    // Each arm has its own colour, whatever the arms beside it and their order.
    QCOMPARE(chart->seriesColorOf(0), armColor(QStringLiteral("base")));
    QCOMPARE(chart->seriesColorOf(1), armColor(QStringLiteral("plain")));
    QCOMPARE(chart->seriesColorOf(2), armColor(QStringLiteral("ig")));
    ComparePanel igOnly(engine);
    for (const auto& r : runs())
        if (r.arm == QLatin1String("ig")) igOnly.addRun(r);
    QCOMPARE(igOnly.chart()->seriesCount(), 2);  // base, ig
    QCOMPARE(igOnly.chart()->seriesColorOf(1), armColor(QStringLiteral("ig")));
    QVERIFY(armColor(QStringLiteral("ig")) != armColor(QStringLiteral("plain")));
    QVERIFY(armColor(QStringLiteral("random")) != armColor(QStringLiteral("magnitude")));

    // Runs made with no test or ood set open: the panel says why the table is empty.
    ComparePanel bare(engine);
    RunResult r = run("plain", 0, 0.6, 0.3);
    r.base.clear();
    r.results.clear();
    bare.addRun(r);
    QVERIFY2(bare.sourceText().contains(QStringLiteral("no dataset with the role test or ood")),
             qPrintable(bare.sourceText()));
}

void TestComparePanel::reportFileRoundTrip() {
    test::TempDir dir;
    Engine engine;
    ComparePanel panel(engine);
    for (const auto& r : runs()) panel.addRun(r);
    const QString file = QString::fromStdString((dir / "report.json").string());
    QString error;
    QVERIFY2(panel.saveReport(file, &error), qPrintable(error));
    ComparePanel other(engine);
    QVERIFY2(other.openReport(file, &error), qPrintable(error));
    QVERIFY(other.report() == panel.report());
    QCOMPARE(other.table()->item(2, 1)->text(), panel.table()->item(2, 1)->text());
}

void TestComparePanel::rejectsNonReports() {
    test::TempDir dir;
    Engine engine;
    ComparePanel panel(engine);
    QString error;
    QVERIFY(!panel.addReport({{"format", "something"}}, QStringLiteral("x"), QString(), &error));
    QVERIFY2(error.contains(QStringLiteral("prunescope.report")), qPrintable(error));
    QCOMPARE(panel.reportCount(), 0);
    QVERIFY(!panel.openReport(QString::fromStdString((dir / "none.json").string()), &error));
    QVERIFY(panel.report().is_null());
    QVERIFY(!panel.saveReport(QString::fromStdString((dir / "x.json").string()), &error));
}

// An opened report, then runs made in this window, then an experiment's report: three entries,
// each still shown as it was; opening the same file again reads it into its entry.
void TestComparePanel::reportsAreAddedNeverReplaced() {
    test::TempDir dir;
    Engine engine;
    ComparePanel maker(engine);
    for (const auto& r : runs()) maker.addRun(r);
    const QString file = QString::fromStdString((dir / "report.json").string());
    QVERIFY(maker.saveReport(file));
    const auto opened = maker.report();

    ComparePanel panel(engine);
    QString error;
    QVERIFY2(panel.openReport(file, &error), qPrintable(error));
    QCOMPARE(panel.reportCount(), 1);
    panel.addRun(run("plain", 7, 0.5, 0.2));  // one more fine-tune: a new entry, shown
    QCOMPARE(panel.reportCount(), 2);
    QCOMPARE(panel.currentReport(), 1);
    QVERIFY(panel.report()["seeds"] == nlohmann::json({7}));
    QVERIFY(panel.reportAt(0) == opened);   // the opened report is unchanged
    panel.addRun(run("ig", 7, 0.5, 0.25));  // into the same runs entry
    QCOMPARE(panel.reportCount(), 2);
    QCOMPARE(panel.runCount(), 2);
    emit engine.experimentFinished(opened);  // an experiment's report: a third entry
    QCOMPARE(panel.reportCount(), 3);
    QCOMPARE(panel.currentReport(), 2);
    QVERIFY(panel.reportLabel(2).startsWith(QStringLiteral("Experiment")));
    QCOMPARE(panel.runCount(), 2);  // the runs are kept
    panel.showReport(0);
    QVERIFY(panel.report() == opened);
    QCOMPARE(panel.table()->item(1, 0)->text(), QStringLiteral("62.0 % ± 2.0 (n=3)"));
    QVERIFY(panel.sourceText().contains(QStringLiteral("report.json")));
    QVERIFY(panel.openReport(file, &error));  // again: the same entry
    QCOMPARE(panel.reportCount(), 3);
    QCOMPARE(panel.currentReport(), 0);
    // The file itself was never written.
    QFile in(file);
    QVERIFY(in.open(QIODevice::ReadOnly));
    QVERIFY(nlohmann::json::parse(in.readAll().toStdString()) == opened);
    panel.clear();
    QCOMPARE(panel.reportCount(), 0);
    QVERIFY(panel.report().is_null());
}

QTEST_MAIN(TestComparePanel)
#include "test_compare_panel.moc"
