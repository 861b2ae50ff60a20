#include "core/util/log.h"

#include <mutex>

#include <spdlog/sinks/dist_sink.h>
#include <spdlog/spdlog.h>

namespace prunescope::log {
namespace {

struct Registry {
    std::shared_ptr<spdlog::sinks::dist_sink_mt> sink = std::make_shared<spdlog::sinks::dist_sink_mt>();
    spdlog::level::level_enum level = spdlog::level::info;
    std::mutex mutex;
};

Registry& registry() {
    static Registry r;
    return r;
}

}  // namespace

std::shared_ptr<spdlog::logger> get(const std::string& name) {
    auto& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    if (auto existing = spdlog::get(name)) return existing;
    auto logger = std::make_shared<spdlog::logger>(name, r.sink);
    logger->set_level(r.level);
    spdlog::register_logger(logger);
    return logger;
}

void addSink(spdlog::sink_ptr sink) {
    registry().sink->add_sink(std::move(sink));
}

void removeSink(const spdlog::sink_ptr& sink) {
    registry().sink->remove_sink(sink);
}

void setLevel(spdlog::level::level_enum level) {
    auto& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    r.level = level;
    spdlog::apply_all([level](const std::shared_ptr<spdlog::logger>& l) { l->set_level(level); });
}

}  // namespace prunescope::log
