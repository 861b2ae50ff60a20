#include "ui/views/histogram_view.h"

#include <QMouseEvent>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace prunescope::ui {

struct HistogramView::Items {
    QCPBars* correct = nullptr;
    QCPBars* wrong = nullptr;
    QCPItemStraightLine* line = nullptr;
    QCPItemRect* shade = nullptr;     // the selected side, [threshold, 1]
    QCPTextElement* label = nullptr;  // above the plot: it never covers the line or the bars
};

HistogramView::HistogramView(QWidget* parent) : PlotView(parent), m_items(std::make_unique<Items>()) {
    QCustomPlot* p = plot();
    // The wheel zooms confidences; a press moves the threshold, so there is no dragging the range.
    p->setInteractions(QCP::iRangeZoom);
    p->axisRect()->setRangeZoom(Qt::Horizontal);
    p->xAxis->setRange(0.0, 1.0);
    p->xAxis->setLabel(tr("Confidence"));
    p->yAxis->setLabel(tr("Questions"));
    p->yAxis->setRange(0.0, 1.0);

    m_items->correct = new QCPBars(p->xAxis, p->yAxis);
    m_items->correct->setName(tr("Correct"));
    m_items->correct->setPen(QPen(QColor(40, 120, 40)));
    m_items->correct->setBrush(QColor(77, 175, 74, 200));
    m_items->wrong = new QCPBars(p->xAxis, p->yAxis);
    m_items->wrong->setName(tr("Wrong"));
    m_items->wrong->setPen(QPen(QColor(150, 20, 20)));
    m_items->wrong->setBrush(QColor(228, 26, 28, 200));
    m_items->wrong->moveAbove(m_items->correct);
    p->legend->setVisible(true);
    p->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignLeft);

    m_items->shade = new QCPItemRect(p);
    m_items->shade->topLeft->setTypeY(QCPItemPosition::ptAxisRectRatio);
    m_items->shade->bottomRight->setTypeY(QCPItemPosition::ptAxisRectRatio);
    m_items->shade->setPen(Qt::NoPen);
    m_items->shade->setBrush(QColor(30, 100, 200, 30));
    m_items->line = new QCPItemStraightLine(p);
    m_items->line->setPen(QPen(QColor(30, 100, 200), 2));
    p->plotLayout()->insertRow(0);
    m_items->label = new QCPTextElement(p, QString(), QFont(font().family(), font().pointSize()));
    p->plotLayout()->addElement(0, 0, m_items->label);

    connect(p, &QCustomPlot::mousePress, this, &HistogramView::onMousePress);
    connect(p, &QCustomPlot::mouseMove, this, &HistogramView::onMouseMove);
    connect(p, &QCustomPlot::mouseRelease, this, &HistogramView::onMouseRelease);
    connect(p, &QCustomPlot::mouseDoubleClick, this, [this] { resetZoom(); });
    connect(p->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, &HistogramView::onRangeChanged);
    applyCountScale();
    rebin();
    updateThresholdItems();
}

HistogramView::~HistogramView() = default;

void HistogramView::setData(std::vector<float> confidence, std::vector<uint8_t> correct) {
    m_confidence = std::move(confidence);
    m_correct = std::move(correct);
    m_correct.resize(m_confidence.size(), 0);
    setHasData(!m_confidence.empty());
    rebin();
    updateThresholdItems();
}

void HistogramView::setBinCount(int nBin) {
    nBin = std::max(nBin, 1);
    if (nBin == m_nBin) return;
    m_nBin = nBin;
    rebin();
}

void HistogramView::setVisibleRange(double lo, double hi) {
    lo = std::clamp(std::isfinite(lo) ? lo : 0.0, 0.0, 1.0);
    hi = std::clamp(std::isfinite(hi) ? hi : 1.0, 0.0, 1.0);
    if (hi - lo < kMinRange) {  // keep the centre, widen to the minimum inside [0, 1]
        const double centre = std::clamp((lo + hi) / 2, kMinRange / 2, 1.0 - kMinRange / 2);
        lo = centre - kMinRange / 2;
        hi = centre + kMinRange / 2;
    }
    m_lo = lo;
    m_hi = hi;
    m_settingRange = true;
    plot()->xAxis->setRange(lo, hi);
    m_settingRange = false;
    rebin();
}

void HistogramView::onRangeChanged() {
    if (m_settingRange) return;
    const QCPRange r = plot()->xAxis->range();
    setVisibleRange(r.lower, r.upper);
}

void HistogramView::setLogScale(bool on) {
    if (on == m_log) return;
    m_log = on;
    applyCountScale();
}

