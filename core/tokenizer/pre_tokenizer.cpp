#include "core/tokenizer/pre_tokenizer.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "core/tokenizer/byte_level.h"
#include "core/tokenizer/pattern.h"
#include "core/tokenizer/unicode.h"

namespace prunescope {
namespace {

constexpr const char* kSupported =
    "supported: Split, ByteLevel, Metaspace, Whitespace, WhitespaceSplit, Digits, Punctuation, "
    "CharDelimiterSplit, BertPreTokenizer, Sequence";

constexpr const char* kGpt2Pattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
// Rust's char::is_ascii_punctuation or a Unicode punctuation (P*) character.
constexpr const char* kPunctuationClass = "[\\p{P}!-/:-@\\[-`{-~]";

enum class Behavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

using Ranges = std::vector<std::pair<size_t, size_t>>;
using Finder = std::function<Ranges(std::string_view)>;

// Hugging Face's NormalizedString::split: the matches and the text between them become pieces
// according to `behavior`.
void splitPiece(const Piece& piece, const Ranges& matches, Behavior behavior, bool invert, std::vector<Piece>& out) {
    struct Segment {
        size_t start, end;
        bool isMatch;
    };
    const std::string& text = piece.text;
    std::vector<Segment> segments;
    size_t last = 0;
    for (const auto& [start, end] : matches) {
        if (start > last) segments.push_back({last, start, invert});
        segments.push_back({start, end, !invert});
        last = end;
    }
    if (last < text.size()) segments.push_back({last, text.size(), invert});

    std::vector<Segment> kept;  // isMatch now means "remove"
    bool previous = false;
    switch (behavior) {
        case Behavior::Removed: kept = segments; break;
        case Behavior::Isolated:
            for (auto s : segments) kept.push_back({s.start, s.end, false});
            break;
        case Behavior::Contiguous:
        case Behavior::MergedWithPrevious:
            for (auto s : segments) {
                bool merge = behavior == Behavior::Contiguous ? s.isMatch == previous : s.isMatch && !previous;
                if (merge && !kept.empty()) {
                    kept.back().end = s.end;
                } else {
                    kept.push_back({s.start, s.end, false});
                }
                previous = s.isMatch;
            }
            break;
        case Behavior::MergedWithNext:
            for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
                if (it->isMatch && !previous && !kept.empty()) {
                    kept.back().start = it->start;
                } else {
                    kept.push_back({it->start, it->end, false});
                }
                previous = it->isMatch;
            }
            std::reverse(kept.begin(), kept.end());
            break;
    }
    for (const auto& s : kept) {
        if (s.isMatch || s.end == s.start) continue;
        out.push_back({text.substr(s.start, s.end - s.start), piece.atStart && s.start == 0});
    }
}

class SplitPreTokenizer : public PreTokenizer {
public:
    SplitPreTokenizer(Finder finder, Behavior behavior, bool invert)
        : m_finder(std::move(finder)), m_behavior(behavior), m_invert(invert) {}
    void apply(std::vector<Piece>& pieces) const override {
        std::vector<Piece> out;
        out.reserve(pieces.size());
        for (const auto& piece : pieces) splitPiece(piece, m_finder(piece.text), m_behavior, m_invert, out);
        pieces = std::move(out);
    }

private:
    Finder m_finder;
    Behavior m_behavior;
    bool m_invert;
};

Finder regexFinder(const std::string& pattern) {
    auto regex = std::make_shared<const Regex>(adaptOnigurumaPattern(pattern));
    return [regex](std::string_view text) { return regex->findAll(text); };
}

// One match per character for which `predicate` holds.
Finder charFinder(std::function<bool(char32_t)> predicate) {
    return [predicate = std::move(predicate)](std::string_view text) {
        Ranges matches;
        for (size_t pos = 0; pos < text.size();) {
            size_t start = pos;
            if (predicate(unicode::decodeUtf8(text, pos))) matches.emplace_back(start, pos);
        }
        return matches;
    };
}

class ByteLevelPreTokenizer : public PreTokenizer {
public:
    ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex)
        : m_addPrefixSpace(addPrefixSpace),
          m_regex(useRegex ? std::make_shared<const Regex>(adaptOnigurumaPattern(kGpt2Pattern)) : nullptr) {}
    void apply(std::vector<Piece>& pieces) const override {
        std::vector<Piece> out;
        out.reserve(pieces.size());
        for (auto& piece : pieces) {
            if (m_addPrefixSpace && (piece.text.empty() || piece.text[0] != ' ')) {
                piece.text.insert(0, 1, ' ');
            }
            if (m_regex) {
                splitPiece(piece, m_regex->findAll(piece.text), Behavior::Isolated, false, out);
            } else if (!piece.text.empty()) {
                out.push_back(std::move(piece));
            }
        }
        for (auto& piece : out) piece.text = byte_level::encode(piece.text);
        pieces = std::move(out);
    }

private:
    bool m_addPrefixSpace;
    std::shared_ptr<const Regex> m_regex;
};

class MetaspacePreTokenizer : public PreTokenizer {
public:
    enum class Prepend { Always, First, Never };
    MetaspacePreTokenizer(std::string replacement, Prepend prepend, bool split)
        : m_replacement(std::move(replacement)), m_prepend(prepend), m_split(split) {}
    void apply(std::vector<Piece>& pieces) const override {
        std::vector<Piece> out;
        Pattern marker(m_replacement);
        for (auto& piece : pieces) {
            piece.text = Pattern(" ").replaceAll(piece.text, m_replacement);
            bool starts = piece.text.compare(0, m_replacement.size(), m_replacement) == 0;
            if (!starts && (m_prepend == Prepend::Always || (m_prepend == Prepend::First && piece.atStart))) {
                piece.text.insert(0, m_replacement);
            }
            if (m_split) {
                splitPiece(piece, marker.findAll(piece.text), Behavior::MergedWithNext, false, out);
            } else if (!piece.text.empty()) {
                out.push_back(std::move(piece));
            }
        }
        pieces = std::move(out);
    }

private:
    std::string m_replacement;
    Prepend m_prepend;
    bool m_split;
};

