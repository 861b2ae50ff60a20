// Layers x neurons heatmap of per-neuron scores (attribution, activation statistics).
// Neurons are binned to the screen's resolution (see HeatmapRaster): at 32 x 14 336 a redraw
// after a scale, threshold or selection change only re-colours ~1 600 bins per layer.
#pragma once

#include "ui/views/heatmap_raster.h"
#include "ui/views/plot_view.h"

#include <QPoint>

#include <cstdint>
#include <vector>

class QMouseEvent;

namespace prunescope::ui {

class HeatmapLayer;

class HeatmapView : public PlotView {
    Q_OBJECT
public:
    explicit HeatmapView(QWidget* parent = nullptr);
    ~HeatmapView() override;

    // scores: (layer, neuron) row-major; a new shape resets the zoom and the selection.
    void setScores(int nLayer, int nNeuron, std::vector<float> scores);
    // Same shape, new values (running mean during attribution); false if the size differs.
    bool updateScores(const std::vector<float>& scores);
    void setColorScale(HeatmapScale scale);
    // The colour scale ends at this quantile of |score|; beyond it, the end colours (the legend
    // says how many cells). Default kDefaultColorRange: the top 1 % saturate.
    static constexpr double kDefaultColorRange = 0.99;
    void setColorRange(double quantile);
    void setOrder(HeatmapOrder order);
    void setBinRule(HeatmapBinRule rule);
    // (layer, neuron) mask; selected neurons get a marker strip under their layer's row.
    void setSelection(std::vector<uint8_t> mask);
    // Outlines one neuron's cell (a click does it; (-1, -1): none). A new shape clears it.
    void setHighlighted(int layer, int neuron);
    std::pair<int, int> highlighted() const;
    // Reference neurons (e.g. the demo's true cue neurons), marked green on the selection row
    // (orange where a selected neuron shares the column); `label` names them in the tooltip and the
    // axis label's key to the colours.
    void setReference(std::vector<uint8_t> mask, const QString& label);
    // Bins with |value| below the threshold are faded.
    void setThreshold(double threshold);
    void clearThreshold();
    // Shows display positions [first, end) of every layer (all layers are always shown; zoom and
    // drag act along neurons); resetZoom shows all. A new order resets the zoom.
    void setVisibleRange(int first, int end);
    void resetZoom();

    HeatmapScale colorScale() const { return m_raster.scale(); }
    HeatmapOrder order() const { return m_raster.order(); }
    // Bins and image as last drawn (call replotNow() first to force a draw).
    const HeatmapRaster& raster() const { return m_raster; }
    // Centre of a neuron's cell in plotWidget() coordinates (for tests and overlays).
    QPoint cellCenter(int layer, int neuron) const;
    // (layer, neuron) under a plotWidget() point, or (-1, -1). Where a screen column holds
    // several neurons, the one with the largest |score| in it.
    std::pair<int, int> neuronAt(const QPoint& pos) const;

signals:
    void neuronClicked(int layer, int neuron);
    void hoveredChanged(int layer, int neuron);  // (-1, -1) when the mouse leaves the cells

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void onMousePress(QMouseEvent* event);
    void onMouseMove(QMouseEvent* event);
    void onMouseRelease(QMouseEvent* event);
    void clampRanges();
    void setHovered(int layer, int neuron, const QPoint& globalPos);
    void updateColorScaleLegend();
    void dataChanged();

    void updateAxisLabel();

    HeatmapRaster m_raster;
    QString m_referenceLabel;
    HeatmapLayer* m_layer = nullptr;  // draws m_raster's image; owned by the plot
    QPoint m_pressPos;
    bool m_pressed = false;
    std::pair<int, int> m_hovered{-1, -1};
    bool m_clamping = false;
};

}  // namespace prunescope::ui