void HistogramView::applyCountScale() {
    QCPAxis* axis = plot()->yAxis;
    axis->setScaleType(m_log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (m_log) {
        axis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
        axis->setNumberFormat(QStringLiteral("gb"));
    } else {
        tickWholeNumbers(axis);  // counts
        axis->setNumberFormat(QStringLiteral("g"));
    }
    updateCountAxis();
}

void HistogramView::setThreshold(double threshold) {
    threshold = std::clamp(std::isfinite(threshold) ? threshold : 0.0, 0.0, 1.0);
    if (threshold == m_threshold) return;
    m_threshold = threshold;
    updateThresholdItems();
    emit thresholdChanged(m_threshold);
}

int HistogramView::selectedCount() const {
    return int(std::count_if(m_confidence.begin(), m_confidence.end(), [this](float c) { return c >= m_threshold; }));
}

int HistogramView::selectedCorrectCount() const {
    int n = 0;
    for (size_t i = 0; i < m_confidence.size(); ++i) {
        n += (m_confidence[i] >= m_threshold && m_correct[i]) ? 1 : 0;
    }
    return n;
}

QString HistogramView::selectionText() const {
    const int nSelected = selectedCount();
    QString text = tr("%1 of %2 questions with confidence ≥ %3")
                       .arg(nSelected)
                       .arg(m_confidence.size())
                       .arg(m_threshold, 0, 'f', 3);
    if (nSelected > 0) {
        text += QLatin1Char('\n') +
                tr("accuracy among them: %1%").arg(100.0 * selectedCorrectCount() / nSelected, 0, 'f', 1);
    }
    return text;
}

QPoint HistogramView::positionFor(double confidence) const {
    const QRect rect = plot()->axisRect()->rect();
    return QPoint(int(std::lround(plot()->xAxis->coordToPixel(confidence))), rect.center().y());
}

void HistogramView::onMousePress(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton || !plot()->axisRect()->rect().contains(event->pos())) {
        return;
    }
    m_dragging = true;
    setThreshold(plot()->xAxis->pixelToCoord(event->pos().x()));
}

void HistogramView::onMouseMove(QMouseEvent* event) {
    const double atLine = plot()->xAxis->coordToPixel(m_threshold);
    const bool nearLine = std::abs(event->pos().x() - atLine) <= 4.0;
    plotWidget()->setCursor(m_dragging || nearLine ? Qt::SizeHorCursor : Qt::ArrowCursor);
    if (m_dragging) setThreshold(plot()->xAxis->pixelToCoord(event->pos().x()));
}

void HistogramView::onMouseRelease(QMouseEvent* event) {
    if (!m_dragging || event->button() != Qt::LeftButton) return;
    setThreshold(plot()->xAxis->pixelToCoord(event->pos().x()));
    m_dragging = false;
}

void HistogramView::rebin() {
    m_correctCounts.assign(size_t(m_nBin), 0);
    m_wrongCounts.assign(size_t(m_nBin), 0);
    const double width = (m_hi - m_lo) / m_nBin;
    for (size_t i = 0; i < m_confidence.size(); ++i) {
        const double c = m_confidence[i];
        if (!std::isfinite(c) || c < m_lo || c > m_hi) continue;
        const int bin = std::clamp(int(std::floor((c - m_lo) * m_nBin / (m_hi - m_lo))), 0, m_nBin - 1);
        ++(m_correct[i] ? m_correctCounts : m_wrongCounts)[size_t(bin)];
    }
    QVector<double> keys(m_nBin);
    QVector<double> correct(m_nBin);
    QVector<double> wrong(m_nBin);
    m_maxTotal = 0;
    for (int b = 0; b < m_nBin; ++b) {
        keys[b] = m_lo + (b + 0.5) * width;
        correct[b] = m_correctCounts[size_t(b)];
        wrong[b] = m_wrongCounts[size_t(b)];
        m_maxTotal = std::max(m_maxTotal, m_correctCounts[size_t(b)] + m_wrongCounts[size_t(b)]);
    }
    m_items->correct->setWidth(width);
    m_items->wrong->setWidth(width);
    m_items->correct->setData(keys, correct, true);
    m_items->wrong->setData(keys, wrong, true);
    updateCountAxis();
}

void HistogramView::updateCountAxis() {
    // A log axis starts below 1 so that a bin of one question shows; a bar of 0 is not drawn.
    if (m_log) {
        plot()->yAxis->setRange(0.5, std::max(10.0, m_maxTotal * 2.0));
    } else {
        plot()->yAxis->setRange(0.0, std::max(1.0, m_maxTotal * 1.15));
    }
    requestReplot();
}

void HistogramView::updateThresholdItems() {
    m_items->line->point1->setCoords(m_threshold, 0.0);
    m_items->line->point2->setCoords(m_threshold, 1.0);
    m_items->shade->topLeft->setCoords(m_threshold, 0.0);
    m_items->shade->bottomRight->setCoords(1.0, 1.0);
    m_items->label->setText(selectionText());
    requestReplot();
}

}  // namespace prunescope::ui
