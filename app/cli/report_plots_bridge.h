// The report's plots are drawn with the GUI's plot views (Qt, offscreen). Without the GUI
// (PRUNESCOPE_BUILD_GUI=OFF) the CLI writes the report without plots and says so.
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

namespace prunescope::cli {

// Writes accuracy.png, confidence.png and heatmap.png beside report.json; logs a warning on failure.
void renderExperimentPlots(const nlohmann::json& report, const std::filesystem::path& dir);

}  // namespace prunescope::cli
