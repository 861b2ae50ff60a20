#include "core/pipeline/experiment_report.h"

#include <cmath>
#include <cstdio>

#include <torch/version.h>

#include "core/attribution/attribution_file.h"
#include "core/util/files.h"
#include "core/util/stats.h"

namespace prunescope {
Paired pairedDifference(const std::vector<double>& a, const std::vector<double>& b) {
    Paired p;
    std::vector<double> d;
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
        d.push_back(a[i] - b[i]);
        p.wins += a[i] > b[i];
    }
    p.n = static_cast<int>(d.size());
    p.meanDiff = mean(d);
    p.stdErr = d.size() > 1 ? sampleStd(d) / std::sqrt(static_cast<double>(d.size())) : 0;
    return p;
}

nlohmann::json pairedEntry(const std::string& arm, const std::string& versus, const std::string& dataset,
                           const Paired& p) {
    return {{"arm", arm},
            {"versus", versus},
            {"dataset", dataset},
            {"mean_diff", p.meanDiff},
            {"std_err", p.stdErr},
            {"wins", p.wins},
            {"n", p.n},
            {"exceeds_2se", p.n > 1 && p.meanDiff > 2 * p.stdErr}};
}

ExperimentReport::ExperimentReport(const ExperimentConfig& config, std::string modelFingerprint)
    : m_config(config), m_modelFingerprint(std::move(modelFingerprint)) {}

void ExperimentReport::addBase(const std::string& dataset, const std::string& fingerprint, const EvalResult& r) {
    bool id = m_datasets.empty();  // the first evaluation set is the in-distribution test split
    m_datasets.push_back({{"name", dataset},
                          {"kind", id ? "id" : "ood"},
                          {"fingerprint", fingerprint},
                          {"questions", r.confidence.size()}});
    m_base.push_back({{"dataset", dataset}, {"accuracy", r.accuracy}, {"mean_confidence", r.meanConfidence}});
    if (id) m_confidence["base"] = {{"confidence", r.confidence}, {"correct", r.correct}};
}

void ExperimentReport::setAttribution(const std::filesystem::path& file, const AttributionFile& a,
                                      const NeuronMask& mask) {
    double error = 0;
    for (const auto& r : a.aggregate.records()) error += r.completenessError;
    m_attribution = {
        {"file", file.string()},
        {"questions", a.aggregate.count()},
        {"selected_of_scored", a.meta["selection"]},
        {"mean_completeness_error", a.aggregate.count() ? error / static_cast<double>(a.aggregate.count()) : 0.0},
        {"mask", "mask-ig.json"},
        {"pruned", mask.count()},
        {"pruned_per_layer", mask.perLayerCounts()},
        {"layers", mask.nLayer},
        {"neurons", mask.nNeuron}};
}

void ExperimentReport::addResult(const std::string& arm, uint64_t seed, const std::string& dataset,
                                 const EvalResult& r) {
    m_results.push_back({{"arm", arm},
                         {"seed", seed},
                         {"dataset", dataset},
                         {"accuracy", r.accuracy},
                         {"mean_confidence", r.meanConfidence}});
    if (dataset == m_datasets[0]["name"] && !m_confidence.contains(arm)) {
        m_confidence[arm] = {{"seed", seed}, {"confidence", r.confidence}, {"correct", r.correct}};
    }
}

void ExperimentReport::addTraining(const std::string& arm, uint64_t seed, const nlohmann::json& history) {
    m_training.push_back(
        {{"arm", arm},
         {"seed", seed},
         {"steps", history.value("steps", 0)},
         {"best_step", history.value("best_step", 0)},
         {"best_validation_accuracy", history.value("best_validation_accuracy", -1.0)},
         {"final_loss", history["history"].empty() ? 0.0 : history["history"].back().value("loss", 0.0)}});
}

