#include "core/demo/demo_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>

#include <torch/torch.h>
#include <torch/version.h>

#include "core/demo/synthetic_task.h"
#include "core/eval/mcq_items.h"
#include "core/model/model_io.h"
#include "core/model/neuron_hook.h"
#include "core/model/safetensors.h"
#include "core/pipeline/experiment_report.h"
#include "core/prune/neuron_mask.h"
#include "core/prune/selection.h"
#include "core/session/session_file.h"
#include "core/settings/ig_settings.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/files.h"
#include "core/util/hypothesis.h"
#include "core/util/stats.h"

namespace fs = std::filesystem;

namespace prunescope {
namespace {

const char* kArms[] = {"plain", "ig", "random", "magnitude", "random-matched", "prune-only"};
const char* kMasks[] = {"none", "ig", "random", "magnitude", "random-matched"};

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

at::Tensor cueEffects(CausalLM& model, const std::vector<ScoringItem>& items, const McqDataset& probe,
                      const CancelFlag* cancel) {
    const auto& c = model.config();
    ScoringOptions o;
    o.batchSize = 256;
    // The probability of the cue's letter, per question, with `hook` as set.
    auto cueProbability = [&](NeuronHook* hook) {
        o.hook = hook;
        const auto scores = scoreItems(model, items, o, {}, cancel);
        std::vector<double> p(scores.size());
        for (size_t i = 0; i < scores.size(); ++i)
            p[i] = scores[i].probs.at(static_cast<size_t>(cueLetter(probe.questions[i])));
        return p;
    };
    NeuronHook none(c.nLayer);
    const auto base = cueProbability(&none);
    auto effects = torch::zeros({c.nLayer, c.nNeuron}, torch::kDouble);
    for (int64_t l = 0; l < c.nLayer; ++l) {
        for (int64_t n = 0; n < c.nNeuron; ++n) {
            NeuronHook hook(c.nLayer);
            auto keep = torch::ones({c.nNeuron});
            keep[n] = 0;
            hook.setMask(l, keep.to(model.unembedding().device()));
            const auto ablated = cueProbability(&hook);
            double drop = 0;
            for (size_t i = 0; i < base.size(); ++i) drop += base[i] - ablated[i];
            effects[l][n] = drop / static_cast<double>(std::max<size_t>(1, base.size()));
        }
    }
    return effects;
}

Overlap maskOverlap(const NeuronMask& selected, const NeuronMask& truth) {
    Overlap o;
    for (int64_t l = 0; l < truth.nLayer; ++l)
        for (int32_t n : selected.pruned[static_cast<size_t>(l)]) o.common += truth.contains(l, n) ? 1 : 0;
    o.precision = selected.count() > 0 ? static_cast<double>(o.common) / static_cast<double>(selected.count()) : 0;
    o.recall = truth.count() > 0 ? static_cast<double>(o.common) / static_cast<double>(truth.count()) : 0;
    return o;
}

nlohmann::json groundTruth(const fs::path& modelDir, const fs::path& runDir, const fs::path& idTest,
                           const fs::path& uncorrelated, const fs::path& reversed, const fs::path& probeFile,
                           uint64_t seed, const CancelFlag* cancel) {
    auto model = loadModel(modelDir, {"cpu"});
    auto tokenizer = Tokenizer::fromDirectory(modelDir);
    auto load = [&](const fs::path& f) { return loadMcqDataset(f, withFormat(McqFormat::Jsonl)); };
    auto id = load(idTest), unc = load(uncorrelated), rev = load(reversed), probe = load(probeFile);
    auto prompt = demoPromptTemplate();
    auto idItems = buildScoringItems(id, tokenizer, ScoringMode::Letter, prompt);
    auto uncItems = buildScoringItems(unc, tokenizer, ScoringMode::Letter, prompt);
    auto revItems = buildScoringItems(rev, tokenizer, ScoringMode::Letter, prompt);
    auto probeItems = buildScoringItems(probe, tokenizer, ScoringMode::Letter, prompt);
    const std::string s = std::to_string(seed);
    std::vector<std::pair<std::string, fs::path>> masks = {
        {"none", {}},
        {"ig", runDir / "mask-ig.json"},
        {"random", runDir / ("mask-random-seed" + s + ".json")},
        {"magnitude", runDir / "mask-magnitude.json"},
        {"random-matched", runDir / ("mask-random-matched-seed" + s + ".json")}};
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
    // Neuron by neuron, without IG: the true cue neurons, as many as IG selected.
    const auto effects = cueEffects(*model, probeItems, probe, cancel);
    writeSafetensors(runDir / "cue-effects.safetensors", {{"effect", effects}});
    const auto ig = readMask(runDir / "mask-ig.json");
    const auto k = static_cast<int64_t>(ig.count());
    NeuronMask truth(ig.nLayer, ig.nNeuron);
    {
        auto [values, index] = effects.flatten().topk(k);
        for (int64_t j = 0; j < k; ++j) {
            const int64_t flat = index[j].item<int64_t>();
            truth.pruned[static_cast<size_t>(flat / ig.nNeuron)].push_back(static_cast<int32_t>(flat % ig.nNeuron));
            truth.scores[static_cast<size_t>(flat / ig.nNeuron)].push_back(
                static_cast<float>(values[j].item<double>()));
        }
        truth.sortByNeuron();
        truth.meta = {{"truth", "each neuron's own effect on cue-following (demo ground truth)"},
                      {"probe", probeFile.filename().string()},
                      {"count", k}};
    }
    writeMask(runDir / "mask-true-cue.json", truth);
    nlohmann::json neurons = {{"truth_size", k},
                              {"neurons", ig.nLayer * ig.nNeuron},
                              {"chance", static_cast<double>(k) / static_cast<double>(ig.nLayer * ig.nNeuron)},
                              {"mean_effect_of_truth", std::get<0>(effects.flatten().topk(k)).mean().item<double>()},
                              {"mean_effect", effects.mean().item<double>()}};
    for (const auto& [name, file] : masks) {
        if (file.empty()) continue;
        const auto o = maskOverlap(readMask(file), truth);
        neurons[name] = {{"common", o.common}, {"precision", o.precision}, {"recall", o.recall}};
    }
    out["neuron_level"] = neurons;
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
                        {"ig", "random-matched"},
                        {"ig", "prune-only"},
                        {"random", "plain"},
                        {"magnitude", "plain"},
                        {"random-matched", "plain"},
                        {"prune-only", "plain"}}) {
        for (const auto& d : datasets) {
            paired.push_back(pairedEntry(a, b, d["name"], pairedDifference(acc[a][d["name"]], acc[b][d["name"]])));
        }
    }
    // The pre-registered analysis (docs/demo-preregistration.md): the primary endpoint IG − plain
    // on OOD-uncorrelated (paired t-test and exact sign test, two-sided, α 0.05); nine secondary
    // comparisons, Holm-corrected (paired t-test).
    auto compare = [&](const char* a, const char* b, const std::string& d) {
        const auto t = pairedTest(acc[a][d], acc[b][d]);
        return nlohmann::json{{"comparison", std::string(a) + " - " + b},
                              {"dataset", d},
                              {"n", t.n},
                              {"mean_diff", t.meanDiff},
                              {"std_err", t.stdErr},
                              {"t", t.t},
                              {"t_p", t.tP},
                              {"positive", t.positive},
                              {"negative", t.negative},
                              {"sign_p", t.signP}};
    };
    constexpr double kAlpha = 0.05;
    auto primary = compare("ig", "plain", "ood-uncorrelated");
    primary["rejected_t"] = primary["t_p"].get<double>() <= kAlpha;
    primary["rejected_sign"] = primary["sign_p"].get<double>() <= kAlpha;
    nlohmann::json secondary = nlohmann::json::array();
    secondary.push_back(compare("ig", "plain", "ood-reversed"));
    for (const char* other : {"random", "random-matched", "magnitude", "prune-only"})
        for (const char* d : {"ood-uncorrelated", "ood-reversed"}) secondary.push_back(compare("ig", other, d));
    std::vector<double> ps;
    for (const auto& t : secondary) ps.push_back(t["t_p"].get<double>());
    const auto holm = holmAdjust(ps);
    for (size_t i = 0; i < secondary.size(); ++i) {
        secondary[i]["holm_p"] = holm[i];
        secondary[i]["rejected"] = holm[i] <= kAlpha;
    }
    nlohmann::json analysis = {{"alpha", kAlpha},
                               {"primary", primary},
                               {"secondary", secondary},
                               {"id_difference", compare("ig", "plain", "id")}};
    // Ground truth: mean over seeds.
    nlohmann::json truth = nlohmann::json::object();
    for (const char* mask : kMasks) {
        for (const char* metric : {"id", "ood-uncorrelated", "ood-reversed", "reversed_cue_following"}) {
            std::vector<double> v;
            for (const auto& g : m_groundTruth) v.push_back(g[mask][metric].get<double>());
            truth[mask][metric] = {{"mean", mean(v)}, {"std", sampleStd(v)}};
        }
    }
    // Neuron level: precision and recall of each selection against the true cue neurons.
    {
        std::vector<double> chance;
        for (const auto& g : m_groundTruth) chance.push_back(g["neuron_level"]["chance"].get<double>());
        truth["neuron_level"]["chance"] = mean(chance);
        for (const char* mask : kMasks) {
            if (std::string(mask) == "none") continue;
            for (const char* metric : {"precision", "recall"}) {
                std::vector<double> v;
                for (const auto& g : m_groundTruth) v.push_back(g["neuron_level"][mask][metric].get<double>());
                truth["neuron_level"][mask][metric] = {{"mean", mean(v)}, {"std", sampleStd(v)}};
            }
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
        {"arms", kArms},
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
          {"analysis", analysis}}}};
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
    // The first seed's true cue neurons (the neuron-level ground truth), marked green on the heatmaps.
    session.reference = m_runs.front() / "mask-true-cue.json";
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
