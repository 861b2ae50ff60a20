#include "ui/panels/question_table_model.h"

#include <QBrush>
#include <QColor>
#include <QLocale>

#include "ui/common/export_actions.h"

namespace prunescope::ui {
namespace {

QString letter(int i) {
    return i >= 0 && i < 26 ? QString(QChar('A' + i)) : QStringLiteral("?");
}

}  // namespace

QuestionTableModel::QuestionTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void QuestionTableModel::setRows(std::vector<QuestionRow> rows) {
    beginResetModel();
    m_rows = std::move(rows);
    endResetModel();
}

int QuestionTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int QuestionTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant QuestionTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= int(m_rows.size())) return {};
    const auto& r = m_rows[size_t(index.row())];
    const int column = index.column();
    if (role == Qt::DisplayRole) {
        switch (column) {
            case Index: return r.index;
            case Question: return r.question;
            case Options: {
                QStringList parts;
                for (int i = 0; i < r.options.size(); ++i) parts << letter(i) + QStringLiteral(". ") + r.options[i];
                return parts.join(QStringLiteral("  "));
            }
            case Gold: return letter(r.gold);
            case Predicted: return letter(r.predicted);
            case Confidence: return QString::number(r.confidence, 'f', 3);
            case Margin: return QString::number(r.margin, 'f', 3);
            case Correct: return r.correct ? tr("yes") : tr("no");
        }
    }
    if (role == Qt::UserRole) {  // sort key
        switch (column) {
            case Index: return r.index;
            case Question: return r.question;
            case Options: return r.options.join(QLatin1Char(' '));
            case Gold: return r.gold;
            case Predicted: return r.predicted;
            case Confidence: return r.confidence;
            case Margin: return r.margin;
            case Correct: return r.correct ? 1 : 0;
        }
    }
    if (role == kExportRole && (column == Confidence || column == Margin)) {  // not rounded
        return QString::number(column == Confidence ? r.confidence : r.margin, 'g', QLocale::FloatingPointShortest);
    }
    if (role == Qt::ForegroundRole && column == Correct) {
        return QBrush(r.correct ? QColor(0x1b, 0x7f, 0x3b) : QColor(0xb0, 0x1c, 0x1c));
    }
    if (role == Qt::ToolTipRole && (column == Question || column == Options)) {
        return r.question + QStringLiteral("\n\n") + data(this->index(index.row(), Options)).toString();
    }
    if (role == Qt::TextAlignmentRole && column != Question && column != Options) {
        return int(Qt::AlignRight | Qt::AlignVCenter);
    }
    return {};
}

QVariant QuestionTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
        case Index: return tr("#");
        case Question: return tr("Question");
        case Options: return tr("Options");
        case Gold: return tr("Gold");
        case Predicted: return tr("Predicted");
        case Confidence: return tr("Confidence");
        case Margin: return tr("Margin");
        case Correct: return tr("Correct");
    }
    return {};
}

QuestionFilterModel::QuestionFilterModel(QObject* parent) : QSortFilterProxyModel(parent) {
    setSortRole(Qt::UserRole);
}

void QuestionFilterModel::setShow(Show show) {
    m_show = show;
    invalidateFilter();
}

void QuestionFilterModel::setThreshold(double threshold) {
    m_threshold = threshold;
    if (m_show == Show::AtOrAboveThreshold || m_show == Show::BelowThreshold) invalidateFilter();
}

void QuestionFilterModel::setText(const QString& text) {
    m_text = text;
    invalidateFilter();
}

bool QuestionFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex&) const {
    const auto* model = qobject_cast<const QuestionTableModel*>(sourceModel());
    if (model == nullptr) return true;
    const auto& r = model->row(sourceRow);
    switch (m_show) {
        case Show::All: break;
        case Show::Correct:
            if (!r.correct) return false;
            break;
        case Show::Wrong:
            if (r.correct) return false;
            break;
        case Show::AtOrAboveThreshold:
            if (r.confidence < m_threshold) return false;
            break;
        case Show::BelowThreshold:
            if (r.confidence >= m_threshold) return false;
            break;
    }
    if (m_text.isEmpty()) return true;
    if (r.question.contains(m_text, Qt::CaseInsensitive)) return true;
    for (const auto& o : r.options)
        if (o.contains(m_text, Qt::CaseInsensitive)) return true;
    return false;
}

}  // namespace prunescope::ui
