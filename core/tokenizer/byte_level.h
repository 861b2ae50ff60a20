// GPT-2's byte-level alphabet: every byte is shown as one printable character ("Ġ" for a space),
// so a BPE vocabulary over these characters covers any input; internal to core/tokenizer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace prunescope::byte_level {

// The UTF-8 text of the character standing for `byte`.
const std::string& charOf(uint8_t byte);
// The byte a character stands for, or -1 when it is not in the alphabet.
int byteOf(char32_t cp);

// Every byte of `text` replaced by its character.
std::string encode(std::string_view text);
// The inverse, appended to `out`: the token's characters back to bytes, or, when any character
// is outside the alphabet, the token unchanged (as Hugging Face's ByteLevel decoder does). The
// result may be invalid UTF-8: a token can end inside a character.
void decodeToken(std::string_view token, std::string& out);

}  // namespace prunescope::byte_level
