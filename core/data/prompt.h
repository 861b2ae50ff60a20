// Prompts for multiple-choice questions: the letter-scoring prompt (options shown as A, B, C...),
// the question-only prompt for continuation scoring, and few-shot prefixes.
#pragma once

#include <string>
#include <vector>

#include "core/data/mcq.h"
#include "core/data/task_preset.h"

namespace prunescope {

// Placeholders are written {name}; "{{" and "}}" stand for literal braces.
struct PromptTemplate {
    // {question}, {options}; both required. {extra.NAME} inserts the question's extra field NAME
    // (e.g. {extra.subject} for MMLU; a question without it is an error).
    std::string text = "Question: {question}\n{options}\nAnswer:";
    // One line per option, joined with "\n"; {letter} (A, B, C...) and {text}, both required.
    std::string option = "{letter}. {text}";
    // Prepended verbatim to every prompt (build it with fewShotExamples()).
    std::string fewShotPrefix;
    // Not None: lm-evaluation-harness's prompt for that benchmark replaces `text` and `option`
    // (core/data/task_preset.h), and the few-shot examples are written its way.
    TaskPreset task = TaskPreset::None;
};

// 0 -> "A" ... 25 -> "Z"; an Error outside 0..25.
std::string letterFor(int index);

// fewShotPrefix + text with the question and one option line per option.
std::string formatLetterPrompt(const McqQuestion& question, const PromptTemplate& prompt);

// Continuation mode: fewShotPrefix + text without the options: {options} expands to nothing, and
// when it stands on a line of its own that line goes too ("Question: ...\nAnswer:").
std::string formatQuestionOnly(const McqQuestion& question, const PromptTemplate& prompt);

// For each example: its letter prompt (without fewShotPrefix) + " " + gold letter + "\n\n".
// With a task preset, both are taskFewShotExamples().
std::string fewShotExamples(const std::vector<McqQuestion>& examples, const PromptTemplate& prompt);
// For each example: its question-only prompt + " " + gold option text + "\n\n".
std::string fewShotContinuationExamples(const std::vector<McqQuestion>& examples, const PromptTemplate& prompt);

// An Error naming the template field and the bad placeholder (unknown, unclosed, or missing).
void validateTemplate(const PromptTemplate& prompt);

}  // namespace prunescope
