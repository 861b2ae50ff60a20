// The whole experiment of the paper in one call: score -> attribute -> select -> for every arm
// (plain fine-tuning; IG-pruned, random-pruned, magnitude-pruned + fine-tuning) and every seed,
// fine-tune from the same base model -> evaluate on the in-distribution test split and on every
// out-of-distribution dataset -> report. Intermediate results are cached by fingerprint, so a
// re-run with one changed setting recomputes only what depends on it. Schema: docs/experiments.md.
#pragma once

#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/attribution/attribution_run.h"
#include "core/data/prompt.h"
#include "core/eval/scoring.h"
#include "core/prune/selection.h"
#include "core/train/finetune.h"
#include "core/util/progress.h"

namespace prunescope {

struct DatasetRef {
    std::string name;  // as shown in the report
    std::filesystem::path file;
    std::string format = "auto";
    std::string split = "all";  // all, train, validation, test (seeded 80/10/10 split of the file)
    int64_t limit = 0;          // first N questions (0: all)
};

// The arms an experiment can compare. plain: fine-tuning alone; ig: the IG selection pruned, then
// fine-tuned; random / magnitude: as many neurons per layer as IG's, at random / by activation
// magnitude, pruned then fine-tuned; random-matched: random neurons, as many as do the same damage
// in distribution (validation loss) as IG's, pruned then fine-tuned (core/prune/damage_match.h);
// prune-only: the IG selection pruned, no fine-tuning.
inline const std::array<std::string, 6> kExperimentArms = {"plain",          "ig",        "random", "magnitude",
                                                           "random-matched", "prune-only"};

struct ExperimentConfig {
    std::filesystem::path model;
    DatasetRef train, validation, test;  // in-distribution
    std::vector<DatasetRef> ood;
    uint64_t splitSeed = 0;
    ScoringMode scoring = ScoringMode::Letter;
    PromptTemplate prompt;
    int64_t batchSize = settings::kScoringBatchSize.value;
    std::string attributeOn = "train";        // which ID set the confidence pass and IG use: train or validation
    AttributionJob attribution;               // IG settings and the question filter
    Preset preset = settings::kPreset.value;  // sets the attribution, score and rule the blocks did not
    ScoreSpec score;
    SelectionSpec selection;
    FinetuneSettings finetune;
    std::vector<std::string> arms = {"plain", "ig", "random", "magnitude"};
    std::vector<uint64_t> seeds = {0, 1, 2, 3, 4};
    std::string device = "auto";
    std::string dtype = "float32";  // compute dtype: float32, bfloat16, float16
    std::filesystem::path out;      // report.json, report.md, plots, cache/

    nlohmann::json toJson() const;
};

// Parses experiment.json; every problem is an Error naming the file and the field. Relative paths
// are taken relative to the config file's folder.
ExperimentConfig readExperimentConfig(const std::filesystem::path& file);
ExperimentConfig parseExperimentConfig(const nlohmann::json& json, const std::string& file,
                                       const std::filesystem::path& baseDir);

// Runs the experiment and writes report.json, report.md and the plots into config.out (atomically
// per file). Returns report.json's content. Progress stages: "scoring", "attribution",
// "fine-tuning <arm> seed <s>", "evaluation".
nlohmann::json runExperiment(const ExperimentConfig& config, const ProgressFn& progress = {},
                             const CancelFlag* cancel = nullptr);

}  // namespace prunescope
