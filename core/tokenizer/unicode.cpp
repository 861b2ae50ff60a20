#include "core/tokenizer/unicode.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace prunescope::unicode {
namespace {

struct CombiningRun {
    char32_t first;
    char32_t last;
    uint8_t combiningClass;
};
struct DecompositionEntry {
    char32_t cp;
    uint16_t offset;
    uint8_t length;
};
struct CompositionEntry {
    char32_t first;
    char32_t second;
    char32_t composite;
};

#include "core/tokenizer/unicode_tables.inc"

// Hangul syllables are (de)composed algorithmically (Unicode §3.12).
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28;
constexpr char32_t kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

int combiningClass(char32_t cp) {
    if (cp < 0x300) return 0;
    auto it = std::upper_bound(std::begin(kCombiningRuns), std::end(kCombiningRuns), cp,
                               [](char32_t c, const CombiningRun& r) { return c < r.first; });
    if (it == std::begin(kCombiningRuns)) return 0;
    --it;
    return cp <= it->last ? it->combiningClass : 0;
}

const DecompositionEntry* findDecomposition(char32_t cp) {
    auto it = std::lower_bound(std::begin(kDecompositions), std::end(kDecompositions), cp,
                               [](const DecompositionEntry& e, char32_t c) { return e.cp < c; });
    return it != std::end(kDecompositions) && it->cp == cp ? it : nullptr;
}

// The primary composite of (first, second), or 0.
char32_t compose(char32_t first, char32_t second) {
    if (first >= kLBase && first < kLBase + kLCount && second >= kVBase && second < kVBase + kVCount) {
        return kSBase + ((first - kLBase) * kVCount + (second - kVBase)) * kTCount;
    }
    if (first >= kSBase && first < kSBase + kSCount && (first - kSBase) % kTCount == 0 && second > kTBase &&
        second < kTBase + kTCount) {
        return first + (second - kTBase);
    }
    auto it = std::lower_bound(std::begin(kCompositions), std::end(kCompositions), std::make_pair(first, second),
                               [](const CompositionEntry& e, const std::pair<char32_t, char32_t>& k) {
                                   return e.first != k.first ? e.first < k.first : e.second < k.second;
                               });
    if (it != std::end(kCompositions) && it->first == first && it->second == second) {
        return it->composite;
    }
    return 0;
}

// Canonical decomposition followed by the canonical ordering of combining marks.
std::vector<char32_t> decomposeAndOrder(std::string_view text) {
    std::vector<char32_t> out;
    out.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
        char32_t cp = decodeUtf8(text, pos);
        if (cp >= kSBase && cp < kSBase + kSCount) {
            char32_t s = cp - kSBase;
            out.push_back(kLBase + s / kNCount);
            out.push_back(kVBase + (s % kNCount) / kTCount);
            if (s % kTCount != 0) out.push_back(kTBase + s % kTCount);
        } else if (const auto* d = cp >= 0xC0 ? findDecomposition(cp) : nullptr) {
            out.insert(out.end(), kDecompositionData + d->offset, kDecompositionData + d->offset + d->length);
        } else {
            out.push_back(cp);
        }
    }
    // Stable sort of each run of non-starters by combining class (runs are short: insertion sort).
    for (size_t i = 1; i < out.size(); ++i) {
        int cls = combiningClass(out[i]);
        if (cls == 0) continue;
        size_t j = i;
        while (j > 0) {
            int prev = combiningClass(out[j - 1]);
            if (prev == 0 || prev <= cls) break;
            std::swap(out[j - 1], out[j]);
            --j;
        }
    }
    return out;
}

// NFC is the identity on text whose code points are all below U+0300 (nothing there composes
// with what follows it, and nothing decomposes into something that does not recompose).
bool belowCombiningMarks(std::string_view text) {
    for (size_t pos = 0; pos < text.size();) {
        auto c = static_cast<unsigned char>(text[pos]);
        if (c < 0x80) {
            ++pos;
            continue;
        }
        if (decodeUtf8(text, pos) >= 0x300) return false;
    }
    return true;
}

}  // namespace

