// Select: the rule that turns neuron scores into a pruning mask (global / per-layer / one-layer
// top-p %, absolute threshold, fraction of the maximum), a slider and a spin box for its value,
// the per-layer counts, the chosen neurons outlined on a heatmap, and the ablation preview
// (validation accuracy with the mask), recomputed in the background 400 ms after the last change.
#pragma once

#include <QTimer>
#include <QWidget>

#include <optional>

#include <nlohmann/json.hpp>

#include "core/prune/selection.h"
#include "ui/worker/engine_types.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QSlider;
class QSpinBox;

namespace prunescope::ui {

class BarChartView;
class Engine;
class HeatmapView;

class SelectionPanel : public QWidget {
    Q_OBJECT
public:
    static constexpr int kPreviewDelayMs = 400;
    // Recomputing after each change is turned off (and says why) for a model above this size, and
    // after a preview that took longer than kAutoPreviewMaxSeconds: each preview scores the
    // validation split (twice the first time), minutes on a 0.5B model on the CPU.
    static constexpr int64_t kAutoPreviewMaxParameters = 300'000'000;
    static constexpr double kAutoPreviewMaxSeconds = 10.0;
    static constexpr int kSliderSteps = 1000;

    explicit SelectionPanel(Engine& engine, QWidget* parent = nullptr);

    SelectionSpec spec() const;
    void setRule(SelectRule rule);
    void setValue(double value);  // percent, threshold or fraction, by rule
    double value() const;
    void setSliderPosition(int position);  // as if dragged
    const NeuronMask& mask() const { return m_mask; }
    std::vector<int64_t> perLayerCounts() const { return m_mask.perLayerCounts(); }
    bool saveMask(const QString& file, QString* error = nullptr) const;
    bool openMask(const QString& file, QString* error = nullptr);
    void previewNow();
    void setAutoPreview(bool on);
    bool autoPreview() const;
    QString previewText() const;
    const std::optional<PreviewResult>& preview() const { return m_preview; }

    BarChartView* countChart() const { return m_counts; }
    HeatmapView* heatmap() const { return m_heatmap; }

    nlohmann::json settings() const;
    void applySettings(const nlohmann::json& settings);

signals:
    void selectionChanged(const prunescope::NeuronMask& mask);
    void settingsChanged();

private:
    void onScores(const NeuronScores& scores);
    void onRuleChanged();
    void onSpinChanged(double value);
    void onSliderMoved(int position);
    void scheduleRecompute();
    void recompute();
    void updateRanges();
    void showPreviewState();
    double sliderToValue(int position) const;
    int valueToSlider(double value) const;

    Engine& m_engine;
    NeuronScores m_scores;
    NeuronMask m_mask;
    std::optional<NeuronMask> m_loaded;  // a mask read from a file, until the rule is touched
    QString m_loadedFile;
    float m_minScore = 0, m_maxScore = 1;
    QTimer m_recomputeTimer;
    QTimer m_previewTimer;
    uint64_t m_previewGeneration = 0;
    bool m_previewRunning = false;
    std::optional<PreviewResult> m_preview;
    bool m_updating = false;

    QComboBox* m_rule = nullptr;
    QSlider* m_slider = nullptr;
    QDoubleSpinBox* m_value = nullptr;
    QSpinBox* m_layer = nullptr;
    QSpinBox* m_cap = nullptr;
    QComboBox* m_positions = nullptr;
    QLabel* m_info = nullptr;
    QCheckBox* m_autoPreview = nullptr;
    QLabel* m_previewLabel = nullptr;
    QCheckBox* m_previewAll = nullptr;  // the test and OOD sets too
    QString m_autoOffReason;            // why the preview is no longer recomputed by itself (empty: the user's choice)
    BarChartView* m_counts = nullptr;
    HeatmapView* m_heatmap = nullptr;
};

}  // namespace prunescope::ui
