#include "app/cli/report_plots_bridge.h"

#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/attribution/attribution_file.h"
#include "core/prune/neuron_mask.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/log.h"

#ifdef PRUNESCOPE_CLI_QT
#include "ui/report/report_plots.h"
#endif

namespace prunescope::cli {

#ifdef PRUNESCOPE_CLI_QT
namespace {

namespace fs = std::filesystem;

fs::path resolve(const std::string& file, const fs::path& dir) {
    fs::path p(file);
    return p.is_absolute() ? p : dir / p;
}

// The heatmap's scores (the selection's score) and the pruned neurons, when the files are there.
void addAttribution(const nlohmann::json& report, const fs::path& dir, ui::ReportPlotInput& input) {
    const auto& attribution = report.value("attribution", nlohmann::json::object());
    const std::string file = attribution.value("file", "");
    if (file.empty()) return;
    auto attributions = readAttributionFile(resolve(file, dir));
    std::string score = "mean";
    if (report.contains("settings") && report["settings"].contains("selection"))
        score = report["settings"]["selection"].value("score", score);
    auto scores = attributions.aggregate.score(parseScoreSpec(score)).to(torch::kFloat32).contiguous();
    input.nLayer = attributions.aggregate.nLayer();
    input.nNeuron = attributions.aggregate.nNeuron();
    input.scores.assign(scores.data_ptr<float>(), scores.data_ptr<float>() + scores.numel());
    const std::string mask = attribution.value("mask", "");
    if (!mask.empty() && fs::exists(resolve(mask, dir))) {
        auto m = readMask(resolve(mask, dir));
        checkMaskFits(m, input.nLayer, input.nNeuron, resolve(mask, dir).string());
        input.pruned = m.flat();
    }
}

// QImage::save does not see a write that fails when its buffer is flushed (a full disk): a PNG is
// whole when it has its signature and ends with its IEND chunk.
bool completePng(const fs::path& file) {
    static const std::string signature("\x89PNG\r\n\x1a\n", 8);
    static const std::string end("\0\0\0\0IEND\xae\x42\x60\x82", 12);
    std::string bytes;
    try {
        bytes = readTextFile(file);
    } catch (const Error&) {
        return false;
    }
    return bytes.size() >= signature.size() + end.size() && bytes.compare(0, signature.size(), signature) == 0 &&
           bytes.compare(bytes.size() - end.size(), end.size(), end) == 0;
}

// Moves the PNGs drawn in `staging` into `dir` (one rename each) once every one is whole; returns
// what went wrong, naming the file in `dir`, or "".
std::string movePlotsIn(const fs::path& staging, const fs::path& dir) {
    for (const auto& e : fs::directory_iterator(staging)) {
        if (!completePng(e.path())) return (dir / e.path().filename()).string() + ": write failed (disk full?)";
    }
    for (const auto& e : fs::directory_iterator(staging)) {
        std::error_code ec;
        fs::rename(e.path(), dir / e.path().filename(), ec);
        if (ec)
            return (dir / e.path().filename()).string() + ": cannot move the finished file into place: " + ec.message();
    }
    return {};
}

// Confidence before (the base model) and after (the IG-pruned arm, else plain fine-tuning).
void addConfidence(const nlohmann::json& report, ui::ReportPlotInput& input) {
    const auto& confidence = report.value("confidence", nlohmann::json::object());
    auto take = [&](const char* arm, std::vector<float>& conf, std::vector<uint8_t>& correct) {
        if (!confidence.contains(arm)) return false;
        for (const auto& c : confidence[arm].value("confidence", nlohmann::json::array()))
            conf.push_back(c.get<float>());
        for (const auto& c : confidence[arm].value("correct", nlohmann::json::array())) {
            correct.push_back(c.is_boolean() ? uint8_t(c.get<bool>()) : uint8_t(c.get<double>() != 0));
        }
        return true;
    };
    take("base", input.confidenceBefore, input.correctBefore);
    if (!take("ig", input.confidenceAfter, input.correctAfter))
        take("plain", input.confidenceAfter, input.correctAfter);
}

}  // namespace

void renderExperimentPlots(const nlohmann::json& report, const std::filesystem::path& dir) {
    auto logger = log::get("report");
    ui::ReportPlotInput input;
    input.report = report;
    try {
        addAttribution(report, dir, input);
    } catch (const std::exception& e) {
        logger->warn("no heatmap: {}", e.what());
        input.nLayer = input.nNeuron = 0;
        input.scores.clear();
        input.pruned.clear();
    }
    addConfidence(report, input);
    // Drawn in a folder beside the report and moved in once all are drawn and whole: a kill or a
    // full disk never leaves a half-written PNG in place of the previous one.
    std::string error;
    try {
        const fs::path staging = stagingDirectoryFor(dir / "plots");
        if (ui::renderReportPlots(input, staging, &error)) {
            error = movePlotsIn(staging, dir);
        } else {
            // Name the file where it belongs, not in the temporary folder.
            for (size_t at = error.find(staging.string()); at != std::string::npos; at = error.find(staging.string()))
                error.replace(at, staging.string().size(), dir.string());
        }
        std::error_code ec;
        fs::remove_all(staging, ec);
    } catch (const std::exception& e) {
        error = e.what();
    }
    if (!error.empty()) logger->warn("plots not drawn: {}", error);
}

#else

void renderExperimentPlots(const nlohmann::json&, const std::filesystem::path&) {
    log::get("report")->warn("this build has no GUI libraries (PRUNESCOPE_BUILD_GUI=OFF): the report has no plots");
}

#endif

}  // namespace prunescope::cli
