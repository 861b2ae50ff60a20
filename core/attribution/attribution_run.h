// A whole attribution run: choose the confident questions, attribute each (optionally a shard of
// them), aggregate, checkpoint and resume, report progress with each question's IG, cancel. The
// CLI, the GUI and experiments all run it, so their files share one provenance record and can be
// resumed and merged together.
#pragma once

#include <filesystem>
#include <functional>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/attribution/aggregate.h"
#include "core/attribution/integrated_gradients.h"
#include "core/data/mcq.h"
#include "core/data/prompt.h"
#include "core/eval/scoring.h"
#include "core/settings/presets.h"
#include "core/util/progress.h"

namespace prunescope {

// Indices of the questions attribution runs on, in dataset order.
std::vector<size_t> selectConfident(const std::vector<QuestionScore>& scores, const QuestionFilter& filter);

// Shard k (0-based) of n: a contiguous slice of `selected`.
std::vector<size_t> shardSlice(const std::vector<size_t>& selected, int shardIndex, int shardCount);

// A run whose mean completeness error exceeds this is logged as a warning (not converged).
inline constexpr double kCompletenessWarning = 0.1;

// What the run's inputs are, beyond the model and the questions themselves: recorded in the file.
struct AttributionSource {
    std::filesystem::path modelDir;  // the folder or .gguf file the model was read from
    std::string split = "all";       // which part of the data file the questions are
    uint64_t splitSeed = 0;
    PromptTemplate prompt;
};

struct AttributionJob {
    IgSettings ig;
    QuestionFilter filter;
    int topK = static_cast<int>(settings::kTopK.value);
    int shardIndex = 0;  // 0-based
    int shardCount = 1;
    double completenessTolerance = settings::kCompletenessTolerance.value;  // questions above it are counted
    int64_t checkpointEvery = 0;                                            // questions between checkpoints; 0: none
    std::filesystem::path checkpointPath;                                   // where checkpoints go
    bool resume = false;                                                    // continue from checkpointPath
    AttributionSource source;
    Preset preset = settings::kPreset.value;  // recorded with the settings that differ from it
};

// After each group of questions: progress, the running aggregate and the group's own IG (in the
// order attributed; the aggregate's last records are theirs).
struct AttributionUpdate {
    const Progress& progress;
    const IgAggregate& aggregate;
    const std::vector<QuestionIg>& questions;
};
using AttributionLive = std::function<void(const AttributionUpdate&)>;

struct AttributionResult {
    IgAggregate aggregate;
    nlohmann::json meta;  // everything writeAttributionFile() records
};

// The confidence pass a run needs: every question, or with filter.limit > 0 only the first ones, in
// dataset order, until `limit` of them pass the filter (a few hundred questions of a large set
// rather than all of it). The scores are those of items[0 .. size).
std::vector<QuestionScore> scoreForAttribution(CausalLM& model, const std::vector<ScoringItem>& items,
                                               const QuestionFilter& filter, const ScoringOptions& options,
                                               const ProgressFn& progress = {}, const CancelFlag* cancel = nullptr);

// Runs the job over `items` (letter-scored) with the confidence-pass `scores` of the first
// scores.size() of them (scoreForAttribution). The result's meta records the inputs (model,
// dataset, prompt: core/eval/provenance.h), settings, selection and shard. Throws CancelledError when `cancel` is
// raised (the last checkpoint, if any, stays for --resume).
AttributionResult runAttribution(CausalLM& model, const McqDataset& data, const std::vector<ScoringItem>& items,
                                 const std::vector<QuestionScore>& scores, const AttributionJob& job,
                                 const AttributionLive& live = {}, const CancelFlag* cancel = nullptr);

// The settings record of attribution files ("settings"), and the "attribution" block of experiment
// files (the same keys, with the question filter, without the fixed baseline).
nlohmann::json igSettingsJson(const IgSettings& settings, int topK);
nlohmann::json attributionSettingsJson(const IgSettings& ig, const QuestionFilter& filter, int topK);

}  // namespace prunescope
