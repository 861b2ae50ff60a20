// MainWindow: menus, actions and their shortcuts, file dialogs, recent files, About.
#include <QAction>
#include <QApplication>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>
#include <QTabWidget>

#include <torch/version.h>

#include "ui/common/export_actions.h"
#include "ui/main/main_window.h"
#include "ui/main/start_page.h"
#include "ui/panels/attribution_panel.h"
#include "ui/panels/compare_panel.h"
#include "ui/panels/finetune_panel.h"
#include "ui/panels/model_panel.h"
#include "ui/panels/neuron_panel.h"
#include "ui/panels/score_panel.h"
#include "ui/panels/selection_panel.h"
#include "ui/session/session_controller.h"
#include "ui/session/session_settings.h"
#include "ui/views/bar_chart_view.h"
#include "ui/views/heatmap_view.h"
#include "ui/views/histogram_view.h"
#include "ui/views/line_chart_view.h"
#include "ui/worker/engine.h"

#include <QTableView>
#include <QTableWidget>

namespace prunescope::ui {
namespace {

// The platform's key for a standard action, or `fallback` where the platform has none (plain X11
// without a desktop theme binds no Save As or Quit; the documented keys must work there too).
QKeySequence standardKey(QKeySequence::StandardKey key, const char* fallback) {
    const auto bindings = QKeySequence::keyBindings(key);
    return bindings.isEmpty() ? QKeySequence(QString::fromLatin1(fallback)) : bindings.front();
}

}  // namespace

void MainWindow::createActions() {
    auto add = [this](QMenu* menu, const char* name, const QString& text, const QKeySequence& key, auto&& slot) {
        auto* a = new QAction(text, this);
        a->setObjectName(QString::fromLatin1(name));
        if (!key.isEmpty()) a->setShortcut(key);
        connect(a, &QAction::triggered, this, slot);
        menu->addAction(a);
        addAction(a);
        m_actions[a->objectName()] = a;
        return a;
    };
    QMenu* file = menuBar()->addMenu(tr("&File"));
    add(file, "openModel", tr("Open &Model Folder…"), QKeySequence(tr("Ctrl+Shift+O")), [this] { openModelDialog(); });
    add(file, "openGguf", tr("Open &GGUF File…"), QKeySequence(), [this] { openGgufDialog(); });
    add(file, "addDataset", tr("Add &Dataset…"), QKeySequence(tr("Ctrl+D")), [this] { openFilesDialog(); });
    m_recentModels = file->addMenu(tr("Recent Models"));
    m_recentDatasets = file->addMenu(tr("Recent Datasets"));
    file->addSeparator();
    add(file, "openSession", tr("&Open Session…"), QKeySequence::Open, [this] { openSessionDialog(); });
    add(file, "saveSession", tr("&Save Session"), QKeySequence::Save, [this] {
        if (m_session->path().isEmpty())
            saveSessionDialog();
        else
            saveSession(m_session->path());
    });
    add(file, "saveSessionAs", tr("Save Session &As…"), standardKey(QKeySequence::SaveAs, "Ctrl+Shift+S"),
        [this] { saveSessionDialog(); });
    m_recentSessions = file->addMenu(tr("Recent Sessions"));
    file->addSeparator();
    add(file, "exportPlot", tr("&Export Plot…"), QKeySequence(tr("Ctrl+E")), [this] { exportCurrentPlot(); });
    add(file, "exportTable", tr("Export &Table as CSV…"), QKeySequence(tr("Ctrl+Shift+E")),
        [this] { exportCurrentTable(); });
    file->addSeparator();
    add(file, "quit", tr("&Quit"), standardKey(QKeySequence::Quit, "Ctrl+Q"), [this] { close(); });

    QMenu* run = menuBar()->addMenu(tr("&Run"));
    add(run, "score", tr("&Score"), QKeySequence(Qt::Key_F5), [this] {
        showPanel(Panel::Score);
        if (m_scorePanel->currentDataset().isEmpty()) {
            statusBar()->showMessage(tr("Nothing to score: add a dataset first (File ▸ Add Dataset…, Ctrl+D)."), 6000);
            return;
        }
        m_scorePanel->scoreCurrent();
    });
    add(run, "attribute", tr("&Attribute"), QKeySequence(Qt::Key_F6), [this] {
        showPanel(Panel::Attribute);
        m_attributionPanel->startAttribution();
    });
    add(run, "preview", tr("Ablation &Preview"), QKeySequence(Qt::Key_F7), [this] {
        showPanel(Panel::Select);
        m_selectionPanel->previewNow();
    });
    add(run, "finetune", tr("&Fine-tune"), QKeySequence(Qt::Key_F8), [this] {
        showPanel(Panel::Finetune);
        m_finetunePanel->start();
    });
    run->addSeparator();
    add(run, "cancel", tr("&Cancel"), QKeySequence(Qt::Key_Escape), [this] { m_engine->cancel(); });

    QMenu* view = menuBar()->addMenu(tr("&View"));
    int index = 0;
    for (auto panel : {Panel::Model, Panel::Score, Panel::Attribute, Panel::Select, Panel::Finetune, Panel::Compare}) {
        const QByteArray name = QStringLiteral("panel%1").arg(index + 1).toLatin1();
        add(view, name.constData(), panelName(panel), QKeySequence(tr("Ctrl+%1").arg(index + 1)),
            [this, panel] { showPanel(panel); });
        ++index;
    }
    view->addSeparator();
    if (auto* dock = findChild<QDockWidget*>(QStringLiteral("logDock"))) {
        QAction* toggle = dock->toggleViewAction();
        toggle->setText(tr("&Log"));
        toggle->setShortcut(QKeySequence(tr("Ctrl+L")));
        toggle->setObjectName(QStringLiteral("toggleLog"));
        view->addAction(toggle);
        addAction(toggle);
        m_actions[toggle->objectName()] = toggle;
    }

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    add(help, "demo", tr("Try the Built-in &Demo"), QKeySequence(), [this] { tryDemo(); });
    add(help, "about", tr("&About Prunescope"), QKeySequence(Qt::Key_F1),
        [this] { QMessageBox::about(this, tr("About Prunescope"), aboutText()); });
    rebuildRecentMenus();
}

void MainWindow::rebuildRecentMenus() {
    auto fill = [this](QMenu* menu, const QStringList& paths, auto&& open) {
        if (menu == nullptr) return;
        menu->clear();
        for (const auto& p : paths) {
            QAction* a = menu->addAction(p);
            connect(a, &QAction::triggered, this, [p, open] { open(p); });
        }
        menu->setEnabled(!paths.isEmpty());
    };
    fill(m_recentSessions, kRecentSessions.paths(), [this](const QString& p) {
        QString error;
        if (!openSession(p, &error)) showError(tr("Opening the session failed"), error, {});
    });
    fill(m_recentModels, kRecentModels.paths(), [this](const QString& p) { openModel(p); });
    fill(m_recentDatasets, kRecentDatasets.paths(), [this](const QString& p) { addDataset(p); });
    m_start->setRecent(kRecentSessions.paths(), kRecentModels.paths());
}

void MainWindow::exportCurrentPlot() {
    QWidget* plot = nullptr;
    QString name;
    switch (Panel(m_tabs->currentIndex())) {
        case Panel::Model: break;
        case Panel::Score:
            plot = m_scorePanel->histogram();
            name = QStringLiteral("confidence");
            break;
        case Panel::Attribute:
            plot = m_attributionPanel->heatmap();
            name = QStringLiteral("heatmap");
            break;
        case Panel::Select:
            plot = m_selectionPanel->countChart();
            name = QStringLiteral("pruned-per-layer");
            break;
        case Panel::Finetune:
            plot = m_finetunePanel->chart();
            name = QStringLiteral("training");
            break;
        case Panel::Compare:
            plot = m_comparePanel->chart();
            name = QStringLiteral("accuracy");
            break;
    }
    if (plot != nullptr) exportPlotWithDialog(plot, name);
}

void MainWindow::exportCurrentTable() {
    QAbstractItemView* table = nullptr;
    switch (Panel(m_tabs->currentIndex())) {
        case Panel::Model: table = m_modelPanel->datasetTable(); break;
        case Panel::Score: table = m_scorePanel->table(); break;
        case Panel::Attribute: table = m_attributionPanel->neuronPanel()->questionTable(); break;
        case Panel::Select: break;
        case Panel::Finetune: break;
        case Panel::Compare: table = m_comparePanel->table(); break;
    }
    if (table != nullptr) exportTableWithDialog(table, QStringLiteral("table"));
}

void MainWindow::openModelDialog() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open Model Folder"), startFolder(kLastModelFolder));
    if (!dir.isEmpty()) openModel(dir);
}

