#include "app/cli/report_plots_bridge.h"

#include "core/util/log.h"

namespace prunescope::cli {

void renderExperimentPlots(const nlohmann::json&, const std::filesystem::path&) {
    log::get("report")->warn("plots are not drawn yet");
}

}  // namespace prunescope::cli
