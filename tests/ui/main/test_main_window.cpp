// MainWindow offscreen: it renders, has the six panels, the actions and shortcuts, the About text
// with the versions; the log panel receives the core's log; a session saved from one window
// opens the same model and datasets in another; dropping a model folder opens it.
#include <QAction>
#include <QFile>
#include <QFileInfo>
#include <QListWidget>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTest>
#include <QUrl>

#include <torch/version.h>

#include "core/pipeline/experiment.h"
#include "core/util/files.h"
#include "core/util/log.h"
#include "tests/support/test_support.h"
#include "tests/ui/ui_test_support.h"
#include "ui/common/log_bridge.h"
#include "ui/main/main_window.h"
#include "ui/main/start_page.h"
#include "ui/main/status_widgets.h"
#include "ui/panels/attribution_panel.h"
#include "ui/panels/log_panel.h"
#include "ui/panels/model_panel.h"
#include "ui/panels/score_panel.h"
#include "ui/session/session_controller.h"

using namespace prunescope;
using namespace prunescope::ui;

class TestMainWindow : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void rendersWithPanelsAndActions();
    void aboutShowsVersions();
    void logPanelGetsCoreMessages();
    void logPanelFollowsNewLines();
    void sessionRoundTrip();
    void dropOpensModel();
    void sessionPromptReachesScoringAndExperiment();
    void quitAsksAboutUnsavedChanges();
    void recoveryIsOffered();
    void switchingModelsAsksAboutScores();
    void startPageUntilSomethingOpens();
};

// Changes that reached only the recovery file (autosave, or Discard on quit) are offered when the
// session is opened again: Restore brings them back unsaved, Ignore opens the file as saved,
// Discard deletes them; saving removes the recovery file. The unsaved session is offered on start.
void TestMainWindow::recoveryIsOffered() {
    test::TempDir dir;
    const QString file = QString::fromStdString((dir / "r.prunescope").string());
    RecoveryChoice choice = RecoveryChoice::Ignore;
    QStringList asked;
    MainWindowOptions options{false, false};
    options.recoveryPrompt = [&](const QString& session, const QString& recovery) {
        asked << session << recovery;
        return choice;
    };
    {
        MainWindow window(nullptr, options);
        window.engine().setSplitSeed(3);
        QVERIFY(window.saveSession(file));
        QVERIFY(!QFile::exists(SessionController::recoveryPath(file)));
        QTest::qWait(1100);  // file times: the recovery file is newer
        window.engine().setSplitSeed(7);
        window.session().markDirty();
        QVERIFY(window.session().autosave());
    }
    const QString recovery = SessionController::recoveryPath(file);
    QCOMPARE(SessionController::pendingRecovery(file), recovery);
    {
        choice = RecoveryChoice::Ignore;
        MainWindow window(nullptr, options);
        QVERIFY(window.openSession(file));
        QVERIFY(test::waitIdle(window.engine()));
        QCOMPARE(asked, QStringList({QFileInfo(file).absoluteFilePath(), recovery}));
        QCOMPARE(window.engine().splitSeed(), 3);
        QVERIFY(!window.session().isDirty());
        QVERIFY(QFile::exists(recovery));  // still there
    }
    {
        choice = RecoveryChoice::Restore;
        MainWindow window(nullptr, options);
        QVERIFY(window.openSession(file));
        QVERIFY(test::waitIdle(window.engine()));
        QCOMPARE(window.engine().splitSeed(), 7);
        QVERIFY(window.session().isDirty());
        QCOMPARE(window.session().path(), QFileInfo(file).absoluteFilePath());
        QVERIFY(window.saveSession(file));  // the changes reach the session file; recovery goes
        QVERIFY(!QFile::exists(recovery));
    }
    {
        asked.clear();
        MainWindow window(nullptr, options);
        QVERIFY(window.openSession(file));
        QVERIFY(asked.isEmpty());  // nothing pending
        QCOMPARE(window.engine().splitSeed(), 7);
    }
    // The unsaved session, on start.
    {
        MainWindow window(nullptr, options);
        window.engine().setSplitSeed(11);
        window.session().markDirty();
        QVERIFY(window.session().autosave());
    }
    {
        asked.clear();
        choice = RecoveryChoice::Restore;
        MainWindow window(nullptr, options);
        window.firstStart();
        QVERIFY(test::waitIdle(window.engine()));
        QCOMPARE(asked, QStringList({QString(), SessionController::autosavePath()}));
        QCOMPARE(window.engine().splitSeed(), 11);
        QVERIFY(window.session().path().isEmpty());
        QVERIFY(window.session().isDirty());
    }
    {
        choice = RecoveryChoice::Discard;
        MainWindow window(nullptr, options);
        window.firstStart();
        QVERIFY(!QFile::exists(SessionController::autosavePath()));
    }
}

