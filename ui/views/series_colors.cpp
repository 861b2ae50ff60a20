#include "ui/views/series_colors.h"

#include <QHash>

#include <array>

namespace prunescope::ui {

QColor seriesColor(int index) {
    static constexpr std::array<QRgb, 10> kColors = {0xff4e79a7, 0xfff28e2b, 0xffe15759, 0xff76b7b2, 0xff59a14f,
                                                     0xffedc948, 0xffb07aa1, 0xffff9da7, 0xff9c755f, 0xffbab0ac};
    return QColor(kColors[size_t(index < 0 ? 0 : index) % kColors.size()]);
}

QColor armColor(const QString& arm) {
    if (arm == QLatin1String("base")) return QColor(0xff9d9d9d);
    const char* const kArms[] = {"plain", "ig", "random", "magnitude"};
    for (int i = 0; i < 4; ++i)
        if (arm == QLatin1String(kArms[i])) return seriesColor(i);
    return seriesColor(4 + int(qHash(arm) % 6));
}

}  // namespace prunescope::ui
