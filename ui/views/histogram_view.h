// Histogram of answer confidences in [0, 1], correct and wrong answers stacked, with a threshold
// line the user drags; questions with confidence >= threshold are "selected". The wheel zooms the
// confidence axis (the bins then cover what is in view; a double click shows [0, 1] again) and a
// log count axis shows small bins beside the one that holds most answers.
#pragma once

#include "ui/views/plot_view.h"

#include <QPoint>

#include <cstdint>
#include <memory>
#include <vector>

class QMouseEvent;

namespace prunescope::ui {

class HistogramView : public PlotView {
    Q_OBJECT
public:
    static constexpr int kDefaultBinCount = 20;

    explicit HistogramView(QWidget* parent = nullptr);
    ~HistogramView() override;

    // One confidence and one correct flag (0/1) per question; a short `correct` counts as wrong.
    void setData(std::vector<float> confidence, std::vector<uint8_t> correct);
    // Bin i covers [lo + i w, lo + (i+1) w) of the visible range [lo, hi], w = (hi - lo) / n; the
    // last one includes hi.
    void setBinCount(int nBin);
    int binCount() const { return m_nBin; }
    // The confidences in view, clamped to [0, 1] and at least kMinRange wide; rebins.
    static constexpr double kMinRange = 0.005;
    void setVisibleRange(double lo, double hi);
    void resetZoom() { setVisibleRange(0.0, 1.0); }
    std::pair<double, double> visibleRange() const { return {m_lo, m_hi}; }
    // Counts on a log axis (1, 10, 100, ...) instead of a linear one.
    void setLogScale(bool on);
    bool logScale() const { return m_log; }
    void setThreshold(double threshold);  // clamped to [0, 1]; emits thresholdChanged if moved
    double threshold() const { return m_threshold; }

    int selectedCount() const;                                                 // questions with confidence >= threshold
    int selectedCorrectCount() const;                                          // of those, answered correctly
    const std::vector<int>& correctCounts() const { return m_correctCounts; }  // per bin
    const std::vector<int>& wrongCounts() const { return m_wrongCounts; }
    QString selectionText() const;  // the label shown on the plot
    // plotWidget() point at `confidence` on the x axis, half-way up the plot area.
    QPoint positionFor(double confidence) const;

signals:
    void thresholdChanged(double threshold);

private:
    struct Items;
    void onMousePress(QMouseEvent* event);
    void onMouseMove(QMouseEvent* event);
    void onMouseRelease(QMouseEvent* event);
    void onRangeChanged();
    void rebin();
    void applyCountScale();
    void updateCountAxis();
    void updateThresholdItems();

    std::unique_ptr<Items> m_items;  // the QCustomPlot bars and items
    std::vector<float> m_confidence;
    std::vector<uint8_t> m_correct;
    std::vector<int> m_correctCounts;
    std::vector<int> m_wrongCounts;
    int m_nBin = kDefaultBinCount;
    double m_lo = 0.0, m_hi = 1.0;
    int m_maxTotal = 0;  // the tallest stack
    bool m_log = false;
    bool m_settingRange = false;
    double m_threshold = 0.5;
    bool m_dragging = false;
};

}  // namespace prunescope::ui
