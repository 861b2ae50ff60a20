// The demo's evidence: the experiment of every seed (each on its own base model), the ground-truth
// check only a planted shortcut allows, and the combined report (report.json in the experiment
// schema plus a "demo" section, report.md, and demo.prunescope for the GUI).
#pragma once

#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/data/mcq.h"
#include "core/demo/demo_design.h"
#include "core/eval/scoring.h"
#include "core/util/progress.h"

namespace prunescope {

// On base model `model` (no fine-tuning): accuracy in and out of distribution and how often the
// model follows the reversed cue, with no neurons ablated and with only the IG, random or magnitude
// selection of `runDir` ablated.
nlohmann::json groundTruth(const std::filesystem::path& model, const std::filesystem::path& runDir,
                           const std::filesystem::path& idTest, const std::filesystem::path& uncorrelated,
                           const std::filesystem::path& reversed, uint64_t seed, const CancelFlag* cancel);

// The share of `data`'s questions answered with the letter their cue points to.
double cueFollowing(const std::vector<QuestionScore>& scores, const McqDataset& data);

// report.md of the demo from its report.json.
std::string demoMarkdown(const nlohmann::json& report);

class DemoReport {
public:
    DemoReport(const DemoDesign& design, std::filesystem::path out);

    void addSeed(uint64_t seed, const std::filesystem::path& model, const std::filesystem::path& runDir,
                 const nlohmann::json& experiment, const nlohmann::json& groundTruth);

    // Writes report.json, report.md and demo.prunescope into the demo folder; returns report.json.
    nlohmann::json write(const std::filesystem::path& train, const std::filesystem::path& test,
                         const std::filesystem::path& uncorrelated, const std::filesystem::path& reversed) const;

private:
    DemoDesign m_design;
    std::filesystem::path m_out;
    std::vector<uint64_t> m_seeds;
    std::vector<nlohmann::json> m_experiments;
    std::vector<nlohmann::json> m_groundTruth;
    std::vector<std::filesystem::path> m_models, m_runs;
};

}  // namespace prunescope
