// Options shared by the commands that read a model and a dataset, and how they are read.
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "app/cli/args.h"
#include "core/data/mcq.h"
#include "core/data/prompt.h"
#include "core/eval/scoring.h"
#include "core/eval/selection.h"
#include "core/model/causal_lm.h"
#include "core/tokenizer/tokenizer.h"

namespace prunescope::cli {

void addModelOptions(ArgParser& parser);
// withLimit: a --limit N option that keeps the first N questions.
void addDataOptions(ArgParser& parser, bool withLimit = true);
void addPromptOptions(ArgParser& parser);

struct ModelInput {
    std::shared_ptr<CausalLM> model;
    Tokenizer tokenizer;
    nlohmann::json description;  // {"dir", "model_type", "fingerprint"}
};
ModelInput readModel(const Args& args);

struct DataInput {
    McqDataset all;        // the whole file
    McqDataset selected;   // the split / limit to work on
    QuestionSelection selection;
};
DataInput readData(const Args& args, bool withLimit = true);

PromptTemplate readPrompt(const Args& args, const DataInput& data, ScoringMode mode);
nlohmann::json promptJson(const PromptTemplate& prompt);

}  // namespace prunescope::cli
