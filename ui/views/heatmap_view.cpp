#include "ui/views/heatmap_view.h"

#include <QApplication>
#include <QEvent>
#include <QMouseEvent>
#include <QToolTip>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace prunescope::ui {
namespace {
constexpr int kColorScaleLabelWidth = 80;  // pixels right of the bar: tick labels + title
}  // namespace

// Draws the raster's image over the cells it covers; re-bins / re-colours lazily at draw time,
// so one replot after several changes does the work once, at the current axis-rect width.
class HeatmapLayer : public QCPLayerable {
public:
    HeatmapLayer(QCustomPlot* plot, HeatmapRaster* raster)
        : QCPLayerable(plot, QStringLiteral("main")), m_raster(raster) {}

    QCPColorScale* colorScale = nullptr;
    std::pair<int, int> highlighted{-1, -1};  // (layer, neuron) outlined, or none

protected:
    void applyDefaultAntialiasingHint(QCPPainter* painter) const override { painter->setAntialiasing(false); }
    QRect clipRect() const override { return mParentPlot->axisRect()->rect(); }
    void draw(QCPPainter* painter) override;

private:
    void drawHighlight(QCPPainter* painter);

    HeatmapRaster* m_raster;
};

void HeatmapLayer::draw(QCPPainter* painter) {
    const int nLayer = m_raster->nLayer();
    const int nNeuron = m_raster->nNeuron();
    if (nLayer == 0) return;
    QCPAxis* xAxis = mParentPlot->xAxis;
    QCPAxis* yAxis = mParentPlot->yAxis;
    // Display position p covers [p - 0.5, p + 0.5] on the x axis, layer l [l - 0.5, l + 0.5].
    const QCPRange xRange = xAxis->range();
    const int first = std::clamp(int(std::floor(xRange.lower + 0.5)), 0, nNeuron);
    const int end = std::clamp(int(std::ceil(xRange.upper + 0.5)), first, nNeuron);
    m_raster->update(first, end, mParentPlot->axisRect()->width());
    const QImage& image = m_raster->image();
    const QCPRange yRange = yAxis->range();
    const int l0 = std::clamp(int(std::floor(yRange.lower + 0.5)), 0, nLayer);
    const int l1 = std::clamp(int(std::ceil(yRange.upper + 0.5)), l0, nLayer);
    if (image.isNull() || l1 <= l0) return;
    const double left = xAxis->coordToPixel(m_raster->binFirst() - 0.5);
    const double right = xAxis->coordToPixel(m_raster->binEnd() - 0.5);
    // The y axis is reversed (layer 0 on top), so image row 0 lands at the top.
    const double top = yAxis->coordToPixel(l0 - 0.5);
    const double bottom = yAxis->coordToPixel(l1 - 0.5);
    const QRectF target(QPointF(left, std::min(top, bottom)), QPointF(right, std::max(top, bottom)));
    const QRect source(0, l0 * HeatmapRaster::kSubRows, image.width(), (l1 - l0) * HeatmapRaster::kSubRows);
    painter->setRenderHint(QPainter::SmoothPixmapTransform, false);
    painter->drawImage(target, image, source);
    drawHighlight(painter);
}

// The clicked neuron's cell, outlined in black and white so that it shows on every colour; at
// least a few pixels wide where a screen column holds many neurons.
void HeatmapLayer::drawHighlight(QCPPainter* painter) {
    const auto [layer, neuron] = highlighted;
    if (layer < 0 || layer >= m_raster->nLayer() || neuron < 0 || neuron >= m_raster->nNeuron()) return;
    const double position = m_raster->positionOf(layer, neuron);
    QCPAxis* xAxis = mParentPlot->xAxis;
    QCPAxis* yAxis = mParentPlot->yAxis;
    const double x0 = xAxis->coordToPixel(position - 0.5), x1 = xAxis->coordToPixel(position + 0.5);
    const double y0 = yAxis->coordToPixel(layer - 0.5), y1 = yAxis->coordToPixel(layer + 0.5);
    constexpr double kMinWidth = 5.0;
    const double cx = (x0 + x1) / 2, w = std::max(std::abs(x1 - x0), kMinWidth);
    const QRectF cell(QPointF(cx - w / 2, std::min(y0, y1)), QPointF(cx + w / 2, std::max(y0, y1)));
    painter->setBrush(Qt::NoBrush);
    painter->setPen(QPen(Qt::white, 3));
    painter->drawRect(cell);
    painter->setPen(QPen(Qt::black, 1));
    painter->drawRect(cell);
}

