#include "ui/views/plot_export.h"

#include "core/util/files.h"

#include <QBuffer>
#include <QCoreApplication>
#include <QFileInfo>
#include <QImageWriter>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QSvgGenerator>
#include <QWidget>

#include <qcustomplot.h>

#include <exception>
#include <filesystem>
#include <string_view>

namespace prunescope::ui {
namespace {

// Gives the free function a translation context.
struct PlotExport {
    Q_DECLARE_TR_FUNCTIONS(PlotExport)
};

QCustomPlot* findPlot(QWidget* view) {
    if (auto* plot = qobject_cast<QCustomPlot*>(view)) return plot;
    return view->findChild<QCustomPlot*>();
}

QSize exportSize(QWidget* view) {
    const QSize size = view->size();
    return size.isEmpty() ? QSize(800, 600) : size;
}

// Draws `view` on `device` of `size` pixels: as vectors through QCustomPlot when possible.
bool paintView(QWidget* view, QPaintDevice* device, const QSize& size) {
    if (QCustomPlot* plot = findPlot(view)) {
        QCPPainter painter;
        if (!painter.begin(device)) return false;
        painter.setMode(QCPPainter::pmVectorized);
        painter.setMode(QCPPainter::pmNoCaching);
        plot->toPainter(&painter, size.width(), size.height());
        return painter.end();
    }
    QPainter painter;
    if (!painter.begin(device)) return false;
    view->render(&painter);
    return painter.end();
}

// Each format is drawn into memory first, then written whole by writeFileAtomic (aside, then
// renamed over `path`): a full disk or a failed drawing leaves the previous file as it was and no
// temporary behind. A plot is at most a few megabytes.
bool writeAtomic(const QString& path, const QByteArray& bytes, QString* error) {
    try {
        writeFileAtomic(std::filesystem::path(path.toStdString()),
                        std::string_view(bytes.constData(), size_t(bytes.size())));
        return true;
    } catch (const std::exception& e) {
        if (error) *error = QString::fromStdString(e.what());
        return false;
    }
}

bool exportPng(QWidget* view, const QString& path, QString* error) {
    QImage image;
    if (QCustomPlot* plot = findPlot(view)) {
        const QSize size = exportSize(view);
        image = plot->toPixmap(size.width(), size.height()).toImage();
    } else {
        image = view->grab().toImage();
    }
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    QImageWriter writer(&buffer, "png");
    if (image.isNull() || !writer.write(image)) {
        if (error) {
            *error = PlotExport::tr("%1: cannot draw the PNG file (%2)")
                         .arg(path, image.isNull() ? PlotExport::tr("empty image") : writer.errorString());
        }
        return false;
    }
    return writeAtomic(path, buffer.data(), error);
}

bool exportSvg(QWidget* view, const QString& path, QString* error) {
    const QSize size = exportSize(view);
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    {
        QSvgGenerator generator;
        generator.setOutputDevice(&buffer);
        generator.setSize(size);
        generator.setViewBox(QRect(QPoint(0, 0), size));
        generator.setTitle(view->windowTitle());
        if (!paintView(view, &generator, size)) {
            if (error) *error = PlotExport::tr("%1: cannot draw the SVG file").arg(path);
            return false;
        }
    }
    return writeAtomic(path, buffer.data(), error);
}

bool exportPdf(QWidget* view, const QString& path, QString* error) {
    const QSize size = exportSize(view);
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    {
        QPdfWriter writer(&buffer);
        writer.setPageMargins(QMarginsF(0, 0, 0, 0));
        writer.setPageSize(QPageSize(QSizeF(size), QPageSize::Point));
        writer.setResolution(72);  // one point per widget pixel
        writer.setCreator(QStringLiteral("Prunescope"));
        if (!paintView(view, &writer, size)) {
            if (error) *error = PlotExport::tr("%1: cannot draw the PDF file").arg(path);
            return false;
        }
    }
    return writeAtomic(path, buffer.data(), error);
}

}  // namespace

bool exportPlot(QWidget* view, const QString& path, QString* error) {
    if (!view) {
        if (error) *error = PlotExport::tr("%1: nothing to export").arg(path);
        return false;
    }
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == QLatin1String("png")) return exportPng(view, path, error);
    if (suffix == QLatin1String("svg")) return exportSvg(view, path, error);
    if (suffix == QLatin1String("pdf")) return exportPdf(view, path, error);
    if (error) {
        *error = PlotExport::tr("%1: unknown file type '%2'; use .png, .svg or .pdf").arg(path, suffix);
    }
    return false;
}

}  // namespace prunescope::ui
