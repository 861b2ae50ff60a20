// Which questions an evaluation runs on: a split of the file (deterministic, seeded), a limit,
// and a few-shot prefix drawn from another split.
#pragma once

#include <string>

#include "core/data/mcq.h"
#include "core/data/prompt.h"

namespace prunescope {

struct QuestionSelection {
    std::string split = "all";  // all, train, validation, test
    SplitSpec splitSpec;        // fractions and seed when the file has no split of its own
    int64_t limit = 0;          // 0: no limit (the first N of the split)
    int fewShot = 0;            // examples in the prefix
    std::string fewShotSplit = "train";
};

// The questions to evaluate; the few-shot examples come from a different split than `split`
// (an Error when they would overlap).
McqDataset selectQuestions(const McqDataset& all, const QuestionSelection& selection);
// The few-shot prefix (empty when selection.fewShot == 0).
std::string fewShotPrefix(const McqDataset& all, const QuestionSelection& selection, bool letterMode,
                          const PromptTemplate& prompt);

}  // namespace prunescope
