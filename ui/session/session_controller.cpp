#include "ui/session/session_controller.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>

#include "core/util/error.h"
#include "ui/session/session_settings.h"

namespace prunescope::ui {

SessionController::SessionController(QObject* parent) : QObject(parent) {
    m_autosave.setSingleShot(false);
    connect(&m_autosave, &QTimer::timeout, this, [this] {
        if (m_dirty) autosave();
    });
    setAutosaveInterval(kAutosaveSeconds.get());
}

QString SessionController::autosavePath() {
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation);
    return QDir(dir).filePath(QStringLiteral("autosave.prunescope"));
}

QString SessionController::recoveryPath(const QString& sessionPath) {
    if (sessionPath.isEmpty()) return autosavePath();
    const QString absolute = QFileInfo(sessionPath).absoluteFilePath();
    const QString hash =
        QString::fromLatin1(QCryptographicHash::hash(absolute.toUtf8(), QCryptographicHash::Sha256).toHex().left(12));
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation);
    return QDir(dir).filePath(
        QStringLiteral("recovery/%1-%2.prunescope").arg(QFileInfo(absolute).completeBaseName(), hash));
}

QString SessionController::pendingRecovery(const QString& sessionPath) {
    const QString recovery = recoveryPath(sessionPath);
    const QFileInfo info(recovery);
    if (!info.exists()) return {};
    if (!sessionPath.isEmpty()) {
        const QFileInfo session(sessionPath);
        if (session.exists() && session.lastModified() >= info.lastModified()) return {};
    }
    return recovery;
}

void SessionController::discardRecovery(const QString& sessionPath) {
    QFile::remove(recoveryPath(sessionPath));
}

namespace {

QString resultsBeside(const QString& session) {
    const QFileInfo info(session);
    return info.absoluteDir().filePath(info.completeBaseName() + QStringLiteral("-results"));
}

}  // namespace

QString SessionController::resultsDir() const {
    return resultsBeside(m_path.isEmpty() ? autosavePath() : m_path);
}

bool SessionController::write(const QString& path, const QString& resultsDir, QString* error) {
    try {
        QDir().mkpath(resultsDir);
        Session session = m_collect ? m_collect(resultsDir) : Session{};
        writeSession(path, session);
        return true;
    } catch (const std::exception& e) {
        const QString message = QString::fromUtf8(e.what());
        if (error) *error = message;
        emit saveFailed(message);
        return false;
    }
}

bool SessionController::save(const QString& path, QString* error) {
    const QString absolute = QFileInfo(path).absoluteFilePath();
    const QString previous = m_path;
    setPath(absolute);  // results go beside the new file
    if (!write(absolute, resultsDir(), error)) {
        setPath(previous);
        return false;
    }
    kRecentSessions.add(absolute);
    kLastSessionFolder.set(QFileInfo(absolute).absolutePath());
    // What the recovery files held is in the session file now.
    discardRecovery(absolute);
    if (previous.isEmpty()) discardRecovery({});
    setDirty(false);
    return true;
}

bool SessionController::autosave(QString* error) {
    const QString target = recoveryPath(m_path);
    QDir().mkpath(QFileInfo(target).absolutePath());
    if (!write(target, resultsBeside(target), error)) return false;
    setDirty(false);
    emit autosaveFinished(target);
    return true;
}

std::optional<Session> SessionController::open(const QString& path, QString* error) {
    try {
        Session session = readSession(path);
        const QString absolute = QFileInfo(path).absoluteFilePath();
        setPath(absolute == autosavePath() ? QString() : absolute);
        if (!m_path.isEmpty()) kRecentSessions.add(absolute);
        setDirty(false);
        return session;
    } catch (const std::exception& e) {
        if (error) *error = QString::fromUtf8(e.what());
        return std::nullopt;
    }
}

std::optional<Session> SessionController::openRecovered(const QString& sessionPath, QString* error) {
    try {
        Session session = readSession(recoveryPath(sessionPath));
        setPath(sessionPath.isEmpty() ? QString() : QFileInfo(sessionPath).absoluteFilePath());
        setDirty(true);
        return session;
    } catch (const std::exception& e) {
        if (error) *error = QString::fromUtf8(e.what());
        return std::nullopt;
    }
}

void SessionController::reset() {
    setPath({});
    setDirty(false);
}

void SessionController::markDirty() {
    setDirty(true);
}

void SessionController::setAutosaveInterval(int seconds) {
    m_autosave.stop();
    if (seconds > 0) m_autosave.start(seconds * 1000);
}

void SessionController::setPath(const QString& path) {
    if (path == m_path) return;
    m_path = path;
    emit pathChanged(path);
}

void SessionController::setDirty(bool dirty) {
    if (dirty == m_dirty) return;
    m_dirty = dirty;
    emit dirtyChanged(dirty);
}

}  // namespace prunescope::ui
