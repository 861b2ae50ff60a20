#include "core/attribution/attribution_run.h"

#include <cmath>

#include <torch/torch.h>
#include <torch/version.h>

#include "core/attribution/attribution_file.h"
#include "core/eval/provenance.h"
#include "core/model/causal_lm.h"
#include "core/util/error.h"
#include "core/util/log.h"

namespace prunescope {

namespace {

bool passes(const QuestionScore& score, const QuestionFilter& filter) {
    return score.confidence >= filter.minConfidence && (!filter.correctOnly || score.correct);
}

}  // namespace

std::vector<size_t> selectConfident(const std::vector<QuestionScore>& scores, const QuestionFilter& filter) {
    std::vector<size_t> out;
    for (size_t i = 0; i < scores.size(); ++i) {
        if (!passes(scores[i], filter)) continue;
        out.push_back(i);
        if (filter.limit > 0 && static_cast<int64_t>(out.size()) >= filter.limit) break;
    }
    return out;
}

std::vector<size_t> shardSlice(const std::vector<size_t>& selected, int shardIndex, int shardCount) {
    if (shardCount < 1 || shardIndex < 0 || shardIndex >= shardCount) {
        throw Error("", "setting 'shard'",
                    "shard " + std::to_string(shardIndex + 1) + "/" + std::to_string(shardCount) + " is out of range");
    }
    const size_t n = selected.size();
    const size_t begin = n * static_cast<size_t>(shardIndex) / static_cast<size_t>(shardCount);
    const size_t end = n * static_cast<size_t>(shardIndex + 1) / static_cast<size_t>(shardCount);
    return {selected.begin() + static_cast<std::ptrdiff_t>(begin), selected.begin() + static_cast<std::ptrdiff_t>(end)};
}

std::vector<QuestionScore> scoreForAttribution(CausalLM& model, const std::vector<ScoringItem>& items,
                                               const QuestionFilter& filter, const ScoringOptions& options,
                                               const ProgressFn& progress, const CancelFlag* cancel) {
    if (filter.limit <= 0) return scoreItems(model, items, options, progress, cancel);
    // Chunks of a few batches: large enough to keep the batches full, small enough not to score
    // far past the limit.
    const size_t chunk = static_cast<size_t>(std::max<int64_t>(64, 4 * options.batchSize));
    const auto total = static_cast<int64_t>(items.size());
    std::vector<QuestionScore> scores;
    int64_t selected = 0;
    for (size_t first = 0; first < items.size() && selected < filter.limit; first += chunk) {
        const size_t end = std::min(items.size(), first + chunk);
        const std::vector<ScoringItem> part(items.begin() + static_cast<std::ptrdiff_t>(first),
                                            items.begin() + static_cast<std::ptrdiff_t>(end));
        const auto offset = static_cast<int64_t>(first);
        ProgressFn partProgress;
        if (progress) {
            partProgress = [&](const Progress& p) {
                Progress whole = p;
                whole.done = offset + p.done;
                whole.total = total;
                whole.etaSeconds = -1;  // unknown: the run stops when enough questions pass
                progress(whole);
            };
        }
        for (auto& s : scoreItems(model, part, options, partProgress, cancel)) {
            selected += passes(s, filter) ? 1 : 0;
            scores.push_back(std::move(s));
        }
    }
    return scores;
}

nlohmann::json igSettingsJson(const IgSettings& s, int topK) {
    using namespace settings;
    return {{kIgTarget.key, igTargetName(s.target)},
            {kIgScope.key, igScopeName(s.scope)},
            {kIgPositions.key, igPositionsName(s.positions)},
            {kIgRule.key, igRuleName(s.rule)},
            {kIgSteps.key, s.steps},
            {kNeuronSite.key, neuronSiteName(s.site)},
            {"baseline", "zero activation"},
            {kTopK.key, topK}};
}

nlohmann::json attributionSettingsJson(const IgSettings& ig, const QuestionFilter& filter, int topK) {
    using namespace settings;
    auto out = igSettingsJson(ig, topK);
    out.erase("baseline");
    out[kMinConfidence.key] = filter.minConfidence;
    out[kCorrectOnly.key] = filter.correctOnly;
    out[kAttributeLimit.key] = filter.limit;
    return out;
}

AttributionResult runAttribution(CausalLM& model, const McqDataset& data, const std::vector<ScoringItem>& items,
                                 const std::vector<QuestionScore>& scores, const AttributionJob& job,
                                 const AttributionLive& live, const CancelFlag* cancel) {
    if (items.size() != data.questions.size() || scores.size() > items.size()) {
        throw std::logic_error("runAttribution: more scores than items, or items and questions differ in number");
    }
    const auto& config = model.config();
    if (job.ig.site == NeuronSite::Gate && !config.traits().gatedFfn) {
        throw Error("", "setting 'site'", config.modelType + " has no gate projection", "use the activation site");
    }
    auto selected = selectConfident(scores, job.filter);
    auto mine = shardSlice(selected, job.shardIndex, job.shardCount);

    AttributionResult result;
    result.meta = {{"model", modelProvenance(model, job.source.modelDir)},
                   {"dataset", datasetProvenance(data, job.source.split, job.source.splitSeed)},
                   {"scoring", {{"mode", "letter"}, {"prompt", promptJson(job.source.prompt)}}}};
    result.meta["settings"] = igSettingsJson(job.ig, job.topK);
    result.meta["preset"] = {{"name", presetName(job.preset)},
                             {"changed", presetChanges(job.preset, job.ig, job.filter)}};
    result.meta["selection"] = {{settings::kMinConfidence.key, job.filter.minConfidence},
                                {settings::kCorrectOnly.key, job.filter.correctOnly},
                                {settings::kAttributeLimit.key, job.filter.limit},
                                {"scored", scores.size()},
                                {"questions", items.size()},
                                {"selected", selected.size()}};
    result.meta["shard"] = {{"index", job.shardIndex}, {"count", job.shardCount}, {"questions", mine.size()}};
    result.meta["versions"] = {{"prunescope", PRUNESCOPE_VERSION}, {"libtorch", TORCH_VERSION}};
    result.meta["complete"] = false;
    result.meta["completeness"] = {{"tolerance", job.completenessTolerance}};  // counts: writeAttributionFile
    result.aggregate = IgAggregate(config.nLayer, config.nNeuron, job.topK);

    size_t start = 0;
    if (job.resume && !std::filesystem::exists(job.checkpointPath)) {
        log::get("attribution")->info("no checkpoint at {}: starting from the beginning", job.checkpointPath.string());
    } else if (job.resume) {
        auto saved = readAttributionFile(job.checkpointPath);
        for (const char* key : {"model", "dataset", "settings", "selection", "shard"}) {
            auto a = saved.meta.value(key, nlohmann::json());
            auto b = result.meta.value(key, nlohmann::json());
            if (a != b) {
                throw Error(job.checkpointPath.string(), std::string("field '") + key + "'",
                            "does not match this run's " + std::string(key),
                            "resume with the same inputs and settings");
            }
        }
        result.aggregate = std::move(saved.aggregate);
        start = static_cast<size_t>(result.aggregate.count());
        log::get("attribution")->info("resuming after {} of {} questions", start, mine.size());
    }

    EtaClock clock;
    double errorSum = 0;
    const size_t perPass = static_cast<size_t>(std::max(1, job.ig.questionsPerPass));
    // Batches start at multiples of perPass (a resumed run batches as the uninterrupted one did).
    for (size_t first = start; first < mine.size();) {
        throwIfCancelled(cancel);
        const size_t end = std::min(mine.size(), (first / perPass + 1) * perPass);
        std::vector<const ScoringItem*> group;
        std::vector<int> predicted;
        for (size_t j = first; j < end; ++j) {
            group.push_back(&items[mine[j]]);
            predicted.push_back(scores[mine[j]].predicted);
        }
        auto igs = integratedGradientsBatch(model, group, predicted, job.ig);
        for (size_t j = first; j < end; ++j) {
            const size_t i = mine[j];
            auto& ig = igs[j - first];
            // A NaN or Inf would spread through every sum it is added to: stop here, naming the question.
            if (!std::isfinite(ig.fx) || !torch::isfinite(ig.ig).all().item<bool>()) {
                throw Error(
                    data.source.string(),
                    "line " + std::to_string(data.questions[i].line) + ", question '" + data.questions[i].id + "'",
                    "integrated gradients are not finite (NaN or Inf: the model's activations or gradients "
                    "overflowed on this question)",
                    "compute in float32 (setting 'dtype'), or leave the question out");
            }
            if (ig.predicted >= 0 && ig.predicted != scores[i].predicted) {
                log::get("attribution")
                    ->warn("question '{}': prediction at α = 1 ({}) differs from the confidence pass ({})",
                           data.questions[i].id, ig.predicted, scores[i].predicted);
            }
            QuestionRecord record;
            record.index = static_cast<int64_t>(i);
            record.id = data.questions[i].id;
            record.confidence = scores[i].confidence;
            record.predicted = scores[i].predicted;
            record.gold = scores[i].gold;
            record.fx = ig.fx;
            double f0 = 0;
            for (double v : ig.f0) f0 += v;
            record.f0 = ig.f0.empty() ? 0 : f0 / static_cast<double>(ig.f0.size());
            record.completenessError = ig.completenessError;
            errorSum += ig.completenessError;
            result.aggregate.add(ig.ig, std::move(record));
        }
        if (live) {
            const auto progress =
                clock.make("attribution", static_cast<int64_t>(end), static_cast<int64_t>(mine.size()));
            live({progress, result.aggregate, igs});
        }
        // A checkpoint whenever the group crossed a multiple of checkpointEvery.
        const auto every = static_cast<size_t>(std::max<int64_t>(0, job.checkpointEvery));
        if (every > 0 && end / every > first / every && end < mine.size()) {
            writeAttributionFile(job.checkpointPath, result.aggregate, result.meta);
        }
        first = end;
    }
    result.meta["complete"] = true;
    if (const int64_t over = countOverTolerance(result.aggregate, job.completenessTolerance); over > 0) {
        log::get("attribution")
            ->warn(
                "{} of {} question(s) have a completeness error above {:g}: their Σ IG misses F(x) − F(0) by more "
                "than that share (counted in the file's completeness.over_tolerance; docs/attribution.md)",
                over, result.aggregate.count(), job.completenessTolerance);
    }
    if (mine.size() > start) {
        const double meanError = errorSum / static_cast<double>(mine.size() - start);
        log::get("attribution")
            ->info("{} question(s) attributed; mean completeness error {:.2e}", mine.size() - start, meanError);
        // Σ IG far from F(x) − F(0): the quadrature has not converged (seen with the joint scope
        // on real models) or rounding dominates (bfloat16): docs/attribution.md, docs/precision.md.
        if (meanError > kCompletenessWarning) {
            const bool narrow = model.computeDtype() == torch::kBFloat16 || model.computeDtype() == torch::kHalf;
            std::string remedies = "more steps";
            if (job.ig.scope == IgScope::Joint) remedies += ", the per-layer scope";
            if (narrow) remedies += ", float32 computation";
            log::get("attribution")
                ->warn(
                    "mean completeness error {:.2g}: Σ IG is far from F(x) − F(0) ({} steps, {} scope{}), so the "
                    "scores "
                    "are unreliable; try {} (docs/attribution.md)",
                    meanError, job.ig.steps, igScopeName(job.ig.scope), narrow ? ", reduced precision" : "", remedies);
        }
    }
    return result;
}

}  // namespace prunescope
