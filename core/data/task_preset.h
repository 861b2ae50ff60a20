// Task presets: the prompts lm-evaluation-harness uses for each benchmark, so that accuracies are
// comparable with published ones. A preset fixes the text of each request (context and
// continuation) and whether the options are scored as letters or as continuations. The exact texts
// are in docs/datasets.md ("Task presets").
#pragma once

#include <string>
#include <vector>

#include "core/data/mcq.h"

namespace prunescope {

enum class TaskPreset {
    None,           // Prunescope's own template (PromptTemplate::text / option)
    Arc,            // arc_easy, arc_challenge: "Question: {question}\nAnswer:" + " {option}"
    OpenBookQa,     // openbookqa: "{question_stem}" + " {option}"
    Piqa,           // piqa: "Question: {goal}\nAnswer:" + " {sol}"
    Siqa,           // social_iqa: "Q: {context} {question}\nA:" + " {answer}"
    Hellaswag,      // hellaswag: preprocessed "{activity_label}: {ctx_a} {Ctx_b}" + " {ending}"
    Winogrande,     // winogrande: partial scoring, "{sentence up to _}{option}" + " {rest}"
    Sciq,           // sciq: "{support}\nQuestion: {question}\nAnswer:" + " {option}"
    TruthfulQaMc1,  // truthfulqa_mc1: six Q/A examples, "\n\nQ: {question}\nA:" + " {answer}"
    Mmlu,           // mmlu: subject line, question, lettered options, "Answer:" + " {letter}"
    CommonsenseQa,  // commonsense_qa: question, lettered options, "Answer:" + " {letter}"
};

// "none", "arc", "openbookqa", "piqa", "siqa", "hellaswag", "winogrande", "sciq",
// "truthfulqa-mc1", "mmlu", "commonsenseqa" (case-insensitive); an Error naming `field` otherwise.
TaskPreset parseTaskPreset(const std::string& name, const std::string& field = "--task-preset");
std::string taskPresetName(TaskPreset preset);
std::vector<std::string> taskPresetNames();

// Whether the preset scores the answer letters (mmlu, commonsenseqa) rather than the options' text.
bool taskPresetScoresLetters(TaskPreset preset);

// The preset that suits a dataset format (None where lm-evaluation-harness has no task for it).
TaskPreset taskPresetForFormat(McqFormat format);

// What is scored for one question: the log-likelihood of continuations[i] after contexts[i]
// (or after contexts[0] when there is one context). Continuations start with the " " that
// separates them from their context; letter presets have " A", " B", ...
struct TaskTexts {
    std::vector<std::string> contexts;
    std::vector<std::string> continuations;
    // lm-evaluation-harness's doc_to_choice: acc_norm divides each log-likelihood by the length of
    // its choice in characters (the option without the " "; WinoGrande's are its contexts).
    std::vector<std::string> choices;
};

// The texts of `question` under `preset` (not None), with `fewShotPrefix` before each context
// (after MMLU's subject line, as lm-evaluation-harness places its description). An Error naming
// the question when a field the preset needs is missing (e.g. HellaSwag's ctx_a, WinoGrande's _).
TaskTexts taskTexts(const McqQuestion& question, TaskPreset preset, const std::string& fewShotPrefix = {});

// Few-shot examples as lm-evaluation-harness writes them: each example's context for its gold
// option, the gold continuation, then "\n\n".
std::string taskFewShotExamples(const std::vector<McqQuestion>& examples, TaskPreset preset);

// HellaSwag's clean-up of its WikiHow texts (lm-evaluation-harness `preprocess`): trim, " [title]"
// becomes ". ", any "[...]" goes, then each pair of spaces becomes one.
std::string hellaswagPreprocess(const std::string& text);

}  // namespace prunescope
