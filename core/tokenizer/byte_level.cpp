#include "core/tokenizer/byte_level.h"

#include <array>
#include <vector>

#include "core/tokenizer/unicode.h"

namespace prunescope::byte_level {
namespace {

struct Alphabet {
    std::array<std::string, 256> chars;
    std::array<char32_t, 256> codePoints{};
    std::vector<int16_t> bytes;  // indexed by code point (< 324)

    Alphabet() {
        // GPT-2's bytes_to_unicode(): printable Latin-1 bytes stand for themselves, the rest are
        // shifted to U+0100 and up, in byte order.
        auto printable = [](int b) {
            return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        };
        char32_t next = 256;
        for (int b = 0; b < 256; ++b) codePoints[b] = printable(b) ? char32_t(b) : next++;
        bytes.assign(next, -1);
        for (int b = 0; b < 256; ++b) {
            unicode::appendUtf8(chars[b], codePoints[b]);
            bytes[codePoints[b]] = static_cast<int16_t>(b);
        }
    }
};

const Alphabet& alphabet() {
    static const Alphabet kAlphabet;
    return kAlphabet;
}

}  // namespace

const std::string& charOf(uint8_t byte) {
    return alphabet().chars[byte];
}

int byteOf(char32_t cp) {
    const auto& bytes = alphabet().bytes;
    return cp < bytes.size() ? bytes[cp] : -1;
}

std::string encode(std::string_view text) {
    const auto& a = alphabet();
    std::string out;
    out.reserve(text.size() * 2);
    for (char c : text) out += a.chars[static_cast<uint8_t>(c)];
    return out;
}

void decodeToken(std::string_view token, std::string& out) {
    size_t mark = out.size();
    for (size_t pos = 0; pos < token.size();) {
        int b = byteOf(unicode::decodeUtf8(token, pos));
        if (b < 0) {
            // Not a byte-level token (an added token like "<|im_start|> x"): kept as it is.
            out.resize(mark);
            out.append(token);
            return;
        }
        out.push_back(static_cast<char>(b));
    }
}

}  // namespace prunescope::byte_level