// Closing with unsaved changes asks: Cancel keeps the window open, Discard leaves the session file
// as saved (the state goes to the recovery file), Save writes the session file.
void TestMainWindow::quitAsksAboutUnsavedChanges() {
    test::TempDir dir;
    const QString file = QString::fromStdString((dir / "s.prunescope").string());
    auto readAll = [](const QString& path) {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    };
    QuitChoice choice = QuitChoice::Cancel;
    int asked = 0;
    MainWindowOptions options{false, false};
    options.quitPrompt = [&] {
        ++asked;
        return choice;
    };
    MainWindow window(nullptr, options);
    window.show();
    QVERIFY(window.saveSession(file));
    QVERIFY(!window.session().isDirty());
    QVERIFY(window.close());  // nothing unsaved: no question
    QCOMPARE(asked, 0);

    window.show();
    window.session().markDirty();
    QVERIFY(!window.close());
    QCOMPARE(asked, 1);
    QVERIFY(window.isVisible());

    const QByteArray saved = readAll(file);
    QVERIFY(!saved.isEmpty());
    choice = QuitChoice::Discard;
    QVERIFY(window.close());
    QCOMPARE(readAll(file), saved);
    QVERIFY(QFile::exists(SessionController::recoveryPath(file)));

    window.show();
    window.session().markDirty();
    QFile::remove(file);
    choice = QuitChoice::Save;
    QVERIFY(window.close());
    QVERIFY(QFile::exists(file));
    QVERIFY(!window.session().isDirty());
}

