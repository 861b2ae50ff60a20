#include "ui/panels/neuron_table.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "ui/common/export_actions.h"

namespace prunescope::ui {

void NeuronTableModel::setScores(const NeuronScores& scores) {
    beginResetModel();
    m_scores = scores;
    m_nNeuron = scores.nNeuron;
    const size_t n = scores.values.size();
    std::vector<int> order(n);
    std::iota(order.begin(), order.end(), 0);
    // Highest first; NaN last; ties by position, so the rank is stable.
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        const float x = scores.values[size_t(a)], y = scores.values[size_t(b)];
        if (std::isnan(x) || std::isnan(y)) return !std::isnan(x) && std::isnan(y);
        return x > y;
    });
    m_rank.assign(n, 0);
    for (size_t r = 0; r < n; ++r) m_rank[size_t(order[r])] = int(r) + 1;
    if (m_selection.size() != n) m_selection.clear();
    endResetModel();
}

void NeuronTableModel::setSelection(const std::vector<uint8_t>& mask) {
    m_selection = mask.size() == m_scores.values.size() ? mask : std::vector<uint8_t>();
    if (rowCount() > 0) emit dataChanged(index(0, Selected), index(rowCount() - 1, Selected));
}

int NeuronTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_scores.values.size());
}

int NeuronTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant NeuronTableModel::number(const std::vector<float>& values, int row, int role) const {
    if (size_t(row) >= values.size()) return {};
    const double v = values[size_t(row)];
    if (role == Qt::DisplayRole) return QString::number(v, 'g', 4);
    return v;  // sorting and CSV: every digit
}

QVariant NeuronTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount()) return {};
    const int row = index.row();
    if (role == Qt::TextAlignmentRole)
        return index.column() == Selected ? QVariant() : QVariant(int(Qt::AlignRight | Qt::AlignVCenter));
    if (role != Qt::DisplayRole && role != Qt::EditRole && role != kExportRole) return {};
    switch (Column(index.column())) {
        case Rank: return m_rank[size_t(row)];
        case Layer: return layerOf(row);
        case Neuron: return neuronOf(row);
        case Score: return number(m_scores.values, row, role);
        case Mean: return number(m_scores.igMean, row, role);
        case Std: return number(m_scores.igStd, row, role);
        case MeanAbs: return number(m_scores.igMeanAbs, row, role);
        case TopKShare: return number(m_scores.topKShare, row, role);
        case Selected:
            if (role == Qt::EditRole) return isSelected(row) ? 1 : 0;
            return isSelected(row) ? tr("yes") : QString();
        case ColumnCount: break;
    }
    return {};
}

QVariant NeuronTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal) return {};
    if (role == Qt::DisplayRole) {
        switch (Column(section)) {
            case Rank: return tr("Rank");
            case Layer: return tr("Layer");
            case Neuron: return tr("Neuron");
            case Score: return m_scores.scoreName.isEmpty() ? tr("Score") : tr("Score (%1)").arg(m_scores.scoreName);
            case Mean: return tr("Mean IG");
            case Std: return tr("Std IG");
            case MeanAbs: return tr("Mean |IG|");
            case TopKShare: return tr("Top-k share");
            case Selected: return tr("Selected");
            case ColumnCount: break;
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (Column(section)) {
            case Rank: return tr("Rank by the shown score over all neurons (1 = highest)");
            case Score: return tr("The score the heatmap shows and the Select panel ranks by (the Score box)");
            case Mean: return tr("Mean IG over the attributed questions");
            case Std: return tr("Standard deviation of IG over the attributed questions");
            case MeanAbs: return tr("Mean |IG| over the attributed questions");
            case TopKShare: return tr("Share of the questions in whose top-k neurons it was");
            case Selected: return tr("Pruned by the Select panel's mask");
            default: break;
        }
    }
    return {};
}

void NeuronFilterModel::setLayer(int layer) {
    m_layer = layer;
    invalidateFilter();
}

void NeuronFilterModel::setSelectedOnly(bool on) {
    m_selectedOnly = on;
    invalidateFilter();
}

