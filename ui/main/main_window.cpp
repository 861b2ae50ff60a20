#include "ui/main/main_window.h"

#include <QLabel>

namespace prunescope::ui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowTitle(tr("Prunescope"));
    setCentralWidget(new QLabel(tr("Prunescope"), this));
    resize(1280, 800);
}

}  // namespace prunescope::ui
