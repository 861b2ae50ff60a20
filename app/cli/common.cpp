#include "app/cli/common.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>

#include <spdlog/sinks/stdout_color_sinks.h>

#include "app/cli/args.h"
#include "core/util/error.h"
#include "core/util/log.h"
#include "core/util/system_info.h"

namespace prunescope::cli {
namespace {

CancelFlag g_interrupted{false};

void onSignal(int) {
    g_interrupted.store(true);
}

}  // namespace

CancelFlag* interruptFlag() {
    return &g_interrupted;
}

void startCommand(const CommonOptions& options, bool probe) {
    static bool started = false;
    if (!started) {
        auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
        sink->set_pattern("%^[%l]%$ %v");
        log::addSink(sink);
        std::signal(SIGINT, onSignal);
        std::signal(SIGTERM, onSignal);
        started = true;
    }
    log::setLevel(options.quiet ? spdlog::level::warn : options.verbose ? spdlog::level::debug : spdlog::level::info);
    auto info = probeSystem(probe);
    if (probe) logSystemInfo(info);
}

ProgressBar::ProgressBar(bool enabled) : m_enabled(enabled && ::isatty(STDERR_FILENO)) {}

ProgressBar::~ProgressBar() {
    finish();
}

std::string formatSeconds(double seconds) {
    if (seconds < 0) return "?";
    long s = static_cast<long>(seconds + 0.5);
    char buffer[32];
    if (s >= 3600) {
        std::snprintf(buffer, sizeof buffer, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    } else {
        std::snprintf(buffer, sizeof buffer, "%ld:%02ld", s / 60, s % 60);
    }
    return buffer;
}

void ProgressBar::update(const Progress& p) {
    if (!m_enabled) return;
    double now = m_clock.elapsedSeconds();
    if (p.done < p.total && now - m_lastDraw < 0.1) return;
    m_lastDraw = now;
    constexpr int kWidth = 30;
    double fraction = p.total > 0 ? static_cast<double>(p.done) / static_cast<double>(p.total) : 0;
    int filled = static_cast<int>(fraction * kWidth);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r%-14s [%s] %lld/%lld  %3.0f%%  elapsed %s  ETA %s  ", p.stage.c_str(), bar.c_str(),
                 static_cast<long long>(p.done), static_cast<long long>(p.total), 100 * fraction,
                 formatSeconds(now).c_str(), formatSeconds(p.etaSeconds).c_str());
    std::fflush(stderr);
    m_drawn = true;
}

void ProgressBar::finish() {
    if (m_drawn) {
        std::fprintf(stderr, "\n");
        m_drawn = false;
    }
}

ProgressFn ProgressBar::callback() {
    return [this](const Progress& p) { update(p); };
}

ProgressFn ProgressBar::stagedCallback() {
    return [this](const Progress& p) {
        if (p.stage != m_stage) finish();
        m_stage = p.stage;
        update(p);
    };
}

int guarded(const std::string& command, const std::function<int()>& body) {
    try {
        return body();
    } catch (const UsageError& e) {
        std::cerr << "prunescope-cli " << command << ": " << e.what() << "\n"
                  << "Try 'prunescope-cli " << command << " --help'.\n";
        return kBadInput;
    } catch (const Error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return kBadInput;
    } catch (const CancelledError&) {
        std::cerr << "cancelled; no partial output was written\n";
        return kCancelled;
    } catch (const std::exception& e) {
        std::cerr << "internal error: " << e.what() << "\n";
        return kFailure;
    }
}

}  // namespace prunescope::cli
