#include "core/eval/selection.h"

#include "core/util/error.h"

namespace prunescope {
namespace {

McqDataset pickSplit(const McqDataset& all, const std::string& split, const SplitSpec& spec) {
    if (split == "all") return all;
    auto splits = splitDataset(all, spec);
    if (split == "train") return splits.train;
    if (split == "validation") return splits.validation;
    if (split == "test") return splits.test;
    throw Error("", "setting 'split'", "unknown split '" + split + "'", "use all, train, validation or test");
}

}  // namespace

McqDataset selectQuestions(const McqDataset& all, const QuestionSelection& selection) {
    auto data = pickSplit(all, selection.split, selection.splitSpec);
    if (selection.limit > 0 && static_cast<int64_t>(data.questions.size()) > selection.limit) {
        data.questions.resize(static_cast<size_t>(selection.limit));
    }
    return data;
}

std::string fewShotPrefix(const McqDataset& all, const QuestionSelection& selection, bool letterMode,
                          const PromptTemplate& prompt) {
    if (selection.fewShot <= 0) return {};
    if (selection.fewShotSplit == selection.split || selection.split == "all") {
        throw Error("", "setting 'few_shot_split'",
                    "few-shot examples from split '" + selection.fewShotSplit + "' would overlap the evaluated '" +
                        selection.split + "' questions",
                    "evaluate --split test or validation and take examples from train");
    }
    auto source = pickSplit(all, selection.fewShotSplit, selection.splitSpec);
    if (static_cast<int>(source.questions.size()) < selection.fewShot) {
        throw Error("", "setting 'few_shot'",
                    "split '" + selection.fewShotSplit + "' has only " + std::to_string(source.questions.size()) +
                        " questions");
    }
    std::vector<McqQuestion> examples(source.questions.begin(), source.questions.begin() + selection.fewShot);
    return letterMode ? fewShotExamples(examples, prompt) : fewShotContinuationExamples(examples, prompt);
}

}  // namespace prunescope
