// The demo's evidence: the experiment of every seed (each on its own base model), the ground-truth
// check only a planted shortcut allows, and the combined report (report.json in the experiment
// schema plus a "demo" section, report.md, and demo.prunescope for the GUI).
#pragma once

#include <filesystem>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "core/data/mcq.h"
#include "core/demo/demo_design.h"
#include "core/eval/scoring.h"
#include "core/prune/neuron_mask.h"
#include "core/util/progress.h"

namespace prunescope {

// On base model `model` (no fine-tuning): accuracy in and out of distribution and how often the
// model follows the reversed cue, with no neurons ablated and with only the IG, random, magnitude
// or damage-matched random selection of `runDir` ablated. Then, independent of IG, each neuron's
// own effect on the cue (cueEffects on `probe`): the neurons with the largest effects, as many as
// IG selected, are the "true cue neurons" (runDir/mask-true-cue.json, effects in
// runDir/cue-effects.safetensors), and each selection's precision and recall against them.
nlohmann::json groundTruth(const std::filesystem::path& model, const std::filesystem::path& runDir,
                           const std::filesystem::path& idTest, const std::filesystem::path& uncorrelated,
                           const std::filesystem::path& reversed, const std::filesystem::path& probe, uint64_t seed,
                           const CancelFlag* cancel);

// Each FFN neuron's own effect on following the cue: the mean drop, over `probe`'s questions, of
// the probability (over the options) of the letter the cue points to when that neuron alone is
// zeroed (at every position). (nLayer, nNeuron) float64; positive: the neuron helps the cue.
at::Tensor cueEffects(CausalLM& model, const std::vector<ScoringItem>& items, const McqDataset& probe,
                      const CancelFlag* cancel = nullptr);

// Precision and recall of `selected` against `truth` (both masks of one model shape).
struct Overlap {
    int64_t common = 0;
    double precision = 0;  // common / |selected|
    double recall = 0;     // common / |truth|
};
Overlap maskOverlap(const NeuronMask& selected, const NeuronMask& truth);

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
