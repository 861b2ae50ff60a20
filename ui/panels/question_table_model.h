// The scored questions as a table (index, question, options, gold, predicted, confidence, margin,
// correct), and a proxy that filters by text, by outcome and by the confidence threshold.
// Sorting uses the numeric values (Qt::UserRole), not the display text.
#pragma once

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>

#include <vector>

#include "ui/worker/engine_types.h"

namespace prunescope::ui {

class QuestionTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Index, Question, Options, Gold, Predicted, Confidence, Margin, Correct, ColumnCount };

    explicit QuestionTableModel(QObject* parent = nullptr);

    void setRows(std::vector<QuestionRow> rows);
    const std::vector<QuestionRow>& rows() const { return m_rows; }
    const QuestionRow& row(int i) const { return m_rows[size_t(i)]; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<QuestionRow> m_rows;
};

class QuestionFilterModel : public QSortFilterProxyModel {
    Q_OBJECT
public:
    enum class Show { All, Correct, Wrong, AtOrAboveThreshold, BelowThreshold };

    explicit QuestionFilterModel(QObject* parent = nullptr);
    void setShow(Show show);
    void setThreshold(double threshold);
    void setText(const QString& text);  // case-insensitive, in question and options
    Show show() const { return m_show; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    Show m_show = Show::All;
    double m_threshold = 0.5;
    QString m_text;
};

}  // namespace prunescope::ui
