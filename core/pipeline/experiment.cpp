#include "core/pipeline/experiment.h"

#include <map>

#include <torch/torch.h>

#include "core/attribution/attribution_file.h"
#include "core/eval/mcq_items.h"
#include "core/eval/selection.h"
#include "core/model/model_io.h"
#include "core/model/neuron_hook.h"
#include "core/model/safetensors.h"
#include "core/pipeline/experiment_cache.h"
#include "core/pipeline/experiment_report.h"
#include "core/prune/activation_stats.h"
#include "core/prune/damage_match.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/log.h"
#include "core/util/sha256.h"

namespace fs = std::filesystem;

namespace prunescope {
namespace {

struct LoadedSet {
    DatasetRef ref;
    McqDataset data;
    std::vector<ScoringItem> items;
    std::string fingerprint;
};

LoadedSet loadSet(const DatasetRef& ref, uint64_t splitSeed, const Tokenizer& tokenizer, ScoringMode mode,
                  const PromptTemplate& prompt) {
    LoadedSet s;
    s.ref = ref;
    McqLoadOptions load;
    load.format = parseMcqFormat(ref.format);
    auto all = loadMcqDataset(ref.file, load);
    QuestionSelection selection;
    selection.split = ref.split;
    selection.splitSpec.seed = splitSeed;
    selection.limit = ref.limit;
    s.data = selectQuestions(all, selection);
    if (s.data.questions.empty()) throw Error(ref.file.string(), "split '" + ref.split + "'", "has no questions");
    s.items = buildScoringItems(s.data, tokenizer, mode, prompt);
    s.fingerprint = s.data.fingerprint();
    return s;
}

std::string maskHash(const NeuronMask* mask) {
    if (mask == nullptr) return "none";
    std::string text;
    for (size_t l = 0; l < mask->pruned.size(); ++l) {
        text += std::to_string(l) + ":";
        for (auto i : mask->pruned[l]) text += std::to_string(i) + ",";
    }
    if (!mask->bakeable()) text += "positions:last";  // (masks at every position keep their old keys)
    return sha256Hex(text);
}

void saveParameters(CausalLM& model, const fs::path& path) {
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    for (auto& p : model.named_parameters()) tensors.emplace_back(p.key(), p.value().detach());
    writeSafetensors(path, tensors);
}

void loadParameters(CausalLM& model, const fs::path& path) {
    SafetensorsFile st(path);
    torch::NoGradGuard noGrad;
    for (auto& p : model.named_parameters()) p.value().copy_(st.tensor(p.key()));
}

class Runner {
public:
    Runner(const ExperimentConfig& c, const ProgressFn& progress, const CancelFlag* cancel)
        : m_c(c), m_progress(progress), m_cancel(cancel), m_cache(c.out / "cache") {}

    nlohmann::json run();

private:
    std::vector<QuestionScore> score(CausalLM& model, const LoadedSet& set, const std::string& stage) {
        ScoringOptions o;
        o.mode = m_c.scoring;
        o.batchSize = m_c.batchSize;
        return scoreItems(model, set.items, o, stageProgress(stage), m_cancel);
    }
    std::vector<QuestionScore> scoreMasked(CausalLM& model, const LoadedSet& set, const NeuronMask& mask,
                                           const std::string& stage) {
        NeuronHook hook(model.config().nLayer);
        mask.applyTo(hook, model.unembedding().device());
        ScoringOptions o;
        o.mode = m_c.scoring;
        o.batchSize = m_c.batchSize;
        o.hook = &hook;
        return scoreItems(model, set.items, o, stageProgress(stage), m_cancel);
    }
    ProgressFn stageProgress(const std::string& stage) const {
        if (!m_progress) return {};
        return [this, stage](const Progress& p) { m_progress({stage, p.done, p.total, p.etaSeconds}); };
    }
    EvalResult cachedEval(const std::string& key, const std::function<EvalResult()>& compute) {
        auto path = m_cache.path("eval", key, ".json");
        if (fs::exists(path)) return evalResultFromJson(readJsonFile(path));
        auto r = compute();
        writeJsonAtomic(path, evalResultJson(r));
        return r;
    }

