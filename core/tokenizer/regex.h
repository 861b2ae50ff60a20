// A compiled PCRE2 regular expression (UTF-8, Unicode properties, JIT when available); internal to
// core/tokenizer. Hugging Face tokenizers use Oniguruma; adaptOnigurumaPattern() bridges the one
// difference that matters for tokenizer patterns.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct pcre2_real_code_8;

namespace prunescope {

class Regex {
public:
    // Throws std::invalid_argument with PCRE2's message and offset on a bad pattern.
    explicit Regex(const std::string& pattern);
    ~Regex();
    Regex(const Regex&) = delete;
    Regex& operator=(const Regex&) = delete;

    // Byte ranges [first, second) of the non-empty, non-overlapping matches, left to right.
    // `text` must be valid UTF-8.
    std::vector<std::pair<size_t, size_t>> findAll(std::string_view text) const;
    // Whether the pattern matches somewhere in `text`.
    bool search(std::string_view text) const;
    const std::string& pattern() const { return m_pattern; }

private:
    pcre2_real_code_8* m_code = nullptr;
    bool m_jit = false;
    std::string m_pattern;
};

// Oniguruma's \s (used by Hugging Face) is the White_Space property, which includes U+0085;
// PCRE2's \s does not. Rewrites \s (and \S outside classes) to the exact White_Space set.
std::string adaptOnigurumaPattern(const std::string& pattern);

// Rust's char::is_alphanumeric (Alphabetic or Numeric), used by added tokens' single_word.
bool isAlphanumeric(char32_t cp);

}  // namespace prunescope
