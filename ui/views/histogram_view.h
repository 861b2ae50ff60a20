// Histogram of answer confidences in [0, 1], correct and wrong answers stacked, with a threshold
// line the user drags; questions with confidence >= threshold are "selected".
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
    void setBinCount(int nBin);  // bin i covers [i/n, (i+1)/n); the last one includes 1
    int binCount() const { return m_nBin; }
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
    void rebin();
    void updateThresholdItems();

    std::unique_ptr<Items> m_items;  // the QCustomPlot bars and items
    std::vector<float> m_confidence;
    std::vector<uint8_t> m_correct;
    std::vector<int> m_correctCounts;
    std::vector<int> m_wrongCounts;
    int m_nBin = kDefaultBinCount;
    double m_threshold = 0.5;
    bool m_dragging = false;
};

}  // namespace prunescope::ui