void NeuronFilterModel::setSearch(const QString& text) {
    m_searchLayer = m_searchNeuron = -1;
    const QString t = text.trimmed();
    const int colon = t.indexOf(QLatin1Char(':'));
    bool ok = true;
    if (colon >= 0) {
        m_searchLayer = t.left(colon).trimmed().toInt(&ok);
        if (!ok) m_searchLayer = -2;  // matches nothing
        const QString neuron = t.mid(colon + 1).trimmed();
        if (!neuron.isEmpty()) {
            m_searchNeuron = neuron.toInt(&ok);
            if (!ok) m_searchNeuron = -2;
        }
    } else if (!t.isEmpty()) {
        m_searchNeuron = t.toInt(&ok);
        if (!ok) m_searchNeuron = -2;
    }
    invalidateFilter();
}

bool NeuronFilterModel::filterAcceptsRow(int row, const QModelIndex&) const {
    const auto* m = static_cast<const NeuronTableModel*>(sourceModel());
    if (m_layer >= 0 && m->layerOf(row) != m_layer) return false;
    if (m_selectedOnly && !m->isSelected(row)) return false;
    if (m_searchLayer != -1 && m->layerOf(row) != m_searchLayer) return false;
    if (m_searchNeuron != -1 && m->neuronOf(row) != m_searchNeuron) return false;
    return true;
}

bool NeuronFilterModel::lessThan(const QModelIndex& left, const QModelIndex& right) const {
    const QVariant a = sourceModel()->data(left, Qt::EditRole);
    const QVariant b = sourceModel()->data(right, Qt::EditRole);
    if (!a.isValid() || !b.isValid()) return !a.isValid() < !b.isValid();
    return a.toDouble() < b.toDouble();
}

NeuronTable::NeuronTable(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* controls = new QHBoxLayout;
    m_search = new QLineEdit(this);
    m_search->setObjectName(QStringLiteral("neuronSearch"));
    m_search->setPlaceholderText(tr("Find a neuron: 156, or 3:156 (layer 3)"));
    m_search->setClearButtonEnabled(true);
    m_layer = new QComboBox(this);
    m_selectedOnly = new QCheckBox(tr("Selected only"), this);
    m_count = new QLabel(this);
    controls->addWidget(m_search, 1);
    controls->addWidget(new QLabel(tr("Layer:"), this));
    controls->addWidget(m_layer);
    controls->addWidget(m_selectedOnly);
    controls->addWidget(m_count);
    layout->addLayout(controls);

    m_model = new NeuronTableModel(this);
    m_filter = new NeuronFilterModel(this);
    m_filter->setSourceModel(m_model);
    m_view = new QTableView(this);
    m_view->setModel(m_filter);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(NeuronTableModel::Rank, Qt::AscendingOrder);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    addTableExportMenu(m_view, QStringLiteral("neurons"));
    layout->addWidget(m_view, 1);
    updateLayers(0);

    connect(m_search, &QLineEdit::textChanged, this, [this](const QString& text) {
        m_filter->setSearch(text);
        updateCount();
    });
    connect(m_layer, &QComboBox::currentIndexChanged, this, [this](int i) {
        m_filter->setLayer(i - 1);
        updateCount();
    });
    connect(m_selectedOnly, &QCheckBox::toggled, this, [this](bool on) {
        m_filter->setSelectedOnly(on);
        updateCount();
    });
    connect(m_view, &QTableView::clicked, this, [this](const QModelIndex& index) {
        const int row = m_filter->mapToSource(index).row();
        emit neuronActivated(m_model->layerOf(row), m_model->neuronOf(row));
    });
}

void NeuronTable::setScores(const NeuronScores& scores) {
    const int layers = m_model->rowCount() > 0 ? m_model->layerOf(m_model->rowCount() - 1) + 1 : 0;
    m_model->setScores(scores);
    if (layers != scores.nLayer) updateLayers(scores.nLayer);
    updateCount();
}

void NeuronTable::setSelection(const std::vector<uint8_t>& mask) {
    m_model->setSelection(mask);
    m_filter->invalidate();
    updateCount();
}

void NeuronTable::clear() {
    setScores({});
}

void NeuronTable::updateLayers(int nLayer) {
    const QSignalBlocker block(m_layer);
    m_layer->clear();
    m_layer->addItem(tr("all"));
    for (int l = 0; l < nLayer; ++l) m_layer->addItem(QString::number(l));
    m_filter->setLayer(-1);
}

void NeuronTable::updateCount() {
    m_count->setText(tr("%1 of %2 neurons").arg(m_filter->rowCount()).arg(m_model->rowCount()));
}

}  // namespace prunescope::ui
