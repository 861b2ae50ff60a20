#include "core/data/text_util.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <numeric>

#include "core/util/error.h"

namespace prunescope::detail {

size_t findInvalidUtf8(std::string_view text) {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const size_t n = text.size();
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t length = 0;
        uint32_t min = 0, cp = 0;
        if ((c & 0xE0) == 0xC0) {
            length = 2, min = 0x80, cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            length = 3, min = 0x800, cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            length = 4, min = 0x10000, cp = c & 0x07;
        } else {
            return i;
        }
        if (i + length > n) return i;
        for (size_t k = 1; k < length; ++k) {
            if ((p[i + k] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
        i += length;
    }
    return std::string_view::npos;
}

std::string describeInvalidUtf8(std::string_view line, size_t offset) {
    char text[80];
    std::snprintf(text, sizeof text, "invalid UTF-8 byte 0x%02X at column %zu",
                  static_cast<unsigned>(static_cast<unsigned char>(line[offset])), offset + 1);
    return text;
}

namespace {
bool isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
}  // namespace

std::string_view trimView(std::string_view text) {
    size_t b = 0, e = text.size();
    while (b < e && isSpace(text[b])) ++b;
    while (e > b && isSpace(text[e - 1])) --e;
    return text.substr(b, e - b);
}

std::string trim(std::string_view text) {
    return std::string(trimView(text));
}

std::string toLower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

std::string_view stripBom(std::string_view text) {
    if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    return text;
}

std::string readDatasetText(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw Error(file.string(), "", std::filesystem::exists(file) ? "cannot read file" : "no such file");
    std::string text;
    std::vector<char> chunk(size_t(1) << 20);
    size_t lineStart = 0;  // where the line being read starts in `text`
    int line = 1;
    size_t limit = kMaxLineBytes;
    auto checkLength = [&](size_t length) {
        if (length > limit) {
            const bool array = limit == kMaxJsonArrayLineBytes;
            throw Error(file.string(), "line " + std::to_string(line),
                        "longer than " + std::to_string(limit >> 20) + " MiB, the longest line " +
                            (array ? "a JSON array dataset" : "a dataset") + " may have",
                        "a dataset has one record per line, or is one JSON array; is this the right file?");
        }
    };
    while (in) {
        in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        const size_t n = static_cast<size_t>(in.gcount());
        if (n == 0) break;
        size_t at = text.size();
        text.append(chunk.data(), n);
        if (at == 0) {  // the first chunk: is the file one JSON array?
            const std::string_view head = stripBom(text);
            const size_t first = head.find_first_not_of(" \t\r\n");
            if (first != std::string_view::npos && head[first] == '[') limit = kMaxJsonArrayLineBytes;
        }
        while (const void* found = std::memchr(text.data() + at, '\n', text.size() - at)) {
            const size_t end = static_cast<size_t>(static_cast<const char*>(found) - text.data());
            checkLength(end - lineStart);
            ++line;
            lineStart = at = end + 1;
        }
        checkLength(text.size() - lineStart);
    }
    if (in.bad()) throw Error(file.string(), "", "cannot read file");
    return text;
}

std::vector<TextLine> splitLines(std::string_view text) {
    std::vector<TextLine> lines;
    size_t start = 0;
    int number = 1;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        lines.push_back({number++, line});
        start = end + 1;
    }
    return lines;
}

std::string joinList(const std::vector<std::string>& items) {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += ", ";
        out += items[i];
    }
    return out;
}

uint64_t SplitMix64::next() {
    uint64_t z = (m_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t fnv1a64(std::string_view text) {
    uint64_t h = 0xCBF29CE484222325ull;
    for (char c : text) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001B3ull;
    }
    return h;
}

std::vector<size_t> shuffledIndices(size_t n, SplitMix64& rng) {
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t{0});
    for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
    return order;
}

}  // namespace prunescope::detail