HeatmapView::HeatmapView(QWidget* parent) : PlotView(parent) {
    QCustomPlot* p = plot();
    p->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    // Every layer stays in view: the wheel and dragging move along neurons only.
    p->axisRect()->setRangeDrag(Qt::Horizontal);
    p->axisRect()->setRangeZoom(Qt::Horizontal);
    p->axisRect()->setBackground(QBrush(QColor(HeatmapPalette::backgroundColor())));
    p->xAxis->setLabel(tr("Neuron"));
    p->yAxis->setLabel(tr("Layer"));
    p->yAxis->setRangeReversed(true);
    p->xAxis->grid()->setVisible(false);
    p->yAxis->grid()->setVisible(false);
    // Layers and neurons are counted: ticks at whole numbers only (never layer 0.5).
    for (QCPAxis* axis : {p->xAxis, p->yAxis}) {
        tickWholeNumbers(axis);
        axis->setSubTicks(false);
    }

    m_raster.setColorRange(kDefaultColorRange);
    m_layer = new HeatmapLayer(p, &m_raster);
    auto* colorScale = new QCPColorScale(p);
    colorScale->setBarWidth(12);
    // A fixed width: tick labels that change with the scale must not resize the cells (which
    // would force a re-bin on a mere colour change).
    colorScale->setAutoMargins(QCP::msTop | QCP::msBottom);
    colorScale->setMargins(QMargins(6, 0, 6, 0));
    colorScale->axis()->axisRect()->setAutoMargins(QCP::msNone);
    colorScale->axis()->axisRect()->setMargins(QMargins(0, 0, kColorScaleLabelWidth, 0));
    colorScale->axis()->setNumberFormat(QStringLiteral("g"));
    colorScale->axis()->setNumberPrecision(3);
    colorScale->setRangeDrag(false);
    colorScale->setRangeZoom(false);
    p->plotLayout()->addElement(0, 1, colorScale);
    auto* margins = new QCPMarginGroup(p);
    p->axisRect()->setMarginGroup(QCP::msTop | QCP::msBottom, margins);
    colorScale->setMarginGroup(QCP::msTop | QCP::msBottom, margins);
    m_layer->colorScale = colorScale;
    updateColorScaleLegend();

    connect(p, &QCustomPlot::mousePress, this, &HeatmapView::onMousePress);
    connect(p, &QCustomPlot::mouseMove, this, &HeatmapView::onMouseMove);
    connect(p, &QCustomPlot::mouseRelease, this, &HeatmapView::onMouseRelease);
    connect(p->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, &HeatmapView::clampRanges);
    connect(p->yAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, &HeatmapView::clampRanges);
    p->installEventFilter(this);
}

HeatmapView::~HeatmapView() = default;

void HeatmapView::setScores(int nLayer, int nNeuron, std::vector<float> scores) {
    const bool sameShape = nLayer == m_raster.nLayer() && nNeuron == m_raster.nNeuron();
    if (scores.size() != size_t(std::max(nLayer, 0)) * size_t(std::max(nNeuron, 0))) {
        qWarning("HeatmapView::setScores: %zu scores for %d x %d; padded with 0 or cut", scores.size(), nLayer,
                 nNeuron);
    }
    m_raster.setScores(nLayer, nNeuron, std::move(scores));
    setHasData(nLayer > 0 && nNeuron > 0);
    m_hovered = {-1, -1};
    if (!sameShape) {
        m_layer->highlighted = {-1, -1};
        resetZoom();
    }
    dataChanged();
}

bool HeatmapView::updateScores(const std::vector<float>& scores) {
    if (!m_raster.updateScores(scores)) return false;
    dataChanged();
    return true;
}

void HeatmapView::setColorScale(HeatmapScale scale) {
    m_raster.setScale(scale);
    updateColorScaleLegend();
    requestReplot();
}

void HeatmapView::setColorRange(double quantile) {
    m_raster.setColorRange(quantile);
    updateColorScaleLegend();
    requestReplot();
}

void HeatmapView::setOrder(HeatmapOrder order) {
    if (order == m_raster.order()) return;
    m_raster.setOrder(order);
    updateAxisLabel();
    resetZoom();  // the neurons in view are others now
}

