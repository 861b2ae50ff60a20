// A PromptChoice in core's terms, and what it does to a question: the exact tokens the model
// reads and the tokens each option is scored on, or why the prompt cannot score it (" A" being
// two tokens for this tokenizer, an unknown placeholder). Needs only the tokenizer, so the UI
// thread runs it as the user types, while the worker is busy.
#pragma once

#include <QList>
#include <QString>
#include <QStringList>

#include <vector>

#include "core/data/prompt.h"
#include "core/eval/scoring.h"
#include "ui/worker/engine_types.h"

namespace prunescope::ui {

// Throws prunescope::Error for an unknown preset or scoring mode.
PromptTemplate promptTemplate(const PromptChoice& choice);
// The preset's mode when there is one, else choice.scoring (letters when empty).
ScoringMode promptScoringMode(const PromptChoice& choice);

struct PromptPreview {
    QString scoring;                   // "letter" or "continuation"
    QStringList tokens;                // the prompt, token by token, as text (tokenDisplayText)
    QList<QStringList> continuations;  // per option: the tokens scored after the prompt
    QString problem;                   // empty when the prompt scores this question; else why not
};

PromptPreview previewPrompt(const PromptChoice& choice, const McqQuestion& question, const Tokenizer& tokenizer);
// The first problem met scoring `questions` with `choice` (empty: none), naming the question.
QString promptProblem(const PromptChoice& choice, const std::vector<McqQuestion>& questions,
                      const Tokenizer& tokenizer);

// A question to preview a prompt on when no dataset is open.
McqQuestion examplePromptQuestion();

}  // namespace prunescope::ui
