#include "core/tokenizer/regex.h"

#include <pcre2.h>

#include <memory>
#include <stdexcept>

#include "core/tokenizer/unicode.h"

namespace prunescope {
namespace {

constexpr const char* kWhiteSpaceSet =
    "\\t-\\r\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}"
    "\\x{3000}";

struct MatchDataDeleter {
    void operator()(pcre2_match_data* data) const { pcre2_match_data_free(data); }
};
using MatchData = std::unique_ptr<pcre2_match_data, MatchDataDeleter>;

}  // namespace

Regex::Regex(const std::string& pattern) : m_pattern(pattern) {
    int errorCode = 0;
    PCRE2_SIZE errorOffset = 0;
    m_code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), PCRE2_UTF | PCRE2_UCP,
                           &errorCode, &errorOffset, nullptr);
    if (m_code == nullptr) {
        PCRE2_UCHAR buffer[256];
        pcre2_get_error_message(errorCode, buffer, sizeof buffer);
        throw std::invalid_argument("invalid regular expression at offset " + std::to_string(errorOffset) + ": " +
                                    reinterpret_cast<const char*>(buffer));
    }
    m_jit = pcre2_jit_compile(m_code, PCRE2_JIT_COMPLETE) == 0;
}

Regex::~Regex() {
    pcre2_code_free(m_code);
}

std::vector<std::pair<size_t, size_t>> Regex::findAll(std::string_view text) const {
    std::vector<std::pair<size_t, size_t>> matches;
    MatchData data(pcre2_match_data_create_from_pattern(m_code, nullptr));
    if (!data) throw std::bad_alloc();
    auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    size_t pos = 0;
    while (pos <= text.size()) {
        int rc = m_jit ? pcre2_jit_match(m_code, subject, text.size(), pos, PCRE2_NO_UTF_CHECK, data.get(), nullptr)
                       : PCRE2_ERROR_JIT_BADOPTION;
        if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) {
            // JIT stack exhausted or no JIT: the interpreter has no such limit in practice.
            rc = pcre2_match(m_code, subject, text.size(), pos, PCRE2_NO_UTF_CHECK, data.get(), nullptr);
        }
        if (rc == PCRE2_ERROR_NOMATCH) break;
        if (rc < 0) {
            PCRE2_UCHAR buffer[256];
            pcre2_get_error_message(rc, buffer, sizeof buffer);
            throw std::runtime_error(std::string("regular expression match failed: ") +
                                     reinterpret_cast<const char*>(buffer));
        }
        PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data.get());
        size_t start = ovector[0], end = ovector[1];
        if (end > start) {
            matches.emplace_back(start, end);
            pos = end;
        } else {
            if (start >= text.size()) break;
            pos = start + unicode::charLength(text, start);
        }
    }
    return matches;
}

bool Regex::search(std::string_view text) const {
    MatchData data(pcre2_match_data_create_from_pattern(m_code, nullptr));
    int rc = pcre2_match(m_code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0, PCRE2_NO_UTF_CHECK,
                         data.get(), nullptr);
    return rc >= 0;
}

std::string adaptOnigurumaPattern(const std::string& pattern) {
    std::string out;
    out.reserve(pattern.size() + 64);
    bool inClass = false;
    for (size_t i = 0; i < pattern.size(); ++i) {
        char c = pattern[i];
        if (c == '\\' && i + 1 < pattern.size()) {
            char e = pattern[i + 1];
            ++i;
            if (e == 's') {
                out += inClass ? std::string(kWhiteSpaceSet) : "[" + std::string(kWhiteSpaceSet) + "]";
            } else if (e == 'S' && !inClass) {
                out += "[^" + std::string(kWhiteSpaceSet) + "]";
            } else {
                out += c;
                out += e;
            }
            continue;
        }
        if (!inClass && c == '[') {
            inClass = true;
            out += c;
            // A ']' right after '[' or '[^' is a literal.
            if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
            if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];
            continue;
        }
        if (inClass && c == '[' && i + 1 < pattern.size() && pattern[i + 1] == ':') {
            size_t close = pattern.find(":]", i + 2);
            if (close != std::string::npos) {
                out += pattern.substr(i, close + 2 - i);
                i = close + 1;
                continue;
            }
        }
        if (inClass && c == ']') inClass = false;
        out += c;
    }
    return out;
}

bool isAlphanumeric(char32_t cp) {
    if (cp < 0x80) {
        return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    }
    static const std::unique_ptr<Regex> kAlphanumeric = []() -> std::unique_ptr<Regex> {
        try {
            return std::make_unique<Regex>("^[\\p{Alphabetic}\\p{N}]");
        } catch (const std::invalid_argument&) {
            return std::make_unique<Regex>("^[\\p{L}\\p{Nl}\\p{Mn}\\p{Mc}\\p{N}]");
        }
    }();
    std::string text;
    unicode::appendUtf8(text, cp);
    return kAlphanumeric->search(text);
}

}  // namespace prunescope