    const ExperimentConfig& m_c;
    ProgressFn m_progress;
    const CancelFlag* m_cancel;
    ExperimentCache m_cache;
};

nlohmann::json Runner::run() {
    auto log = log::get("experiment");
    fs::create_directories(m_c.out);
    const std::string modelFp = modelFingerprint(m_c.model);
    auto tokenizer = Tokenizer::fromModel(m_c.model);
    nlohmann::json promptJ = {
        {"mode", scoringModeName(m_c.scoring)}, {"template", m_c.prompt.text}, {"option", m_c.prompt.option}};
    if (m_c.prompt.task != TaskPreset::None) promptJ["task_preset"] = taskPresetName(m_c.prompt.task);
    // Everything cached follows from the scores: a narrow compute dtype keys them apart.
    const std::string scoringKey = m_c.dtype == "float32"
                                       ? ExperimentCache::key({modelFp, promptJ.dump()})
                                       : ExperimentCache::key({modelFp, promptJ.dump(), "dtype " + m_c.dtype});

    auto train = loadSet(m_c.train, m_c.splitSeed, tokenizer, m_c.scoring, m_c.prompt);
    auto validation = loadSet(m_c.validation, m_c.splitSeed, tokenizer, m_c.scoring, m_c.prompt);
    std::vector<LoadedSet> evalSets;
    evalSets.push_back(loadSet(m_c.test, m_c.splitSeed, tokenizer, m_c.scoring, m_c.prompt));
    for (const auto& o : m_c.ood) evalSets.push_back(loadSet(o, m_c.splitSeed, tokenizer, m_c.scoring, m_c.prompt));
    const LoadedSet& attrSet = m_c.attributeOn == "validation" ? validation : train;
    log->info("experiment: {} train, {} validation, {} test questions, {} OOD set(s); arms {}; {} seed(s)",
              train.items.size(), validation.items.size(), evalSets[0].items.size(), m_c.ood.size(),
              nlohmann::json(m_c.arms).dump(), m_c.seeds.size());

    ModelLoadOptions loadOptions;
    loadOptions.device = m_c.device;
    loadOptions.compute = dtypeFromName(m_c.dtype, "experiment field 'dtype'");
    auto base = loadModel(m_c.model, loadOptions);
    ExperimentReport report(m_c, modelFp);

    // 1. The base model on every evaluation set.
    for (const auto& set : evalSets) {
        auto r = cachedEval(ExperimentCache::key({"base", scoringKey, set.fingerprint}),
                            [&] { return evalResult(score(*base, set, "base " + set.ref.name)); });
        report.addBase(set.ref.name, set.fingerprint, r);
    }

    // 2. Confidence pass and attribution on the attribution set.
    bool needIg = std::find_if(m_c.arms.begin(), m_c.arms.end(), [](const std::string& a) { return a != "plain"; }) !=
                  m_c.arms.end();
    std::optional<NeuronMask> igMask, magnitudeMask;
    std::map<uint64_t, NeuronMask> matchedMasks;  // random-matched, per seed
    if (needIg) {
        auto scoresPath = m_cache.path("scores", ExperimentCache::key({scoringKey, attrSet.fingerprint}), ".json");
        std::vector<QuestionScore> scores;
        if (fs::exists(scoresPath)) {
            scores = scoresFromJson(readJsonFile(scoresPath));
        } else {
            scores = score(*base, attrSet, "scoring");
            writeJsonAtomic(scoresPath, scoresJson(scores));
        }
        AttributionJob job = m_c.attribution;
        job.source = {m_c.model, attrSet.ref.split, m_c.splitSeed, m_c.prompt};
        const std::string attrKey = ExperimentCache::key(
            {scoringKey, attrSet.fingerprint, igSettingsJson(job.ig, job.topK).dump(),
             nlohmann::json{job.filter.minConfidence, job.filter.correctOnly, job.filter.limit}.dump()});
        auto attrPath = m_cache.path("attributions", attrKey, ".safetensors");
        if (!fs::exists(attrPath)) {
            auto result = runAttribution(
                *base, attrSet.data, attrSet.items, scores, job,
                [&](const AttributionUpdate& u) {
                    if (m_progress) m_progress(u.progress);
                },
                m_cancel);
            writeAttributionFile(attrPath, result.aggregate, result.meta);
        }
        auto attributions = readAttributionFile(attrPath);
        if (attributions.aggregate.count() == 0) {
            throw Error(attrSet.ref.file.string(), "attribution",
                        "no question reaches confidence " + std::to_string(job.filter.minConfidence),
                        "lower attribution.min_confidence");
        }
        igMask = selectNeurons(attributions.aggregate.score(m_c.score), m_c.selection,
                               attributions.aggregate.layerTotals(m_c.score));
        igMask->meta["score"] = scoreSpecName(m_c.score);
        igMask->meta["source"] = {{"file", attrPath.string()}, {"questions", attributions.aggregate.count()}};
        writeMask(m_c.out / "mask-ig.json", *igMask);
        report.setAttribution(attrPath, attributions, *igMask);
        if (std::count(m_c.arms.begin(), m_c.arms.end(), "magnitude")) {
            auto magPath = m_cache.path("magnitude", ExperimentCache::key({attrKey}), ".safetensors");
            at::Tensor magnitude;
            if (fs::exists(magPath)) {
                magnitude = SafetensorsFile(magPath).tensor("mean_abs_activation").clone();
            } else {
                std::vector<size_t> indices;
                for (const auto& r : attributions.aggregate.records()) indices.push_back(static_cast<size_t>(r.index));
                magnitude = meanAbsActivation(*base, attrSet.items, indices, m_c.batchSize,
                                              stageProgress("activations"), m_cancel);
                writeSafetensors(magPath, {{"mean_abs_activation", magnitude}});
            }
            magnitudeMask = magnitudeLike(*igMask, magnitude);
            writeMask(m_c.out / "mask-magnitude.json", *magnitudeMask);
        }
        if (std::count(m_c.arms.begin(), m_c.arms.end(), "random-matched")) {
            // As much damage in distribution as IG's selection: the validation loss of the base model.
            ScoringOptions o;
            o.mode = m_c.scoring;
            o.batchSize = m_c.batchSize;
            if (m_progress) m_progress({"damage-matched random masks", 0, 1, -1});
            const double target = maskedLoss(*base, validation.items, &*igMask, o, m_cancel);
            for (uint64_t seed : m_c.seeds) {
                auto match = damageMatchedRandom(*base, validation.items, target, seed, o, m_cancel, igMask->positions);
                log->info(
                    "random-matched, seed {}: {} neurons (IG: {}); validation loss {:.4f} (IG's {:.4f}, none {:.4f})",
                    seed, match.mask.count(), igMask->count(), match.achievedLoss, target, match.baseLoss);
                writeMask(m_c.out / ("mask-random-matched-seed" + std::to_string(seed) + ".json"), match.mask);
                matchedMasks.emplace(seed, std::move(match.mask));
            }
        }
    }
    base.reset();

    // 3. Every arm and seed, fine-tuned from the same base model.
    const int64_t totalRuns = static_cast<int64_t>(m_c.arms.size() * m_c.seeds.size());
    int64_t runIndex = 0;
    for (uint64_t seed : m_c.seeds) {
        for (const auto& arm : m_c.arms) {
            throwIfCancelled(m_cancel);
            ++runIndex;
            if (arm == "prune-only") {
                // The IG selection zeroed in the base model; nothing is trained. The model is loaded
                // only for an evaluation not in the cache.
                std::shared_ptr<CausalLM> model;
                for (const auto& set : evalSets) {
                    auto r = cachedEval(
                        ExperimentCache::key({"prune-only", scoringKey, maskHash(&*igMask), set.fingerprint}), [&] {
                            if (!model) model = loadModel(m_c.model, loadOptions);
                            return evalResult(scoreMasked(*model, set, *igMask, "prune-only"));
                        });
                    report.addResult(arm, seed, set.ref.name, r);
                }
                continue;
            }
            std::optional<NeuronMask> mask;
            if (arm == "ig") mask = igMask;
            if (arm == "random-matched") mask = matchedMasks.at(seed);
            if (arm == "magnitude") mask = magnitudeMask;
            if (arm == "random") {
                mask = randomLike(*igMask, seed);
                writeMask(m_c.out / ("mask-random-seed" + std::to_string(seed) + ".json"), *mask);
            }
            FinetuneSettings settings = m_c.finetune;
            settings.mode = m_c.scoring;
            settings.seed = seed;
            settings.checkpointEvery = 0;
            settings.resume = false;
            settings.checkpointDir.clear();
            const std::string runKey =
                ExperimentCache::key({modelFp, scoringKey, train.fingerprint, validation.fingerprint,
                                      settings.toJson().dump(), maskHash(mask ? &*mask : nullptr)});
            const auto runDir = m_cache.path("run", runKey, "");
            const std::string stage = "fine-tuning " + arm + " seed " + std::to_string(seed) + " (" +
                                      std::to_string(runIndex) + "/" + std::to_string(totalRuns) + ")";
            std::shared_ptr<CausalLM> model;
            auto ensureModel = [&]() -> CausalLM& {
                if (model) return *model;
                model = loadModel(m_c.model, loadOptions);
                if (fs::exists(runDir / "model.safetensors")) {
                    loadParameters(*model, runDir / "model.safetensors");
                    return *model;
                }
                auto result = finetune(
                    *model, train.items, validation.items, mask ? &*mask : nullptr, settings,
                    [&](const TrainPoint& p) {
                        if (m_progress) m_progress({stage, p.step, p.totalSteps, p.etaSeconds});
                    },
                    m_cancel);
                if (mask && mask->bakeable()) mask->bakeInto(*model);  // (else evaluation applies it)
                auto staging = stagingDirectoryFor(runDir);
                saveParameters(*model, staging / "model.safetensors");
                writeJsonAtomic(staging / "result.json", result.toJson());
                replaceDirectory(staging, runDir);
                return *model;
            };
            if (!fs::exists(runDir / "result.json")) ensureModel();
            auto history = readJsonFile(runDir / "result.json");
            for (const auto& set : evalSets) {
                auto r = cachedEval(ExperimentCache::key({runKey, scoringKey, set.fingerprint}), [&] {
                    auto& m = ensureModel();
                    return evalResult(mask && !mask->bakeable() ? scoreMasked(m, set, *mask, "evaluation")
                                                                : score(m, set, "evaluation"));
                });
                report.addResult(arm, seed, set.ref.name, r);
            }
            report.addTraining(arm, seed, history);
        }
    }
    return report.write();
}

}  // namespace

nlohmann::json runExperiment(const ExperimentConfig& config, const ProgressFn& progress, const CancelFlag* cancel) {
    if (std::count(config.arms.begin(), config.arms.end(), "ig") == 0 &&
        (std::count(config.arms.begin(), config.arms.end(), "random") ||
         std::count(config.arms.begin(), config.arms.end(), "magnitude"))) {
        throw Error("", "field 'arms'", "random and magnitude baselines copy the IG mask's counts: include \"ig\"");
    }
    Runner runner(config, progress, cancel);
    return runner.run();
}

}  // namespace prunescope