nlohmann::json ExperimentReport::write() const {
    // accuracy[arm][dataset] in seed order
    std::map<std::string, std::map<std::string, std::vector<double>>> acc;
    for (const auto& r : m_results) acc[r["arm"]][r["dataset"]].push_back(r["accuracy"].get<double>());
    nlohmann::json summary = nlohmann::json::array(), paired = nlohmann::json::array();
    for (const auto& arm : m_config.arms) {
        for (const auto& d : m_datasets) {
            const auto& v = acc[arm][d["name"]];
            summary.push_back(
                {{"arm", arm}, {"dataset", d["name"]}, {"mean", mean(v)}, {"std", sampleStd(v)}, {"n", v.size()}});
        }
    }
    std::vector<std::pair<std::string, std::string>> comparisons;
    for (const auto& arm : m_config.arms) {
        if (arm != "plain" && acc.count("plain")) comparisons.emplace_back(arm, "plain");
    }
    for (const char* other : {"random", "magnitude", "random-matched", "prune-only"}) {
        if (acc.count("ig") && acc.count(other)) comparisons.emplace_back("ig", other);
    }
    for (const auto& [a, b] : comparisons) {
        for (const auto& d : m_datasets) {
            paired.push_back(pairedEntry(a, b, d["name"], pairedDifference(acc[a][d["name"]], acc[b][d["name"]])));
        }
    }
    nlohmann::json fingerprints = {{"model", m_modelFingerprint}};
    for (const auto& d : m_datasets) fingerprints["datasets"][d["name"].get<std::string>()] = d["fingerprint"];
    nlohmann::json report = {
        {"format", "prunescope.report"},
        {"version", 1},
        {"arms", m_config.arms},
        {"seeds", m_config.seeds},
        {"datasets", m_datasets},
        {"base", m_base},
        {"results", m_results},
        {"summary", summary},
        {"paired", paired},
        {"training", m_training},
        {"attribution", m_attribution},
        {"confidence", m_confidence},
        {"settings", m_config.toJson()},
        {"fingerprints", fingerprints},
        {"versions", {{"prunescope", PRUNESCOPE_VERSION}, {"libtorch", TORCH_VERSION}}},
        {"plots", {{"accuracy", "accuracy.png"}, {"confidence", "confidence.png"}, {"heatmap", "heatmap.png"}}}};
    writeJsonAtomic(m_config.out / "report.json", report);
    writeFileAtomic(m_config.out / "report.md", reportMarkdown(report));
    return report;
}

std::string reportMarkdown(const nlohmann::json& r) {
    std::string md = "# Prunescope experiment report\n\n";
    const auto& s = r["settings"];
    md += "Model: `" + s["model"].get<std::string>() + "` (fingerprint `" +
          r["fingerprints"]["model"].get<std::string>() + "`)\n\n";
    md += "Seeds: " + r["seeds"].dump() +
          ". Every arm of a seed fine-tunes the same base model; only the data order "
          "(and, for the random arm, the mask) depends on the seed.\n\n";
    md += "## Accuracy (mean ± std over seeds)\n\n| arm |";
    for (const auto& d : r["datasets"])
        md += " " + d["name"].get<std::string>() + " (" + d["kind"].get<std::string>() + ") |";
    md += "\n|---|";
    for (size_t i = 0; i < r["datasets"].size(); ++i) md += "---|";
    md += "\n| base model |";
    for (const auto& b : r["base"]) md += formatNumbers(" %.3f |", b["accuracy"].get<double>());
    for (const auto& arm : r["arms"]) {
        md += "\n| " + arm.get<std::string>() + " |";
        for (const auto& e : r["summary"]) {
            if (e["arm"] == arm) md += formatNumbers(" %.3f ± %.3f |", e["mean"].get<double>(), e["std"].get<double>());
        }
    }
    md += "\n\n";
    if (!r["paired"].empty()) {
        md +=
            "## Paired differences per seed\n\n| comparison | dataset | mean difference | standard error | wins | > 2 "
            "SE |\n|---|---|---|---|---|---|\n";
        for (const auto& p : r["paired"]) {
            md += "| " + p["arm"].get<std::string>() + " − " + p["versus"].get<std::string>() + " | " +
                  p["dataset"].get<std::string>() + " |" + formatNumbers(" %+.3f |", p["mean_diff"].get<double>()) +
                  formatNumbers(" %.3f |", p["std_err"].get<double>()) + " " + std::to_string(p["wins"].get<int>()) +
                  "/" + std::to_string(p["n"].get<int>()) + " | " + (p["exceeds_2se"].get<bool>() ? "yes" : "no") +
                  " |\n";
        }
        md += "\n";
    }
    if (!r["attribution"].is_null()) {
        const auto& a = r["attribution"];
        md += "## Attribution and pruning\n\n";
        md += "Integrated Gradients on " + std::to_string(a["questions"].get<int64_t>()) + " questions (" +
              a["selected_of_scored"].dump() + "); mean completeness error " +
              formatNumbers("%.2e", a["mean_completeness_error"].get<double>()) + ".\n";
        md += "Pruned " + std::to_string(a["pruned"].get<int64_t>()) + " neurons; per layer " +
              a["pruned_per_layer"].dump() +
              ". The random and magnitude baselines prune the same number in every layer.\n\n";
    }
    md += "## Plots\n\n![accuracy](accuracy.png)\n\n![confidence](confidence.png)\n\n![heatmap](heatmap.png)\n\n";
    md += "## Settings\n\n```json\n" + s.dump(2) + "\n```\n\n## Fingerprints\n\n```json\n" + r["fingerprints"].dump(2) +
          "\n```\n";
    md += "\nPrunescope " + r["versions"]["prunescope"].get<std::string>() + ", LibTorch " +
          r["versions"]["libtorch"].get<std::string>() + "\n";
    return md;
}

}  // namespace prunescope
