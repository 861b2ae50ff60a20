#include "core/demo/demo_report.h"

#include <cmath>
#include <cstdio>
#include <map>

#include <torch/version.h>

#include "core/demo/synthetic_task.h"
#include "core/eval/mcq_items.h"
#include "core/model/model_io.h"
#include "core/pipeline/experiment_report.h"
#include "core/prune/neuron_mask.h"
#include "core/prune/selection.h"
#include "core/session/session_file.h"
#include "core/settings/ig_settings.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/files.h"
#include "core/util/stats.h"

namespace fs = std::filesystem;

namespace prunescope {
namespace {

const char* kArms[] = {"plain", "ig", "random", "magnitude"};

std::string relativeTo(const fs::path& p, const fs::path& base) {
    return fs::relative(p, base).generic_string();
}

// What the model panel's tokenizer box starts with: the first test question, as the model sees it.
std::string tokenizerSample(const fs::path& test) {
    const auto data = loadMcqDataset(test, withFormat(McqFormat::Jsonl));
    return data.questions.empty() ? std::string() : formatLetterPrompt(data.questions.front(), demoPromptTemplate());
}

}  // namespace

double cueFollowing(const std::vector<QuestionScore>& scores, const McqDataset& data) {
    if (scores.empty()) return 0;
    int64_t follow = 0;
    for (size_t i = 0; i < scores.size(); ++i) follow += scores[i].predicted == cueLetter(data.questions[i]);
    return static_cast<double>(follow) / static_cast<double>(scores.size());
}

nlohmann::json groundTruth(const fs::path& modelDir, const fs::path& runDir, const fs::path& idTest,
                           const fs::path& uncorrelated, const fs::path& reversed, uint64_t seed,
                           const CancelFlag* cancel) {
    auto model = loadModel(modelDir, {"cpu"});
    auto tokenizer = Tokenizer::fromDirectory(modelDir);
    auto load = [&](const fs::path& f) { return loadMcqDataset(f, withFormat(McqFormat::Jsonl)); };
    auto id = load(idTest), unc = load(uncorrelated), rev = load(reversed);
    auto prompt = demoPromptTemplate();
    auto idItems = buildScoringItems(id, tokenizer, ScoringMode::Letter, prompt);
    auto uncItems = buildScoringItems(unc, tokenizer, ScoringMode::Letter, prompt);
    auto revItems = buildScoringItems(rev, tokenizer, ScoringMode::Letter, prompt);
    std::vector<std::pair<std::string, fs::path>> masks = {
        {"none", {}},
        {"ig", runDir / "mask-ig.json"},
        {"random", runDir / ("mask-random-seed" + std::to_string(seed) + ".json")},
        {"magnitude", runDir / "mask-magnitude.json"}};
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [name, file] : masks) {
        NeuronHook hook(model->config().nLayer);
        if (!file.empty()) readMask(file).applyTo(hook, torch::kCPU);
        ScoringOptions o;
        o.batchSize = 256;
        o.hook = &hook;
        auto idScores = scoreItems(*model, idItems, o, {}, cancel);
        auto uncScores = scoreItems(*model, uncItems, o, {}, cancel);
        auto revScores = scoreItems(*model, revItems, o, {}, cancel);
        out[name] = {{"id", summarize(idScores).accuracy},
                     {"ood-uncorrelated", summarize(uncScores).accuracy},
                     {"ood-reversed", summarize(revScores).accuracy},
                     {"reversed_cue_following", cueFollowing(revScores, rev)}};
    }
    return out;
}

DemoReport::DemoReport(const DemoDesign& design, fs::path out) : m_design(design), m_out(std::move(out)) {}

void DemoReport::addSeed(uint64_t seed, const fs::path& model, const fs::path& runDir, const nlohmann::json& experiment,
                         const nlohmann::json& truth) {
    m_seeds.push_back(seed);
    m_models.push_back(model);
    m_runs.push_back(runDir);
    m_experiments.push_back(experiment);
    m_groundTruth.push_back(truth);
}