void HeatmapView::updateAxisLabel() {
    QString label = m_raster.order() == HeatmapOrder::ByScore ? tr("Rank in layer (by score)") : tr("Neuron");
    // The marks under each layer's row: say which colour is which.
    if (m_raster.referenceCount() > 0) {
        label += tr("   —   marks under each layer: magenta selected, green %1, orange both").arg(m_referenceLabel);
    } else if (m_raster.selectedCount() > 0) {
        label += tr("   —   magenta marks under each layer: selected neurons");
    }
    plot()->xAxis->setLabel(label);
}

void HeatmapView::setBinRule(HeatmapBinRule rule) {
    m_raster.setBinRule(rule);
    requestReplot();
}

void HeatmapView::setSelection(std::vector<uint8_t> mask) {
    m_raster.setSelection(std::move(mask));
    updateAxisLabel();
    requestReplot();
}

void HeatmapView::setHighlighted(int layer, int neuron) {
    m_layer->highlighted = {layer, neuron};
    requestReplot();
}

std::pair<int, int> HeatmapView::highlighted() const {
    return m_layer->highlighted;
}

void HeatmapView::setReference(std::vector<uint8_t> mask, const QString& label) {
    m_raster.setReference(std::move(mask));
    m_referenceLabel = label;
    updateAxisLabel();
    requestReplot();
}

void HeatmapView::setThreshold(double threshold) {
    m_raster.setThreshold(float(threshold));
    requestReplot();
}

void HeatmapView::clearThreshold() {
    m_raster.setThreshold(std::nullopt);
    requestReplot();
}

void HeatmapView::setVisibleRange(int first, int end) {
    plot()->xAxis->setRange(first - 0.5, end - 0.5);
    requestReplot();
}

void HeatmapView::resetZoom() {
    plot()->xAxis->setRange(-0.5, std::max(m_raster.nNeuron(), 1) - 0.5);
    plot()->yAxis->setRange(-0.5, std::max(m_raster.nLayer(), 1) - 0.5);
    requestReplot();
}

QPoint HeatmapView::cellCenter(int layer, int neuron) const {
    const int position = m_raster.positionOf(layer, neuron);
    return QPoint(int(std::lround(plot()->xAxis->coordToPixel(position))),
                  int(std::lround(plot()->yAxis->coordToPixel(layer))));
}

std::pair<int, int> HeatmapView::neuronAt(const QPoint& pos) const {
    const std::pair<int, int> none{-1, -1};
    if (m_raster.nLayer() == 0 || !plot()->axisRect()->rect().contains(pos)) return none;
    const double x = plot()->xAxis->pixelToCoord(pos.x());
    const int layer = int(std::floor(plot()->yAxis->pixelToCoord(pos.y()) + 0.5));
    const int position = int(std::floor(x + 0.5));
    if (layer < 0 || layer >= m_raster.nLayer() || position < 0 || position >= m_raster.nNeuron()) {
        return none;
    }
    const HeatmapRaster& r = m_raster;
    const int span = r.binEnd() - r.binFirst();
    if (r.nBin() > 0 && r.nBin() < span && position >= r.binFirst() && position < r.binEnd()) {
        // Same mapping as the drawn image: equal-width columns over [first - 0.5, end - 0.5].
        const double t = (x - (r.binFirst() - 0.5)) / span;
        const int bin = std::clamp(int(std::floor(t * r.nBin())), 0, r.nBin() - 1);
        return {layer, r.strongestNeuron(layer, bin)};
    }
    return {layer, r.neuronAt(layer, position)};
}

bool HeatmapView::eventFilter(QObject* watched, QEvent* event) {
    if (watched == plotWidget() && event->type() == QEvent::Leave) setHovered(-1, -1, {});
    return PlotView::eventFilter(watched, event);
}

void HeatmapView::onMousePress(QMouseEvent* event) {
    m_pressed = event->button() == Qt::LeftButton;
    m_pressPos = event->pos();
}

void HeatmapView::onMouseMove(QMouseEvent* event) {
    if (m_pressed) return;  // dragging pans; no tooltips meanwhile
    const auto [layer, neuron] = neuronAt(event->pos());
    setHovered(layer, neuron, event->globalPosition().toPoint());
}

