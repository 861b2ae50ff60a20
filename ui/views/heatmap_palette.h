// Colour scales of the heatmap: lookup tables and the value -> table-index mapping.
#pragma once

#include <QRgb>

#include <array>

namespace prunescope::ui {

// Linear: sequential (viridis-like) from the data minimum to its maximum.
// Log: sequential over log10(|score|), from max(smallest |score| > 0, max|score| * 1e-6) to
//      max|score|; zeros take the lowest colour.
// Signed: diverging blue-white-red, symmetric around 0 over [-max|score|, +max|score|];
//         0 maps exactly to the midpoint colour.
enum class HeatmapScale { Linear, Log, Signed };

class HeatmapPalette {
public:
    static constexpr int kSize = 255;  // odd, so that t = 0.5 has an exact middle entry (127)
    using Table = std::array<QRgb, kSize>;

    static const Table& table(HeatmapScale scale);
    // The same table blended towards the background: cells below the threshold.
    static const Table& fadedTable(HeatmapScale scale);
    // Colour at t in [0, 1] (clamped).
    static QRgb color(HeatmapScale scale, double t);
    static QRgb midpointColor(HeatmapScale scale) { return color(scale, 0.5); }
    static QRgb selectionColor();  // the marker of selected neurons
    static QRgb referenceColor();  // the marker of reference neurons (HeatmapRaster::setReference)
    static QRgb bothColor();       // a bin with both
    static QRgb backgroundColor();
};

// Maps a score to a table index for one scale and one data range.
class HeatmapColorMapping {
public:
    HeatmapScale scale = HeatmapScale::Linear;

    // Data minimum and maximum (Linear), max |score| (Log, Signed), lowest |score| shown (Log).
    void setRange(float minValue, float maxValue, float maxAbs, float logFloor);
    float minValue() const { return m_minValue; }
    float maxValue() const { return m_maxValue; }
    float maxAbs() const { return m_maxAbs; }
    float logFloor() const { return m_logFloor; }

    double position(float value) const;  // t in [0, 1]
    int index(float value) const;        // 0 .. HeatmapPalette::kSize - 1

private:
    float m_minValue = 0.0f;
    float m_maxValue = 0.0f;
    float m_maxAbs = 0.0f;
    float m_logFloor = 0.0f;
    float m_logLo = 0.0f;    // log10(logFloor)
    float m_logSpan = 0.0f;  // log10(maxAbs) - log10(logFloor)
    // Log scale: |score| where the table index steps from k to k + 1 (no log10 per value).
    std::array<float, HeatmapPalette::kSize - 1> m_logSteps{};
};

}  // namespace prunescope::ui
