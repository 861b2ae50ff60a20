#include "core/attribution/attribution_run.h"

#include <torch/torch.h>
#include <torch/version.h>

#include "core/attribution/attribution_file.h"
#include "core/model/causal_lm.h"
#include "core/util/error.h"
#include "core/util/log.h"

namespace prunescope {

std::vector<size_t> selectConfident(const std::vector<QuestionScore>& scores, const QuestionFilter& filter) {
    std::vector<size_t> out;
    for (size_t i = 0; i < scores.size(); ++i) {
        if (scores[i].confidence < filter.minConfidence) continue;
        if (filter.correctOnly && !scores[i].correct) continue;
        out.push_back(i);
        if (filter.limit > 0 && static_cast<int64_t>(out.size()) >= filter.limit) break;
    }
    return out;
}

std::vector<size_t> shardSlice(const std::vector<size_t>& selected, int shardIndex, int shardCount) {
    if (shardCount < 1 || shardIndex < 0 || shardIndex >= shardCount) {
        throw Error("", "--shard", "shard " + std::to_string(shardIndex + 1) + "/" + std::to_string(shardCount) +
                                       " is out of range");
    }
    const size_t n = selected.size();
    const size_t begin = n * static_cast<size_t>(shardIndex) / static_cast<size_t>(shardCount);
    const size_t end = n * static_cast<size_t>(shardIndex + 1) / static_cast<size_t>(shardCount);
    return {selected.begin() + static_cast<std::ptrdiff_t>(begin), selected.begin() + static_cast<std::ptrdiff_t>(end)};
}

nlohmann::json igSettingsJson(const IgSettings& s, int topK) {
    return {{"target", igTargetName(s.target)}, {"scope", igScopeName(s.scope)},
            {"positions", igPositionsName(s.positions)}, {"rule", igRuleName(s.rule)},
            {"steps", s.steps}, {"site", neuronSiteName(s.site)},
            {"baseline", "zero activation"}, {"top_k", topK}};
}

AttributionResult runAttribution(CausalLM& model, const McqDataset& data, const std::vector<ScoringItem>& items,
                                 const std::vector<QuestionScore>& scores, const AttributionJob& job,
                                 const AttributionLive& live, const CancelFlag* cancel) {
    if (items.size() != scores.size() || items.size() != data.questions.size()) {
        throw std::logic_error("runAttribution: items, scores and questions differ in number");
    }
    const auto& config = model.config();
    if (job.ig.site == NeuronSite::Gate && config.modelType == "gpt2") {
        throw Error("", "--site gate", "GPT-2 has no gate projection", "use --site activation");
    }
    auto selected = selectConfident(scores, job.filter);
    auto mine = shardSlice(selected, job.shardIndex, job.shardCount);

    AttributionResult result;
    result.meta = job.meta;
    result.meta["settings"] = igSettingsJson(job.ig, job.topK);
    result.meta["selection"] = {{"min_confidence", job.filter.minConfidence},
                                {"correct_only", job.filter.correctOnly},
                                {"limit", job.filter.limit},
                                {"scored", scores.size()},
                                {"selected", selected.size()}};
    result.meta["shard"] = {{"index", job.shardIndex}, {"count", job.shardCount}, {"questions", mine.size()}};
    result.meta["versions"] = {{"prunescope", PRUNESCOPE_VERSION}, {"libtorch", TORCH_VERSION}};
    result.meta["complete"] = false;
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
                            "does not match this run's " + std::string(key), "resume with the same inputs and settings");
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
            if (ig.predicted >= 0 && ig.predicted != scores[i].predicted && job.ig.target != IgTarget::MaxLogit) {
                log::get("attribution")->warn("question '{}': prediction at α = 1 ({}) differs from the confidence pass ({})",
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
        if (live) live(clock.make("attribution", static_cast<int64_t>(end), static_cast<int64_t>(mine.size())),
                       result.aggregate);
        // A checkpoint whenever the group crossed a multiple of checkpointEvery.
        const auto every = static_cast<size_t>(std::max<int64_t>(0, job.checkpointEvery));
        if (every > 0 && end / every > first / every && end < mine.size()) {
            writeAttributionFile(job.checkpointPath, result.aggregate, result.meta);
        }
        first = end;
    }
    result.meta["complete"] = true;
    if (mine.size() > start) {
        const double meanError = errorSum / static_cast<double>(mine.size() - start);
        log::get("attribution")->info("{} question(s) attributed; mean completeness error {:.2e}", mine.size() - start,
                                      meanError);
        // Σ IG far from F(x) − F(0): the quadrature has not converged (seen with the joint scope
        // on real models) or rounding dominates (bfloat16): docs/attribution.md, docs/precision.md.
        if (meanError > kCompletenessWarning) {
            const bool narrow = model.computeDtype() == torch::kBFloat16 || model.computeDtype() == torch::kHalf;
            std::string remedies = "more --steps";
            if (job.ig.scope == IgScope::Joint) remedies += ", --scope per-layer";
            if (narrow) remedies += ", --dtype float32";
            log::get("attribution")->warn(
                "mean completeness error {:.2g}: Σ IG is far from F(x) − F(0) ({} steps, {} scope{}), so the scores "
                "are unreliable; try {} (docs/attribution.md)",
                meanError, job.ig.steps, igScopeName(job.ig.scope), narrow ? ", reduced precision" : "", remedies);
        }
    }
    return result;
}

}  // namespace prunescope
