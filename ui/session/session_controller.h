// The window's current session: its file, where its result files go, saving, opening, the recent
// list and autosave. Autosave (every kAutosaveSeconds while there are unsaved changes) never writes
// the user's session file or its results folder: it goes to a recovery file in the application
// data folder (autosave.prunescope for a session never saved, recovery/<name>-<hash>.prunescope for
// a saved one), with its own results folder beside it. The user's file changes only on Save.
#pragma once

#include <QObject>
#include <QTimer>

#include <functional>
#include <optional>

#include "ui/session/session.h"

namespace prunescope::ui {

class SessionController : public QObject {
    Q_OBJECT
public:
    // Gathers the window's state; may write result files (mask, report) into `resultsDir`.
    using Collector = std::function<Session(const QString& resultsDir)>;

    explicit SessionController(QObject* parent = nullptr);

    void setCollector(Collector collector) { m_collect = std::move(collector); }
    QString path() const { return m_path; }
    // Result files of this session: "<folder>/<stem>-results", or the unsaved-session folder.
    QString resultsDir() const;
    static QString autosavePath();
    // Where autosave writes while the session is `sessionPath` (empty: never saved).
    static QString recoveryPath(const QString& sessionPath);
    // The recovery file of `sessionPath` when it holds changes the session file lacks (it exists
    // and is newer than the session file); empty otherwise.
    static QString pendingRecovery(const QString& sessionPath);
    // Deletes the recovery file of `sessionPath` (the user chose the saved version).
    static void discardRecovery(const QString& sessionPath);

    bool save(const QString& path, QString* error = nullptr);
    bool autosave(QString* error = nullptr);
    std::optional<Session> open(const QString& path, QString* error = nullptr);
    // Reads the recovery file of `sessionPath` (empty: the unsaved session) as that session, with
    // its changes unsaved: Save writes them to `sessionPath`.
    std::optional<Session> openRecovered(const QString& sessionPath, QString* error = nullptr);
    void reset();  // a new, unsaved session

    void markDirty();
    void markClean() { setDirty(false); }
    bool isDirty() const { return m_dirty; }
    void setAutosaveInterval(int seconds);  // 0: off

signals:
    void pathChanged(const QString& path);
    void dirtyChanged(bool dirty);
    void autosaveFinished(const QString& path);
    void saveFailed(const QString& message);

private:
    bool write(const QString& path, const QString& resultsDir, QString* error);
    void setPath(const QString& path);
    void setDirty(bool dirty);

    Collector m_collect;
    QString m_path;
    bool m_dirty = false;
    QTimer m_autosave;
};

}  // namespace prunescope::ui
