// Compare: the arms x datasets table and the bar chart with error bars from a report
// (report.json), either opened from disk / produced by the pipeline, or built from the
// fine-tuning runs made in this window (plain, IG-pruned and the random / magnitude baselines,
// over several seeds), which this panel can queue itself.
#pragma once

#include <QWidget>

#include <functional>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "ui/worker/engine_types.h"

class QCheckBox;
class QLabel;
class QSpinBox;
class QTableWidget;

namespace prunescope::ui {

class BarChartView;
class Engine;

class ComparePanel : public QWidget {
    Q_OBJECT
public:
    using RequestFactory = std::function<FinetuneRequest(const QString& arm, int seed)>;
    // The experiment config for runExperiment and the folder its relative paths start from.
    using ExperimentFactory = std::function<std::optional<std::pair<nlohmann::json, QString>>()>;

    explicit ComparePanel(Engine& engine, QWidget* parent = nullptr);

    void setRequestFactory(RequestFactory factory) { m_requests = std::move(factory); }
    void setExperimentFactory(ExperimentFactory factory) { m_experiment = std::move(factory); }

    // Queues one fine-tuning run per arm and seed (seeds 0 .. seeds-1).
    void runArms(const QStringList& arms, int seeds);
    void runFullExperiment();
    void addRun(const RunResult& run);
    void clear();
    // Shows `report`; false (and nothing changes) when it is not a prunescope report.
    bool setReport(const nlohmann::json& report, QString* error = nullptr);
    const nlohmann::json& report() const { return m_report; }
    bool openReport(const QString& file, QString* error = nullptr);
    bool saveReport(const QString& file, QString* error = nullptr) const;
    int runCount() const { return int(m_runs.size()); }
    QString sourceText() const;  // where the report shown comes from (the line above the table)

    QTableWidget* table() const { return m_table; }
    QTableWidget* pairedTable() const { return m_paired; }
    BarChartView* chart() const { return m_chart; }

signals:
    void reportChanged();

private:
    Engine& m_engine;
    RequestFactory m_requests;
    ExperimentFactory m_experiment;
    std::vector<RunResult> m_runs;
    nlohmann::json m_report;
    std::vector<QCheckBox*> m_arms;
    QSpinBox* m_seeds = nullptr;
    QLabel* m_source = nullptr;
    QTableWidget* m_table = nullptr;
    QTableWidget* m_paired = nullptr;
    BarChartView* m_chart = nullptr;
};

}  // namespace prunescope::ui
