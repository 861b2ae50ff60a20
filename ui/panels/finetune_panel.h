// Fine-tune: the settings form, start / cancel, live loss and validation-accuracy curves, ETA, and
// the result of each run (which also goes to the Compare panel).
#pragma once

#include <QWidget>

#include <nlohmann/json.hpp>

#include "core/prune/neuron_mask.h"
#include "ui/worker/engine_types.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace prunescope::ui {

class Engine;
class LineChartView;

class FinetunePanel : public QWidget {
    Q_OBJECT
public:
    explicit FinetunePanel(Engine& engine, QWidget* parent = nullptr);

    void start();
    // The request the form describes, for `arm` / `seed` (the form's own when empty / < 0).
    FinetuneRequest request(const QString& arm = {}, int seed = -1) const;
    void setSelection(const NeuronMask& mask) {
        m_selection = mask;
        updateArmHint();
    }
    void setArm(const QString& arm);
    void setEpochs(int epochs);
    void setMaxSteps(int steps);
    void setEvalEvery(int steps);
    // The folder Start saves the fine-tuned model to (empty: not saved); runs queued by Compare never save.
    void setSaveTo(const QString& folder);
    QString saveTo() const;

    LineChartView* chart() const { return m_chart; }
    QString etaText() const;
    QString resultText() const;
    QString planText() const;
    QString planToolTip() const;  // the whole plan, after how its prompts were sized
    int pointCount() const { return m_points; }

    nlohmann::json settings() const;
    void applySettings(const nlohmann::json& settings);

signals:
    void settingsChanged();

private:
    void onPoint(const TrainPointValue& point);
    void onFinished(const RunResult& result);
    void updateArmHint();
    void updatePlan();  // the memory plan beside Start

    Engine& m_engine;
    NeuronMask m_selection;
    int m_points = 0;
    QString m_runLabel;
    QComboBox* m_arm = nullptr;
    QSpinBox* m_seed = nullptr;
    QSpinBox* m_epochs = nullptr;
    QSpinBox* m_maxSteps = nullptr;
    QDoubleSpinBox* m_lr = nullptr;
    QSpinBox* m_batch = nullptr;
    QSpinBox* m_gradAccum = nullptr;
    QComboBox* m_trainable = nullptr;
    QSpinBox* m_lora = nullptr;
    QCheckBox* m_checkpoint = nullptr;
    QComboBox* m_schedule = nullptr;
    QDoubleSpinBox* m_warmup = nullptr;
    QDoubleSpinBox* m_weightDecay = nullptr;
    QSpinBox* m_evalEvery = nullptr;
    QLabel* m_armHint = nullptr;
    QLineEdit* m_saveTo = nullptr;
    QPushButton* m_start = nullptr;
    QPushButton* m_cancel = nullptr;
    QLabel* m_plan = nullptr;
    QLabel* m_eta = nullptr;
    QLabel* m_result = nullptr;
    LineChartView* m_chart = nullptr;
};

}  // namespace prunescope::ui
