// The outputs of an evaluation: the per-question JSON file and the terminal summary.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/data/mcq.h"
#include "core/eval/scoring.h"

namespace prunescope {

nlohmann::json summaryToJson(const ScoreSummary& summary, ScoringMode mode);

// {"model": ..., "dataset": ..., "settings": ..., "summary": ..., "questions": [...]}: one entry
// per question with every option's log-probability and probability.
nlohmann::json evaluationToJson(const McqDataset& data, const std::vector<QuestionScore>& scores, ScoringMode mode,
                                const nlohmann::json& model, const nlohmann::json& settings);

// A few lines: accuracy, mean confidence, counts above 0.5 / 0.7 / 0.9, a text histogram.
std::string summaryText(const ScoreSummary& summary, ScoringMode mode);

}  // namespace prunescope
