// Named spdlog loggers for the engine. The engine never decides where logs go: app/ adds sinks.
#pragma once

#include <memory>
#include <string>

#include <spdlog/logger.h>

namespace prunescope::log {

// The logger `name` ("model", "attribution", ...), created on first use; all share the sinks
// added with addSink().
std::shared_ptr<spdlog::logger> get(const std::string& name);

void addSink(spdlog::sink_ptr sink);
void removeSink(const spdlog::sink_ptr& sink);
void setLevel(spdlog::level::level_enum level);

}  // namespace prunescope::log
