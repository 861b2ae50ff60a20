#include "ui/views/plot_view.h"

#include "ui/views/plot_export.h"

#include <QLabel>
#include <QStackedLayout>

#include <qcustomplot.h>

namespace prunescope::ui {

PlotView::PlotView(QWidget* parent) : QWidget(parent), m_plot(new QCustomPlot(this)) {
    m_pages = new QStackedLayout(this);
    m_pages->setContentsMargins(0, 0, 0, 0);
    m_pages->addWidget(m_plot);
    m_empty = new QLabel(this);
    m_empty->setObjectName(QStringLiteral("emptyState"));
    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setWordWrap(true);
    m_empty->setMargin(12);
    m_empty->setForegroundRole(QPalette::PlaceholderText);
    m_pages->addWidget(m_empty);
    m_plot->setObjectName(QStringLiteral("plot"));
    m_plot->setMouseTracking(true);
    m_plot->setNoAntialiasingOnDrag(true);
}

PlotView::~PlotView() = default;

bool PlotView::exportTo(const QString& path, QString* error) {
    return exportPlot(this, path, error);
}

void PlotView::replotNow() {
    m_plot->replot(QCustomPlot::rpImmediateRefresh);
}

QWidget* PlotView::plotWidget() const {
    return m_plot;
}

void PlotView::setEmptyText(const QString& text) {
    m_empty->setText(text);
    updateEmptyState();
}

QString PlotView::emptyText() const {
    return m_empty->text();
}

bool PlotView::showsEmptyState() const {
    return m_pages->currentWidget() == m_empty;
}

void PlotView::setHasData(bool hasData) {
    m_hasData = hasData;
    updateEmptyState();
}

void PlotView::updateEmptyState() {
    m_pages->setCurrentWidget(!m_hasData && !m_empty->text().isEmpty() ? static_cast<QWidget*>(m_empty) : m_plot);
}

void PlotView::tickWholeNumbers(QCPAxis* axis) {
    auto ticker = QSharedPointer<QCPAxisTickerFixed>::create();
    ticker->setTickStep(1.0);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    axis->setTicker(ticker);
}

void PlotView::requestReplot() {
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace prunescope::ui