// Decodes one character; an invalid sequence gives U+FFFD and skips its maximal valid prefix (as
// Rust's String::from_utf8_lossy and the WHATWG decoder do), setting `valid` to false.
char32_t decodeChecked(std::string_view text, size_t& pos, bool& valid) {
    auto c = static_cast<unsigned char>(text[pos]);
    if (c < 0x80) {
        ++pos;
        return c;
    }
    valid = false;
    if (c < 0xC2 || c > 0xF4) {
        ++pos;
        return kReplacementChar;
    }
    size_t length = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    unsigned char low = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
    unsigned char high = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    char32_t cp = c & (0xFF >> (length + 1));
    for (size_t i = 1; i < length; ++i) {
        if (pos + i >= text.size()) {
            pos += i;
            return kReplacementChar;
        }
        auto b = static_cast<unsigned char>(text[pos + i]);
        bool ok = i == 1 ? (b >= low && b <= high) : (b & 0xC0) == 0x80;
        if (!ok) {
            pos += i;
            return kReplacementChar;
        }
        cp = (cp << 6) | (b & 0x3F);
    }
    pos += length;
    valid = true;
    return cp;
}

size_t charLength(std::string_view text, size_t pos) {
    size_t next = pos;
    decodeUtf8(text, next);
    return next - pos;
}

char32_t decodeUtf8(std::string_view text, size_t& pos) {
    bool valid = true;
    return decodeChecked(text, pos, valid);
}

void appendUtf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

bool isValidUtf8(std::string_view text) {
    bool valid = true;
    for (size_t pos = 0; pos < text.size() && valid;) decodeChecked(text, pos, valid);
    return valid;
}

std::string sanitizeUtf8(std::string_view text) {
    if (isValidUtf8(text)) return std::string(text);
    std::string out;
    out.reserve(text.size() + 8);
    for (size_t pos = 0; pos < text.size();) appendUtf8(out, decodeUtf8(text, pos));
    return out;
}

bool isWhitespace(char32_t cp) {
    if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
    if (cp < 0x85) return false;
    return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

std::string nfd(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char32_t cp : decomposeAndOrder(text)) appendUtf8(out, cp);
    return out;
}

std::string nfc(std::string_view text) {
    if (belowCombiningMarks(text)) return std::string(text);
    std::vector<char32_t> cps = decomposeAndOrder(text);
    std::string out;
    out.reserve(text.size());
    if (cps.empty()) return out;
    // The composition algorithm of UAX #15: a character composes with the last starter unless a
    // character of the same or higher class stands between them.
    size_t starter = 0;
    int lastClass = combiningClass(cps[0]) == 0 ? 0 : 256;
    size_t length = 1;
    for (size_t i = 1; i < cps.size(); ++i) {
        char32_t cp = cps[i];
        int cls = combiningClass(cp);
        char32_t composite = compose(cps[starter], cp);
        if (composite != 0 && (lastClass < cls || lastClass == 0)) {
            cps[starter] = composite;
            continue;
        }
        if (cls == 0) starter = length;
        lastClass = cls;
        cps[length++] = cp;
    }
    for (size_t i = 0; i < length; ++i) appendUtf8(out, cps[i]);
    return out;
}

std::string lowercase(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
        char32_t cp = decodeUtf8(text, pos);
        if (cp < 0x80) {
            out.push_back(static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
            continue;
        }
        auto it = std::lower_bound(std::begin(kLowercase), std::end(kLowercase), cp,
                                   [](const DecompositionEntry& e, char32_t c) { return e.cp < c; });
        if (it != std::end(kLowercase) && it->cp == cp) {
            for (size_t i = 0; i < it->length; ++i) appendUtf8(out, kLowercaseData[it->offset + i]);
        } else {
            appendUtf8(out, cp);
        }
    }
    return out;
}

const char* unicodeVersion() {
    return kUnicodeVersion;
}

}  // namespace prunescope::unicode
