// UTF-8 helpers, Unicode normalization (NFC / NFD) and lower case for the tokenizer; internal to
// core/tokenizer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace prunescope::unicode {

constexpr char32_t kReplacementChar = 0xFFFD;

// Decodes the code point at `pos` and advances `pos`. An invalid or truncated sequence yields
// U+FFFD and advances past its maximal valid prefix (at least one byte).
char32_t decodeUtf8(std::string_view text, size_t& pos);
// The same, and clears `valid` when the sequence was invalid.
char32_t decodeChecked(std::string_view text, size_t& pos, bool& valid);
void appendUtf8(std::string& out, char32_t cp);
// Byte length of the UTF-8 character starting at text[pos] (1 for an invalid byte).
size_t charLength(std::string_view text, size_t pos);

bool isValidUtf8(std::string_view text);
// `text` with every invalid UTF-8 sequence replaced by U+FFFD.
std::string sanitizeUtf8(std::string_view text);

// Rust's char::is_whitespace (the White_Space property), which Hugging Face tokenizers use.
bool isWhitespace(char32_t cp);

std::string nfc(std::string_view text);
std::string nfd(std::string_view text);
// Full Unicode lower-case mapping per character (no final-sigma rule).
std::string lowercase(std::string_view text);
// The version of the Unicode data behind nfc()/nfd().
const char* unicodeVersion();

}  // namespace prunescope::unicode
