// Errors as dialogs: the message a user can act on, with the file / place / hint in the
// "Show Details…" section. Non-modal, so the event loop (and the worker's signals) keep flowing.
#pragma once

#include <QString>

class QWidget;

namespace prunescope::ui {

void showErrorDialog(QWidget* parent, const QString& title, const QString& message, const QString& details);

}  // namespace prunescope::ui
