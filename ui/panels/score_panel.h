// Score: the question table (filter, sort) and the confidence histogram with its draggable
// threshold; the threshold is the attribution's minimum confidence.
#pragma once

#include <QWidget>

#include <map>

#include <nlohmann/json.hpp>

#include "ui/worker/engine_types.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;

namespace prunescope::ui {

class Engine;
class HistogramView;
class QuestionFilterModel;
class QuestionTableModel;

class ScorePanel : public QWidget {
    Q_OBJECT
public:
    explicit ScorePanel(Engine& engine, QWidget* parent = nullptr);

    void scoreCurrent();  // scores the dataset chosen in the combo box
    // Shows the engine's task preset in the Prompt box (a session's); emits nothing.
    void showPreset(const QString& preset);
    QString currentDataset() const;
    void setCurrentDataset(const QString& name);
    double threshold() const;
    void setThreshold(double threshold);
    // The scores of `dataset` (empty when not scored yet).
    const ScoreResult* result(const QString& dataset) const;

    QuestionTableModel* tableModel() const { return m_model; }
    QuestionFilterModel* filterModel() const { return m_filter; }
    HistogramView* histogram() const { return m_histogram; }
    QTableView* table() const { return m_table; }
    QString selectionText() const;
    MemoryPlan plan() const;  // of scoring on the open model
    QString planText() const;
    // Questions of the shown dataset with confidence >= threshold (and of those, correct).
    int selectedCount(int* correct = nullptr) const;

    nlohmann::json settings() const;
    void applySettings(const nlohmann::json& settings);

signals:
    void thresholdChanged(double threshold);
    void settingsChanged();

private:
    void onScored(const ScoreResult& result);
    void showDataset();
    void updateDatasets();
    void updateSelectionLabel();
    void updatePlan();

    Engine& m_engine;
    std::map<QString, ScoreResult> m_results;
    QString m_wantedDataset;  // from the session, chosen once it is loaded
    QComboBox* m_dataset = nullptr;
    QComboBox* m_preset = nullptr;  // Prompt: Prunescope's or an lm-eval task preset
    QPushButton* m_score = nullptr;
    QLabel* m_summary = nullptr;
    QLabel* m_plan = nullptr;
    QLineEdit* m_search = nullptr;
    QComboBox* m_show = nullptr;
    QTableView* m_table = nullptr;
    QuestionTableModel* m_model = nullptr;
    QuestionFilterModel* m_filter = nullptr;
    HistogramView* m_histogram = nullptr;
    QDoubleSpinBox* m_thresholdBox = nullptr;  // the threshold typed in (the plot's line, in numbers)
    QLabel* m_selection = nullptr;
};

}  // namespace prunescope::ui
