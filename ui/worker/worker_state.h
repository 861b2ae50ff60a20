// What the worker holds between requests. Only the worker thread touches it.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/attribution/aggregate.h"
#include "core/data/mcq.h"
#include "core/data/prompt.h"
#include "core/eval/scoring.h"
#include "core/model/causal_lm.h"
#include "core/tokenizer/tokenizer.h"
#include "ui/worker/engine_worker.h"

namespace prunescope::ui {

struct WorkerDataset {
    DatasetInfo info;
    McqDataset data;
    std::string split = "all";  // the part of the file it is: all, train or validation
    uint64_t splitSeed = 0;
    std::vector<ScoringItem> items;     // scoring items (State::scoringMode()), built on first use
    std::vector<QuestionScore> scores;  // the base model's, all items; empty until all are scored
    // A scoring run that stopped part-way (a sample, a cancel): the scores of items 0 .. size-1.
    // The next scoring run goes on from there.
    std::vector<QuestionScore> partial;

    void clearScores() {
        scores.clear();
        partial.clear();
    }
};

struct EngineWorker::State {
    std::filesystem::path modelDir;
    std::string device = "auto";
    torch::ScalarType dtype = torch::kFloat;  // compute dtype of the open model (runs reload it so)
    std::shared_ptr<CausalLM> model;
    std::shared_ptr<const Tokenizer> tokenizer;
    PromptTemplate prompt;
    ScoringMode scoring = ScoringMode::Letter;  // the prompt's (promptScoringMode)
    std::vector<WorkerDataset> datasets;

    // The current attribution: aggregate, which dataset it ran on, the displayed score and,
    // for runs made in this window, each question's IG ((layer, neuron) float32, within a budget).
    std::optional<IgAggregate> aggregate;
    std::string attributionDataset;
    // The attributed questions' indices in attributionDataset's items: the records' own indices
    // when that set is the one attributed, matched by question id when it is another part of the
    // same file (the demo attributes its whole training file; the window splits it 90/10).
    std::vector<size_t> attributedIndices;
    std::string scoreName = "mean";  // core's scoreSpecName
    std::string presetName;          // of the run or file shown
    std::string attributionFile;
    std::vector<std::vector<float>> questionIg;
    bool questionIgComplete = false;

    std::optional<double> previewBase;  // validation accuracy without a mask
    at::Tensor magnitude;               // mean |activation| over the attributed questions

    WorkerDataset* find(const std::string& name);
    WorkerDataset* firstWithRole(const std::string& role);
    void requireModel() const;
    // Letters, or the continuations a task preset scores (prompt.task).
    ScoringMode scoringMode() const;
    // Builds the scoring items of `set` if needed, measures their lengths (info.promptTokens,
    // info.scoredTokens) and tells lengthsMeasured.
    void ensureItems(WorkerDataset& set);
    // Drops the items of every set (a new model or prompt), and their lengths.
    void clearItems();
    std::function<void(const WorkerDataset&)> lengthsMeasured;
    void resetResults();
};

// Budget for the per-question IG kept for the neuron panel.
constexpr size_t kQuestionIgBudgetBytes = size_t(256) << 20;

}  // namespace prunescope::ui
