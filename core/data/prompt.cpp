#include "core/data/prompt.h"

#include <initializer_list>
#include <string_view>

#include "core/util/error.h"

namespace prunescope {
namespace {

struct Slot {
    std::string_view name;
    std::string_view value;
    bool dropOwnLine = false;  // empty value on a line of its own: remove the line
};

std::string placeOf(std::string_view field) {
    return "template field '" + std::string(field) + "'";
}

// Calls onText / onPlaceholder for the pieces of `tmpl`; throws for an unclosed '{'.
template <class OnText, class OnPlaceholder>
void scan(std::string_view tmpl, std::string_view field, OnText onText, OnPlaceholder onPlaceholder) {
    size_t i = 0;
    while (i < tmpl.size()) {
        char c = tmpl[i];
        if ((c == '{' || c == '}') && i + 1 < tmpl.size() && tmpl[i + 1] == c) {
            onText(std::string_view(&tmpl[i], 1));
            i += 2;
        } else if (c == '{') {
            size_t close = tmpl.find_first_of("{}\n", i + 1);
            if (close == std::string_view::npos || tmpl[close] != '}') {
                throw Error("", placeOf(field), "unclosed placeholder '" + std::string(tmpl.substr(i, close - i)) + "'",
                            "write {{ for a literal brace");
            }
            onPlaceholder(tmpl.substr(i + 1, close - i - 1), close + 1);
            i = close + 1;
        } else {
            size_t next = tmpl.find_first_of("{}", i + 1);
            if (next == std::string_view::npos) next = tmpl.size();
            onText(tmpl.substr(i, next - i));
            i = next;
        }
    }
}

std::string allowedList(std::initializer_list<std::string_view> names) {
    std::string out;
    for (auto name : names) out += (out.empty() ? "{" : ", {") + std::string(name) + "}";
    return out;
}

constexpr std::string_view kExtraPrefix = "extra.";

bool isExtra(std::string_view name) {
    return name.size() > kExtraPrefix.size() && name.substr(0, kExtraPrefix.size()) == kExtraPrefix;
}

void checkField(std::string_view tmpl, std::string_view field, std::initializer_list<std::string_view> names,
                bool allowExtra = false) {
    std::vector<bool> seen(names.size(), false);
    scan(
        tmpl, field, [](std::string_view) {},
        [&](std::string_view name, size_t) {
            if (allowExtra && isExtra(name)) return;
            size_t k = 0;
            for (auto allowed : names) {
                if (name == allowed) {
                    seen[k] = true;
                    return;
                }
                ++k;
            }
            throw Error("", placeOf(field), "unknown placeholder '{" + std::string(name) + "}'",
                        "allowed: " + allowedList(names));
        });
    size_t k = 0;
    for (auto name : names) {
        if (!seen[k++]) {
            throw Error("", placeOf(field), "missing placeholder '{" + std::string(name) + "}'",
                        "it needs all of " + allowedList(names));
        }
    }
}

std::string render(std::string_view tmpl, std::string_view field, std::initializer_list<Slot> slots,
                   const McqQuestion* question = nullptr) {
    std::string out;
    bool dropNewline = false;  // the '\n' after a dropped {options} line
    scan(
        tmpl, field,
        [&](std::string_view text) {
            if (dropNewline && !text.empty() && text.front() == '\n') text.remove_prefix(1);
            dropNewline = false;
            out += text;
        },
        [&](std::string_view name, size_t after) {
            for (const Slot& slot : slots) {
                if (slot.name != name) continue;
                const bool lineStart = out.empty() || out.back() == '\n';
                const bool lineEnd = after == tmpl.size() || tmpl[after] == '\n';
                if (slot.dropOwnLine && slot.value.empty() && lineStart && lineEnd) {
                    if (after == tmpl.size() && !out.empty()) out.pop_back();
                    dropNewline = after < tmpl.size();
                    return;
                }
                out += slot.value;
                return;
            }
            if (question != nullptr && isExtra(name)) {
                const std::string key(name.substr(kExtraPrefix.size()));
                auto it = question->extra.find(key);
                if (it == question->extra.end()) {
                    throw Error(
                        "", "question '" + question->id + "'",
                        "has no field '" + key + "' for the template's placeholder {" + std::string(name) + "}");
                }
                out += it->second;
                return;
            }
            throw Error("", placeOf(field), "unknown placeholder '{" + std::string(name) + "}'");
        });
    return out;
}

std::string optionLines(const McqQuestion& question, const PromptTemplate& prompt) {
    std::string lines;
    for (size_t i = 0; i < question.options.size(); ++i) {
        if (i) lines += '\n';
        const std::string letter = letterFor(static_cast<int>(i));
        lines += render(prompt.option, "option", {{"letter", letter}, {"text", question.options[i]}});
    }
    return lines;
}

std::string goldLetter(const McqQuestion& question) {
    if (question.answer < 0 || question.answer >= static_cast<int>(question.options.size())) {
        throw Error("", "question '" + question.id + "'",
                    "a few-shot example needs an answer; it has index " + std::to_string(question.answer));
    }
    return letterFor(question.answer);
}

}  // namespace

std::string letterFor(int index) {
    if (index < 0 || index >= 26) {
        throw Error("", "option " + std::to_string(index),
                    "option index out of range: letters go from A (0) to Z (25)");
    }
    return std::string(1, static_cast<char>('A' + index));
}

void validateTemplate(const PromptTemplate& prompt) {
    checkField(prompt.text, "text", {"question", "options"}, true);
    checkField(prompt.option, "option", {"letter", "text"});
}

std::string formatLetterPrompt(const McqQuestion& question, const PromptTemplate& prompt) {
    validateTemplate(prompt);
    const std::string options = optionLines(question, prompt);
    return prompt.fewShotPrefix +
           render(prompt.text, "text", {{"question", question.question}, {"options", options}}, &question);
}

std::string formatQuestionOnly(const McqQuestion& question, const PromptTemplate& prompt) {
    validateTemplate(prompt);
    return prompt.fewShotPrefix +
           render(prompt.text, "text", {{"question", question.question}, {"options", "", true}}, &question);
}

std::string fewShotExamples(const std::vector<McqQuestion>& examples, const PromptTemplate& prompt) {
    if (prompt.task != TaskPreset::None) return taskFewShotExamples(examples, prompt.task);
    PromptTemplate bare = prompt;
    bare.fewShotPrefix.clear();
    std::string out;
    for (const McqQuestion& example : examples) {
        out += formatLetterPrompt(example, bare) + " " + goldLetter(example) + "\n\n";
    }
    return out;
}

std::string fewShotContinuationExamples(const std::vector<McqQuestion>& examples, const PromptTemplate& prompt) {
    if (prompt.task != TaskPreset::None) return taskFewShotExamples(examples, prompt.task);
    PromptTemplate bare = prompt;
    bare.fewShotPrefix.clear();
    std::string out;
    for (const McqQuestion& example : examples) {
        goldLetter(example);  // checks the answer
        out += formatQuestionOnly(example, bare) + " " + example.options[example.answer] + "\n\n";
    }
    return out;
}

}  // namespace prunescope
