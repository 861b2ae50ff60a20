// Feeds the core's spdlog loggers into the GUI: a sink (called on whatever thread logs) that
// hands each message to a QObject on the UI thread as a queued signal.
#pragma once

#include <QObject>
#include <QString>

#include <memory>

namespace spdlog::sinks {
class sink;
}

namespace prunescope::ui {

class LogBridge : public QObject {
    Q_OBJECT
public:
    explicit LogBridge(QObject* parent = nullptr);
    ~LogBridge() override;  // removes the sink

    // Adds the sink to the core's loggers (prunescope::log::addSink); idempotent.
    void install();

signals:
    // level: spdlog's (0 trace .. 6 off); emitted on the bridge's thread.
    void messageChanged(int level, const QString& logger, const QString& text);

private:
    std::shared_ptr<spdlog::sinks::sink> m_sink;
};

}  // namespace prunescope::ui
