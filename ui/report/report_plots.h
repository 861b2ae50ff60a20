// The report's figures as PNG files, for the CLI and the pipeline (works without a running
// QApplication: one is created on the offscreen platform for the call).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace prunescope::ui {

struct ReportPlotInput {
    nlohmann::json report;  // report.json (may be null: no accuracy.png)
    int64_t nLayer = 0, nNeuron = 0;
    std::vector<float> scores;    // (nLayer, nNeuron) attribution scores
    std::vector<uint8_t> pruned;  // (nLayer, nNeuron) 1 = pruned; may be empty
    std::vector<float> confidenceBefore;
    std::vector<uint8_t> correctBefore;
    std::vector<float> confidenceAfter;
    std::vector<uint8_t> correctAfter;
};

// Writes into `dir` (created if needed), each only when its data is present:
//   accuracy.png   accuracy per arm with error bars (std over seeds), grouped by dataset, and the
//                  base model's accuracy as its own series;
//   confidence.png confidence histograms before / after (correct and wrong stacked);
//   heatmap.png    the attribution heatmap with the pruned neurons marked.
// Returns false and sets `error` (when given) on the first failure.
bool renderReportPlots(const ReportPlotInput& input, const std::filesystem::path& dir, std::string* error = nullptr);

}  // namespace prunescope::ui
