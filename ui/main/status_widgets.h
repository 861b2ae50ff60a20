// The status bar's widgets: the running task (stage, progress bar, ETA, cancel button) and the
// system line (device, threads, resident memory of the process).
#pragma once

#include <QTimer>
#include <QWidget>

#include "ui/worker/engine_types.h"

class QLabel;
class QProgressBar;
class QToolButton;

namespace prunescope::ui {

class Engine;

class TaskStatus : public QWidget {
    Q_OBJECT
public:
    explicit TaskStatus(Engine& engine, QWidget* parent = nullptr);
    QString text() const;
    QToolButton* cancelButton() const { return m_cancel; }

private:
    void onProgress(const ProgressValue& p);
    void onBusy(bool busy);

    Engine& m_engine;
    QLabel* m_stage = nullptr;
    QProgressBar* m_bar = nullptr;
    QLabel* m_eta = nullptr;
    QToolButton* m_cancel = nullptr;
};

class SystemStatus : public QWidget {
    Q_OBJECT
public:
    explicit SystemStatus(Engine& engine, QWidget* parent = nullptr);
    QString text() const;
    static int64_t residentBytes();  // of this process; 0 when unknown

private:
    void refresh();

    Engine& m_engine;
    QLabel* m_label = nullptr;
    QTimer m_timer;
};

}  // namespace prunescope::ui
