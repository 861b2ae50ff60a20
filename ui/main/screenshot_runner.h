// `prunescope --screenshots DIR [SESSION]`: opens the session (or the built-in demo), runs each
// step the panels show (score every dataset and select the first question, attribute if the
// session has no attributions, select and preview, open the strongest neuron, fine-tune the arms
// if there is no report), then
// writes one PNG per panel into DIR and quits. On X11 (e.g. under xvfb-run) the pixels come from
// the screen, as `import -window root` sees them; elsewhere from rendering the window.
#pragma once

#include <QObject>
#include <QString>
#include <QTimer>

#include <functional>
#include <vector>

namespace prunescope::ui {

class MainWindow;

class ScreenshotRunner : public QObject {
    Q_OBJECT
public:
    ScreenshotRunner(MainWindow& window, QString dir, QString session, QObject* parent = nullptr);

    void start();
    QStringList writtenFiles() const { return m_written; }

signals:
    void screenshotsFinished(int exitCode);

private:
    void next();
    void whenIdle(std::function<void()> step);
    void capture(int index);
    void fail(const QString& message);

    MainWindow& m_window;
    QString m_dir;
    QString m_session;
    std::vector<std::function<void()>> m_steps;
    size_t m_step = 0;
    QStringList m_written;
    QTimer m_watchdog;
};

}  // namespace prunescope::ui
