// Compare: the arms x datasets table and the bar chart with error bars from a report
// (report.json), either opened from disk / produced by the pipeline, or built from the
// fine-tuning runs made in this window (plain, IG-pruned and the random / magnitude baselines,
// over several seeds), which this panel can queue itself. The panel holds every report it was
// given, one entry each, and shows one (the "Showing" box): a new run, an experiment or an opened
// report adds an entry and never replaces another; only Clear (which asks) removes them.
#pragma once

#include <QWidget>

#include <functional>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "ui/worker/engine_types.h"

class QCheckBox;
class QComboBox;
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
    // Adds the run to the entry of the runs made in this window (created on the first) and shows it.
    void addRun(const RunResult& run);
    // Removes every entry and run (no question asked: the Clear button asks first).
    void clear();
    // Adds `report` as a new entry named `label` and shows it; false (and nothing changes) when it
    // is not a prunescope report. `source`: the line above the table.
    bool addReport(const nlohmann::json& report, const QString& label, const QString& source, QString* error = nullptr);
    // Adds the report in `file`, or reads it again into its entry when that file is open already.
    bool openReport(const QString& file, QString* error = nullptr);
    // The report shown (null when none).
    const nlohmann::json& report() const;
    bool saveReport(const QString& file, QString* error = nullptr) const;  // the one shown
    bool saveReport(int index, const QString& file, QString* error = nullptr) const;
    int reportCount() const { return int(m_entries.size()); }
    int currentReport() const { return m_current; }
    void showReport(int index);
    const nlohmann::json& reportAt(int index) const { return m_entries.at(size_t(index)).report; }
    QString reportLabel(int index) const { return m_entries.at(size_t(index)).label; }
    int runCount() const { return int(m_runs.size()); }
    QString sourceText() const;  // where the report shown comes from (the line above the table)

    QTableWidget* table() const { return m_table; }
    QTableWidget* pairedTable() const { return m_paired; }
    BarChartView* chart() const { return m_chart; }

signals:
    void reportChanged();

private:
    struct Entry {
        QString label;   // in the Showing box
        QString source;  // the line above the table
        QString file;    // the file it was read from (empty: made in this window)
        nlohmann::json report;
    };
    void display();
    void refreshShowing();
    void askClear();

    Engine& m_engine;
    RequestFactory m_requests;
    ExperimentFactory m_experiment;
    std::vector<RunResult> m_runs;
    std::vector<Entry> m_entries;
    int m_current = -1;
    int m_runsEntry = -1;  // the entry of the runs made in this window (-1: none yet)
    QComboBox* m_showing = nullptr;
    std::vector<QCheckBox*> m_arms;
    QSpinBox* m_seeds = nullptr;
    QLabel* m_source = nullptr;
    QTableWidget* m_table = nullptr;
    QTableWidget* m_paired = nullptr;
    BarChartView* m_chart = nullptr;
};

}  // namespace prunescope::ui
