// FinetunePanel on a tiny real model: the form becomes the request, a short run draws one loss
// point per step and reports its result; a pruned arm without a selection fails with a message;
// cancelling stops a long run; the memory plan beside Start, and the question asked (Cancel: nothing
// runs; Run anyway: it runs) when the plan does not fit; the plan sized by the prompts' real lengths
// once the worker has tokenized them (256 assumed before).
#include <QApplication>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

#include "core/data/mcq.h"
#include "core/data/prompt.h"
#include "core/eval/mcq_items.h"
#include "core/eval/scoring.h"
#include "core/tokenizer/tokenizer.h"
#include "tests/ui/ui_test_support.h"
#include "ui/panels/finetune_panel.h"
#include "ui/views/line_chart_view.h"

using namespace prunescope;
using namespace prunescope::ui;

class TestFinetunePanel : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void formBecomesRequest();
    void planAssumesPromptLengthsFirst();
    void shortRunDrawsCurves();
    void planSizedByMeasuredPrompts();
    void prunedArmNeedsSelection();
    void cancelStopsRun();
    void memoryPlanShownAndAsked();

private:
    test::TempDir m_dir;
    test::GuiFixture m_fixture;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<FinetunePanel> m_panel;
};

void TestFinetunePanel::initTestCase() {
    m_fixture = test::makeGuiFixture(m_dir.path(), 60, 20);
    m_engine = std::make_unique<Engine>();
    m_panel = std::make_unique<FinetunePanel>(*m_engine);
    m_panel->resize(1100, 600);
    m_panel->show();
    m_engine->loadModel(test::qs(m_fixture.model));
    m_engine->loadDataset(test::qs(m_fixture.train), QStringLiteral("train"));
    m_engine->loadDataset(test::qs(m_fixture.test), QStringLiteral("test"));
    QVERIFY(test::waitIdle(*m_engine));
}

void TestFinetunePanel::formBecomesRequest() {
    m_panel->applySettings(
        {{"arm", "random"}, {"seed", 3}, {"finetune", {{"lr", 0.001}, {"epochs", 2}, {"batch_size", 4}}}});
    auto r = m_panel->request();
    QCOMPARE(r.arm, QStringLiteral("random"));
    QCOMPARE(r.seed, 3);
    QCOMPARE(r.settings.lr, 0.001);
    QCOMPARE(r.settings.epochs, int64_t(2));
    QCOMPARE(r.settings.batchSize, int64_t(4));
    auto other = m_panel->request(QStringLiteral("magnitude"), 7);
    QCOMPARE(other.arm, QStringLiteral("magnitude"));
    QCOMPARE(other.seed, 7);
    // The settings survive a round trip through the session's JSON.
    const auto saved = m_panel->settings();
    m_panel->applySettings({{"arm", "plain"}});
    m_panel->applySettings(saved);
    QVERIFY(m_panel->request().settings.toJson() == r.settings.toJson());
}

void TestFinetunePanel::shortRunDrawsCurves() {
    m_panel->applySettings({{"arm", "plain"},
                            {"seed", 0},
                            {"finetune", {{"lr", 0.001}, {"epochs", 1}, {"batch_size", 8}, {"eval_every", 2}}}});
    QSignalSpy finished(m_engine.get(), &Engine::finetuneFinished);
    m_panel->start();
    QVERIFY(test::waitIdle(*m_engine, 300000));
    QCOMPARE(finished.count(), 1);
    const int steps = (54 + 7) / 8;  // 60 lines: 54 train questions, batches of 8
    QCOMPARE(m_panel->pointCount(), steps);
    QCOMPARE(m_panel->chart()->pointCount(QStringLiteral("loss")), steps);
    QVERIFY(m_panel->chart()->pointCount(QStringLiteral("validation accuracy")) >= steps / 2);
    QVERIFY2(m_panel->resultText().contains(QStringLiteral("plain seed 0")), qPrintable(m_panel->resultText()));
    QVERIFY2(m_panel->resultText().contains(QStringLiteral("arc-easy-test")), qPrintable(m_panel->resultText()));
    QVERIFY2(m_panel->etaText().contains(QStringLiteral("Finished")), qPrintable(m_panel->etaText()));
}

void TestFinetunePanel::planAssumesPromptLengthsFirst() {
    const QString tip = m_panel->planToolTip();
    QVERIFY2(tip.contains(QStringLiteral("assumed to be up to 256 tokens")), qPrintable(tip));
    QVERIFY2(tip.contains(QStringLiteral("x 256 tokens")), qPrintable(tip));
}

