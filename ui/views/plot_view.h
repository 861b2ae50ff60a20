// Base of the plot views: a QWidget that owns one QCustomPlot and keeps it private, so callers
// (and signals) only see plain values.
#pragma once

#include <QWidget>

class QCustomPlot;

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

protected:
    QCustomPlot* plot() const { return m_plot; }
    // Asks for one replot on the next event-loop turn; repeated calls merge.
    void requestReplot();

private:
    QCustomPlot* m_plot = nullptr;
};

}  // namespace prunescope::ui
