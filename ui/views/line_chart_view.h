// Live curves (loss, validation accuracy vs step). addPoint only appends; bursts of points are
// merged into one replot by a single-shot timer (kReplotDelayMs), as PlotJuggler does.
#pragma once

#include "ui/views/plot_view.h"

#include <QTimer>

#include <memory>

namespace prunescope::ui {

enum class LineAxis { Left, Right };

class LineChartView : public PlotView {
    Q_OBJECT
public:
    static constexpr int kReplotDelayMs = 50;
    static constexpr int kDotsUpTo = 50;  // a series of at most this many points also shows them as dots

    explicit LineChartView(QWidget* parent = nullptr);
    ~LineChartView() override;

    // Declares a series and its y axis; addPoint declares unknown series on the left axis.
    void addSeries(const QString& name, LineAxis axis = LineAxis::Left);
    void addPoint(const QString& series, double x, double y);
    void clear();
    void setAxisLabels(const QString& x, const QString& left, const QString& right = {});
    // Rescale to all data on every replot (default); turned off by wheel/drag, on by double-click.
    void setFollow(bool follow);
    bool follow() const { return m_follow; }

    int seriesCount() const;
    int pointCount(const QString& series) const;
    int replotCount() const { return m_replotCount; }  // throttled replots done so far

private:
    struct Items;
    void scheduleReplot();
    void replotPending();
    void rescale();

    std::unique_ptr<Items> m_items;
    QTimer m_replotTimer;
    bool m_follow = true;
    int m_replotCount = 0;
};

}  // namespace prunescope::ui
