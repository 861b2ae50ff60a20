// Every neuron in one sortable, searchable table: its rank by the shown score, layer, index, the
// score, its IG statistics over the attributed questions and whether the selection prunes it.
// A heatmap does not scale to 116,736 neurons for reading off numbers; this does (and exports CSV).
#pragma once

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>
#include <QWidget>

#include <vector>

#include "ui/worker/engine_types.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QTableView;

namespace prunescope::ui {

class NeuronTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Rank, Layer, Neuron, Score, Mean, Std, MeanAbs, TopKShare, Selected, ColumnCount };

    using QAbstractTableModel::QAbstractTableModel;
    void setScores(const NeuronScores& scores);
    void setSelection(const std::vector<uint8_t>& mask);  // (layer, neuron); empty: none

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // Row r is neuron r of the (layer, neuron) order.
    int layerOf(int row) const { return m_nNeuron > 0 ? row / m_nNeuron : 0; }
    int neuronOf(int row) const { return m_nNeuron > 0 ? row % m_nNeuron : 0; }
    bool isSelected(int row) const { return size_t(row) < m_selection.size() && m_selection[size_t(row)] != 0; }
    int rankOf(int row) const { return m_rank.empty() ? 0 : m_rank[size_t(row)]; }

private:
    QVariant number(const std::vector<float>& values, int row, int role) const;

    NeuronScores m_scores;
    int m_nNeuron = 0;
    std::vector<int> m_rank;  // 1 = the highest score over all neurons
    std::vector<uint8_t> m_selection;
};

// Layer, "selected only" and a neuron search ("156", "3:156") over NeuronTableModel.
class NeuronFilterModel : public QSortFilterProxyModel {
    Q_OBJECT
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;
    void setLayer(int layer);  // -1: all
    void setSelectedOnly(bool on);
    // "156": neuron 156 of every layer; "3:156": layer 3's neuron 156; "3:": all of layer 3; "": all.
    void setSearch(const QString& text);

protected:
    bool filterAcceptsRow(int row, const QModelIndex& parent) const override;
    bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;

private:
    int m_layer = -1;
    bool m_selectedOnly = false;
    int m_searchLayer = -1, m_searchNeuron = -1;
};

class NeuronTable : public QWidget {
    Q_OBJECT
public:
    explicit NeuronTable(QWidget* parent = nullptr);
    void setScores(const NeuronScores& scores);
    void setSelection(const std::vector<uint8_t>& mask);
    void clear();

    NeuronTableModel* tableModel() const { return m_model; }
    NeuronFilterModel* filterModel() const { return m_filter; }
    QTableView* view() const { return m_view; }

signals:
    void neuronActivated(int layer, int neuron);  // a row clicked

private:
    void updateLayers(int nLayer);
    void updateCount();

    NeuronTableModel* m_model = nullptr;
    NeuronFilterModel* m_filter = nullptr;
    QTableView* m_view = nullptr;
    QComboBox* m_layer = nullptr;
    QCheckBox* m_selectedOnly = nullptr;
    QLineEdit* m_search = nullptr;
    QLabel* m_count = nullptr;
};

}  // namespace prunescope::ui
