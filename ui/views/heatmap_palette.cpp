#include "ui/views/heatmap_palette.h"

#include <QColor>

#include <algorithm>
#include <cmath>

namespace prunescope::ui {
namespace {

// Piecewise-linear table through evenly spaced control colours.
HeatmapPalette::Table makeTable(const std::array<QRgb, 9>& stops) {
    HeatmapPalette::Table table{};
    const int nSegment = int(stops.size()) - 1;
    for (int i = 0; i < HeatmapPalette::kSize; ++i) {
        const double t = double(i) / (HeatmapPalette::kSize - 1) * nSegment;
        const int s = std::min(int(t), nSegment - 1);
        const double f = t - s;
        const QRgb a = stops[s];
        const QRgb b = stops[s + 1];
        auto mix = [f](int x, int y) { return int(std::lround(x + (y - x) * f)); };
        table[i] = qRgb(mix(qRed(a), qRed(b)), mix(qGreen(a), qGreen(b)), mix(qBlue(a), qBlue(b)));
    }
    return table;
}

HeatmapPalette::Table fade(const HeatmapPalette::Table& table) {
    constexpr double kKeep = 0.25;  // share of the original colour kept below the threshold
    const QRgb bg = HeatmapPalette::backgroundColor();
    HeatmapPalette::Table faded{};
    for (int i = 0; i < HeatmapPalette::kSize; ++i) {
        auto mix = [](int x, int y) { return int(std::lround(y + (x - y) * kKeep)); };
        const QRgb c = table[i];
        faded[i] = qRgb(mix(qRed(c), qRed(bg)), mix(qGreen(c), qGreen(bg)), mix(qBlue(c), qBlue(bg)));
    }
    return faded;
}

constexpr std::array<QRgb, 9> kSequentialStops = {0xff440154, 0xff472d7b, 0xff3b528b, 0xff2c728e, 0xff21918c,
                                                  0xff28ae80, 0xff5ec962, 0xffaadc32, 0xfffde725};
// An odd number of stops puts the white-ish centre stop exactly at t = 0.5.
constexpr std::array<QRgb, 9> kDivergingStops = {0xff053061, 0xff2166ac, 0xff4393c3, 0xff92c5de, 0xfff7f7f7,
                                                 0xfff4a582, 0xffd6604d, 0xffb2182b, 0xff67001f};

// Rounds symmetrically around the middle entry, so that v and -v on the Signed scale get
// mirrored colours.
int tableIndex(double t) {
    constexpr int kMid = HeatmapPalette::kSize / 2;
    return kMid + int(std::lround((t - 0.5) * (HeatmapPalette::kSize - 1)));
}

}  // namespace

const HeatmapPalette::Table& HeatmapPalette::table(HeatmapScale scale) {
    static const Table sequential = makeTable(kSequentialStops);
    static const Table diverging = makeTable(kDivergingStops);
    return scale == HeatmapScale::Signed ? diverging : sequential;
}

const HeatmapPalette::Table& HeatmapPalette::fadedTable(HeatmapScale scale) {
    static const Table sequential = fade(table(HeatmapScale::Linear));
    static const Table diverging = fade(table(HeatmapScale::Signed));
    return scale == HeatmapScale::Signed ? diverging : sequential;
}

QRgb HeatmapPalette::color(HeatmapScale scale, double t) {
    t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0);
    return table(scale)[size_t(tableIndex(t))];
}

QRgb HeatmapPalette::selectionColor() {
    return qRgb(255, 0, 255);
}

QRgb HeatmapPalette::referenceColor() {
    return qRgb(0, 160, 0);
}

QRgb HeatmapPalette::bothColor() {
    return qRgb(255, 140, 0);
}

QRgb HeatmapPalette::backgroundColor() {
    return qRgb(235, 235, 235);
}

void HeatmapColorMapping::setRange(float minValue, float maxValue, float maxAbs, float logFloor) {
    m_minValue = minValue;
    m_maxValue = maxValue;
    m_maxAbs = maxAbs;
    m_logFloor = logFloor;
    const bool positive = maxAbs > 0 && logFloor > 0;
    m_logLo = positive ? std::log10(logFloor) : 0.0f;
    m_logSpan = positive ? std::log10(maxAbs) - m_logLo : 0.0f;
    for (size_t k = 0; k < m_logSteps.size(); ++k) {
        const double t = (double(k) + 0.5) / (HeatmapPalette::kSize - 1);
        m_logSteps[k] = positive ? float(std::pow(10.0, m_logLo + t * m_logSpan)) : 0.0f;
    }
}

double HeatmapColorMapping::position(float value) const {
    if (!std::isfinite(value)) return 0.0;
    switch (scale) {
        case HeatmapScale::Linear: {
            const double span = double(m_maxValue) - double(m_minValue);
            return span > 0 ? std::clamp((double(value) - m_minValue) / span, 0.0, 1.0) : 0.0;
        }
        case HeatmapScale::Log: {
            const float a = std::fabs(value);
            if (m_maxAbs <= 0 || a <= m_logFloor) return 0.0;
            if (m_logSpan <= 0) return 1.0;
            return std::clamp(double((std::log10(a) - m_logLo) / m_logSpan), 0.0, 1.0);
        }
        case HeatmapScale::Signed:
            if (m_maxAbs <= 0) return 0.5;
            return std::clamp(0.5 + 0.5 * double(value) / m_maxAbs, 0.0, 1.0);
    }
    return 0.0;
}

int HeatmapColorMapping::index(float value) const {
    if (scale == HeatmapScale::Log) {
        const float a = std::fabs(value);
        if (!(a > m_logFloor) || m_maxAbs <= 0) return 0;  // also NaN
        if (m_logSpan <= 0) return HeatmapPalette::kSize - 1;
        // Number of steps at or below |value|: the index position() would round to.
        return int(std::upper_bound(m_logSteps.begin(), m_logSteps.end(), a) - m_logSteps.begin());
    }
    return tableIndex(position(value));
}

}  // namespace prunescope::ui
