#include "ui/common/export_actions.h"

#include <QAbstractItemModel>
#include <QAbstractItemView>
#include <QCoreApplication>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMessageBox>
#include <QSaveFile>
#include <QTextStream>

#include "ui/session/session_settings.h"
#include "ui/views/plot_export.h"
#include "ui/views/plot_view.h"

namespace prunescope::ui {
namespace {

QString tr(const char* text) {
    return QCoreApplication::translate("prunescope::ui::Export", text);
}

QString csvField(QString text) {
    if (text.contains(QLatin1Char(',')) || text.contains(QLatin1Char('"')) || text.contains(QLatin1Char('\n'))) {
        text.replace(QLatin1String("\""), QLatin1String("\"\""));
        return QLatin1Char('"') + text + QLatin1Char('"');
    }
    return text;
}

}  // namespace

QString askSavePath(QWidget* parent, const QString& title, const QString& suggestedName, const QString& filter) {
    const QString path =
        QFileDialog::getSaveFileName(parent, title, startPath(kLastExportFolder, suggestedName), filter);
    if (!path.isEmpty()) kLastExportFolder.set(QFileInfo(path).absolutePath());
    return path;
}

bool writeCsv(const QAbstractItemModel& model, const QString& path, QString* error) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text)) {
        if (error) *error = tr("%1: cannot write (%2)").arg(path, file.errorString());
        return false;
    }
    QTextStream out(&file);
    QStringList header;
    for (int c = 0; c < model.columnCount(); ++c) header << csvField(model.headerData(c, Qt::Horizontal).toString());
    out << header.join(QLatin1Char(',')) << "\n";
    for (int r = 0; r < model.rowCount(); ++r) {
        QStringList row;
        for (int c = 0; c < model.columnCount(); ++c) {
            const auto index = model.index(r, c);
            const QVariant exact = index.data(kExportRole);
            row << csvField(exact.isValid() ? exact.toString() : index.data().toString());
        }
        out << row.join(QLatin1Char(',')) << "\n";
    }
    out.flush();
    if (!file.commit()) {
        if (error) *error = tr("%1: cannot write (%2)").arg(path, file.errorString());
        return false;
    }
    return true;
}

void exportPlotWithDialog(QWidget* plot, const QString& suggestedName) {
    const QString path = askSavePath(plot, tr("Export"), suggestedName + QStringLiteral(".png"),
                                     tr("PNG image (*.png);;SVG vector image (*.svg);;PDF document (*.pdf)"));
    if (path.isEmpty()) return;
    QString error;
    if (!exportPlot(plot, path, &error)) QMessageBox::warning(plot, tr("Export failed"), error);
}

void exportTableWithDialog(QAbstractItemView* table, const QString& suggestedName) {
    if (table->model() == nullptr) return;
    const QString path =
        askSavePath(table, tr("Export"), suggestedName + QStringLiteral(".csv"), tr("CSV table (*.csv)"));
    if (path.isEmpty()) return;
    QString error;
    if (!writeCsv(*table->model(), path, &error)) QMessageBox::warning(table, tr("Export failed"), error);
}

void addPlotExportMenu(QWidget* plot, const QString& suggestedName) {
    QWidget* target = plot;
    if (auto* view = qobject_cast<PlotView*>(plot)) target = view->plotWidget();
    target->setContextMenuPolicy(Qt::CustomContextMenu);
    QObject::connect(target, &QWidget::customContextMenuRequested, plot,
                     [plot, target, suggestedName](const QPoint& pos) {
                         QMenu menu;
                         QAction* action = menu.addAction(tr("Export plot…"));
                         if (menu.exec(target->mapToGlobal(pos)) == action) exportPlotWithDialog(plot, suggestedName);
                     });
}

void addTableExportMenu(QAbstractItemView* table, const QString& suggestedName) {
    table->setContextMenuPolicy(Qt::CustomContextMenu);
    QObject::connect(table, &QWidget::customContextMenuRequested, table, [table, suggestedName](const QPoint& pos) {
        QMenu menu;
        QAction* action = menu.addAction(tr("Export CSV…"));
        if (menu.exec(table->viewport()->mapToGlobal(pos)) == action) exportTableWithDialog(table, suggestedName);
    });
}

}  // namespace prunescope::ui
