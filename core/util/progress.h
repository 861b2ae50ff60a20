// Progress reporting and cancellation for long engine calls. No Qt types: the GUI adapts these.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "core/util/error.h"

namespace prunescope {

struct Progress {
    std::string stage;       // e.g. "scoring", "attribution", "fine-tuning"
    int64_t done = 0;        // units finished
    int64_t total = 0;       // units in all (0 when unknown)
    double etaSeconds = -1;  // estimated seconds left (-1 when unknown)
};

using ProgressFn = std::function<void(const Progress&)>;
using CancelFlag = std::atomic<bool>;

inline bool isCancelled(const CancelFlag* cancel) {
    return cancel != nullptr && cancel->load(std::memory_order_relaxed);
}

inline void throwIfCancelled(const CancelFlag* cancel) {
    if (isCancelled(cancel)) throw CancelledError();
}

// Estimates the time left from the rate so far; robust to a slow first unit.
class EtaClock {
public:
    EtaClock() : m_start(std::chrono::steady_clock::now()) {}
    double elapsedSeconds() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    }
    double eta(int64_t done, int64_t total) const {
        if (done <= 0 || total <= 0) return -1;
        return elapsedSeconds() / static_cast<double>(done) * static_cast<double>(total - done);
    }
    Progress make(std::string stage, int64_t done, int64_t total) const {
        return Progress{std::move(stage), done, total, eta(done, total)};
    }

private:
    std::chrono::steady_clock::time_point m_start;
};

}  // namespace prunescope