void HeatmapView::onMouseRelease(QMouseEvent* event) {
    if (!m_pressed || event->button() != Qt::LeftButton) return;
    m_pressed = false;
    if ((event->pos() - m_pressPos).manhattanLength() > QApplication::startDragDistance()) return;
    const auto [layer, neuron] = neuronAt(event->pos());
    if (layer < 0) return;
    setHighlighted(layer, neuron);
    emit neuronClicked(layer, neuron);
}

void HeatmapView::clampRanges() {
    if (m_clamping || m_raster.nLayer() == 0) return;
    m_clamping = true;
    auto clamp = [](QCPAxis* axis, int count, double minSize) {
        const double lo = -0.5;
        const double hi = count - 0.5;
        const QCPRange range = axis->range();
        const double size = std::clamp(range.size(), std::min(minSize, hi - lo), hi - lo);
        const double lower = std::clamp(range.lower, lo, hi - size);
        if (lower != range.lower || lower + size != range.upper) axis->setRange(lower, lower + size);
    };
    clamp(plot()->xAxis, m_raster.nNeuron(), 4.0);
    clamp(plot()->yAxis, m_raster.nLayer(), 1.0);
    m_clamping = false;
}

void HeatmapView::setHovered(int layer, int neuron, const QPoint& globalPos) {
    if (std::make_pair(layer, neuron) == m_hovered) return;
    m_hovered = {layer, neuron};
    emit hoveredChanged(layer, neuron);
    if (layer < 0) {
        QToolTip::hideText();
        return;
    }
    QString text = tr("Layer %1, neuron %2\nScore: %3\nRank in layer: %4 of %5")
                       .arg(layer)
                       .arg(neuron)
                       .arg(double(m_raster.score(layer, neuron)), 0, 'g', 4)
                       .arg(m_raster.rankInLayer(layer, neuron))
                       .arg(m_raster.nNeuron());
    if (m_raster.isSelected(layer, neuron)) text += QLatin1Char('\n') + tr("Selected");
    if (m_raster.isReference(layer, neuron)) text += QLatin1Char('\n') + m_referenceLabel;
    const int span = m_raster.binEnd() - m_raster.binFirst();
    if (m_raster.nBin() > 0 && m_raster.nBin() < span) {
        const int perColumn = (span + m_raster.nBin() - 1) / m_raster.nBin();
        text += QLatin1Char('\n') + tr("(up to %n neurons per column; zoom in to see each)", "", perColumn);
    }
    QToolTip::showText(globalPos, text, plotWidget());
}

void HeatmapView::updateColorScaleLegend() {
    QCPColorScale* scale = m_layer->colorScale;
    const HeatmapScale kind = m_raster.scale();
    const HeatmapColorMapping& m = m_raster.mapping();
    QCPColorGradient gradient;
    gradient.clearColorStops();
    constexpr int kStops = 17;
    for (int i = 0; i < kStops; ++i) {
        const double t = double(i) / (kStops - 1);
        gradient.setColorStopAt(t, QColor(HeatmapPalette::color(kind, t)));
    }
    scale->setGradient(gradient);
    const int nBeyond = m_raster.saturatedCount();
    const QString beyond = nBeyond > 0 ? tr(", %n beyond the scale", "", nBeyond) : QString();
    if (kind == HeatmapScale::Log && m.maxAbs() > 0) {
        scale->setDataScaleType(QCPAxis::stLogarithmic);
        scale->axis()->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
        scale->setDataRange(QCPRange(m.logFloor(), m.maxAbs()));
        scale->setLabel(tr("|score| (log)") + beyond);
        return;
    }
    scale->setDataScaleType(QCPAxis::stLinear);
    scale->axis()->setTicker(QSharedPointer<QCPAxisTicker>::create());
    if (kind == HeatmapScale::Signed) {
        const double a = m.maxAbs() > 0 ? m.maxAbs() : 1.0;
        scale->setDataRange(QCPRange(-a, a));
    } else {
        const double hi = m.maxValue() > m.minValue() ? m.maxValue() : m.minValue() + 1.0;
        scale->setDataRange(QCPRange(m.minValue(), hi));
    }
    scale->setLabel(tr("score") + beyond);
}

void HeatmapView::dataChanged() {
    updateColorScaleLegend();
    requestReplot();
}

}  // namespace prunescope::ui