nlohmann::json DemoReport::write(const fs::path& train, const fs::path& test, const fs::path& uncorrelated,
                                 const fs::path& reversed) const {
    const auto& first = m_experiments.front();
    nlohmann::json datasets = first["datasets"];
    std::map<std::string, std::map<std::string, std::vector<double>>> acc;  // arm -> dataset -> per seed
    std::map<std::string, std::vector<double>> base;
    nlohmann::json results = nlohmann::json::array(), perSeed = nlohmann::json::array();
    for (size_t k = 0; k < m_experiments.size(); ++k) {
        const auto& e = m_experiments[k];
        for (const auto& r : e["results"]) {
            results.push_back(r);
            acc[r["arm"]][r["dataset"]].push_back(r["accuracy"].get<double>());
        }
        for (const auto& b : e["base"]) base[b["dataset"]].push_back(b["accuracy"].get<double>());
        perSeed.push_back({{"seed", m_seeds[k]},
                           {"model", relativeTo(m_models[k], m_out)},
                           {"model_fingerprint", e["fingerprints"]["model"]},
                           {"pruned", e["attribution"].value("pruned", 0)},
                           {"pruned_per_layer", e["attribution"].value("pruned_per_layer", nlohmann::json())},
                           {"attributed_questions", e["attribution"].value("questions", 0)},
                           {"mean_completeness_error", e["attribution"].value("mean_completeness_error", 0.0)},
                           {"training", fs::exists(m_models[k] / "demo-training.json")
                                            ? readJsonFile(m_models[k] / "demo-training.json")
                                            : nlohmann::json::object()}});
    }
    nlohmann::json summary = nlohmann::json::array(), paired = nlohmann::json::array(),
                   baseRows = nlohmann::json::array();
    for (const auto& d : datasets)
        baseRows.push_back(
            {{"dataset", d["name"]}, {"accuracy", mean(base[d["name"]])}, {"std", sampleStd(base[d["name"]])}});
    for (const char* arm : kArms) {
        for (const auto& d : datasets) {
            const auto& v = acc[arm][d["name"]];
            summary.push_back(
                {{"arm", arm}, {"dataset", d["name"]}, {"mean", mean(v)}, {"std", sampleStd(v)}, {"n", v.size()}});
        }
    }
    for (auto [a, b] : {std::pair{"ig", "plain"},
                        {"ig", "random"},
                        {"ig", "magnitude"},
                        {"random", "plain"},
                        {"magnitude", "plain"}}) {
        for (const auto& d : datasets) {
            auto p = pairedDifference(acc[a][d["name"]], acc[b][d["name"]]);
            paired.push_back({{"arm", a},
                              {"versus", b},
                              {"dataset", d["name"]},
                              {"mean_diff", p.meanDiff},
                              {"std_err", p.stdErr},
                              {"wins", p.wins},
                              {"n", p.n},
                              {"exceeds_2se", p.n > 1 && p.meanDiff > 2 * p.stdErr}});
        }
    }
    // The target: IG - plain and IG - random exceed 2 SE on OOD, ID within 1 point of plain.
    auto find = [&](const char* a, const char* b, const std::string& d) {
        for (const auto& p : paired)
            if (p["arm"] == a && p["versus"] == b && p["dataset"] == d) return p;
        return nlohmann::json();
    };
    nlohmann::json target = nlohmann::json::object();
    bool met = true;
    for (const auto& d : datasets) {
        if (d["kind"] != "ood") continue;
        for (const char* other : {"plain", "random"}) {
            bool ok = find("ig", other, d["name"]).value("exceeds_2se", false);
            target[std::string("ig_minus_") + other + " on " + d["name"].get<std::string>()] = ok;
            met = met && ok;
        }
    }
    double idLoss = find("ig", "plain", datasets[0]["name"]).value("mean_diff", 0.0);
    target["id_loss_within_1_point"] = idLoss >= -0.01;
    met = met && idLoss >= -0.01;
    target["met"] = met;
    // Ground truth: mean over seeds.
    nlohmann::json truth = nlohmann::json::object();
    for (const char* mask : {"none", "ig", "random", "magnitude"}) {
        for (const char* metric : {"id", "ood-uncorrelated", "ood-reversed", "reversed_cue_following"}) {
            std::vector<double> v;
            for (const auto& g : m_groundTruth) v.push_back(g[mask][metric].get<double>());
            truth[mask][metric] = {{"mean", mean(v)}, {"std", sampleStd(v)}};
        }
    }
    nlohmann::json fingerprints = {{"models", nlohmann::json::array()}};
    for (const auto& s : perSeed) fingerprints["models"].push_back(s["model_fingerprint"]);
    fingerprints["datasets"] = first["fingerprints"]["datasets"];
    auto attribution = first["attribution"];
    if (attribution.contains("file")) attribution["file"] = relativeTo(attribution["file"].get<std::string>(), m_out);
    attribution["mask"] = relativeTo(m_runs.front() / "mask-ig.json", m_out);
    nlohmann::json report = {
        {"format", "prunescope.report"},
        {"version", 1},
        {"arms", {"plain", "ig", "random", "magnitude"}},
        {"seeds", m_seeds},
        {"datasets", datasets},
        {"base", baseRows},
        {"results", results},
        {"summary", summary},
        {"paired", paired},
        {"attribution", attribution},
        {"confidence", first["confidence"]},
        {"settings", {{"demo", m_design.toJson()}, {"experiment", first["settings"]}}},
        {"fingerprints", fingerprints},
        {"versions", {{"prunescope", PRUNESCOPE_VERSION}, {"libtorch", TORCH_VERSION}}},
        {"plots", {{"accuracy", "accuracy.png"}, {"confidence", "confidence.png"}, {"heatmap", "heatmap.png"}}},
        {"demo",
         {{"per_seed", perSeed},
          {"ground_truth", truth},
          {"ground_truth_per_seed", m_groundTruth},
          {"target", target}}}};
    writeJsonAtomic(m_out / "report.json", report);
    writeFileAtomic(m_out / "report.md", demoMarkdown(report));
    // The session the GUI opens on the demo: the panels as the demo ran (confidence threshold, IG
    // settings, the global top-p % rule), with the settings' own keys.
    SessionFile session;
    session.model = m_models.front();
    session.datasets = {{train, "train", "jsonl", "train (cued)"},
                        {test, "test", "jsonl", "id"},
                        {uncorrelated, "ood", "jsonl", "ood-uncorrelated"},
                        {reversed, "ood", "jsonl", "ood-reversed"}};
    if (attribution.contains("file")) session.attributions = m_out / attribution["file"].get<std::string>();
    session.mask = m_runs.front() / "mask-ig.json";
    session.report = m_out / "report.json";
    using namespace settings;
    SelectionSpec selection;
    selection.percent = m_design.prunePercent;
    auto selectionJson = selection.toJson();
    selectionJson["value"] = m_design.prunePercent;
    session.settings = {{"prompt",
                         {{"template", first["settings"]["scoring"]["template"]},
                          {"option_template", first["settings"]["scoring"]["option_template"]}}},
                        {"score", {{"threshold", m_design.minConfidence}}},
                        {"attribution",
                         {{kMinConfidence.key, m_design.minConfidence},
                          {kAttributeLimit.key, m_design.attributeQuestions},
                          {kIgSteps.key, m_design.steps}}},
                        {"selection", selectionJson},
                        // What the model panel's tokenizer box starts with: a demo question, as the model sees it.
                        {"tokenizer_sample", tokenizerSample(test)}};
    writeSessionFile(m_out / "demo.prunescope", session);
    return report;
}

}  // namespace prunescope
