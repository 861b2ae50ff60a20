// Grouped bar chart: categories on the x axis, one coloured bar per series in each category,
// optional symmetric error bars (e.g. accuracy per arm +- std, neurons to prune per layer).
#pragma once

#include "ui/views/plot_view.h"

#include <QStringList>

#include <memory>
#include <vector>

namespace prunescope::ui {

class BarChartView : public PlotView {
    Q_OBJECT
public:
    explicit BarChartView(QWidget* parent = nullptr);
    ~BarChartView() override;

    // values[category][series]; errors: empty (none) or the same shape (half-widths; NaN: none);
    // colors: empty (seriesColor by position) or one per series.
    // Returns false, and shows nothing, when the shapes do not match the names.
    bool setData(QStringList categories, QStringList series, std::vector<std::vector<double>> values,
                 std::vector<std::vector<double>> errors = {}, std::vector<QColor> colors = {});
    QColor seriesColorOf(int series) const;       // as drawn
    void setValueLabel(const QString& label);     // y axis title
    void setCategoryLabel(const QString& label);  // x axis title

    // Every labelStride()-th category is labelled: as many as fit the plot's width side by side.
    int labelStride() const { return m_labelStride; }

    int categoryCount() const { return int(m_categories.size()); }
    int seriesCount() const { return int(m_series.size()); }
    double value(int category, int series) const { return m_values[size_t(category)][size_t(series)]; }
    bool hasErrors() const { return !m_errors.empty(); }

private:
    struct Items;
    void clearPlottables();
    void updateLabels();  // before each replot: the stride for the current width

    std::unique_ptr<Items> m_items;
    QStringList m_categories;
    QStringList m_series;
    std::vector<std::vector<double>> m_values;
    std::vector<std::vector<double>> m_errors;
    std::vector<QColor> m_colors;
    int m_labelStride = 0;  // 0: labels not set up yet
};

}  // namespace prunescope::ui
