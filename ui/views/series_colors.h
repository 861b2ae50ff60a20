// The colours of the series in bar and line charts (Tableau 10, readable on white).
#pragma once

#include <QColor>
#include <QString>

namespace prunescope::ui {

QColor seriesColor(int index);
// One colour per arm wherever arms are drawn (the Compare chart, accuracy.png), whatever the
// arms of a report and their order: plain, ig, random, magnitude keep theirs; "base" is grey;
// another name gets one of the remaining colours by its text.
QColor armColor(const QString& arm);

}  // namespace prunescope::ui
