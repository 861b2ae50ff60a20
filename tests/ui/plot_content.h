// What a rendered plot holds, so that a test can tell a drawn plot from a blank image of the right
// size: the plots' data (bars, heatmap cells, histogram columns, curves) are drawn in colours,
// while the background, axes and text are white, grey or black.
#pragma once

#include <QColor>
#include <QImage>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

namespace prunescope::test {

struct PlotContent {
    int colours = 0;                    // distinct RGB values
    double inked = 0;                   // fraction of pixels that differ from the most common colour (background)
    int dataColours = 0;                // distinct colours with chroma >= kChroma (not white, grey or black)
    double data = 0;                    // fraction of pixels in such colours
    static constexpr int kChroma = 60;  // max - min of R, G, B: anti-aliased grey text stays far below
};

inline PlotContent plotContent(const QImage& source) {
    PlotContent c;
    if (source.isNull()) return c;
    const QImage image = source.convertToFormat(QImage::Format_RGB32);
    std::map<QRgb, int> counts;
    std::set<QRgb> dataColours;
    long data = 0;
    for (int y = 0; y < image.height(); ++y) {
        const auto* line = reinterpret_cast<const QRgb*>(image.constScanLine(y));
        for (int x = 0; x < image.width(); ++x) {
            const QRgb p = line[x] & 0xffffff;
            ++counts[p];
            const int r = qRed(p), g = qGreen(p), b = qBlue(p);
            if (std::max({r, g, b}) - std::min({r, g, b}) >= PlotContent::kChroma) {
                ++data;
                dataColours.insert(p);
            }
        }
    }
    int background = 0;
    for (const auto& [rgb, n] : counts) background = std::max(background, n);
    const double pixels = double(image.width()) * image.height();
    c.colours = int(counts.size());
    c.inked = 1.0 - background / pixels;
    c.dataColours = int(dataColours.size());
    c.data = double(data) / pixels;
    return c;
}

// The middle of a plot (60 % of its width and height): inside the axes, away from the legend
// and the heatmap's colour bar, whose gradient alone has many colours.
inline QImage plotMiddle(const QImage& image) {
    return image.copy(int(0.15 * image.width()), int(0.15 * image.height()), int(0.6 * image.width()),
                      int(0.6 * image.height()));
}

inline void printPlotContent(const char* what, const PlotContent& c) {
    std::printf("  %s: %d colours, %.1f %% inked; %d data colours on %.2f %% of the pixels\n", what, c.colours,
                100 * c.inked, c.dataColours, 100 * c.data);
}

}  // namespace prunescope::test
