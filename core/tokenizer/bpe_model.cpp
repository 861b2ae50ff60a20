// Byte-pair encoding as Hugging Face's tokenizers does it: start from characters (or bytes), then
// repeatedly merge the adjacent pair with the best (lowest) rank, leftmost first. A priority queue
// of candidate pairs over a linked list of symbols keeps a word of n characters at O(n log n).
#include "core/tokenizer/model.h"

#include <algorithm>
#include <cstdio>
#include <queue>

#include "core/tokenizer/unicode.h"

namespace prunescope {
namespace {

const std::string kSpaceMark = "\xE2\x96\x81";  // "▁", SentencePiece's space
constexpr size_t kCacheCapacity = 100000;
constexpr size_t kCachedWordBytes = 64;

// Whether `token` has "▁" right after a character that is not "▁".
bool hasInnerSpaceMark(const std::string& token) {
    for (size_t pos = token.find(kSpaceMark, 1); pos != std::string::npos; pos = token.find(kSpaceMark, pos + 1)) {
        if (pos < kSpaceMark.size() || token.compare(pos - kSpaceMark.size(), kSpaceMark.size(), kSpaceMark) != 0) {
            return true;
        }
    }
    return false;
}

}  // namespace

bool Vocab::add(std::string token, int32_t id) {
    auto [it, inserted] = m_ids.emplace(std::move(token), id);
    if (!inserted) return false;
    if (id >= size()) m_tokens.resize(static_cast<size_t>(id) + 1);
    if (m_tokens[id].empty()) m_tokens[id] = it->first;
    return true;
}

std::optional<int32_t> Vocab::find(std::string_view token) const {
    auto it = m_ids.find(std::string(token));
    if (it == m_ids.end()) return std::nullopt;
    return it->second;
}

const std::string& Vocab::token(int32_t id) const {
    static const std::string kEmpty;
    return id >= 0 && id < size() ? m_tokens[id] : kEmpty;
}

BpeModel::BpeModel(Vocab vocab, const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options,
                   const MergeError& fail)
    : Model(std::move(vocab)), m_options(std::move(options)) {
    const std::string& prefix = m_options.continuingSubwordPrefix;
    m_merges.reserve(merges.size());
    for (size_t i = 0; i < merges.size(); ++i) {
        const auto& [a, b] = merges[i];
        auto idA = m_vocab.find(a);
        if (!idA) fail(i, "token '" + a + "' is not in the vocabulary");
        auto idB = m_vocab.find(b);
        if (!idB) fail(i, "token '" + b + "' is not in the vocabulary");
        bool prefixed = !prefix.empty() && b.compare(0, prefix.size(), prefix) == 0;
        std::string merged = a + (prefixed ? b.substr(prefix.size()) : b);
        auto newId = m_vocab.find(merged);
        if (!newId) fail(i, "the merged token '" + merged + "' is not in the vocabulary");
        // A repeated pair keeps its last rank, as in Hugging Face.
        m_merges[key(*idA, *idB)] = Merge{static_cast<int32_t>(i), *newId};
    }
    std::fill(std::begin(m_byteIds), std::end(m_byteIds), -1);
    if (m_options.byteFallback) {
        for (int b = 0; b < 256; ++b) {
            char name[8];
            std::snprintf(name, sizeof name, "<0x%02X>", b);
            m_byteIds[b] = m_vocab.find(name).value_or(-1);
        }
    }
    if (m_options.unkToken) m_unkId = m_vocab.find(*m_options.unkToken);
    if (m_options.continuingSubwordPrefix.empty() && m_options.endOfWordSuffix.empty()) {
        m_splitAtSpaceMarks = m_vocab.find(kSpaceMark).has_value() &&
                              std::none_of(m_vocab.ids().begin(), m_vocab.ids().end(),
                                           [](const auto& e) { return hasInnerSpaceMark(e.first); });
        m_charIds.assign(0x10000, -1);
        for (const auto& [token, id] : m_vocab.ids()) {
            size_t pos = 0;
            if (token.empty()) continue;
            char32_t cp = unicode::decodeUtf8(token, pos);
            if (pos == token.size() && cp < 0x10000) m_charIds[cp] = id;
        }
    }
}

const BpeModel::Merge* BpeModel::findMerge(int32_t a, int32_t b) const {
    auto it = m_merges.find(key(a, b));
    return it == m_merges.end() ? nullptr : &it->second;
}

std::vector<int32_t> BpeModel::initialSymbols(std::string_view word) const {
    std::vector<int32_t> symbols;
    symbols.reserve(word.size());
    std::optional<int32_t> pendingUnk;
    auto flushUnk = [&] {
        if (pendingUnk) symbols.push_back(*pendingUnk);
        pendingUnk.reset();
    };
    std::string piece;
    for (size_t pos = 0; pos < word.size();) {
        size_t start = pos;
        char32_t cp = unicode::decodeUtf8(word, pos);
        std::optional<int32_t> id;
        if (!m_charIds.empty() && cp < 0x10000) {
            if (m_charIds[cp] >= 0) id = m_charIds[cp];
        } else {
            piece.clear();
            if (start > 0) piece += m_options.continuingSubwordPrefix;
            piece.append(word.substr(start, pos - start));
            if (pos == word.size()) piece += m_options.endOfWordSuffix;
            id = m_vocab.find(piece);
        }
        if (id) {
            flushUnk();
            symbols.push_back(*id);
            continue;
        }
        if (m_options.byteFallback && std::all_of(word.begin() + start, word.begin() + pos,
                                                  [&](char c) { return m_byteIds[static_cast<uint8_t>(c)] >= 0; })) {
            flushUnk();
            for (size_t i = start; i < pos; ++i) symbols.push_back(m_byteIds[static_cast<uint8_t>(word[i])]);
            continue;
        }
        if (m_unkId) {
            if (!(pendingUnk && m_options.fuseUnk)) flushUnk();
            pendingUnk = *m_unkId;
        }
        // Without an unknown token the character is dropped, as in Hugging Face.
    }
    flushUnk();
    return symbols;
}

void BpeModel::tokenize(std::string_view word, std::vector<int32_t>& out) const {
    tokenize(word, out, nullptr);
}

void BpeModel::tokenize(std::string_view word, std::vector<int32_t>& out, BpeStats* stats) const {
    if (m_options.ignoreMerges) {
        if (auto id = m_vocab.find(word)) {
            out.push_back(*id);
            return;
        }
    }
    if (!m_splitAtSpaceMarks) return mergeCached(word, out, stats);
    // SentencePiece-style input has no pre-tokenizer: the whole text is one word. Cut it before
    // every "▁" that follows another character (see m_splitAtSpaceMarks).
    size_t start = 0;
    for (size_t pos = word.find(kSpaceMark, 1); pos != std::string_view::npos; pos = word.find(kSpaceMark, pos + 1)) {
        if (pos >= kSpaceMark.size() && word.compare(pos - kSpaceMark.size(), kSpaceMark.size(), kSpaceMark) == 0) {
            continue;
        }
        mergeCached(word.substr(start, pos - start), out, stats);
        start = pos;
    }
    mergeCached(word.substr(start), out, stats);
}

void BpeModel::mergeCached(std::string_view word, std::vector<int32_t>& out, BpeStats* stats) const {
    if (word.size() > kCachedWordBytes || stats != nullptr) return merge(word, out, stats);
    std::string key(word);
    {
        std::shared_lock lock(m_cacheMutex);
        auto it = m_cache.find(key);
        if (it != m_cache.end()) {
            out.insert(out.end(), it->second.begin(), it->second.end());
            return;
        }
    }
    size_t first = out.size();
    merge(word, out, nullptr);
    std::unique_lock lock(m_cacheMutex);
    if (m_cache.size() < kCacheCapacity) {
        m_cache.emplace(std::move(key), std::vector<int32_t>(out.begin() + first, out.end()));
    }
}

void BpeModel::merge(std::string_view word, std::vector<int32_t>& out, BpeStats* stats) const {
    std::vector<int32_t> ids = initialSymbols(word);
    if (stats) stats->symbols += static_cast<int64_t>(ids.size());
    if (ids.size() < 2) {
        out.insert(out.end(), ids.begin(), ids.end());
        return;
    }
    // Symbols form a doubly linked list over their original positions; a merged-away symbol is
    // marked dead (id -1). Candidates: (rank, position of the left symbol), smallest first.
    const auto n = static_cast<int32_t>(ids.size());
    std::vector<int32_t> prev(n), next(n);
    for (int32_t i = 0; i < n; ++i) {
        prev[i] = i - 1;
        next[i] = i + 1 < n ? i + 1 : -1;
    }
    using Candidate = std::pair<int32_t, int32_t>;  // (rank, position)
    std::vector<Candidate> storage;
    storage.reserve(static_cast<size_t>(n));
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue(std::greater<>(), std::move(storage));
    auto push = [&](int32_t pos) {
        if (pos < 0 || next[pos] < 0) return;
        if (const Merge* m = findMerge(ids[pos], ids[next[pos]])) {
            queue.emplace(m->rank, pos);
            if (stats) ++stats->heapPushes;
        }
    };
    for (int32_t i = 0; i + 1 < n; ++i) push(i);
    while (!queue.empty()) {
        auto [rank, pos] = queue.top();
        queue.pop();
        // Stale candidates: the left symbol was merged away, or the pair changed since.
        if (ids[pos] < 0 || next[pos] < 0) continue;
        const Merge* m = findMerge(ids[pos], ids[next[pos]]);
        if (m == nullptr || m->rank != rank) continue;
        int32_t right = next[pos];
        ids[pos] = m->newId;
        ids[right] = -1;
        next[pos] = next[right];
        if (next[pos] >= 0) prev[next[pos]] = pos;
        if (stats) ++stats->merges;
        push(prev[pos]);
        push(pos);
    }
    for (int32_t i = 0; i >= 0; i = next[i]) out.push_back(ids[i]);
}

std::vector<int32_t> BpeModel::tokenizeReference(std::string_view word) const {
    if (m_options.ignoreMerges) {
        if (auto id = m_vocab.find(word)) return {*id};
    }
    std::vector<int32_t> ids = initialSymbols(word);
    constexpr int32_t kNone = INT32_MAX;
    auto rankOf = [&](size_t i) {
        const Merge* m = i + 1 < ids.size() ? findMerge(ids[i], ids[i + 1]) : nullptr;
        return m ? m->rank : kNone;
    };
    std::vector<int32_t> ranks(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) ranks[i] = rankOf(i);
    while (!ids.empty()) {
        size_t best = std::min_element(ranks.begin(), ranks.end()) - ranks.begin();
        if (ranks[best] == kNone) break;
        ids[best] = findMerge(ids[best], ids[best + 1])->newId;
        ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(best) + 1);
        ranks.erase(ranks.begin() + static_cast<std::ptrdiff_t>(best) + 1);
        ranks[best] = rankOf(best);
        if (best > 0) ranks[best - 1] = rankOf(best - 1);
    }
    return ids;
}

}  // namespace prunescope
