// Tokenizer models: byte-pair encoding (BPE) and word level. A model turns one pre-tokenized piece
// into ids; internal to core/tokenizer.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace prunescope {

// Token strings and their ids (ids may be sparse; size() is the largest id + 1).
class Vocab {
public:
    // Returns false when `token` is already present (the first id is kept).
    bool add(std::string token, int32_t id);
    std::optional<int32_t> find(std::string_view token) const;
    const std::string& token(int32_t id) const;  // empty for an unused id
    int32_t size() const { return static_cast<int32_t>(m_tokens.size()); }
    size_t count() const { return m_ids.size(); }
    const std::unordered_map<std::string, int32_t>& ids() const { return m_ids; }

private:
    std::unordered_map<std::string, int32_t> m_ids;
    std::vector<std::string> m_tokens;
};

class Model {
public:
    explicit Model(Vocab vocab) : m_vocab(std::move(vocab)) {}
    virtual ~Model() = default;
    // Appends the ids of `word` (one pre-tokenized piece) to `out`.
    virtual void tokenize(std::string_view word, std::vector<int32_t>& out) const = 0;
    const Vocab& vocab() const { return m_vocab; }

protected:
    Vocab m_vocab;
};

struct BpeOptions {
    std::optional<std::string> unkToken;
    std::string continuingSubwordPrefix;  // prepended to every symbol but a word's first
    std::string endOfWordSuffix;          // appended to a word's last symbol
    bool fuseUnk = false;                 // consecutive unknown characters give one unk id
    bool byteFallback = false;            // unknown characters as <0xNN> byte tokens
    bool ignoreMerges = false;            // a word found whole in the vocabulary is one token
};

// Counters of one merge run, for the tests' check that merging is not quadratic.
struct BpeStats {
    int64_t symbols = 0;     // symbols before merging
    int64_t heapPushes = 0;  // candidate pairs queued
    int64_t merges = 0;      // merges done
};

class BpeModel : public Model {
public:
    using MergeError = std::function<void(size_t index, const std::string& message)>;
    // `merges` in priority order; `fail` is called (and must throw) for a merge that refers to a
    // token outside the vocabulary.
    BpeModel(Vocab vocab, const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options,
             const MergeError& fail);

    void tokenize(std::string_view word, std::vector<int32_t>& out) const override;
    // The same with counters (a priority queue over adjacent pairs: O(n log n) in the length).
    void tokenize(std::string_view word, std::vector<int32_t>& out, BpeStats* stats) const;
    // A plain reference: repeatedly merges the leftmost best-ranked pair (O(n^2)); for the tests.
    std::vector<int32_t> tokenizeReference(std::string_view word) const;

    const BpeOptions& options() const { return m_options; }
    size_t mergeCount() const { return m_merges.size(); }

private:
    struct Merge {
        int32_t rank;
        int32_t newId;
    };
    static uint64_t key(int32_t a, int32_t b) {
        return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
    }
    const Merge* findMerge(int32_t a, int32_t b) const;
    std::vector<int32_t> initialSymbols(std::string_view word) const;
    void merge(std::string_view word, std::vector<int32_t>& out, BpeStats* stats) const;
    void mergeCached(std::string_view word, std::vector<int32_t>& out, BpeStats* stats) const;

    BpeOptions m_options;
    std::unordered_map<uint64_t, Merge> m_merges;
    std::vector<int32_t> m_charIds;  // ids of single-character tokens below U+10000 (-1: none)
    int32_t m_byteIds[256];          // <0xNN> tokens (-1: none)
    std::optional<int32_t> m_unkId;
    // SentencePiece-style vocabularies where no token has "▁" right after another character:
    // a word can be cut before each such "▁" without changing the result (no merge can cross).
    bool m_splitAtSpaceMarks = false;
    // Recently seen short words; Hugging Face keeps such a cache too.
    mutable std::shared_mutex m_cacheMutex;
    mutable std::unordered_map<std::string, std::vector<int32_t>> m_cache;
};

class WordLevelModel : public Model {
public:
    // `source`: the file it was read from, for the error when a word is unknown and there is no
    // unknown token.
    WordLevelModel(Vocab vocab, std::string unkToken, std::string source);
    void tokenize(std::string_view word, std::vector<int32_t>& out) const override;

private:
    std::string m_unkToken;
    std::optional<int32_t> m_unkId;
    std::string m_source;
};

}  // namespace prunescope
