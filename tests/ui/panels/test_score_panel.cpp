// ScorePanel: the question table model and its filters / numeric sorting, and the panel on a real
// tiny model: scoring fills the table and the histogram; dragging the threshold changes the
// count of questions it selects and is emitted for the attribution.
#include <QDoubleSpinBox>
#include <QLabel>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>

#include "core/data/prompt.h"
#include "core/tokenizer/tokenizer.h"
#include "tests/ui/ui_test_support.h"
#include "ui/common/export_actions.h"
#include "ui/common/format.h"
#include "ui/panels/prompt_dialog.h"
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
    void promptPreviewShowsTheTokens();
    void promptCheckOnARealModel();
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

// The preview is exactly the prompt scoring uses, token by token, and the letters' tokens.
void TestScorePanel::promptPreviewShowsTheTokens() {
    const auto tokenizer = std::make_shared<const Tokenizer>(
        Tokenizer::fromDirectory(test::sharedDataDir() / "tokenizers" / "gpt2-openai"));
    McqQuestion q = examplePromptQuestion();
    PromptDialog dialog({}, tokenizer, {q});
    const PromptPreview& p = dialog.preview();
    QVERIFY2(p.problem.isEmpty(), qPrintable(p.problem));
    QCOMPARE(p.scoring, QStringLiteral("letter"));
    // The tokens read back as the text scoring formats (␣ a space, ↵ a new line).
    QString joined = p.tokens.join(QString());
    joined.replace(QChar(0x2423), QLatin1Char(' ')).replace(QChar(0x21B5), QLatin1Char('\n'));
    QCOMPARE(joined.toStdString(), formatLetterPrompt(q, PromptTemplate{}));
    QCOMPARE(p.tokens.size(), int(tokenizer->encode(formatLetterPrompt(q, PromptTemplate{})).size()));
    QCOMPARE(p.continuations.size(), 4);
    QCOMPARE(p.continuations[1], QStringList({QString(QChar(0x2423)) + QStringLiteral("B")}));
    QVERIFY(dialog.previewHtml().contains(QStringLiteral("Every answer letter is one token")));
    QCOMPARE(dialog.choice(), PromptChoice{});  // the defaults are kept as empty strings

    // Option-text scoring: the question alone, then each option's tokens.
    dialog.setChoice({{}, {}, {}, QStringLiteral("continuation")});
    QVERIFY2(dialog.preview().problem.isEmpty(), qPrintable(dialog.preview().problem));
    QCOMPARE(dialog.preview().scoring, QStringLiteral("continuation"));
    QCOMPARE(dialog.preview().continuations[1].join(QString()),
             QString(QChar(0x2423)) + QStringLiteral("carbon") + QString(QChar(0x2423)) + QStringLiteral("dioxide"));
    QCOMPARE(dialog.choice().scoring, QStringLiteral("continuation"));

    // A placeholder the template does not know is named.
    dialog.setChoice({QStringLiteral("Q: {question}\n{options}\n{answer}"), {}, {}, {}});
    QVERIFY2(dialog.preview().problem.contains(QStringLiteral("answer")), qPrintable(dialog.preview().problem));
    QVERIFY(dialog.previewHtml().contains(QStringLiteral("✗")));
    // A task preset writes its own prompt: the template fields are off.
    const PromptChoice withPreset{QStringLiteral("Q: {question}\n{options}\nA:"), {}, QStringLiteral("arc"), {}};
    dialog.setChoice(withPreset);
    QCOMPARE(dialog.preview().scoring, QStringLiteral("continuation"));
    QCOMPARE(dialog.choice(), withPreset);  // OK changes nothing: the own template is kept for later
    QVERIFY(!dialog.findChild<QWidget*>(QStringLiteral("promptTemplate"))->isEnabled());
}

// stories260K's SentencePiece vocabulary has no " A" token: letter scoring cannot work, and the
// panel says so when the data is opened, not after Score fails. Option-text scoring then scores.
void TestScorePanel::promptCheckOnARealModel() {
    const auto gguf = test::sharedDataDir() / "models" / "stories260K" / "stories260K.gguf";
    if (!std::filesystem::exists(gguf)) QSKIP("stories260K.gguf is not in the shared data");
    test::TempDir dir;
    const auto data = dir / "arc.jsonl";
    test::copyHead(test::sharedDataDir() / "mcq" / "arc-hf-jsonl" / "ARC-Easy-test.jsonl", data, 12);
    Engine engine;
    ScorePanel panel(engine);
    engine.loadModel(test::qs(gguf));
    engine.loadDataset(test::qs(data), QStringLiteral("test"));
    QVERIFY(test::waitIdle(engine));
    std::printf("prompt check: %s\n", qPrintable(panel.promptProblem()));
    QVERIFY2(panel.promptProblem().contains(QStringLiteral("2 tokens")), qPrintable(panel.promptProblem()));
    QVERIFY(panel.findChild<QLabel*>(QStringLiteral("promptProblem"))->isVisibleTo(&panel));
    panel.applyPrompt({{}, {}, {}, QStringLiteral("continuation")});
    QVERIFY2(panel.promptProblem().isEmpty(), qPrintable(panel.promptProblem()));
    QSignalSpy scored(&engine, &Engine::scoringFinished);
    QSignalSpy failed(&engine, &Engine::taskFailed);
    panel.scoreCurrent();
    QVERIFY(test::waitIdle(engine));
    QCOMPARE(failed.count(), 0);
    QCOMPARE(scored.count(), 1);
    QCOMPARE(panel.tableModel()->rowCount(), 12);
    // A question's details: the exact prompt and each option's probability.
    QVERIFY(panel.showQuestion(panel.currentDataset(), 3));
    const auto& row = panel.tableModel()->row(3);
    const QString detail = panel.questionDetailHtml();
    QVERIFY2(detail.contains(row.options[0].toHtmlEscaped()), qPrintable(detail));
    QVERIFY2(detail.contains(QStringLiteral("token")), qPrintable(detail));
    QVERIFY2(detail.contains(formatPercent(row.probs[size_t(row.predicted)])), qPrintable(detail));
    QVERIFY(!panel.showQuestion(panel.currentDataset(), 12));  // not in the set
}

QTEST_MAIN(TestScorePanel)
#include "test_score_panel.moc"
