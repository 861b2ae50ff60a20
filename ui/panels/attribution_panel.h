// Attribute: Integrated Gradients over every FFN neuron, run in the background; the layers x
// neurons heatmap fills in as the running mean updates. Colour scale, order, zoom / pan, hover
// tooltips; a click opens the neuron below the heatmap.
#pragma once

#include <QWidget>

#include <nlohmann/json.hpp>

#include "ui/worker/engine_types.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QTabWidget;

namespace prunescope::ui {

class Engine;
class HeatmapView;
class NeuronPanel;
class NeuronTable;

class AttributionPanel : public QWidget {
    Q_OBJECT
public:
    explicit AttributionPanel(Engine& engine, QWidget* parent = nullptr);

    void startAttribution();
    // The settings of a run; its file is the first attributions[-N].safetensors in the results
    // folder that neither exists nor was given to a run started here.
    AttributionRequest request() const;
    // The memory plan of `r` on the open model; when all of a question's scaled copies at once do
    // not fit, r.rowsPerPass is set to the most that do (as the CLI does).
    MemoryPlan plan(AttributionRequest& r, QString* note = nullptr) const;
    QString planText() const;
    void openFile(const QString& file);
    void setMinConfidence(double value);
    void setResultsDir(const QString& dir) { m_resultsDir = dir; }
    void setSelection(const std::vector<uint8_t>& mask);  // (layer, neuron), outlined

    const NeuronScores& scores() const { return m_scores; }
    int liveUpdates() const { return m_liveUpdates; }  // frames received during the last run
    // The file of the scores shown (written by a run or opened); empty when none. Opening another
    // model closes them (MainWindow asks first); the same model opened again reads them back.
    QString attributionFile() const { return m_scores.file; }
    HeatmapView* heatmap() const { return m_heatmap; }
    QString statusText() const;  // the line above the heatmap (what is shown, from which file and preset)
    NeuronPanel* neuronPanel() const { return m_neuron; }
    NeuronTable* neuronTable() const { return m_table; }
    // Outlines the neuron in the heatmap and loads its details (as a click on its cell does), bringing
    // the Neuron tab to the front when `showDetail`.
    void openNeuron(int layer, int neuron, bool showDetail = true);

    nlohmann::json settings() const;
    void applySettings(const nlohmann::json& settings);

    // Sets the run's widgets to a preset's values and announces it (the Selection panel takes its
    // rule); what the user changes afterwards is recorded in the file as a change to the preset.
    void applyPreset(Preset preset);
    ScoreSpec scoreSpec() const;

signals:
    // A question in the neuron view double-clicked (the main window shows it in the Score panel).
    void questionActivated(const QString& dataset, int index);
    void settingsChanged();
    void presetChosen(Preset preset);

private:
    void onScores(const NeuronScores& scores);
    void updateDatasets();
    void updateStatus();
    void updatePlan();
    QString freshOutFile() const;

    Engine& m_engine;
    QString m_resultsDir;
    QStringList m_startedFiles;  // files of the runs started here (written when they finish)
    NeuronScores m_scores;
    QString m_modelDir;  // the model the scores belong to
    int m_liveUpdates = 0;
    QComboBox* m_dataset = nullptr;
    QDoubleSpinBox* m_minConfidence = nullptr;
    QCheckBox* m_correctOnly = nullptr;
    QSpinBox* m_limit = nullptr;
    QSpinBox* m_steps = nullptr;
    QComboBox* m_scope = nullptr;
    QComboBox* m_target = nullptr;
    QPushButton* m_run = nullptr;
    QLabel* m_plan = nullptr;
    QComboBox* m_preset = nullptr;
    QComboBox* m_score = nullptr;
    QCheckBox* m_perQuestion = nullptr;  // the score's +per-question
    QCheckBox* m_perLayer = nullptr;     // the score's +per-layer
    QComboBox* m_scale = nullptr;
    QComboBox* m_range = nullptr;  // colour range: kColorRanges
    QComboBox* m_order = nullptr;
    QLabel* m_status = nullptr;
    HeatmapView* m_heatmap = nullptr;
    NeuronPanel* m_neuron = nullptr;
    NeuronTable* m_table = nullptr;
    QTabWidget* m_details = nullptr;  // the neuron clicked, and the table of all
};

}  // namespace prunescope::ui
