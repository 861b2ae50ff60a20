// Preferences of sessions and file handling (typed, declared here once; see setting.h).
#pragma once

#include "ui/session/setting.h"

namespace prunescope::ui {

inline const RecentList kRecentSessions{"recent/sessions", 10};
inline const RecentList kRecentModels{"recent/models", 10};
inline const RecentList kRecentDatasets{"recent/datasets", 10};
inline const Setting<QString> kLastModelFolder{"folders/model", QString()};
inline const Setting<QString> kLastDataFolder{"folders/data", QString()};
inline const Setting<QString> kLastSessionFolder{"folders/session", QString()};
inline const Setting<QString> kLastExportFolder{"folders/export", QString()};
inline const Setting<bool> kFirstStartDone{"start/firstStartDone", false};
inline const Setting<int> kAutosaveSeconds{"session/autosaveSeconds", 60};

}  // namespace prunescope::ui
