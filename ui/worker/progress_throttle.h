// Lets through at most one update per interval (the first, then one per `intervalMs`), plus the
// final one, so a fast engine loop cannot flood the UI thread's event queue.
#pragma once

#include <chrono>
#include <cstdint>

namespace prunescope::ui {

class ProgressThrottle {
public:
    explicit ProgressThrottle(int intervalMs) : m_interval(std::chrono::milliseconds(intervalMs)) {}

    // True when an update should be sent now: the first call, the last unit, or the interval
    // passed since the last update let through.
    bool ready(int64_t done = 0, int64_t total = -1) {
        const auto now = std::chrono::steady_clock::now();
        const bool last = total >= 0 && done >= total;
        if (!m_started || last || now - m_last >= m_interval) {
            m_started = true;
            m_last = now;
            ++m_passed;
            return true;
        }
        return false;
    }
    int passed() const { return m_passed; }

private:
    std::chrono::steady_clock::duration m_interval;
    std::chrono::steady_clock::time_point m_last{};
    bool m_started = false;
    int m_passed = 0;
};

}  // namespace prunescope::ui
