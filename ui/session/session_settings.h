// Preferences of sessions and file handling (typed, declared here once; see setting.h).
#pragma once

#include <QDir>
#include <QFileInfo>
#include <QString>

#include "ui/session/setting.h"

namespace prunescope::ui {

inline const RecentList kRecentSessions{"recent/sessions", 10};
inline const RecentList kRecentModels{"recent/models", 10};
inline const RecentList kRecentDatasets{"recent/datasets", 10};
inline const Setting<QString> kLastModelFolder{"folders/model", QString()};
inline const Setting<QString> kLastDataFolder{"folders/data", QString()};
inline const Setting<QString> kLastSessionFolder{"folders/session", QString()};
inline const Setting<QString> kLastExportFolder{"folders/export", QString()};
inline const Setting<int> kAutosaveSeconds{"session/autosaveSeconds", 60};

// Where a file dialog starts: the folder last used for its kind, or the home folder (never the
// process's working folder, which is "/" when started from a desktop menu).
inline QString startFolder(const Setting<QString>& last) {
    const QString dir = last.get();
    return !dir.isEmpty() && QFileInfo(dir).isDir() ? dir : QDir::homePath();
}
// A file name in startFolder(last).
inline QString startPath(const Setting<QString>& last, const QString& fileName) {
    return QDir(startFolder(last)).filePath(fileName);
}

}  // namespace prunescope::ui