// After the run (which tokenized the training and validation parts of the file), the plan uses
// the longest prompt of the two, which is the longest of the whole file, as core tokenizes it.
void TestFinetunePanel::planSizedByMeasuredPrompts() {
    const QString train = m_engine->datasetNames({QStringLiteral("train")}).value(0);
    const QString validation = m_engine->datasetNames({QStringLiteral("validation")}).value(0);
    QVERIFY(!train.isEmpty() && !validation.isEmpty());
    const auto tokenizer = Tokenizer::fromModel(m_fixture.model);
    McqLoadOptions options;
    options.skipInvalid = true;
    const auto all = loadMcqDataset(m_fixture.train, options);
    const auto items = buildScoringItems(all, tokenizer, ScoringMode::Letter, PromptTemplate{});
    const int64_t longest = promptLengths(items, ScoringMode::Letter).longest;
    QVERIFY(longest > 10 && longest < 256);
    const QString tip = m_panel->planToolTip();
    QVERIFY2(
        tip.contains(QStringLiteral("Prompts up to %1 tokens, measured on %2, %3").arg(longest).arg(train, validation)),
        qPrintable(tip));
    QVERIFY2(tip.contains(QStringLiteral("x %1 tokens").arg(longest)), qPrintable(tip));
    qInfo("%s", qPrintable(tip));

    // Another prompt forgets the lengths until the questions are tokenized again.
    PromptChoice prompt = m_engine->prompt();
    prompt.text = QStringLiteral("Q: {question}\n{options}\nAnswer:");
    m_engine->setPrompt(prompt);
    QTRY_VERIFY2(m_panel->planToolTip().contains(QStringLiteral("assumed")), qPrintable(m_panel->planToolTip()));
    m_engine->setPrompt({});
}

void TestFinetunePanel::prunedArmNeedsSelection() {
    QSignalSpy failed(m_engine.get(), &Engine::taskFailed);
    m_panel->setArm(QStringLiteral("ig"));
    m_panel->start();
    QVERIFY(test::waitIdle(*m_engine));
    QCOMPARE(failed.count(), 1);
    const auto e = failed.at(0).at(0).value<TaskError>();
    QVERIFY2(e.message.contains(QStringLiteral("selection is empty")), qPrintable(e.message));
    QVERIFY2(e.details.contains(QStringLiteral("Select panel")), qPrintable(e.details));
}

void TestFinetunePanel::cancelStopsRun() {
    m_panel->applySettings({{"arm", "plain"}, {"finetune", {{"epochs", 200}, {"batch_size", 2}}}});
    QSignalSpy failed(m_engine.get(), &Engine::taskFailed);
    QSignalSpy points(m_engine.get(), &Engine::trainPointChanged);
    m_panel->start();
    QTRY_VERIFY_WITH_TIMEOUT(points.count() >= 2, 120000);
    m_engine->cancel();
    QVERIFY(test::waitIdle(*m_engine));
    QCOMPARE(failed.count(), 1);
    QVERIFY(failed.at(0).at(0).value<TaskError>().cancelled);
    QVERIFY(points.count() < 200 * 27);
}

namespace {

// Answers the memory-plan dialog, once it shows, with the button whose text is `button`; the
// dialog's text goes to `seen`.
void answerPlanDialog(const QString& button, QString* seen) {
    QTimer::singleShot(20, [button, seen] {
        for (auto* w : QApplication::topLevelWidgets()) {
            auto* box = qobject_cast<QMessageBox*>(w);
            if (box == nullptr || box->objectName() != QStringLiteral("memoryPlanDialog") || !box->isVisible())
                continue;
            *seen = box->text() + "\n" + box->informativeText();
            for (auto* b : box->buttons()) {
                if (b->text() == button) {
                    b->click();
                    return;
                }
            }
        }
        answerPlanDialog(button, seen);  // not shown yet
    });
}

}  // namespace

void TestFinetunePanel::memoryPlanShownAndAsked() {
    m_panel->applySettings({{"arm", "plain"}, {"finetune", {{"epochs", 1}, {"max_steps", 1}, {"batch_size", 2}}}});
    QVERIFY2(
        m_panel->planText().contains(QStringLiteral("needs")) && m_panel->planText().contains(QStringLiteral("free")),
        qPrintable(m_panel->planText()));
    QVERIFY(!m_panel->planText().contains(QStringLiteral("does not fit")));

    // 1 MB free: the label says so, and Start asks first.
    qputenv("PRUNESCOPE_MEMORY_LIMIT", "1MB");
    m_panel->applySettings({{"arm", "plain"}, {"finetune", {{"epochs", 1}, {"max_steps", 1}, {"batch_size", 4}}}});
    QVERIFY2(m_panel->planText().contains(QStringLiteral("does not fit")), qPrintable(m_panel->planText()));
    QSignalSpy started(m_engine.get(), &Engine::taskStarted);
    QString seen;
    answerPlanDialog(QStringLiteral("Cancel"), &seen);
    m_panel->start();
    QVERIFY2(seen.contains(QStringLiteral("Fine-tuning needs about")) && seen.contains(QStringLiteral("free")),
             qPrintable(seen));
    QVERIFY2(seen.contains(QStringLiteral("would fit")) || seen.contains(QStringLiteral("more memory")),
             qPrintable(seen));
    QVERIFY(test::waitIdle(*m_engine));
    QCOMPARE(started.count(), 0);  // cancelled: nothing ran

    QSignalSpy finished(m_engine.get(), &Engine::finetuneFinished);
    answerPlanDialog(QStringLiteral("Run anyway"), &seen);
    m_panel->start();
    QVERIFY(test::waitIdle(*m_engine, 120000));
    QCOMPARE(finished.count(), 1);
    qunsetenv("PRUNESCOPE_MEMORY_LIMIT");
}

QTEST_MAIN(TestFinetunePanel)
#include "test_finetune_panel.moc"
