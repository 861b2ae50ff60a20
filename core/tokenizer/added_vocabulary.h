// Added tokens (special tokens like "<|im_start|>" and extra words): they are cut out of the text
// before the normalizer and the model see it, as in Hugging Face; internal to core/tokenizer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace prunescope {

class Normalizer;

struct AddedToken {
    std::string content;
    int32_t id = -1;
    bool special = false;     // skipped by decode(skipSpecial)
    bool lstrip = false;      // also swallows the whitespace before it
    bool rstrip = false;      // also swallows the whitespace after it
    bool singleWord = false;  // only matches when not inside a word
    bool normalized = false;  // matched in the normalized text rather than the raw text
};

// A stretch of the input: an added token (id >= 0) or normalized text for the pre-tokenizer.
struct Segment {
    std::string text;
    int32_t id = -1;
    bool atStart = false;  // begins at the start of the input
};

class AddedVocabulary {
public:
    // A token with the same content as an earlier one replaces it.
    void add(AddedToken token);
    // Prepares matching; `normalizer` (may be null) is applied to the normalized tokens' content.
    void build(const Normalizer* normalizer);

    // Raw text in; added tokens and normalized text pieces out, in order.
    std::vector<Segment> split(std::string_view text, const Normalizer* normalizer) const;

    const AddedToken* findId(int32_t id) const;
    const AddedToken* findContent(std::string_view content) const;
    bool isSpecial(int32_t id) const;
    int32_t maxId() const;  // -1 when empty
    const std::vector<AddedToken>& tokens() const { return m_tokens; }

private:
    // A byte trie over token contents, matched leftmost-longest (Aho-Corasick's semantics).
    struct Trie {
        struct Node {
            std::vector<std::pair<unsigned char, int32_t>> children;
            int32_t token = -1;  // index into m_tokens
        };
        std::vector<Node> nodes{Node{}};
        bool firstBytes[256] = {};
        void insert(std::string_view pattern, int32_t token);
        // Longest match starting at `pos`: (token index, length), token -1 if none.
        std::pair<int32_t, size_t> longestAt(std::string_view text, size_t pos) const;
    };
    void splitWith(const Trie& trie, std::string_view text, bool atStart, std::vector<Segment>& out) const;

    std::vector<AddedToken> m_tokens;
    std::unordered_map<int32_t, size_t> m_byId;
    std::unordered_map<std::string, size_t> m_byContent;
    Trie m_raw;         // tokens matched before normalization
    Trie m_normalized;  // tokens matched after it
    bool m_hasNormalized = false;
};

}  // namespace prunescope
