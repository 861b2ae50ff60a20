// report.json (schema in docs/gui.md and docs/experiments.md) as tables, and the same report built
// from the fine-tuning runs made in the window (the Compare panel's "baselines from this window").
#pragma once

#include <QColor>
#include <QString>
#include <QStringList>

#include <vector>

#include <nlohmann/json.hpp>

#include "ui/worker/engine_types.h"

namespace prunescope::ui {

struct PairedRow {
    QString arm, versus, dataset;
    double meanDiff = 0, stdErr = 0;
    int wins = 0, n = 0;
};

struct ReportTable {
    QStringList datasets;
    QStringList datasetKinds;  // id, ood
    QStringList arms;
    std::vector<std::vector<double>> mean;  // [arm][dataset]; NaN when missing
    std::vector<std::vector<double>> std;   // [arm][dataset]; NaN when missing
    std::vector<std::vector<int>> n;        // [arm][dataset]
    std::vector<double> base;               // [dataset]; NaN when missing
    std::vector<PairedRow> paired;

    bool empty() const { return arms.isEmpty() || datasets.isEmpty(); }
};

// The accuracy chart of a report (the Compare panel's, accuracy.png): one group of bars per
// dataset, the base model's accuracy first when the report has it, then each arm (mean, with the
// standard deviation over seeds as error bar), each arm in its own colour (armColor).
struct AccuracyBars {
    QStringList categories;                           // datasets
    QStringList series;                               // "base" (when known), then the arms
    std::vector<std::vector<double>> values, errors;  // [dataset][series]
    std::vector<QColor> colors;                       // [series]
};
AccuracyBars accuracyBars(const ReportTable& table);

// Reads the summary, base and paired sections. Throws prunescope::Error (field named) when the
// JSON is not a report.
ReportTable reportTable(const nlohmann::json& report);

// A report in the same schema from runs made in the window: summary = mean and sample standard
// deviation over seeds; paired = each arm against "plain" on the seeds both ran.
nlohmann::json buildReport(const std::vector<RunResult>& runs);

}  // namespace prunescope::ui
