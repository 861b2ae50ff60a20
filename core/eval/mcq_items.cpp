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

}  // namespace

ScoringItem buildScoringItem(const McqQuestion& q, const Tokenizer& tokenizer, ScoringMode mode,
                             const PromptTemplate& prompt) {
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
                            "use --scoring continuation or a template whose prompt ends before the letter");
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
        item.optionChars.push_back(codePoints(" " + option));
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
            throw Error(data.source.string(), "line " + std::to_string(q.line) + ", " + e.place(), e.message(), e.hint());
        }
    }
    return items;
}

}  // namespace prunescope
