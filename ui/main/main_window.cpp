#include "ui/main/main_window.h"

#include <QAction>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileInfo>
#include <QMessageBox>
#include <QMimeData>
#include <QScreen>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>

#include "core/util/log.h"
#include "ui/common/log_bridge.h"
#include "ui/common/memory_plan_ui.h"
#include "ui/main/error_dialog.h"
#include "ui/main/start_page.h"
#include "ui/main/status_widgets.h"
#include "ui/main/window_settings.h"
#include "ui/panels/attribution_panel.h"
#include "ui/panels/compare_panel.h"
#include "ui/panels/finetune_panel.h"
#include "ui/panels/log_panel.h"
#include "ui/panels/model_panel.h"
#include "ui/panels/score_panel.h"
#include "ui/panels/selection_panel.h"
#include "ui/session/session_controller.h"
#include "ui/session/session_settings.h"
#include "ui/worker/engine.h"

namespace prunescope::ui {

MainWindow::MainWindow(QWidget* parent, MainWindowOptions options)
    : QMainWindow(parent),
      m_options(options),
      m_engine(std::make_unique<Engine>()),
      m_logBridge(std::make_unique<LogBridge>()) {
    setObjectName(QStringLiteral("MainWindow"));
    setAcceptDrops(true);
    m_session = new SessionController(this);
    m_session->setCollector([this](const QString& dir) { return collectSession(dir); });
    createPanels();
    createActions();
    wirePanels();
    resize(1500, 940);
    restoreGeometry(kWindowGeometry.get());
    restoreState(kWindowState.get());
    fitOnScreen();
    m_tabs->setCurrentIndex(std::clamp(kWindowPanel.get(), 0, m_tabs->count() - 1));
    m_attributionPanel->setResultsDir(m_session->resultsDir());
    updateTitle();
    m_engine->probeSystem();
}

MainWindow::~MainWindow() = default;

void MainWindow::fitOnScreen() {
    // Never larger than the screen it opens on: a geometry saved on a bigger screen, or the
    // default size on a small one, would put the title bar or the status bar out of reach.
    const QScreen* screen = this->screen();
    if (screen == nullptr) return;
    const QRect available = screen->availableGeometry();
    if (width() <= available.width() && height() <= available.height() && available.contains(frameGeometry())) {
        return;
    }
    resize(std::min(width(), available.width()), std::min(height(), available.height()));
    move(available.topLeft());
}

void MainWindow::createPanels() {
    m_tabs = new QTabWidget(this);
    m_tabs->setDocumentMode(true);
    m_modelPanel = new ModelPanel(*m_engine, m_tabs);
    m_scorePanel = new ScorePanel(*m_engine, m_tabs);
    m_attributionPanel = new AttributionPanel(*m_engine, m_tabs);
    m_selectionPanel = new SelectionPanel(*m_engine, m_tabs);
    m_finetunePanel = new FinetunePanel(*m_engine, m_tabs);
    m_comparePanel = new ComparePanel(*m_engine, m_tabs);
    for (auto panel : {Panel::Model, Panel::Score, Panel::Attribute, Panel::Select, Panel::Finetune, Panel::Compare}) {
        m_tabs->addTab(panelWidget(panel), panelName(panel));
    }
    m_pages = new QStackedWidget(this);
    m_start = new StartPage(m_pages);
    m_pages->addWidget(m_start);
    m_pages->addWidget(m_tabs);
    m_pages->setCurrentWidget(m_options.offerDemo ? static_cast<QWidget*>(m_start) : m_tabs);
    setCentralWidget(m_pages);

    m_logPanel = new LogPanel(this);
    auto* dock = new QDockWidget(tr("Log"), this);
    dock->setObjectName(QStringLiteral("logDock"));
    dock->setWidget(m_logPanel);
    addDockWidget(Qt::BottomDockWidgetArea, dock);
    dock->setMinimumHeight(90);
    resizeDocks({dock}, {130}, Qt::Vertical);

    m_taskStatus = new TaskStatus(*m_engine, this);
    statusBar()->addWidget(m_taskStatus, 1);
    statusBar()->addPermanentWidget(new SystemStatus(*m_engine, this));
}

QWidget* MainWindow::panelWidget(Panel panel) const {
    switch (panel) {
        case Panel::Model: return m_modelPanel;
        case Panel::Score: return m_scorePanel;
        case Panel::Attribute: return m_attributionPanel;
        case Panel::Select: return m_selectionPanel;
        case Panel::Finetune: return m_finetunePanel;
        case Panel::Compare: return m_comparePanel;
    }
    return nullptr;
}

QString MainWindow::panelName(Panel panel) {
    switch (panel) {
        case Panel::Model: return tr("Model && Data");
        case Panel::Score: return tr("Score");
        case Panel::Attribute: return tr("Attribute");
        case Panel::Select: return tr("Select");
        case Panel::Finetune: return tr("Fine-tune");
        case Panel::Compare: return tr("Compare");
    }
    return {};
}

bool MainWindow::startPageShown() const {
    return m_pages->currentWidget() == m_start;
}

void MainWindow::showPanels() {
    m_pages->setCurrentWidget(m_tabs);
}

void MainWindow::showPanel(Panel panel) {
    showPanels();
    m_tabs->setCurrentWidget(panelWidget(panel));
}

QAction* MainWindow::action(const QString& objectName) const {
    auto it = m_actions.find(objectName);
    return it == m_actions.end() ? nullptr : it->second;
}

void MainWindow::wirePanels() {
    connect(m_logBridge.get(), &LogBridge::messageChanged, m_logPanel, &LogPanel::appendMessage);
    connect(m_engine.get(), &Engine::taskFailed, this, &MainWindow::onTaskFailed);
    connect(m_scorePanel, &ScorePanel::thresholdChanged, m_attributionPanel, &AttributionPanel::setMinConfidence);
    connect(m_attributionPanel, &AttributionPanel::questionActivated, this, [this](const QString& dataset, int index) {
        showPanel(Panel::Score);
        if (!m_scorePanel->showQuestion(dataset, index))
            statusBar()->showMessage(tr("Question %1 of %2 is not scored yet: score it first").arg(index).arg(dataset),
                                     8000);
    });
    connect(m_attributionPanel, &AttributionPanel::presetChosen, this, [this](Preset preset) {
        const auto p = methodSettings(preset);
        m_selectionPanel->setRule(p.rule);
        m_selectionPanel->setValue(p.percent);
    });
    connect(m_selectionPanel, &SelectionPanel::selectionChanged, this, [this](const NeuronMask& mask) {
        m_attributionPanel->setSelection(mask.flat());
        m_finetunePanel->setSelection(mask);
    });
    connect(m_modelPanel, &ModelPanel::openModelRequested, this, &MainWindow::openModelDialog);
    connect(m_modelPanel, &ModelPanel::openGgufRequested, this, &MainWindow::openGgufDialog);
    connect(m_modelPanel, &ModelPanel::addDatasetRequested, this, &MainWindow::openFilesDialog);
    m_comparePanel->setRequestFactory(
        [this](const QString& arm, int seed) { return m_finetunePanel->request(arm, seed); });
    m_comparePanel->setExperimentFactory([this] { return experimentConfig(); });
    auto dirty = [this] { m_session->markDirty(); };
    connect(m_scorePanel, &ScorePanel::settingsChanged, this, dirty);
    connect(m_attributionPanel, &AttributionPanel::settingsChanged, this, dirty);
    connect(m_selectionPanel, &SelectionPanel::settingsChanged, this, dirty);
    connect(m_finetunePanel, &FinetunePanel::settingsChanged, this, dirty);
    connect(m_comparePanel, &ComparePanel::reportChanged, this, dirty);
    connect(m_engine.get(), &Engine::modelChanged, this, dirty);
    connect(m_engine.get(), &Engine::datasetsChanged, this, dirty);
    connect(m_engine.get(), &Engine::neuronScoresChanged, this, [this](const NeuronScores& s) {
        if (s.final) m_session->markDirty();
        applyReference();  // new scores of a new shape clear the heatmaps' marks
    });
    connect(m_start, &StartPage::openModelFolder, this, &MainWindow::openModelDialog);
    connect(m_start, &StartPage::openGgufFile, this, &MainWindow::openGgufDialog);
    connect(m_start, &StartPage::openSession, this, &MainWindow::openSessionDialog);
    connect(m_start, &StartPage::tryDemo, this, &MainWindow::tryDemo);
    connect(m_start, &StartPage::showPanels, this, &MainWindow::showPanels);
    connect(m_start, &StartPage::recentModelChosen, this, &MainWindow::openModel);
    connect(m_start, &StartPage::recentSessionChosen, this, [this](const QString& path) {
        QString error;
        if (!openSession(path, &error)) showError(tr("Opening the session failed"), error, {});
    });
    // Whatever opens something shows the panels.
    connect(m_engine.get(), &Engine::taskStarted, this, [this](Task task) {
        if (task != Task::None) showPanels();
    });
    connect(m_engine.get(), &Engine::modelChanged, this, [this](const ModelCard& card) {
        kRecentModels.add(card.dir);
        rebuildRecentMenus();
        updateTitle();
    });
    connect(m_session, &SessionController::pathChanged, this, [this] {
        m_attributionPanel->setResultsDir(m_session->resultsDir());
        rebuildRecentMenus();
        updateTitle();
    });
    connect(m_session, &SessionController::dirtyChanged, this, &MainWindow::updateTitle);
    connect(m_session, &SessionController::autosaveFinished, this,
            [this](const QString& path) { statusBar()->showMessage(tr("Session autosaved to %1").arg(path), 3000); });
    connect(m_session, &SessionController::saveFailed, this,
            [this](const QString& message) { showError(tr("Saving the session failed"), message, {}); });
    connect(m_tabs, &QTabWidget::currentChanged, this, [](int index) { kWindowPanel.set(index); });
}

void MainWindow::onTaskFailed(const TaskError& error) {
    if (error.cancelled) {
        if (error.task != Task::Preview) statusBar()->showMessage(error.message, 4000);
        return;
    }
    // The worker has logged it, once: only the dialog here.
    m_errors << error.message;
    if (m_options.interactive) {
        showErrorDialog(this, tr("%1 failed").arg(taskName(error.task)), error.message, error.details);
    }
}

void MainWindow::showError(const QString& title, const QString& message, const QString& details) {
    m_errors << message;
    QString line = message;
    if (!details.isEmpty()) line += QStringLiteral(" — ") + QString(details).replace('\n', QStringLiteral("; "));
    log::get("gui")->error("{}", line.toStdString());  // to the log panel and stderr, once
    if (m_options.interactive) showErrorDialog(this, title, message, details);
}

void MainWindow::updateTitle() {
    const QString path = m_session->path();
    const QString name = path.isEmpty() ? tr("Untitled session") : QFileInfo(path).fileName();
    setWindowTitle(tr("%1%2 — Prunescope").arg(name, m_session->isDirty() ? QStringLiteral(" *") : QString()));
}

void MainWindow::openModel(const QString& dir) {
    kLastModelFolder.set(QFileInfo(dir).absolutePath());
    try {
        if (!confirmPlan(this, Engine::loadPlan(dir, QStringLiteral("auto"), m_engine->computeDtype()),
                         tr("Opening %1").arg(QFileInfo(dir).fileName())))
            return;
    } catch (const std::exception&) {
        // no readable config: loading reports it, with the file and the field
    }
    // Scores belong to their model: another one closes them (the same one reads them back).
    const QString scores = m_attributionPanel->attributionFile();
    const bool otherModel = m_engine->hasModel() &&
                            QFileInfo(dir).canonicalFilePath() != QFileInfo(m_engine->model().dir).canonicalFilePath();
    if (otherModel && !scores.isEmpty()) {
        bool open = true;
        if (m_options.closeScoresPrompt) {
            open = m_options.closeScoresPrompt(scores, dir);
        } else if (m_options.interactive) {
            open = QMessageBox::question(
                       this, tr("Close the Neuron Scores?"),
                       tr("The neuron scores shown belong to %1; opening %2 closes them.\n\n"
                          "They stay in %3: open that file again with %1 (the Attribute panel's Open… button) to see "
                          "them.")
                           .arg(QFileInfo(m_engine->model().dir).fileName(), QFileInfo(dir).fileName(), scores),
                       QMessageBox::Open | QMessageBox::Cancel, QMessageBox::Open) == QMessageBox::Open;
        }
        if (!open) return;
        log::get("gui")->info("neuron scores of {} closed (kept in {}) for {}", m_engine->model().dir.toStdString(),
                              scores.toStdString(), dir.toStdString());
    }
    m_engine->loadModel(dir);
}

QString MainWindow::guessRole(const QString&) const {
    const QStringList roles = m_engine->datasetRoles();  // loaded and still loading
    if (!roles.contains(QStringLiteral("train"))) return QStringLiteral("train");
    if (!roles.contains(QStringLiteral("test"))) return QStringLiteral("test");
    return QStringLiteral("ood");
}

void MainWindow::addDataset(const QString& path, const QString& role) {
    kRecentDatasets.add(QFileInfo(path).absoluteFilePath());
    kLastDataFolder.set(QFileInfo(path).absolutePath());
    m_engine->loadDataset(QFileInfo(path).absoluteFilePath(), role.isEmpty() ? guessRole(path) : role);
    rebuildRecentMenus();
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (m_session->isDirty()) {
        QuitChoice choice = QuitChoice::Discard;
        if (m_options.quitPrompt) {
            choice = m_options.quitPrompt();
        } else if (m_options.interactive) {
            const auto answer = QMessageBox::question(
                this, tr("Unsaved Changes"),
                tr("The session has unsaved changes. Save them before quitting?\n\n"
                   "Discard leaves the session file as it was (a recovery copy of this state is "
                   "kept in the application's data folder)."),
                QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
            choice = answer == QMessageBox::Save      ? QuitChoice::Save
                     : answer == QMessageBox::Discard ? QuitChoice::Discard
                                                      : QuitChoice::Cancel;
        }
        if (choice == QuitChoice::Cancel) {
            event->ignore();
            return;
        }
        if (choice == QuitChoice::Save) {
            const bool saved = m_session->path().isEmpty() ? saveSessionDialog() : saveSession(m_session->path());
            if (!saved) {
                event->ignore();
                return;
            }
        } else {
            m_session->autosave();  // the recovery file, never the session file
        }
    }
    kWindowGeometry.set(saveGeometry());
    kWindowState.set(saveState());
    m_engine->cancel();
    event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    for (const QUrl& url : event->mimeData()->urls()) {
        const QString path = url.toLocalFile();
        const QFileInfo info(path);
        if (path.isEmpty() || !info.exists()) continue;
        if (info.isDir() || info.suffix().compare(QLatin1String("gguf"), Qt::CaseInsensitive) == 0) {
            openModel(path);
        } else if (info.suffix() == QLatin1String("prunescope")) {
            QString error;
            if (!openSession(path, &error)) showError(tr("Opening the session failed"), error, {});
        } else if (info.suffix() == QLatin1String("safetensors")) {
            m_attributionPanel->openFile(path);
        } else {
            addDataset(path);
        }
    }
    event->acceptProposedAction();
}

}  // namespace prunescope::ui
