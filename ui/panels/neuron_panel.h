// One neuron, opened by a click on the heatmap: its IG over the attributed questions, its
// activation and the questions that excite it most, and the tokens its output weights promote
// (and suppress) through the unembedding.
#pragma once

#include <QWidget>

#include "ui/worker/engine_types.h"

class QLabel;
class QTableWidget;

namespace prunescope::ui {

class BarChartView;

// Equal-width bins over [min, max] of `values`: labels (bin centres) and counts.
struct ValueBins {
    QStringList labels;
    std::vector<double> counts;
};
ValueBins binValues(const std::vector<float>& values, int nBin);

class NeuronPanel : public QWidget {
    Q_OBJECT
public:
    explicit NeuronPanel(QWidget* parent = nullptr);

    void setLoading(int layer, int neuron);
    void setDetail(const NeuronDetail& detail);
    void clear();

    bool hasDetail() const { return m_hasDetail; }
    const NeuronDetail& detail() const { return m_detail; }
    QString title() const;
    BarChartView* igChart() const { return m_ig; }
    BarChartView* activationChart() const { return m_activation; }
    QTableWidget* questionTable() const { return m_questions; }
    QTableWidget* tokenTable() const { return m_tokens; }

signals:
    // A question of the table double-clicked: its dataset and index there.
    void questionActivated(const QString& dataset, int index);

private:
    QLabel* m_title = nullptr;
    BarChartView* m_ig = nullptr;
    BarChartView* m_activation = nullptr;
    QTableWidget* m_questions = nullptr;
    QTableWidget* m_tokens = nullptr;
    NeuronDetail m_detail;
    bool m_hasDetail = false;
};

}  // namespace prunescope::ui
