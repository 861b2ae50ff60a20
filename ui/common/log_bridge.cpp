#include "ui/common/log_bridge.h"

#include <QPointer>

#include <mutex>

#include <spdlog/sinks/base_sink.h>

#include "core/util/log.h"

namespace prunescope::ui {
namespace {

class QtSink : public spdlog::sinks::base_sink<std::mutex> {
public:
    explicit QtSink(LogBridge* bridge) : m_bridge(bridge) {}
    void detach() {
        std::lock_guard<std::mutex> lock(mutex_);
        m_bridge = nullptr;
    }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        if (m_bridge == nullptr) return;
        const int level = int(msg.level);
        const QString logger = QString::fromUtf8(msg.logger_name.data(), int(msg.logger_name.size()));
        const QString text = QString::fromUtf8(msg.payload.data(), int(msg.payload.size()));
        QPointer<LogBridge> bridge = m_bridge;
        QMetaObject::invokeMethod(
            m_bridge,
            [bridge, level, logger, text] {
                if (bridge) emit bridge->messageChanged(level, logger, text);
            },
            Qt::QueuedConnection);
    }
    void flush_() override {}

private:
    LogBridge* m_bridge;
};

}  // namespace

LogBridge::LogBridge(QObject* parent) : QObject(parent) {}

LogBridge::~LogBridge() {
    if (m_sink) {
        std::static_pointer_cast<QtSink>(m_sink)->detach();
        log::removeSink(m_sink);
    }
}

void LogBridge::install() {
    if (m_sink) return;
    m_sink = std::make_shared<QtSink>(this);
    log::addSink(m_sink);
}

}  // namespace prunescope::ui