void MainWindow::openGgufDialog() {
    const QString file = QFileDialog::getOpenFileName(this, tr("Open GGUF File"), startFolder(kLastModelFolder),
                                                      tr("llama.cpp models (*.gguf);;All files (*)"));
    if (!file.isEmpty()) openModel(file);
}

void MainWindow::openFilesDialog() {
    const QStringList files =
        QFileDialog::getOpenFileNames(this, tr("Add Datasets"), startFolder(kLastDataFolder),
                                      tr("Multiple-choice datasets (*.jsonl *.json *.csv *.tsv);;All files (*)"));
    for (const auto& f : files) {
        const QStringList roles = {QStringLiteral("train"), QStringLiteral("test"), QStringLiteral("ood")};
        bool ok = false;
        const QString role =
            QInputDialog::getItem(this, tr("Dataset Role"), tr("Role of %1:").arg(QFileInfo(f).fileName()), roles,
                                  int(roles.indexOf(guessRole(f))), false, &ok);
        if (ok) addDataset(f, role);
    }
}

void MainWindow::openSessionDialog() {
    const QString file = QFileDialog::getOpenFileName(this, tr("Open Session"), startFolder(kLastSessionFolder),
                                                      tr("Prunescope sessions (*.prunescope)"));
    QString error;
    if (!file.isEmpty() && !openSession(file, &error)) showError(tr("Opening the session failed"), error, {});
}

bool MainWindow::saveSessionDialog() {
    QString file = QFileDialog::getSaveFileName(this, tr("Save Session"), startFolder(kLastSessionFolder),
                                                tr("Prunescope sessions (*.prunescope)"));
    if (file.isEmpty()) return false;
    if (!file.endsWith(QLatin1String(".prunescope"))) file += QStringLiteral(".prunescope");
    return saveSession(file);
}

QString MainWindow::aboutText() {
    return tr("<h3>Prunescope %1</h3>"
              "<p>Find and prune the neurons behind a language model's dataset shortcuts: explore confidence and "
              "neurons, tune thresholds by eye, launch fine-tuning.</p>"
              "<p>Qt %2 (built with %3)<br>LibTorch %4</p>")
        .arg(QStringLiteral(PRUNESCOPE_VERSION), QString::fromLatin1(qVersion()), QStringLiteral(QT_VERSION_STR),
             QStringLiteral(TORCH_VERSION));
}

}  // namespace prunescope::ui
