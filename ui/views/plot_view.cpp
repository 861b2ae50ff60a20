#include "ui/views/plot_view.h"

#include "ui/views/plot_export.h"

#include <QVBoxLayout>

#include <qcustomplot.h>

namespace prunescope::ui {

PlotView::PlotView(QWidget* parent) : QWidget(parent), m_plot(new QCustomPlot(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
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

void PlotView::requestReplot() {
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace prunescope::ui
