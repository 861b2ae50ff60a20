#include "ui/views/bar_chart_view.h"

#include "ui/views/series_colors.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace prunescope::ui {

struct BarChartView::Items {
    QCPBarsGroup* group = nullptr;
    QList<QCPBars*> bars;
    QList<QCPErrorBars*> errorBars;
};

BarChartView::BarChartView(QWidget* parent) : PlotView(parent), m_items(std::make_unique<Items>()) {
    QCustomPlot* p = plot();
    p->xAxis->grid()->setVisible(false);
    p->xAxis->setTickLength(0, 4);
    p->legend->setVisible(false);
    p->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    connect(p, &QCustomPlot::beforeReplot, this, &BarChartView::updateLabels);
}

BarChartView::~BarChartView() = default;

bool BarChartView::setData(QStringList categories, QStringList series, std::vector<std::vector<double>> values,
                           std::vector<std::vector<double>> errors, std::vector<QColor> colors) {
    clearPlottables();
    const size_t nCategory = size_t(categories.size());
    const size_t nSeries = size_t(series.size());
    auto shapeOk = [&](const std::vector<std::vector<double>>& m) {
        return m.size() == nCategory &&
               std::all_of(m.begin(), m.end(), [&](const auto& row) { return row.size() == nSeries; });
    };
    if (!shapeOk(values) || (!errors.empty() && !shapeOk(errors))) {
        m_categories.clear();
        m_series.clear();
        m_values.clear();
        m_errors.clear();
        m_labelStride = 0;
        updateLabels();
        setHasData(false);
        requestReplot();
        return false;
    }
    m_categories = std::move(categories);
    m_series = std::move(series);
    m_values = std::move(values);
    m_errors = std::move(errors);
    m_colors = colors.size() == nSeries ? std::move(colors) : std::vector<QColor>();

    QCustomPlot* p = plot();
    const int nKey = int(nCategory);
    QVector<double> keys(nKey);
    for (size_t c = 0; c < nCategory; ++c) keys[int(c)] = double(c + 1);
    m_labelStride = 0;
    updateLabels();
    p->xAxis->setRange(0.4, nCategory + 0.6);

    m_items->group = new QCPBarsGroup(p);
    m_items->group->setSpacingType(QCPBarsGroup::stAbsolute);
    m_items->group->setSpacing(1);
    double lo = 0.0;
    double hi = 0.0;
    bool negative = false;  // a value below 0: only then may the axis (and the error bars) go there
    bool integral = true;   // counts: the value axis ticks whole numbers only
    for (size_t s = 0; s < nSeries; ++s) {
        auto* bars = new QCPBars(p->xAxis, p->yAxis);
        const QColor color = seriesColorOf(int(s));
        bars->setName(m_series[int(s)]);
        bars->setPen(QPen(color.darker(130)));
        bars->setBrush(color);
        bars->setWidth(0.8 / double(std::max<size_t>(nSeries, 1)));
        if (nSeries > 1) bars->setBarsGroup(m_items->group);
        QVector<double> column(nKey);
        QVector<double> error(nKey);
        for (size_t c = 0; c < nCategory; ++c) {
            column[int(c)] = m_values[c][s];
            const double e = m_errors.empty() ? 0.0 : m_errors[c][s];
            error[int(c)] = e;
            if (std::isfinite(column[int(c)])) {
                const double half = std::isfinite(e) ? std::fabs(e) : 0.0;
                lo = std::min(lo, column[int(c)] - half);
                hi = std::max(hi, column[int(c)] + half);
                negative = negative || column[int(c)] < 0;
                integral = integral && column[int(c)] == std::round(column[int(c)]);
            }
        }
        bars->setData(keys, column, true);
        m_items->bars.append(bars);
        if (!m_errors.empty()) {
            auto* errorBars = new QCPErrorBars(p->xAxis, p->yAxis);
            errorBars->removeFromLegend();
            errorBars->setDataPlottable(bars);
            errorBars->setData(error);
            errorBars->setPen(QPen(Qt::black));
            errorBars->setWhiskerWidth(6);
            m_items->errorBars.append(errorBars);
        }
    }
    if (integral && m_errors.empty()) {
        tickWholeNumbers(p->yAxis);
    } else {
        p->yAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    }
    // Accuracies, counts: the axis starts at 0 and an error bar reaching below it is cut there.
    if (!negative) lo = 0.0;
    // Headroom above the tallest bar (and its error bar); with a legend, a band it fits in (about
    // one row per series), so it never covers a group of bars.
    const double span = std::max(hi - lo, 1e-9);
    const double pad = 0.08 * span;
    const double top = nSeries > 1 ? (0.08 + 0.07 * double(nSeries)) * span : pad;
    p->yAxis->setRange(lo < 0 ? lo - pad : 0.0, hi > 0 ? hi + top : top);
    if (nCategory == 0) p->yAxis->setRange(0.0, 1.0);  // no 8e-11 ticks over nothing
    p->yAxis->setTickLabels(nCategory > 0);
    p->legend->setVisible(nSeries > 1);
    setHasData(nCategory > 0);
    requestReplot();
    return true;
}

QColor BarChartView::seriesColorOf(int series) const {
    return size_t(series) < m_colors.size() ? m_colors[size_t(series)] : seriesColor(series);
}

void BarChartView::updateLabels() {
    QCustomPlot* p = plot();
    // The width the axis will have: the viewport less the axis rect's margins (the y axis labels).
    const QMargins margins = p->axisRect()->margins();
    const double width = std::max(1, p->viewport().width() - margins.left() - margins.right());
    const double perCategory = width / (double(m_categories.size()) + 0.2);
    const QFontMetrics metrics(p->xAxis->tickLabelFont());
    int widest = 0;
    for (const QString& label : std::as_const(m_categories))
        widest = std::max(widest, metrics.horizontalAdvance(label));
    constexpr int kGap = 10;  // pixels between neighbouring labels
    const int stride = std::max(1, int(std::ceil((widest + kGap) / std::max(perCategory, 1.0))));
    if (stride == m_labelStride) return;
    m_labelStride = stride;
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    for (int c = 0; c < int(m_categories.size()); c += stride) ticker->addTick(double(c + 1), m_categories[c]);
    p->xAxis->setTicker(ticker);
}

void BarChartView::setValueLabel(const QString& label) {
    plot()->yAxis->setLabel(label);
    requestReplot();
}

void BarChartView::setCategoryLabel(const QString& label) {
    plot()->xAxis->setLabel(label);
    requestReplot();
}

void BarChartView::clearPlottables() {
    // Error bars first: they refer to their bars.
    for (QCPErrorBars* e : std::as_const(m_items->errorBars)) plot()->removePlottable(e);
    for (QCPBars* b : std::as_const(m_items->bars)) plot()->removePlottable(b);
    m_items->errorBars.clear();
    m_items->bars.clear();
    delete m_items->group;
    m_items->group = nullptr;
}

}  // namespace prunescope::ui
