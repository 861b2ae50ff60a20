#include "core/tokenizer/added_vocabulary.h"

#include <algorithm>

#include "core/tokenizer/normalizer.h"
#include "core/tokenizer/regex.h"
#include "core/tokenizer/unicode.h"

namespace prunescope {
namespace {

char32_t lastChar(std::string_view text) {
    size_t start = text.size() - 1;
    while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
    return unicode::decodeUtf8(text, start);
}

// Where the whitespace at the end of text[0, end) begins.
size_t trailingSpaceStart(std::string_view text, size_t end) {
    while (end > 0) {
        size_t start = end - 1;
        while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
        size_t pos = start;
        if (!unicode::isWhitespace(unicode::decodeUtf8(text, pos))) break;
        end = start;
    }
    return end;
}

// Where the whitespace beginning at `start` ends.
size_t leadingSpaceEnd(std::string_view text, size_t start) {
    while (start < text.size()) {
        size_t pos = start;
        if (!unicode::isWhitespace(unicode::decodeUtf8(text, pos))) break;
        start = pos;
    }
    return start;
}

}  // namespace

void AddedVocabulary::Trie::insert(std::string_view pattern, int32_t token) {
    if (pattern.empty()) return;
    int32_t node = 0;
    for (char ch : pattern) {
        auto c = static_cast<unsigned char>(ch);
        auto& children = nodes[node].children;
        auto it = std::find_if(children.begin(), children.end(), [c](const auto& e) { return e.first == c; });
        if (it == children.end()) {
            nodes.push_back(Node{});
            int32_t child = static_cast<int32_t>(nodes.size()) - 1;
            nodes[node].children.emplace_back(c, child);
            node = child;
        } else {
            node = it->second;
        }
    }
    nodes[node].token = token;
    firstBytes[static_cast<unsigned char>(pattern[0])] = true;
}

std::pair<int32_t, size_t> AddedVocabulary::Trie::longestAt(std::string_view text, size_t pos) const {
    std::pair<int32_t, size_t> best{-1, 0};
    int32_t node = 0;
    for (size_t i = pos; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        const auto& children = nodes[node].children;
        auto it = std::find_if(children.begin(), children.end(), [c](const auto& e) { return e.first == c; });
        if (it == children.end()) break;
        node = it->second;
        if (nodes[node].token >= 0) best = {nodes[node].token, i + 1 - pos};
    }
    return best;
}

void AddedVocabulary::add(AddedToken token) {
    auto it = m_byContent.find(token.content);
    if (it != m_byContent.end()) {
        m_byId.erase(m_tokens[it->second].id);
        m_tokens[it->second] = token;
        m_byId[token.id] = it->second;
        return;
    }
    m_byContent[token.content] = m_tokens.size();
    m_byId[token.id] = m_tokens.size();
    m_tokens.push_back(std::move(token));
}

void AddedVocabulary::build(const Normalizer* normalizer) {
    m_raw = Trie{};
    m_normalized = Trie{};
    m_hasNormalized = false;
    for (size_t i = 0; i < m_tokens.size(); ++i) {
        const auto& t = m_tokens[i];
        if (t.normalized) {
            m_normalized.insert(normalizer ? normalizer->normalize(t.content) : t.content, static_cast<int32_t>(i));
            m_hasNormalized = true;
        } else {
            m_raw.insert(t.content, static_cast<int32_t>(i));
        }
    }
}

// Hugging Face's AddedVocabulary::find_matches: leftmost-longest matches, filtered by
// single_word, widened by lstrip / rstrip; the text between them becomes segments of id -1.
void AddedVocabulary::splitWith(const Trie& trie, std::string_view text, bool atStart,
                                std::vector<Segment>& out) const {
    auto emitText = [&](size_t start, size_t end) {
        if (end > start) {
            out.push_back(Segment{std::string(text.substr(start, end - start)), -1, atStart && start == 0});
        }
    };
    size_t done = 0;
    for (size_t pos = 0; pos < text.size();) {
        if (!trie.firstBytes[static_cast<unsigned char>(text[pos])]) {
            ++pos;
            continue;
        }
        auto [index, length] = trie.longestAt(text, pos);
        if (index < 0) {
            ++pos;
            continue;
        }
        size_t start = pos, stop = pos + length;
        pos = stop;
        const AddedToken& token = m_tokens[index];
        if (start < done) continue;  // inside the whitespace an rstrip token took
        if (token.singleWord) {
            bool spaceBefore = start == 0 || !isAlphanumeric(lastChar(text.substr(0, start)));
            size_t next = stop;
            bool spaceAfter = stop == text.size() || !isAlphanumeric(unicode::decodeUtf8(text, next));
            if (!spaceBefore || !spaceAfter) continue;
        }
        if (token.lstrip) start = std::max(trailingSpaceStart(text, start), done);
        if (token.rstrip) stop = leadingSpaceEnd(text, stop);
        emitText(done, start);
        out.push_back(Segment{token.content, token.id, atStart && start == 0});
        done = stop;
        pos = std::max(pos, stop);
    }
    emitText(done, text.size());
}

std::vector<Segment> AddedVocabulary::split(std::string_view text, const Normalizer* normalizer) const {
    std::vector<Segment> first;
    if (m_tokens.empty()) {
        first.push_back(Segment{std::string(text), -1, true});
    } else {
        splitWith(m_raw, text, true, first);
    }
    std::vector<Segment> out;
    out.reserve(first.size());
    for (auto& segment : first) {
        if (segment.id >= 0) {
            out.push_back(std::move(segment));
            continue;
        }
        std::string normalized = normalizer ? normalizer->normalize(std::move(segment.text)) : std::move(segment.text);
        if (!m_hasNormalized) {
            if (!normalized.empty()) out.push_back(Segment{std::move(normalized), -1, segment.atStart});
            continue;
        }
        splitWith(m_normalized, normalized, segment.atStart, out);
    }
    return out;
}

const AddedToken* AddedVocabulary::findId(int32_t id) const {
    auto it = m_byId.find(id);
    return it == m_byId.end() ? nullptr : &m_tokens[it->second];
}

const AddedToken* AddedVocabulary::findContent(std::string_view content) const {
    auto it = m_byContent.find(std::string(content));
    return it == m_byContent.end() ? nullptr : &m_tokens[it->second];
}

bool AddedVocabulary::isSpecial(int32_t id) const {
    const AddedToken* t = findId(id);
    return t != nullptr && t->special;
}

int32_t AddedVocabulary::maxId() const {
    int32_t m = -1;
    for (const auto& t : m_tokens) m = std::max(m, t.id);
    return m;
}

}  // namespace prunescope
