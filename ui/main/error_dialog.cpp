#include "ui/main/error_dialog.h"

#include <QMessageBox>

namespace prunescope::ui {

void showErrorDialog(QWidget* parent, const QString& title, const QString& message, const QString& details) {
    auto* box = new QMessageBox(QMessageBox::Warning, title, message, QMessageBox::Ok, parent);
    box->setAttribute(Qt::WA_DeleteOnClose);
    if (!details.isEmpty()) box->setDetailedText(details);
    box->open();
}

}  // namespace prunescope::ui
