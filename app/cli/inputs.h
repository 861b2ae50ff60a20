// Options shared by the commands that read a model and a dataset, and how they are read.
#pragma once

#include <functional>
#include <memory>

#include <nlohmann/json.hpp>

#include "app/cli/args.h"
#include "core/data/mcq.h"
#include "core/data/prompt.h"
#include "core/eval/provenance.h"
#include "core/eval/scoring.h"
#include "core/eval/selection.h"
#include "core/model/causal_lm.h"
#include "core/model/memory_plan.h"
#include "core/model/model_io.h"
#include "core/settings/presets.h"
#include "core/tokenizer/tokenizer.h"

namespace prunescope::cli {

void addModelOptions(ArgParser& parser);
// withLimit: a --limit N option that keeps the first N questions.
void addDataOptions(ArgParser& parser, bool withLimit = true);
void addPromptOptions(ArgParser& parser);

struct ModelInput {
    std::shared_ptr<CausalLM> model;
    Tokenizer tokenizer;
    nlohmann::json description;  // modelProvenance()
    PlanSettings plan;           // the job's plan settings as run (readModel with a plan)
};
// The memory plan of the job about to run, made once the tokenizer is read (the prompts' lengths
// count) and before any weight is loaded.
using PlanFor = std::function<PlanSettings(const Tokenizer& tokenizer)>;

// --device, --dtype and --weights as load options (a usage error when they disagree).
ModelLoadOptions modelLoadOptions(const Args& args);

// Reads --model (and its tokenizer) on --device in --dtype, holding weights as --weights says. With `plan`:
// the plan is logged and, when it does not fit and --force is not given, an Error (exit 2) names
// the estimate and the settings that would fit, before anything is allocated.
ModelInput readModel(const Args& args, const PlanFor& plan = {});

// The plan of `settings` for --model on --device with --weights (fills in the weights' bytes and
// the device); throws as readModel does unless `force`. An attribution with rows per pass left
// at 0 (all) that does not fit gets the largest number of rows that does (settings updated).
MemoryPlan checkMemoryPlan(const Args& args, PlanSettings& settings, bool force);
// The same for model `dir` on `device` with weights held as `holding` (run: no --model option).
MemoryPlan checkMemoryPlan(const std::filesystem::path& dir, const std::string& device, WeightHolding holding,
                           PlanSettings& settings, bool force);

// The longest sequence the items make (tokens) and the tokens each question scores, for plans.
void sizeFromItems(const std::vector<ScoringItem>& items, ScoringMode mode, PlanSettings& settings);

struct DataInput {
    McqDataset all;       // the whole file
    McqDataset selected;  // the split / limit to work on
    QuestionSelection selection;
};
DataInput readData(const Args& args, bool withLimit = true);

PromptTemplate readPrompt(const Args& args, const DataInput& data, ScoringMode mode);
// --scoring, or the mode --task-preset implies (a UsageError when the two disagree).
ScoringMode readScoringMode(const Args& args);

// --score: an aggregation with optional normalisations (core's ScoreSpec, e.g. mean+per-layer).
void addScoreOption(ArgParser& parser);
// The --score given, else `fallback` (a preset's).
ScoreSpec readScoreSpec(const Args& args, const ScoreSpec& fallback = ScoreSpec());

}  // namespace prunescope::cli
