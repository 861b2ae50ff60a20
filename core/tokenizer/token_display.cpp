#include "core/tokenizer/token_display.h"

#include <cstdio>
#include <string_view>

#include "core/tokenizer/byte_level.h"
#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/unicode.h"

namespace prunescope {
namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // "▁", SentencePiece's word start

std::string hexByte(uint8_t byte) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "<0x%02X>", unsigned(byte));
    return buf;
}

// Visible white space and control characters; invalid UTF-8 bytes one by one as <0x..>.
std::string readable(std::string_view text) {
    std::string out;
    size_t pos = 0;
    while (pos < text.size()) {
        const size_t start = pos;
        bool valid = true;
        const char32_t cp = unicode::decodeChecked(text, pos, valid);
        if (!valid) {
            for (size_t i = start; i < pos; ++i) out += hexByte(uint8_t(text[i]));
        } else if (cp == U' ') {
            out += "\xE2\x90\xA3";  // ␣
        } else if (cp == U'\n') {
            out += "\xE2\x86\xB5";  // ↵
        } else if (cp == U'\t') {
            out += "\xE2\x87\xA5";  // ⇥
        } else if (cp < 0x20 || cp == 0x7F) {
            out += hexByte(uint8_t(cp));
        } else {
            out.append(text.substr(start, pos - start));
        }
    }
    return out;
}

}  // namespace

std::string tokenDisplayText(const Tokenizer& tokenizer, int32_t id) {
    const std::string token = tokenizer.idToToken(id);
    std::string text;
    if (tokenizer.kind() == "byte-level BPE") {
        byte_level::decodeToken(token, text);
    } else {
        for (size_t pos = 0; pos < token.size();) {
            if (token.compare(pos, kSpaceMark.size(), kSpaceMark) == 0) {
                text += ' ';
                pos += kSpaceMark.size();
            } else {
                text += token[pos++];
            }
        }
    }
    return readable(text);
}

}  // namespace prunescope