class SequencePreTokenizer : public PreTokenizer {
public:
    explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> parts) : m_parts(std::move(parts)) {}
    void apply(std::vector<Piece>& pieces) const override {
        for (const auto& part : m_parts) part->apply(pieces);
    }

private:
    std::vector<std::unique_ptr<PreTokenizer>> m_parts;
};

Behavior parseBehavior(const JsonField& field) {
    std::string name = field.str();
    if (name == "Removed") return Behavior::Removed;
    if (name == "Isolated") return Behavior::Isolated;
    if (name == "MergedWithPrevious") return Behavior::MergedWithPrevious;
    if (name == "MergedWithNext") return Behavior::MergedWithNext;
    if (name == "Contiguous") return Behavior::Contiguous;
    field.fail("unknown split behavior '" + name + "'",
               "one of Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous");
}

std::unique_ptr<PreTokenizer> makeMetaspace(const JsonField& field) {
    std::string replacement = field.strOr("replacement", "\xE2\x96\x81");
    size_t pos = 0;
    if (replacement.empty() || (unicode::decodeUtf8(replacement, pos), pos != replacement.size())) {
        field["replacement"].fail("expected a single character");
    }
    auto prepend = MetaspacePreTokenizer::Prepend::Always;
    if (field.has("prepend_scheme")) {
        std::string scheme = field["prepend_scheme"].str();
        if (scheme == "first") {
            prepend = MetaspacePreTokenizer::Prepend::First;
        } else if (scheme == "never") {
            prepend = MetaspacePreTokenizer::Prepend::Never;
        } else if (scheme != "always") {
            field["prepend_scheme"].fail("unknown prepend scheme '" + scheme + "'", "one of always, first, never");
        }
    } else if (!field.boolOr("add_prefix_space", true)) {
        prepend = MetaspacePreTokenizer::Prepend::Never;
    }
    return std::make_unique<MetaspacePreTokenizer>(replacement, prepend, field.boolOr("split", true));
}

}  // namespace

std::unique_ptr<PreTokenizer> makeByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) {
    return std::make_unique<ByteLevelPreTokenizer>(addPrefixSpace, useRegex);
}

std::unique_ptr<PreTokenizer> makePreTokenizer(const JsonField& field) {
    if (field.isNull()) return nullptr;
    std::string type = field["type"].str();
    if (type == "ByteLevel") {
        return makeByteLevelPreTokenizer(field.boolOr("add_prefix_space", true), field.boolOr("use_regex", true));
    }
    if (type == "Split") {
        Pattern pattern = Pattern::fromJson(field["pattern"]);
        auto finder = [pattern](std::string_view text) { return pattern.findAll(text); };
        return std::make_unique<SplitPreTokenizer>(finder, parseBehavior(field["behavior"]),
                                                   field.boolOr("invert", false));
    }
    if (type == "Metaspace") return makeMetaspace(field);
    if (type == "WhitespaceSplit") {
        return std::make_unique<SplitPreTokenizer>(charFinder(unicode::isWhitespace), Behavior::Removed, false);
    }
    if (type == "Whitespace") {
        return std::make_unique<SplitPreTokenizer>(regexFinder("\\w+|[^\\w\\s]+"), Behavior::Removed, true);
    }
    if (type == "Digits") {
        bool individual = field.boolOr("individual_digits", false);
        return std::make_unique<SplitPreTokenizer>(regexFinder("\\p{N}"),
                                                   individual ? Behavior::Isolated : Behavior::Contiguous, false);
    }
    if (type == "Punctuation") {
        Behavior behavior = field.has("behavior") ? parseBehavior(field["behavior"]) : Behavior::Isolated;
        return std::make_unique<SplitPreTokenizer>(regexFinder(kPunctuationClass), behavior, false);
    }
    if (type == "CharDelimiterSplit") {
        std::string delimiter = field["delimiter"].str();
        Pattern pattern(delimiter);
        return std::make_unique<SplitPreTokenizer>([pattern](std::string_view text) { return pattern.findAll(text); },
                                                   Behavior::Removed, false);
    }
    if (type == "BertPreTokenizer") {
        std::vector<std::unique_ptr<PreTokenizer>> parts;
        parts.push_back(
            std::make_unique<SplitPreTokenizer>(charFinder(unicode::isWhitespace), Behavior::Removed, false));
        parts.push_back(std::make_unique<SplitPreTokenizer>(regexFinder(kPunctuationClass), Behavior::Isolated, false));
        return std::make_unique<SequencePreTokenizer>(std::move(parts));
    }
    if (type == "Sequence") {
        JsonField list = field["pretokenizers"];
        std::vector<std::unique_ptr<PreTokenizer>> parts;
        for (size_t i = 0; i < list.arraySize(); ++i) {
            if (auto part = makePreTokenizer(list.at(i))) parts.push_back(std::move(part));
        }
        return std::make_unique<SequencePreTokenizer>(std::move(parts));
    }
    field["type"].fail("unsupported pre-tokenizer type '" + type + "'", kSupported);
}

}  // namespace prunescope
