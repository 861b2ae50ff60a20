#include "ui/views/line_chart_view.h"

#include "ui/views/series_colors.h"

#include <QHash>

#include <qcustomplot.h>

namespace prunescope::ui {

struct LineChartView::Items {
    QHash<QString, QCPGraph*> graphs;
    QString lastName;  // addPoint is usually called for the same series many times in a row
    QCPGraph* last = nullptr;
};

LineChartView::LineChartView(QWidget* parent) : PlotView(parent), m_items(std::make_unique<Items>()) {
    QCustomPlot* p = plot();
    p->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    p->legend->setVisible(true);
    p->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    p->xAxis->setLabel(tr("Step"));
    m_replotTimer.setSingleShot(true);
    m_replotTimer.setInterval(kReplotDelayMs);
    connect(&m_replotTimer, &QTimer::timeout, this, &LineChartView::replotPending);
    // The user looking at a part of the curve stops the view from following new points.
    connect(p, &QCustomPlot::mouseWheel, this, [this] { m_follow = false; });
    connect(p, &QCustomPlot::mousePress, this, [this] { m_follow = false; });
    connect(p, &QCustomPlot::mouseDoubleClick, this, [this] { setFollow(true); });
}

LineChartView::~LineChartView() = default;

void LineChartView::addSeries(const QString& name, LineAxis axis) {
    if (m_items->graphs.contains(name)) return;
    QCustomPlot* p = plot();
    QCPAxis* valueAxis = axis == LineAxis::Right ? p->yAxis2 : p->yAxis;
    if (axis == LineAxis::Right) {
        p->yAxis2->setVisible(true);
        p->yAxis2->setTickLabels(true);
    }
    QCPGraph* graph = p->addGraph(p->xAxis, valueAxis);
    graph->setName(name);
    QPen pen(seriesColor(int(m_items->graphs.size())), 1.5);
    if (axis == LineAxis::Right) pen.setStyle(Qt::DashLine);
    graph->setPen(pen);
    m_items->graphs.insert(name, graph);
    scheduleReplot();
}

void LineChartView::addPoint(const QString& series, double x, double y) {
    if (!m_items->last || series != m_items->lastName) {
        addSeries(series);
        m_items->last = m_items->graphs.value(series);
        m_items->lastName = series;
    }
    m_items->last->addData(x, y);  // appends when x >= the last key
    setHasData(true);
    scheduleReplot();
}

void LineChartView::clear() {
    plot()->clearGraphs();
    m_items->graphs.clear();
    m_items->last = nullptr;
    m_items->lastName.clear();
    plot()->yAxis2->setVisible(false);
    setHasData(false);
    scheduleReplot();
}

void LineChartView::setAxisLabels(const QString& x, const QString& left, const QString& right) {
    plot()->xAxis->setLabel(x);
    plot()->yAxis->setLabel(left);
    plot()->yAxis2->setLabel(right);
    scheduleReplot();
}

void LineChartView::setFollow(bool follow) {
    m_follow = follow;
    if (m_follow) scheduleReplot();
}

int LineChartView::seriesCount() const {
    return int(m_items->graphs.size());
}

int LineChartView::pointCount(const QString& series) const {
    const QCPGraph* graph = m_items->graphs.value(series);
    return graph ? graph->dataCount() : 0;
}

void LineChartView::scheduleReplot() {
    if (!m_replotTimer.isActive()) m_replotTimer.start();
}

void LineChartView::replotPending() {
    if (m_follow) rescale();
    ++m_replotCount;
    plot()->replot(QCustomPlot::rpQueuedRefresh);
}

namespace {

// The data's range on an axis, padded by 5 % (a single value: ± `half`), never below 0 when no
// value is negative (steps, losses and accuracies then keep a non-negative axis).
QCPRange padded(const QCPRange& data, double half) {
    const double pad = data.size() > 0 ? 0.05 * data.size() : half;
    double lower = data.lower - pad;
    if (data.lower >= 0 && lower < 0) lower = 0;
    return {lower, data.upper + pad};
}

}  // namespace

void LineChartView::rescale() {
    QCustomPlot* p = plot();
    // The data's own ranges, from the graphs with points; an axis without any keeps its range (it
    // used to be padded again on every replot and grew without end).
    bool keyFound = false, leftFound = false, rightFound = false;
    QCPRange key, left, right;
    auto merge = [](QCPRange& into, bool& found, const QCPRange& r) {
        into = found ? QCPRange(std::min(into.lower, r.lower), std::max(into.upper, r.upper)) : r;
        found = true;
    };
    for (QCPGraph* graph : std::as_const(m_items->graphs)) {
        if (graph->dataCount() == 0) continue;
        // A series of a few points shows them as dots: a single point has no line to draw.
        graph->setScatterStyle(graph->dataCount() <= kDotsUpTo ? QCPScatterStyle(QCPScatterStyle::ssDisc, 5)
                                                               : QCPScatterStyle(QCPScatterStyle::ssNone));
        bool ok = false;
        const QCPRange k = graph->getKeyRange(ok);
        if (ok) merge(key, keyFound, k);
        const QCPRange v = graph->getValueRange(ok);
        if (ok)
            merge(graph->valueAxis() == p->yAxis2 ? right : left,
                  graph->valueAxis() == p->yAxis2 ? rightFound : leftFound, v);
    }
    if (keyFound) p->xAxis->setRange(padded(key, 1.0));
    if (leftFound) p->yAxis->setRange(padded(left, 0.5));
    if (rightFound) p->yAxis2->setRange(padded(right, 0.5));
}

}  // namespace prunescope::ui
