#include "core/eval/mcq_items.h"

#include "core/tokenizer/tokenizer.h"
#include "core/util/error.h"

namespace prunescope {
namespace {

std::vector<int64_t> encode(const Tokenizer& tokenizer, const std::string& text) {
    auto ids = tokenizer.encode(text, true);
    return {ids.begin(), ids.end()};
}

// The tokens `suffix` adds after `context` (whose encoding is `contextIds`).
std::vector<int64_t> continuationTokens(const Tokenizer& tokenizer, const std::string& context,
                                        const std::vector<int64_t>& contextIds, const std::string& suffix) {
    auto whole = encode(tokenizer, context + suffix);
    if (whole.size() <= contextIds.size()) return {};
    return {whole.begin() + static_cast<std::ptrdiff_t>(contextIds.size()), whole.end()};
}

// Characters (code points) of UTF-8 text, as lm-evaluation-harness counts them for acc_norm.
int codePoints(const std::string& text) {
    int n = 0;
    for (unsigned char c : text) n += (c & 0xC0) != 0x80;
    return n;
}

// A task preset's requests: the contexts and continuations it names, split into tokens the way
// lm-evaluation-harness does (encode(context + continuation) after encode(context)).
ScoringItem presetItem(const McqQuestion& q, const Tokenizer& tokenizer, ScoringMode mode,
                       const PromptTemplate& prompt) {
    const std::string where = "question '" + q.id + "'";
    const bool letters = taskPresetScoresLetters(prompt.task);
    if (letters != (mode == ScoringMode::Letter)) {
        throw Error("", "setting 'task_preset' (" + taskPresetName(prompt.task) + ")",
                    std::string("this preset scores ") + (letters ? "answer letters" : "the options' text") + ", not " +
                        scoringModeName(mode) + "s",
                    std::string("use scoring mode ") + (letters ? "letter" : "continuation") + " with it");
    }
    const TaskTexts texts = taskTexts(q, prompt.task, prompt.fewShotPrefix);
    ScoringItem item;
    item.gold = q.answer;
    std::vector<std::vector<int64_t>> contexts;
    for (const auto& context : texts.contexts) contexts.push_back(encode(tokenizer, context));
    item.context = contexts[0];
    for (size_t i = 0; i < texts.continuations.size(); ++i) {
        const size_t c = texts.contexts.size() == 1 ? 0 : i;
        auto cont = continuationTokens(tokenizer, texts.contexts[c], contexts[c], texts.continuations[i]);
        if (cont.empty()) throw Error("", where, "option " + std::to_string(i + 1) + " encodes to no tokens");
        if (letters && cont.size() != 1) {
            throw Error("", where,
                        "the answer letter '" + texts.continuations[i] + "' is " + std::to_string(cont.size()) +
                            " tokens for this tokenizer, letter scoring needs one");
        }
        item.continuations.push_back(std::move(cont));
        item.optionChars.push_back(codePoints(texts.choices[i]));
    }
    if (texts.contexts.size() > 1) item.optionContexts = std::move(contexts);
    return item;
}

}  // namespace

ScoringMode presetScoringMode(TaskPreset preset) {
    return preset == TaskPreset::None || taskPresetScoresLetters(preset) ? ScoringMode::Letter
                                                                         : ScoringMode::Continuation;
}

ScoringItem buildScoringItem(const McqQuestion& q, const Tokenizer& tokenizer, ScoringMode mode,
                             const PromptTemplate& prompt) {
    if (prompt.task != TaskPreset::None) return presetItem(q, tokenizer, mode, prompt);
    ScoringItem item;
    item.gold = q.answer;
    const std::string where = "question '" + q.id + "'";
    if (mode == ScoringMode::Letter) {
        std::string text = formatLetterPrompt(q, prompt);
        item.context = encode(tokenizer, text);
        for (size_t i = 0; i < q.options.size(); ++i) {
            std::string letter = letterFor(static_cast<int>(i));
            auto cont = continuationTokens(tokenizer, text, item.context, " " + letter);
            if (cont.size() != 1) {
                throw Error("", where,
                            "the answer letter ' " + letter + "' is " + std::to_string(cont.size()) +
                                " tokens for this tokenizer, letter scoring needs one",
                            "score the options' text instead (scoring mode continuation), or use a template whose "
                            "prompt ends before the letter");
            }
            item.continuations.push_back(cont);
            item.optionChars.push_back(1);
        }
        for (size_t i = 0; i < item.continuations.size(); ++i) {
            for (size_t j = 0; j < i; ++j) {
                if (item.continuations[i] == item.continuations[j]) {
                    throw Error("", where, "two answer letters map to the same token");
                }
            }
        }
        return item;
    }
    std::string text = formatQuestionOnly(q, prompt);
    item.context = encode(tokenizer, text);
    for (const auto& option : q.options) {
        auto cont = continuationTokens(tokenizer, text, item.context, " " + option);
        if (cont.empty()) throw Error("", where, "option '" + option + "' encodes to no tokens");
        item.continuations.push_back(cont);
        item.optionChars.push_back(codePoints(option));  // the option without its " ", as lm-eval counts
    }
    return item;
}

std::vector<ScoringItem> buildScoringItems(const McqDataset& data, const Tokenizer& tokenizer, ScoringMode mode,
                                           const PromptTemplate& prompt) {
    std::vector<ScoringItem> items;
    items.reserve(data.questions.size());
    for (const auto& q : data.questions) {
        try {
            items.push_back(buildScoringItem(q, tokenizer, mode, prompt));
        } catch (const Error& e) {
            if (!e.file().empty()) throw;
            throw Error(data.source.string(), "line " + std::to_string(q.line) + ", " + e.place(), e.message(),
                        e.hint());
        }
    }
    return items;
}

}  // namespace prunescope
