// ModelPanel: the model card of a real tiny model, the datasets table, the tokenizer box.
#include <QComboBox>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTest>

#include "tests/ui/ui_test_support.h"
#include "ui/panels/model_panel.h"

using namespace prunescope;
using namespace prunescope::ui;

class TestModelPanel : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void cardShowsTheModel();
    void computeDtypeChoiceOpensInIt();
    void tokenizerSplitsTypedText();
    void datasetsTableListsSplits();
};

void TestModelPanel::cardShowsTheModel() {
    test::TempDir dir;
    auto fixture = test::makeGuiFixture(dir.path(), 20, 10);
    Engine engine;
    ModelPanel panel(engine);
    QCOMPARE(panel.cardValue(QStringLiteral("Layers")), QStringLiteral("—"));
    engine.loadModel(test::qs(fixture.model), QStringLiteral("cpu"));
    QVERIFY(test::waitIdle(engine));
    QCOMPARE(panel.cardValue(QStringLiteral("Architecture")), QStringLiteral("gpt2"));
    QCOMPARE(panel.cardValue(QStringLiteral("Layers")), QStringLiteral("2"));
    QCOMPARE(panel.cardValue(QStringLiteral("Neurons per layer")), QStringLiteral("128"));
    QCOMPARE(panel.cardValue(QStringLiteral("Neurons in all")), QStringLiteral("256"));
    QCOMPARE(panel.cardValue(QStringLiteral("Model width")), QStringLiteral("32"));
    QCOMPARE(panel.cardValue(QStringLiteral("Stored dtype")), QStringLiteral("float32"));
    QCOMPARE(panel.cardValue(QStringLiteral("Device")), QStringLiteral("cpu"));
    QCOMPARE(panel.cardValue(QStringLiteral("Tokenizer")), QStringLiteral("byte-level BPE"));
    const QString params = panel.cardValue(QStringLiteral("Parameters"));
    QVERIFY2(params.contains(QString::number(engine.model().parameters)), qPrintable(params));
    QVERIFY2(panel.cardValue(QStringLiteral("Memory")).endsWith(QStringLiteral("MiB")),
             qPrintable(panel.cardValue(QStringLiteral("Memory"))));
}

void TestModelPanel::computeDtypeChoiceOpensInIt() {
    test::TempDir dir;
    auto fixture = test::makeGuiFixture(dir.path(), 20, 10);
    Engine engine;
    ModelPanel panel(engine);
    auto* combo = panel.findChild<QComboBox*>(QStringLiteral("computeDtype"));
    QVERIFY(combo != nullptr);
    QCOMPARE(combo->currentText(), QStringLiteral("float32"));  // the default
    engine.loadModel(test::qs(fixture.model), QStringLiteral("cpu"));
    QVERIFY(test::waitIdle(engine));
    QCOMPARE(panel.cardValue(QStringLiteral("Compute dtype")), QStringLiteral("float32"));
    const int64_t float32Bytes = engine.model().memoryBytes;

    combo->setCurrentText(QStringLiteral("bfloat16"));
    QCOMPARE(engine.computeDtype(), QStringLiteral("bfloat16"));
    // The open model keeps computing in float32 until it is opened again, and the panel says so.
    bool noted = false;
    for (auto* label : panel.findChildren<QLabel*>())
        noted = noted || label->text().contains(QStringLiteral("opened next"));
    QVERIFY(noted);
    auto* reopen = panel.findChild<QPushButton*>(QStringLiteral("reopenInDtype"));
    QVERIFY(reopen != nullptr && !reopen->isHidden());
    reopen->click();  // opens the same model again, now in bfloat16
    QVERIFY(test::waitIdle(engine));
    QVERIFY(reopen->isHidden());
    QCOMPARE(panel.cardValue(QStringLiteral("Compute dtype")), QStringLiteral("bfloat16"));
    QCOMPARE(engine.model().memoryBytes * 2, float32Bytes);
    QCOMPARE(engine.model().weightBytes, 2);

    // Remembered for the next start.
    ModelPanel again(engine);
    QCOMPARE(again.findChild<QComboBox*>(QStringLiteral("computeDtype"))->currentText(), QStringLiteral("bfloat16"));
    combo->setCurrentText(QStringLiteral("float32"));
}

void TestModelPanel::tokenizerSplitsTypedText() {
    test::TempDir dir;
    auto fixture = test::makeGuiFixture(dir.path(), 20, 10);
    Engine engine;
    ModelPanel panel(engine);
    engine.loadModel(test::qs(fixture.model));
    QVERIFY(test::waitIdle(engine));
    panel.setTokenizerText(QStringLiteral("Hello world"));
    QCOMPARE(panel.tokenPieces(), QStringList({QStringLiteral("Hello"), QStringLiteral(" world")}));
    panel.setTokenizerText(QStringLiteral("Answer: B"));
    QCOMPARE(panel.tokenPieces(), QStringList({QStringLiteral("Answer"), QStringLiteral(":"), QStringLiteral(" B")}));
}

void TestModelPanel::datasetsTableListsSplits() {
    test::TempDir dir;
    auto fixture = test::makeGuiFixture(dir.path(), 50, 10);
    Engine engine;
    ModelPanel panel(engine);
    QSignalSpy changed(&engine, &Engine::datasetsChanged);
    engine.loadDataset(test::qs(fixture.train), QStringLiteral("train"));
    engine.loadDataset(test::qs(fixture.ood), QStringLiteral("ood"));
    QVERIFY(test::waitIdle(engine));
    QCOMPARE(changed.count(), 3);
    auto* table = panel.datasetTable();
    QCOMPARE(table->rowCount(), 3);
    QCOMPARE(table->item(0, 1)->text(), QStringLiteral("train"));
    QCOMPARE(table->item(0, 3)->text(), QStringLiteral("45"));
    QCOMPARE(table->item(1, 1)->text(), QStringLiteral("validation"));
    QCOMPARE(table->item(1, 3)->text(), QStringLiteral("5"));
    QCOMPARE(table->item(2, 1)->text(), QStringLiteral("ood"));
    QCOMPARE(table->item(2, 2)->text(), QStringLiteral("arc-hf"));
    engine.removeDataset(QStringLiteral("arc-challenge-test"));
    QTRY_COMPARE(table->rowCount(), 2);
}

QTEST_MAIN(TestModelPanel)
#include "test_model_panel.moc"
