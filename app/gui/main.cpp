// prunescope: the desktop application.
#include <QApplication>

#include "ui/main/main_window.h"

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName("Prunescope");
    QApplication::setOrganizationName("Prunescope");
    QApplication::setApplicationVersion(PRUNESCOPE_VERSION);
    prunescope::ui::MainWindow window;
    window.show();
    return QApplication::exec();
}
