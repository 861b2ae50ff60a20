#include "ui/views/plot_export.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QImageWriter>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QSvgGenerator>
#include <QWidget>

#include <qcustomplot.h>

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

bool checkWritable(const QString& path, QString* error) {
    QFile probe(path);
    if (probe.open(QIODevice::WriteOnly)) return true;
    if (error) *error = PlotExport::tr("%1: cannot write the file (%2)").arg(path, probe.errorString());
    return false;
}

bool exportPng(QWidget* view, const QString& path, QString* error) {
    QImage image;
    if (QCustomPlot* plot = findPlot(view)) {
        const QSize size = exportSize(view);
        image = plot->toPixmap(size.width(), size.height()).toImage();
    } else {
        image = view->grab().toImage();
    }
    QImageWriter writer(path, "png");
    if (image.isNull() || !writer.write(image)) {
        if (error) {
            *error = PlotExport::tr("%1: cannot write the PNG file (%2)")
                         .arg(path, image.isNull() ? PlotExport::tr("empty image") : writer.errorString());
        }
        return false;
    }
    return true;
}

bool exportSvg(QWidget* view, const QString& path, QString* error) {
    if (!checkWritable(path, error)) return false;
    const QSize size = exportSize(view);
    QSvgGenerator generator;
    generator.setFileName(path);
    generator.setSize(size);
    generator.setViewBox(QRect(QPoint(0, 0), size));
    generator.setTitle(view->windowTitle());
    if (!paintView(view, &generator, size)) {
        QFile::remove(path);
        if (error) *error = PlotExport::tr("%1: cannot draw the SVG file").arg(path);
        return false;
    }
    return true;
}

bool exportPdf(QWidget* view, const QString& path, QString* error) {
    if (!checkWritable(path, error)) return false;
    const QSize size = exportSize(view);
    QPdfWriter writer(path);
    writer.setPageMargins(QMarginsF(0, 0, 0, 0));
    writer.setPageSize(QPageSize(QSizeF(size), QPageSize::Point));
    writer.setResolution(72);  // one point per widget pixel
    writer.setCreator(QStringLiteral("Prunescope"));
    if (!paintView(view, &writer, size)) {
        QFile::remove(path);
        if (error) *error = PlotExport::tr("%1: cannot draw the PDF file").arg(path);
        return false;
    }
    return true;
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