void TestMainWindow::rendersWithPanelsAndActions() {
    MainWindow window(nullptr, {false, false});
    window.resize(1400, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    const QPixmap pixmap = window.grab();
    QVERIFY(!pixmap.isNull());
    QCOMPARE(pixmap.width(), 1400);
    auto* tabs = window.findChild<QTabWidget*>();
    QCOMPARE(tabs->count(), 6);
    const std::map<QString, QKeySequence> shortcuts = {{"score", QKeySequence(Qt::Key_F5)},
                                                       {"attribute", QKeySequence(Qt::Key_F6)},
                                                       {"preview", QKeySequence(Qt::Key_F7)},
                                                       {"finetune", QKeySequence(Qt::Key_F8)},
                                                       {"cancel", QKeySequence(Qt::Key_Escape)},
                                                       {"saveSession", QKeySequence::Save},
                                                       {"openSession", QKeySequence::Open},
                                                       {"openModel", QKeySequence(QStringLiteral("Ctrl+Shift+O"))},
                                                       {"addDataset", QKeySequence(QStringLiteral("Ctrl+D"))},
                                                       {"exportPlot", QKeySequence(QStringLiteral("Ctrl+E"))},
                                                       {"panel3", QKeySequence(QStringLiteral("Ctrl+3"))},
                                                       {"toggleLog", QKeySequence(QStringLiteral("Ctrl+L"))},
                                                       {"saveSessionAs", QKeySequence(QStringLiteral("Ctrl+Shift+S"))},
                                                       {"quit", QKeySequence(QStringLiteral("Ctrl+Q"))}};
    for (const auto& [name, key] : shortcuts) {
        QAction* a = window.action(name);
        QVERIFY2(a != nullptr, qPrintable(name));
        QCOMPARE(a->shortcut(), key);
    }
    // Ctrl+3 shows the Attribute panel.
    QTest::keyClick(&window, Qt::Key_3, Qt::ControlModifier);
    QCOMPARE(tabs->currentWidget(), window.panelWidget(MainWindow::Panel::Attribute));
    // F5 without a model: an error is kept (no dialog in this mode), and the window goes on.
    window.scorePanel()->setCurrentDataset(QString());
    window.action(QStringLiteral("attribute"))->trigger();
    QVERIFY(test::waitIdle(window.engine()));
    QCOMPARE(window.errors().size(), 1);
    QVERIFY2(window.errors()[0].contains(QStringLiteral("no model")), qPrintable(window.errors()[0]));
}

void TestMainWindow::aboutShowsVersions() {
    const QString text = MainWindow::aboutText();
    QVERIFY(text.contains(QString::fromLatin1(qVersion())));
    QVERIFY(text.contains(QStringLiteral(TORCH_VERSION)));
    QVERIFY(text.contains(QStringLiteral(PRUNESCOPE_VERSION)));
}

// Changing the level filter used to leave the log at its top, where new lines no longer scrolled it.
void TestMainWindow::logPanelFollowsNewLines() {
    LogPanel panel;
    panel.resize(600, 200);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    for (int i = 0; i < 300; ++i) panel.appendMessage(2, QStringLiteral("test"), QStringLiteral("line %1").arg(i));
    auto* bar = panel.findChild<QPlainTextEdit*>()->verticalScrollBar();
    QCoreApplication::processEvents();
    QVERIFY(bar->maximum() > 0);
    panel.setMinimumLevel(1);
    QCoreApplication::processEvents();
    QCOMPARE(bar->value(), bar->maximum());
    panel.appendMessage(2, QStringLiteral("test"), QStringLiteral("newest"));
    QCoreApplication::processEvents();
    QCOMPARE(bar->value(), bar->maximum());
}

void TestMainWindow::logPanelGetsCoreMessages() {
    MainWindow window(nullptr, {false, false});
    window.logBridge().install();
    log::get("test")->warn("a message from the core, {}", 42);
    QTRY_VERIFY(window.logPanel()->text().contains(QStringLiteral("a message from the core, 42")));
    QVERIFY(window.logPanel()->text().contains(QStringLiteral("[warning] test:")));
    window.logPanel()->setMinimumLevel(4);  // errors only
    QVERIFY(!window.logPanel()->text().contains(QStringLiteral("a message from the core")));
    // A failed task is logged once (it was three times: the worker, the window, the details).
    window.engine().score(QStringLiteral("nothing"));
    QVERIFY(test::waitIdle(window.engine()));
    QTRY_COMPARE(window.errors().size(), 1);
    QCoreApplication::processEvents();
    QCOMPARE(window.logPanel()->text().count(QStringLiteral("no model is open")), 1);
}

void TestMainWindow::sessionRoundTrip() {
    test::TempDir dir;
    auto fixture = test::makeGuiFixture(dir.path(), 40, 10);
    const QString file = test::qs(dir / "session.prunescope");
    {
        MainWindow window(nullptr, {false, false});
        window.openModel(test::qs(fixture.model));
        window.addDataset(test::qs(fixture.train));  // first: train
        window.addDataset(test::qs(fixture.test));   // then: test
        window.addDataset(test::qs(fixture.ood));    // then: ood
        QVERIFY(test::waitIdle(window.engine()));
        window.scorePanel()->setThreshold(0.3);
        QCOMPARE(window.engine().datasetNames({"train", "test", "ood"}).size(), 3);
        QString error;
        QVERIFY2(window.saveSession(file, &error), qPrintable(error));
        QVERIFY(!window.session().isDirty());
    }
    MainWindow window(nullptr, {false, false});
    QString error;
    QVERIFY2(window.openSession(file, &error), qPrintable(error));
    QVERIFY(test::waitIdle(window.engine()));
    QCOMPARE(QFileInfo(window.engine().model().dir).fileName(), QStringLiteral("tiny-gpt2"));
    QCOMPARE(window.engine().datasetNames(),
             QStringList({"arc-easy-train", "arc-easy-train (validation)", "arc-easy-test", "arc-challenge-test"}));
    QCOMPARE(window.engine().datasets()[2].role, QStringLiteral("test"));
    QCOMPARE(window.engine().datasets()[3].role, QStringLiteral("ood"));
    QCOMPARE(window.scorePanel()->threshold(), 0.3);
    QCOMPARE(window.attributionPanel()->request().filter.minConfidence, 0.3);
    QVERIFY(!window.session().isDirty());
    QVERIFY(window.windowTitle().startsWith(QStringLiteral("session.prunescope")));
    QVERIFY(window.errors().isEmpty());
}

// A session's settings.prompt (the demo's, for instance) is what datasets are rendered with, what
// a saved session keeps and what Run Full Experiment passes to the pipeline.
void TestMainWindow::sessionPromptReachesScoringAndExperiment() {
    test::TempDir dir;
    auto fixture = test::makeGuiFixture(dir.path(), 20, 10);
    const std::string text = "Q: {question}\n{options}\nA:", option = "({letter}) {text}";
    nlohmann::json session = {
        {"format", "prunescope.session"},
        {"version", 1},
        {"model", fixture.model.string()},
        {"datasets", {{{"path", fixture.train.string()}, {"role", "train"}}}},
        {"settings",
         {{"prompt", {{"template", text}, {"option_template", option}, {"scoring", "continuation"}}},
          {"tokenizer_sample", "Q: Which gas? A: B"}}}};
    writeJsonAtomic(dir / "prompt.prunescope", session);
    MainWindow window(nullptr, {false, false});
    QString error;
    QVERIFY2(window.openSession(test::qs(dir / "prompt.prunescope"), &error), qPrintable(error));
    QVERIFY(test::waitIdle(window.engine()));
    QCOMPARE(window.engine().promptText().toStdString(), text);
    QCOMPARE(window.engine().promptOption().toStdString(), option);
    QCOMPARE(window.engine().prompt().scoring, QStringLiteral("continuation"));
    // The tokenizer box starts with the session's sample (the demo's: a question in its own words).
    QCOMPARE(window.modelPanel()->tokenPieces().join(QString()), QStringLiteral("Q: Which gas? A: B"));

    auto config = window.experimentConfig();
    QVERIFY2(config.has_value(), qPrintable(window.errors().join("; ")));
    ExperimentConfig parsed;
    try {
        parsed = parseExperimentConfig(config->first, "gui", dir.path());
    } catch (const Error& e) {
        QFAIL(e.what());
    }
    QCOMPARE(parsed.prompt.text, text);
    QCOMPARE(parsed.prompt.option, option);
    QCOMPARE(parsed.scoring, ScoringMode::Continuation);

    QVERIFY2(window.saveSession(test::qs(dir / "again.prunescope"), &error), qPrintable(error));
    auto saved = readJsonFile(dir / "again.prunescope");
    QCOMPARE(saved["settings"]["prompt"]["template"].get<std::string>(), text);
    QCOMPARE(saved["settings"]["prompt"]["scoring"].get<std::string>(), std::string("continuation"));
    QCOMPARE(saved["settings"]["tokenizer_sample"].get<std::string>(), std::string("Q: Which gas? A: B"));
    QVERIFY(window.errors().isEmpty());
}

void TestMainWindow::dropOpensModel() {
    test::TempDir dir;
    auto fixture = test::makeGuiFixture(dir.path(), 20, 10);
    MainWindow window(nullptr, {false, false});
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy model(&window.engine(), &Engine::modelChanged);
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(test::qs(fixture.model)), QUrl::fromLocalFile(test::qs(fixture.test))});
    // As a drag does it: enter (accepted), then drop.
    QDragEnterEvent enter(QPoint(100, 100), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(&window, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(100, 100), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    const bool handled = QCoreApplication::sendEvent(&window, &drop);
    std::printf("drop event handled: %d, accepted: %d\n", int(handled), int(drop.isAccepted()));
    QVERIFY(test::waitIdle(window.engine()));
    QCOMPARE(model.count(), 1);
    QCOMPARE(window.engine().datasetNames({"train"}), QStringList({"arc-easy-test"}));  // the first dataset trains
}

// Neuron scores belong to their model: opening the same model again (another dtype) reads them
// back; opening another asks first, and Cancel keeps both the model and the scores.
void TestMainWindow::switchingModelsAsksAboutScores() {
    test::TempDir dir;
    auto fixture = test::makeGuiFixture(dir.path(), 20, 10);
    const auto other = test::makeTinyModel(dir.path() / "other-gpt2", "gpt2", 5);
    QStringList asked;
    bool answer = false;
    MainWindowOptions options{false, false};
    options.closeScoresPrompt = [&](const QString& scores, const QString& model) {
        asked << QFileInfo(scores).fileName() + QLatin1Char(' ') + QFileInfo(model).fileName();
        return answer;
    };
    MainWindow window(nullptr, options);
    window.openModel(test::qs(fixture.model));
    window.addDataset(test::qs(fixture.train), QStringLiteral("train"));
    QVERIFY(test::waitIdle(window.engine()));
    auto* panel = window.attributionPanel();
    panel->setResultsDir(test::qs(dir.path() / "results"));
    panel->setMinConfidence(0.0);
    panel->applySettings({{"limit", 4}, {"steps", 2}});
    panel->startAttribution();
    QVERIFY(test::waitIdle(window.engine()));
    const QString scores = panel->attributionFile();
    QVERIFY(!scores.isEmpty());
    const float value = panel->scores().values.at(7);

    window.openModel(test::qs(fixture.model));  // the same model again: nothing asked, scores read back
    QVERIFY(test::waitIdle(window.engine()));
    QVERIFY(asked.isEmpty());
    QCOMPARE(panel->attributionFile(), scores);
    QCOMPARE(panel->scores().values.at(7), value);

    window.openModel(test::qs(other));  // Cancel
    QVERIFY(test::waitIdle(window.engine()));
    QCOMPARE(asked, QStringList({QFileInfo(scores).fileName() + QStringLiteral(" other-gpt2")}));
    QCOMPARE(QFileInfo(window.engine().model().dir).fileName(), QStringLiteral("tiny-gpt2"));
    QCOMPARE(panel->attributionFile(), scores);

    answer = true;  // Open
    window.openModel(test::qs(other));
    QVERIFY(test::waitIdle(window.engine()));
    QCOMPARE(asked.size(), 2);
    QCOMPARE(QFileInfo(window.engine().model().dir).fileName(), QStringLiteral("other-gpt2"));
    QVERIFY(panel->attributionFile().isEmpty());
    QVERIFY(QFileInfo::exists(scores));  // the file stays
}

// Started with nothing to open, the window shows the start page; opening a model (here from the
// recent list) or choosing a panel shows the panels.
void TestMainWindow::startPageUntilSomethingOpens() {
    test::TempDir dir;
    auto fixture = test::makeGuiFixture(dir.path(), 20, 10);
    {
        MainWindow window(nullptr, {false, true});
        QVERIFY(window.startPageShown());
        for (const char* name : {"startOpenModel", "startOpenGguf", "startOpenSession", "startDemo", "startPanels"})
            QVERIFY2(window.startPage()->button(QString::fromLatin1(name)) != nullptr, name);
        window.openModel(test::qs(fixture.model));
        QVERIFY(test::waitIdle(window.engine()));
        QVERIFY(!window.startPageShown());
    }
    {
        MainWindow window(nullptr, {false, true});
        QVERIFY(window.startPageShown());
        auto* recent = window.startPage()->recentModels();
        QListWidgetItem* item = nullptr;
        for (int i = 0; i < recent->count(); ++i)
            if (QFileInfo(recent->item(i)->data(Qt::UserRole).toString()) == QFileInfo(test::qs(fixture.model)))
                item = recent->item(i);
        QVERIFY(item != nullptr);                  // the model opened above
        for (int i = 0; i < recent->count(); ++i)  // (earlier tests' folders are gone: not listed)
            QVERIFY(QFileInfo::exists(recent->item(i)->data(Qt::UserRole).toString()) ||
                    recent->item(i)->flags() == Qt::NoItemFlags);
        emit recent->itemClicked(item);
        QVERIFY(test::waitIdle(window.engine()));
        QVERIFY(!window.startPageShown());
        QCOMPARE(QFileInfo(window.engine().model().dir).fileName(), QStringLiteral("tiny-gpt2"));
    }
    {
        MainWindow window(nullptr, {false, true});
        window.startPage()->button(QStringLiteral("startPanels"))->click();
        QVERIFY(!window.startPageShown());
    }
    MainWindow tests(nullptr, {false, false});  // no start page where a session or a test opens the window
    QVERIFY(!tests.startPageShown());
}

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
