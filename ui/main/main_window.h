#pragma once

#include <QMainWindow>

namespace prunescope::ui {

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
};

}  // namespace prunescope::ui
