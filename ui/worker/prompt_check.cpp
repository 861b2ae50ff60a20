#include "ui/worker/prompt_check.h"

#include "core/eval/mcq_items.h"
#include "core/tokenizer/token_display.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/error.h"

namespace prunescope::ui {
namespace {

QStringList tokenTexts(const std::vector<int64_t>& ids, const Tokenizer& tokenizer) {
    QStringList out;
    for (const int64_t id : ids) out << QString::fromStdString(tokenDisplayText(tokenizer, int32_t(id)));
    return out;
}

// The error as one line: message, then the hint.
QString problemText(const Error& e) {
    QString text = QString::fromStdString(e.message());
    if (!e.hint().empty()) text += QStringLiteral(" (") + QString::fromStdString(e.hint()) + QLatin1Char(')');
    return text;
}

}  // namespace

PromptTemplate promptTemplate(const PromptChoice& choice) {
    PromptTemplate prompt;
    if (!choice.text.isEmpty()) prompt.text = choice.text.toStdString();
    if (!choice.option.isEmpty()) prompt.option = choice.option.toStdString();
    if (!choice.preset.isEmpty()) prompt.task = parseTaskPreset(choice.preset.toStdString(), "prompt preset");
    return prompt;
}

ScoringMode promptScoringMode(const PromptChoice& choice) {
    if (!choice.preset.isEmpty()) return presetScoringMode(promptTemplate(choice).task);
    return choice.scoring.isEmpty() ? ScoringMode::Letter : parseScoringMode(choice.scoring.toStdString());
}

PromptPreview previewPrompt(const PromptChoice& choice, const McqQuestion& question, const Tokenizer& tokenizer) {
    PromptPreview preview;
    try {
        const PromptTemplate prompt = promptTemplate(choice);
        const ScoringMode mode = promptScoringMode(choice);
        preview.scoring = QString::fromLatin1(scoringModeName(mode));
        if (prompt.task == TaskPreset::None) validateTemplate(prompt);
        const ScoringItem item = buildScoringItem(question, tokenizer, mode, prompt);
        preview.tokens = tokenTexts(item.context, tokenizer);
        for (const auto& c : item.continuations) preview.continuations << tokenTexts(c, tokenizer);
    } catch (const Error& e) {
        preview.problem = problemText(e);
    }
    return preview;
}

QString promptProblem(const PromptChoice& choice, const std::vector<McqQuestion>& questions,
                      const Tokenizer& tokenizer) {
    for (const auto& q : questions) {
        const PromptPreview preview = previewPrompt(choice, q, tokenizer);
        if (!preview.problem.isEmpty()) {
            return QStringLiteral("question %1 (line %2): %3")
                .arg(QString::fromStdString(q.id))
                .arg(q.line)
                .arg(preview.problem);
        }
    }
    return {};
}

McqQuestion examplePromptQuestion() {
    McqQuestion q;
    q.id = "example";
    q.question = "Which gas do plants take in from the air to make their food?";
    q.options = {"oxygen", "carbon dioxide", "nitrogen", "helium"};
    q.answer = 1;
    return q;
}

}  // namespace prunescope::ui
