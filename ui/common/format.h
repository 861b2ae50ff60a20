// Short human-readable numbers for labels: counts, bytes, durations, accuracies.
#pragma once

#include <QString>

#include <cstdint>

namespace prunescope::ui {

QString formatCount(int64_t n);                            // 124 439 808 -> "124.4 M"
QString formatBytes(int64_t bytes);                        // 497 759 232 -> "474.7 MiB"
QString formatDuration(double seconds);                    // 75 -> "1 min 15 s"; < 0 -> "unknown"
QString formatPercent(double fraction, int decimals = 1);  // 0.5321 -> "53.2 %"

}  // namespace prunescope::ui
