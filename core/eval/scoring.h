// Scoring multiple-choice questions with a causal LM: letter mode (the next token over the option
// letters) and continuation mode (the log-likelihood of each option's text), batched with left
// padding, the LM head evaluated only where it is needed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/settings/batch_settings.h"
#include "core/util/progress.h"

namespace prunescope {

class CausalLM;
class NeuronHook;

enum class ScoringMode { Letter, Continuation };
ScoringMode parseScoringMode(const std::string& name);  // "letter", "continuation"
const char* scoringModeName(ScoringMode mode);

// One question, tokenized. Letter mode: each continuation is the one token of its letter
// (" A", " B", ...). Continuation mode: each is the tokens of " " + option text (or what a task
// preset scores).
struct ScoringItem {
    std::vector<int64_t> context;
    // Partial scoring (WinoGrande): option i's own context, with `context` = optionContexts[0];
    // empty: every option follows `context`. Continuation mode only.
    std::vector<std::vector<int64_t>> optionContexts;
    std::vector<std::vector<int64_t>> continuations;
    std::vector<int> optionChars;  // characters of each option's text, without the " " (acc_norm, as lm-eval)
    int gold = -1;
};

// What a memory plan sizes activations by: the longest sequence the items make (context plus the
// scored tokens, in tokens) and the most tokens one question scores (1 in letter mode, else all its
// options' tokens).
struct PromptLengths {
    int64_t longest = 1;
    int64_t scored = 1;
};
PromptLengths promptLengths(const std::vector<ScoringItem>& items, ScoringMode mode);

struct QuestionScore {
    std::vector<double> logProbs;  // per option: log p(letter) or sum of log p(option tokens)
    std::vector<double> probs;     // softmax of logProbs over the options
    int predicted = -1;
    double confidence = 0;  // probs[predicted]
    double margin = 0;      // probs[predicted] - the next largest
    int gold = -1;
    bool correct = false;
    int predictedNorm = -1;  // continuation mode: argmax of logProbs / optionChars
    bool correctNorm = false;
};

struct ScoringOptions {
    ScoringMode mode = ScoringMode::Letter;
    int64_t batchSize = settings::kScoringBatchSize.value;  // sequences per forward pass
    NeuronHook* hook = nullptr;                             // e.g. a pruning mask for the ablation preview
};

// Errors (naming `file` and field 'positions') when neurons pruned at the last position only
// (`lastOnly`: NeuronMask::positions, or NeuronHook::masksLastOnly()) meet continuation scoring: a
// continuation's last position is not the answer position.
void checkPrunePositions(ScoringMode mode, bool lastOnly, const std::string& file = {});

// Scores every item (in order); sorts by length internally to minimize padding.
std::vector<QuestionScore> scoreItems(CausalLM& model, const std::vector<ScoringItem>& items,
                                      const ScoringOptions& options, const ProgressFn& progress = {},
                                      const CancelFlag* cancel = nullptr);

// The option distribution of one item from its raw scores (shared with the tests' references).
QuestionScore scoreFromLogProbs(std::vector<double> logProbs, const ScoringItem& item);

struct ScoreSummary {
    int64_t questions = 0;
    double accuracy = 0;
    double accuracyNorm = 0;  // continuation mode
    double meanConfidence = 0;
    double meanConfidenceCorrect = 0;
    double meanConfidenceWrong = 0;
    int64_t atLeast50 = 0, atLeast70 = 0, atLeast90 = 0;  // confidence >= 0.5 / 0.7 / 0.9
    std::vector<int64_t> histogram;                       // 10 bins of confidence: [0, 0.1), ..., [0.9, 1]
};

ScoreSummary summarize(const std::vector<QuestionScore>& scores);

}  // namespace prunescope
