// ScorePanel: the question table model and its filters / numeric sorting, and the panel on a real
// tiny model: scoring fills the table and the histogram; dragging the threshold changes the
// count of questions it selects and is emitted for the attribution.
#include <QDoubleSpinBox>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>

#include "tests/ui/ui_test_support.h"
#include "ui/common/export_actions.h"
#include "ui/panels/question_table_model.h"
#include "ui/panels/score_panel.h"
#include "ui/views/histogram_view.h"

using namespace prunescope;
using namespace prunescope::ui;

namespace {

QuestionRow row(int index, const char* question, double confidence, bool correct) {
    QuestionRow r;
    r.index = index;
    r.question = QString::fromLatin1(question);
    r.options = {QStringLiteral("red"), QStringLiteral("blue")};
    r.gold = 0;
    r.predicted = correct ? 0 : 1;
    r.confidence = confidence;
    r.correct = correct;
    return r;
}

}  // namespace

class TestScorePanel : public QObject {
    Q_OBJECT
private slots:
    void filtersAndSortsNumerically();
    void scoringFillsTableAndHistogram();
    void csvExportKeepsFullPrecision();
};

void TestScorePanel::filtersAndSortsNumerically() {
    QuestionTableModel model;
    QuestionFilterModel filter;
    filter.setSourceModel(&model);
    model.setRows({row(0, "Why is the sky blue?", 0.9, true), row(1, "What melts ice?", 0.35, false),
                   row(2, "Which gas do plants absorb?", 0.1, true), row(3, "How far is the Moon?", 0.55, false)});
    QCOMPARE(filter.rowCount(), 4);
    filter.sort(QuestionTableModel::Confidence, Qt::AscendingOrder);
    QStringList order;
    for (int r = 0; r < filter.rowCount(); ++r) order << filter.index(r, QuestionTableModel::Index).data().toString();
    QCOMPARE(order, QStringList({"2", "1", "3", "0"}));
    filter.setShow(QuestionFilterModel::Show::Wrong);
    QCOMPARE(filter.rowCount(), 2);
    filter.setShow(QuestionFilterModel::Show::AtOrAboveThreshold);
    filter.setThreshold(0.5);
    QCOMPARE(filter.rowCount(), 2);
    filter.setThreshold(0.95);
    QCOMPARE(filter.rowCount(), 0);
    filter.setShow(QuestionFilterModel::Show::All);
    filter.setText(QStringLiteral("PLANTS"));
    QCOMPARE(filter.rowCount(), 1);
    filter.setText(QStringLiteral("blue"));  // every question has the option "blue"
    QCOMPARE(filter.rowCount(), 4);
}

// The table shows confidences to 3 decimals; its CSV export has every digit.
void TestScorePanel::csvExportKeepsFullPrecision() {
    QuestionTableModel model;
    model.setRows({row(0, "Why is the sky blue?", 0.987654321, true)});
    QCOMPARE(model.index(0, QuestionTableModel::Confidence).data().toString(), QStringLiteral("0.988"));
    test::TempDir dir;
    const QString csv = test::qs(dir / "questions.csv");
    QString error;
    QVERIFY2(writeCsv(model, csv, &error), qPrintable(error));
    QFile in(csv);
    QVERIFY(in.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(in.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 2);
    QVERIFY2(lines[1].contains(QStringLiteral(",0.987654321,")), qPrintable(lines[1]));
    QVERIFY2(lines[1].contains(QStringLiteral(",yes")), qPrintable(lines[1]));  // display text elsewhere
}

void TestScorePanel::scoringFillsTableAndHistogram() {
    test::TempDir dir;
    auto fixture = test::makeGuiFixture(dir.path(), 40, 40);
    Engine engine;
    ScorePanel panel(engine);
    panel.resize(1200, 600);
    panel.show();
    engine.loadModel(test::qs(fixture.model));
    engine.loadDataset(test::qs(fixture.test), QStringLiteral("test"));
    QVERIFY(test::waitIdle(engine));
    QCOMPARE(panel.currentDataset(), QStringLiteral("arc-easy-test"));
    QSignalSpy scored(&engine, &Engine::scoringFinished);
    panel.scoreCurrent();
    QVERIFY(test::waitIdle(engine));
    QCOMPARE(scored.count(), 1);
    const auto* result = panel.result(QStringLiteral("arc-easy-test"));
    QVERIFY(result != nullptr);
    QCOMPARE(panel.tableModel()->rowCount(), 40);
    int correct = 0, wrong = 0;
    for (int c : panel.histogram()->correctCounts()) correct += c;
    for (int w : panel.histogram()->wrongCounts()) wrong += w;
    QCOMPARE(correct + wrong, 40);
    int expectedCorrect = 0;
    for (const auto& r : result->rows) expectedCorrect += r.correct ? 1 : 0;
    QCOMPARE(correct, expectedCorrect);

    // Threshold at the median confidence: the label counts exactly the rows at or above it.
    std::vector<double> confidences;
    for (const auto& r : result->rows) confidences.push_back(r.confidence);
    std::sort(confidences.begin(), confidences.end());
    const double t = confidences[20];
    QSignalSpy threshold(&panel, &ScorePanel::thresholdChanged);
    panel.setThreshold(t);
    QCOMPARE(threshold.count(), 1);
    QCOMPARE(threshold.at(0).at(0).toDouble(), t);
    int atOrAbove = 0;
    for (double c : confidences) atOrAbove += c >= t ? 1 : 0;
    QCOMPARE(panel.selectedCount(), atOrAbove);
    QVERIFY(std::abs(panel.histogram()->selectedCount() - atOrAbove) <= 1);  // it bins float confidences
    QVERIFY2(panel.selectionText().contains(QStringLiteral("<b>%1</b>").arg(atOrAbove)),
             qPrintable(panel.selectionText()));
    // The "at or above the threshold" filter shows the same questions.
    panel.filterModel()->setShow(QuestionFilterModel::Show::AtOrAboveThreshold);
    QCOMPARE(panel.filterModel()->rowCount(), atOrAbove);
    // The Threshold box shows it, and typing a value moves the line.
    auto* box = panel.findChild<QDoubleSpinBox*>(QStringLiteral("confidenceThreshold"));
    QVERIFY(box != nullptr);
    QVERIFY(std::abs(box->value() - t) < 1e-3);
    box->setValue(0.75);
    QCOMPARE(panel.threshold(), 0.75);
    panel.setThreshold(t);
    // Dragging on the histogram moves it too.
    QSignalSpy dragged(panel.histogram(), &HistogramView::thresholdChanged);
    panel.histogram()->replotNow();
    QTest::mousePress(panel.histogram()->plotWidget(), Qt::LeftButton, {}, panel.histogram()->positionFor(0.1));
    QTest::mouseRelease(panel.histogram()->plotWidget(), Qt::LeftButton, {}, panel.histogram()->positionFor(0.1));
    QVERIFY(dragged.count() >= 1);
    QVERIFY(std::abs(panel.threshold() - 0.1) < 0.02);
    QCOMPARE(threshold.count(), 3 + dragged.count());  // set, typed 0.75, set back, dragged
}

QTEST_MAIN(TestScorePanel)
#include "test_score_panel.moc"
