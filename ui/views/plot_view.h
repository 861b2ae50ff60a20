// Base of the plot views: a QWidget that owns one QCustomPlot and keeps it private, so callers
// (and signals) only see plain values.
#pragma once

#include <QWidget>

class QCPAxis;
class QCustomPlot;
class QLabel;
class QStackedLayout;

namespace prunescope::ui {

class PlotView : public QWidget {
    Q_OBJECT
public:
    explicit PlotView(QWidget* parent = nullptr);
    ~PlotView() override;

    // Writes the plot to `path` (.png, .svg or .pdf); false and `error` set on failure.
    bool exportTo(const QString& path, QString* error = nullptr);
    // Replots now and repaints (instead of the queued replot the setters request).
    void replotNow();
    // The widget that receives the mouse (the plot), for tests and event filters.
    QWidget* plotWidget() const;
    // Shown instead of the plot while the view has no data: say why and what to do ("No scores
    // yet: attribute first"), rather than axes over nothing. Empty (the default): the bare axes.
    void setEmptyText(const QString& text);
    QString emptyText() const;
    bool showsEmptyState() const;

protected:
    QCustomPlot* plot() const { return m_plot; }
    // Each view says when it has something to draw.
    void setHasData(bool hasData);
    // Ticks at whole numbers only (1, 2, 3 … or 5, 10 …; never 0.5): for counts, layers, neurons.
    static void tickWholeNumbers(QCPAxis* axis);
    // Asks for one replot on the next event-loop turn; repeated calls merge.
    void requestReplot();

private:
    void updateEmptyState();

    QCustomPlot* m_plot = nullptr;
    QStackedLayout* m_pages = nullptr;
    QLabel* m_empty = nullptr;
    bool m_hasData = false;
};

}  // namespace prunescope::ui
