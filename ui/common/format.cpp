#include "ui/common/format.h"

#include <QCoreApplication>

#include <cmath>

namespace prunescope::ui {

QString formatCount(int64_t n) {
    const double v = double(n);
    if (std::abs(v) >= 1e9) return QStringLiteral("%1 B").arg(v / 1e9, 0, 'f', 2);
    if (std::abs(v) >= 1e6) return QStringLiteral("%1 M").arg(v / 1e6, 0, 'f', 1);
    if (std::abs(v) >= 1e4) return QStringLiteral("%1 k").arg(v / 1e3, 0, 'f', 1);
    return QString::number(n);
}

QString formatBytes(int64_t bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = double(bytes);
    int u = 0;
    while (v >= 1024.0 && u < 4) {
        v /= 1024.0;
        ++u;
    }
    return u == 0 ? QStringLiteral("%1 B").arg(bytes)
                  : QStringLiteral("%1 %2").arg(v, 0, 'f', 1).arg(QLatin1String(units[u]));
}

QString formatDuration(double seconds) {
    if (seconds < 0 || !std::isfinite(seconds)) {
        return QCoreApplication::translate("prunescope::ui::format", "unknown");
    }
    const auto s = int64_t(std::llround(seconds));
    if (s < 60) return QCoreApplication::translate("prunescope::ui::format", "%1 s").arg(s);
    if (s < 3600) {
        return QCoreApplication::translate("prunescope::ui::format", "%1 min %2 s").arg(s / 60).arg(s % 60);
    }
    return QCoreApplication::translate("prunescope::ui::format", "%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60);
}

QString formatPercent(double fraction, int decimals) {
    return QStringLiteral("%1 %").arg(fraction * 100.0, 0, 'f', decimals);
}

}  // namespace prunescope::ui
