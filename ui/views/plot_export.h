// Writes a plot widget to an image or vector file; the format follows the file's extension.
#pragma once

#include <QString>

class QWidget;

namespace prunescope::ui {

// Saves `view` to `path`: .png (raster, the widget's size), .svg (QSvgGenerator) or .pdf.
// When the widget is, or contains, a QCustomPlot, SVG and PDF are drawn as vectors through it;
// any other widget is rendered with QWidget::render. Returns false and sets `error` (when given)
// to a message a user can act on if the extension is unknown or the file cannot be written.
bool exportPlot(QWidget* view, const QString& path, QString* error = nullptr);

}  // namespace prunescope::ui
