// End to end through the main window, headless, on a tiny real model with real ARC questions:
// open (model + train / test / OOD files) -> score -> attribute (few steps) -> select (+ ablation
// preview) -> fine-tune one short epoch on the IG-pruned model -> compare with plain and random
// arms run from the same window -> save the session, export a plot and a table.
#include <QAction>
#include <QFile>
#include <QImage>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTest>

#include "tests/ui/plot_content.h"
#include "tests/ui/ui_test_support.h"
#include "ui/common/export_actions.h"
#include "ui/main/main_window.h"
#include "ui/panels/attribution_panel.h"
#include "ui/panels/compare_panel.h"
#include "ui/panels/finetune_panel.h"
#include "ui/panels/score_panel.h"
#include "ui/panels/selection_panel.h"
#include "ui/session/session.h"
#include "ui/views/bar_chart_view.h"
#include "ui/views/heatmap_view.h"
#include "ui/views/plot_export.h"

using namespace prunescope;
using namespace prunescope::ui;

class TestGuiEndToEnd : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void wholeFlow();
};

void TestGuiEndToEnd::wholeFlow() {
    test::TempDir dir;
    auto fixture = test::makeGuiFixture(dir.path(), 60, 30);
    MainWindow window(nullptr, {false, false});
    window.resize(1500, 950);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    Engine& engine = window.engine();

    // Open.
    window.openModel(test::qs(fixture.model));
    window.addDataset(test::qs(fixture.train), QStringLiteral("train"));
    window.addDataset(test::qs(fixture.test), QStringLiteral("test"));
    window.addDataset(test::qs(fixture.ood), QStringLiteral("ood"));
    QVERIFY(test::waitIdle(engine));
    QCOMPARE(engine.datasets().size(), size_t(4));

    // Score (F5) the training split; move the threshold to select every question.
    window.scorePanel()->setCurrentDataset(QStringLiteral("arc-easy-train"));
    QSignalSpy scored(&engine, &Engine::scoringFinished);
    window.action(QStringLiteral("score"))->trigger();
    QVERIFY(test::waitIdle(engine));
    QCOMPARE(scored.count(), 1);
    QCOMPARE(int(scored.at(0).at(0).value<ScoreResult>().rows.size()), 54);
    window.scorePanel()->setThreshold(0.0);
    QCOMPARE(window.attributionPanel()->request().filter.minConfidence, 0.0);

    // Attribute (F6): 8 questions, 4 steps; the heatmap gets the final scores.
    window.attributionPanel()->applySettings({{"limit", 8}, {"steps", 4}, {"min_confidence", 0.0}});
    window.action(QStringLiteral("attribute"))->trigger();
    QVERIFY(test::waitIdle(engine));
    const auto& scores = window.attributionPanel()->scores();
    QVERIFY(scores.final);
    QCOMPARE(scores.questions, 8);
    QVERIFY(QFile::exists(scores.file));

    // Select: per-layer top 5 % -> 6 neurons in each layer, outlined on the attribution heatmap.
    auto* select = window.selectionPanel();
    QSignalSpy previews(&engine, &Engine::previewFinished);
    select->setRule(SelectRule::PerLayerTopPercent);
    select->setValue(5.0);
    QTRY_COMPARE(select->mask().count(), int64_t(12));
    window.attributionPanel()->heatmap()->replotNow();
    QCOMPARE(window.attributionPanel()->heatmap()->raster().selectedCount(), 12);
    // The preview follows on its own, shortly after the last change.
    QTRY_VERIFY_WITH_TIMEOUT(select->preview().has_value() && select->preview()->pruned == 12, 60000);
    QVERIFY(previews.count() >= 1);
    QVERIFY(test::waitIdle(engine));

    // Fine-tune (F8) the IG-pruned model for one short epoch.
    auto* finetune = window.finetunePanel();
    finetune->applySettings(
        {{"arm", "ig"}, {"seed", 0}, {"finetune", {{"epochs", 1}, {"batch_size", 8}, {"lr", 0.001}}}});
    QSignalSpy runs(&engine, &Engine::finetuneFinished);
    window.action(QStringLiteral("finetune"))->trigger();
    QVERIFY(test::waitIdle(engine, 600000));
    QCOMPARE(runs.count(), 1);
    const auto ig = runs.at(0).at(0).value<RunResult>();
    QCOMPARE(ig.arm, QStringLiteral("ig"));
    QCOMPARE(ig.pruned, int64_t(12));
    QCOMPARE(ig.steps, int64_t(7));  // 54 questions in batches of 8
    QVERIFY(finetune->resultText().contains(QStringLiteral("ig seed 0")));

    // Compare: plain and random arms from the same window, one seed each.
    auto* compare = window.comparePanel();
    compare->runArms({QStringLiteral("plain"), QStringLiteral("random")}, 1);
    QVERIFY(test::waitIdle(engine, 600000));
    QCOMPARE(compare->runCount(), 3);
    const auto& report = compare->report();
    QVERIFY(report["arms"] == nlohmann::json({"plain", "ig", "random"}));
    QCOMPARE(report["summary"].size(), size_t(6));  // 3 arms x (test, ood)
    QCOMPARE(report["paired"].size(), size_t(4));   // ig and random vs plain on 2 sets
    QCOMPARE(compare->table()->rowCount(), 4);      // base + 3 arms
    QCOMPARE(compare->chart()->seriesCount(), 4);
    QVERIFY(window.errors().isEmpty());

    // Save the session; it names the attributions, the mask and the report.
    const QString file = test::qs(dir / "e2e.prunescope");
    QString error;
    QVERIFY2(window.saveSession(file, &error), qPrintable(error));
    const Session saved = readSession(file);
    QCOMPARE(saved.model, test::qs(fixture.model));
    QCOMPARE(int(saved.datasets.size()), 3);
    QCOMPARE(saved.attributions, scores.file);
    QVERIFY(QFile::exists(saved.mask));
    QVERIFY(QFile::exists(saved.report));
    QCOMPARE(saved.settings["finetune"]["arm"].get<std::string>(), std::string("ig"));

    // Every plot exports to PNG / SVG / PDF, every table to CSV.
    for (const char* ext : {"png", "svg", "pdf"}) {
        const QString out = test::qs(dir / (std::string("heatmap.") + ext));
        QVERIFY2(exportPlot(window.attributionPanel()->heatmap(), out, &error), qPrintable(error));
        QVERIFY(QFileInfo(out).size() > 100);
    }
    // The PNG shows the attribution heatmap's cells, in varied colours, not a blank image.
    const QImage png(test::qs(dir / "heatmap.png"));
    const auto heatmap = test::plotContent(png), middle = test::plotContent(test::plotMiddle(png));
    test::printPlotContent("heatmap.png", heatmap);
    test::printPlotContent("its middle", middle);
    QVERIFY(heatmap.data > 0.1 && middle.data > 0.1 && middle.dataColours >= 20);
    const QString csv = test::qs(dir / "compare.csv");
    QVERIFY2(writeCsv(*compare->table()->model(), csv, &error), qPrintable(error));
    QFile in(csv);
    QVERIFY(in.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(in.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 5);  // header + 4 rows
}

QTEST_MAIN(TestGuiEndToEnd)
#include "test_gui_e2e.moc"
