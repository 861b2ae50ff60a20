// Score: the question table (filter, sort) and the confidence histogram with its draggable
// threshold; the threshold is the attribution's minimum confidence.
#pragma once

#include <QWidget>

#include <map>

#include <nlohmann/json.hpp>

#include "ui/worker/engine_types.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableView;
class QTextBrowser;

namespace prunescope::ui {

class Engine;
class HistogramView;
class QuestionFilterModel;
class QuestionTableModel;

class ScorePanel : public QWidget {
    Q_OBJECT
public:
    explicit ScorePanel(Engine& engine, QWidget* parent = nullptr);

    void scoreCurrent();            // scores the dataset chosen in the combo box (its first N with a sample)
    void setSample(int questions);  // 0: all
    // Shows the engine's task preset in the Prompt box (a session's); emits nothing.
    void showPreset(const QString& preset);
    // The prompt dialog (template, option line, scoring, live tokenized preview); applies on OK.
    void editPrompt();
    // Sets the engine's prompt; the scores made with the old one are cleared.
    void applyPrompt(const PromptChoice& prompt);
    // Why the prompt cannot score the shown dataset (its first questions), as shown under the
    // Score button; empty when it can or when no model or dataset is open.
    QString promptProblem() const;
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
    QString summaryText() const;  // the line beside Score
    // Of scoring the current set on the open model; `note`: how its prompts were sized.
    MemoryPlan plan(QString* note = nullptr) const;
    QString planText() const;
    // Shows `dataset` and selects its question `index` (scrolled to, its details below the table);
    // false when that question is not scored.
    bool showQuestion(const QString& dataset, int index);
    QString questionDetailHtml() const;  // the selected question: the exact prompt, each option's probability
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
    void checkPrompt();
    // The first questions of the dataset shown (empty when none is open).
    std::vector<McqQuestion> sampleQuestions() const;
    void showQuestionDetail();

    Engine& m_engine;
    std::map<QString, ScoreResult> m_results;
    QString m_wantedDataset;  // from the session, chosen once it is loaded
    QComboBox* m_dataset = nullptr;
    QComboBox* m_preset = nullptr;  // Prompt: Prunescope's or an lm-eval task preset
    QPushButton* m_editPrompt = nullptr;
    QLabel* m_promptProblem = nullptr;
    QPushButton* m_score = nullptr;
    QSpinBox* m_sample = nullptr;
    QLabel* m_summary = nullptr;
    QLabel* m_plan = nullptr;
    QLineEdit* m_search = nullptr;
    QComboBox* m_show = nullptr;
    QTableView* m_table = nullptr;
    QTextBrowser* m_detail = nullptr;  // the selected question
    QuestionTableModel* m_model = nullptr;
    QuestionFilterModel* m_filter = nullptr;
    HistogramView* m_histogram = nullptr;
    QDoubleSpinBox* m_thresholdBox = nullptr;  // the threshold typed in (the plot's line, in numbers)
    QCheckBox* m_logCounts = nullptr;
    QLabel* m_selection = nullptr;
};

}  // namespace prunescope::ui
