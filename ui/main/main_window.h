// The main window only assembles: the panels (one tab each), the log dock, the status bar, the
// menus and shortcuts (main_actions.cpp), sessions and the demo (main_session.cpp), and the
// wiring between panels. The engine and its worker thread belong to it.
#pragma once

#include <QMainWindow>

#include <QStringList>
#include <functional>

#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "ui/session/session.h"
#include "ui/worker/engine_types.h"

class QAction;
class QMenu;
class QStackedWidget;
class QTabWidget;

namespace prunescope::ui {

class AttributionPanel;
class ComparePanel;
class Engine;
class FinetunePanel;
class LogBridge;
class LogPanel;
class ModelPanel;
class StartPage;
class ScorePanel;
class SelectionPanel;
class SessionController;
class TaskStatus;

// What to do with unsaved changes when the window closes.
enum class QuitChoice { Save, Discard, Cancel };
// A recovery file with changes the session file lacks: restore them, open the saved version (the
// recovery file stays), or open the saved version and delete the recovery file.
enum class RecoveryChoice { Restore, Ignore, Discard };

struct MainWindowOptions {
    bool interactive = true;  // false: no dialogs (tests, screenshots); errors are logged and kept
    bool offerDemo = true;    // start on the start page (open a model, a session, the demo, recent ones)
    // Asked on closing with unsaved changes; empty: a Save / Discard / Cancel dialog when
    // interactive, else Discard. Discarding still leaves the state in the recovery file.
    std::function<QuitChoice()> quitPrompt = {};
    // Asked when a session (or, on start, the unsaved session) has a newer recovery file; gets
    // the session's path (empty: unsaved) and the recovery file's. Empty: a dialog when
    // interactive, else Ignore.
    std::function<RecoveryChoice(const QString& session, const QString& recovery)> recoveryPrompt = {};
    // Asked before another model closes the neuron scores shown (their file, the new model's path);
    // true: open it. Empty: an Open / Cancel dialog when interactive, else open.
    std::function<bool(const QString& scores, const QString& model)> closeScoresPrompt = {};
};

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    enum class Panel { Model, Score, Attribute, Select, Finetune, Compare };

    explicit MainWindow(QWidget* parent = nullptr, MainWindowOptions options = {});
    ~MainWindow() override;

    Engine& engine() { return *m_engine; }
    SessionController& session() { return *m_session; }
    ModelPanel* modelPanel() const { return m_modelPanel; }
    ScorePanel* scorePanel() const { return m_scorePanel; }
    AttributionPanel* attributionPanel() const { return m_attributionPanel; }
    SelectionPanel* selectionPanel() const { return m_selectionPanel; }
    FinetunePanel* finetunePanel() const { return m_finetunePanel; }
    ComparePanel* comparePanel() const { return m_comparePanel; }
    LogPanel* logPanel() const { return m_logPanel; }
    TaskStatus* taskStatus() const { return m_taskStatus; }
    // Feeds the log panel; app/ installs its sink into the core's loggers (LogBridge::install).
    LogBridge& logBridge() { return *m_logBridge; }
    void showPanel(Panel panel);
    QWidget* panelWidget(Panel panel) const;
    static QString panelName(Panel panel);
    QAction* action(const QString& objectName) const;  // e.g. "score", "attribute", "cancel"

    void openModel(const QString& dir);
    // role: train, test or ood; empty: train if there is none yet, then test, then ood.
    void addDataset(const QString& path, const QString& role = {});
    // Opens `file`; when a recovery file holds newer changes, asks whether to restore them.
    bool openSession(const QString& file, QString* error = nullptr);
    bool saveSession(const QString& file, QString* error = nullptr);
    void tryDemo();
    // On start without a session: offers the unsaved session's recovery file if there is one.
    void firstStart();
    // The start page is shown until something is opened or a panel is chosen.
    bool startPageShown() const;
    StartPage* startPage() const { return m_start; }
    void showPanels();
    static QString aboutText();
    // The pipeline's experiment config for this session and the folder it runs in (Run Full
    // Experiment); nullopt (and an error dialog) when the session lacks a model or training data.
    std::optional<std::pair<nlohmann::json, QString>> experimentConfig();
    QStringList errors() const { return m_errors; }  // every error shown (or, non-interactive, kept)

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void fitOnScreen();  // after restoring the saved geometry
    void createPanels();
    void createActions();  // main_actions.cpp
    void rebuildRecentMenus();
    void exportCurrentPlot();
    void exportCurrentTable();
    void wirePanels();
    void onTaskFailed(const TaskError& error);
    void showError(const QString& title, const QString& message, const QString& details);
    Session collectSession(const QString& resultsDir);  // main_session.cpp
    void applySession(const Session& session);
    // Marks the neurons of mask `file` on both heatmaps (empty: none); false with `error` when unreadable.
    bool setReferenceNeurons(const QString& file, QString* error);
    void applyReference();
    // Applies `session` once its loads are done: as saved (clean) or with unsaved changes.
    void showSession(const Session& session, bool unsaved);
    RecoveryChoice askRecovery(const QString& session, const QString& recovery);
    void updateTitle();
    void openFilesDialog();
    void openModelDialog();
    void openGgufDialog();
    void openSessionDialog();
    bool saveSessionDialog();
    QString guessRole(const QString& path) const;

    MainWindowOptions m_options;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<LogBridge> m_logBridge;
    SessionController* m_session = nullptr;
    QStackedWidget* m_pages = nullptr;  // the start page, then the panels
    StartPage* m_start = nullptr;
    QTabWidget* m_tabs = nullptr;
    ModelPanel* m_modelPanel = nullptr;
    ScorePanel* m_scorePanel = nullptr;
    AttributionPanel* m_attributionPanel = nullptr;
    SelectionPanel* m_selectionPanel = nullptr;
    FinetunePanel* m_finetunePanel = nullptr;
    ComparePanel* m_comparePanel = nullptr;
    LogPanel* m_logPanel = nullptr;
    TaskStatus* m_taskStatus = nullptr;
    QMenu* m_recentSessions = nullptr;
    QMenu* m_recentModels = nullptr;
    QMenu* m_recentDatasets = nullptr;
    std::map<QString, QAction*> m_actions;
    QStringList m_errors;
    QString m_pendingDemo;             // session to open once the demo is built
    QString m_referenceFile;           // the session's reference mask
    std::vector<uint8_t> m_reference;  // its neurons, (layer, neuron) flat
    QString m_referenceLabel;
};

}  // namespace prunescope::ui
