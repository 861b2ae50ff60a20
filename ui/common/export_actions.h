// "Export…" for every plot (PNG / SVG / PDF) and "Export CSV…" for every table: context-menu
// actions, the file dialogs, and the CSV writer they use.
#pragma once

#include <QString>
#include <Qt>

class QAbstractItemModel;
class QAbstractItemView;
class QWidget;

namespace prunescope::ui {

// The role a table model answers with a cell's full-precision value for CSV export, where its
// display text is rounded (confidence 0.997 shown, 0.99712345 exported).
inline constexpr int kExportRole = Qt::UserRole + 1;

// Writes `model` (header row + every row: kExportRole where the model gives it, else the display
// text) as RFC 4180 CSV. False and `error` set when the file cannot be written.
bool writeCsv(const QAbstractItemModel& model, const QString& path, QString* error = nullptr);

// A save dialog that starts in the folder of the last export (or home) and remembers the folder
// chosen; empty when cancelled. For plots, tables, masks, reports and logs.
QString askSavePath(QWidget* parent, const QString& title, const QString& suggestedName, const QString& filter = {});

// Asks for a file and exports `plot` (a PlotView or any widget); errors are shown in a dialog.
void exportPlotWithDialog(QWidget* plot, const QString& suggestedName);
void exportTableWithDialog(QAbstractItemView* table, const QString& suggestedName);

// Adds a context menu with "Export plot…" to `plot` / "Export CSV…" to `table`.
void addPlotExportMenu(QWidget* plot, const QString& suggestedName);
void addTableExportMenu(QAbstractItemView* table, const QString& suggestedName);

}  // namespace prunescope::ui
