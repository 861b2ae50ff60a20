// The colours of the series in bar and line charts (Tableau 10, readable on white).
#pragma once

#include <QColor>

namespace prunescope::ui {

QColor seriesColor(int index);

}  // namespace prunescope::ui
