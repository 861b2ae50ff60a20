// Preferences of the main window's layout (typed, declared here once; see setting.h).
#pragma once

#include <QByteArray>

#include "ui/session/setting.h"

namespace prunescope::ui {

inline const Setting<QByteArray> kWindowGeometry{"window/geometry", QByteArray()};
inline const Setting<QByteArray> kWindowState{"window/state", QByteArray()};
inline const Setting<int> kWindowPanel{"window/panel", 0};

}  // namespace prunescope::ui
