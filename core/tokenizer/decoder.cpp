#include "core/tokenizer/decoder.h"

#include <cstdint>

#include "core/tokenizer/byte_level.h"
#include "core/tokenizer/pattern.h"
#include "core/tokenizer/unicode.h"

namespace prunescope {
namespace {

constexpr const char* kSupported =
    "supported: ByteLevel, ByteFallback, Fuse, Strip, Replace, Metaspace, BPEDecoder, Sequence";
const std::string kReplacement = "\xEF\xBF\xBD";  // U+FFFD

class ByteLevelDecoder : public Decoder {
public:
    void apply(std::vector<std::string>& tokens) const override {
        std::string bytes;
        for (const auto& token : tokens) byte_level::decodeToken(token, bytes);
        tokens.assign(1, unicode::sanitizeUtf8(bytes));
    }
};

// <0x0A>-style tokens back to bytes; a run of them that is not valid UTF-8 becomes one U+FFFD per
// byte, as in Hugging Face.
class ByteFallbackDecoder : public Decoder {
public:
    void apply(std::vector<std::string>& tokens) const override {
        std::vector<std::string> out;
        out.reserve(tokens.size());
        std::string bytes;
        size_t count = 0;
        auto flush = [&] {
            if (count == 0) return;
            if (unicode::isValidUtf8(bytes)) {
                out.push_back(bytes);
            } else {
                for (size_t i = 0; i < count; ++i) out.push_back(kReplacement);
            }
            bytes.clear();
            count = 0;
        };
        for (auto& token : tokens) {
            int byte = parseByteToken(token);
            if (byte >= 0) {
                bytes.push_back(static_cast<char>(byte));
                ++count;
            } else {
                flush();
                out.push_back(std::move(token));
            }
        }
        flush();
        tokens = std::move(out);
    }

private:
    static int parseByteToken(const std::string& token) {
        if (token.size() != 6 || token.compare(0, 3, "<0x") != 0 || token[5] != '>') return -1;
        auto hex = [](char c) {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        };
        int hi = hex(token[3]), lo = hex(token[4]);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }
};

class FuseDecoder : public Decoder {
public:
    void apply(std::vector<std::string>& tokens) const override {
        std::string all;
        for (const auto& token : tokens) all += token;
        tokens.assign(1, all);
    }
};

// Removes up to `start` leading and `stop` trailing `content` characters of each token.
class StripDecoder : public Decoder {
public:
    StripDecoder(std::string content, int64_t start, int64_t stop)
        : m_content(std::move(content)), m_start(start), m_stop(stop) {}
    void apply(std::vector<std::string>& tokens) const override {
        if (m_content.empty()) return;
        for (auto& token : tokens) {
            size_t begin = 0, end = token.size();
            for (int64_t i = 0; i < m_start && token.compare(begin, m_content.size(), m_content) == 0; ++i) {
                begin += m_content.size();
            }
            for (int64_t i = 0; i < m_stop && end >= begin + m_content.size() &&
                                token.compare(end - m_content.size(), m_content.size(), m_content) == 0;
                 ++i) {
                end -= m_content.size();
            }
            token = token.substr(begin, end - begin);
        }
    }

private:
    std::string m_content;
    int64_t m_start, m_stop;
};

class ReplaceDecoder : public Decoder {
public:
    ReplaceDecoder(Pattern pattern, std::string content)
        : m_pattern(std::move(pattern)), m_content(std::move(content)) {}
    void apply(std::vector<std::string>& tokens) const override {
        for (auto& token : tokens) token = m_pattern.replaceAll(token, m_content);
    }

private:
    Pattern m_pattern;
    std::string m_content;
};

// The replacement character back to spaces; in the first token it is dropped unless nothing was
// prepended when encoding (prepend_scheme "never").
class MetaspaceDecoder : public Decoder {
public:
    MetaspaceDecoder(std::string replacement, bool dropFirst)
        : m_replacement(std::move(replacement)), m_dropFirst(dropFirst) {}
    void apply(std::vector<std::string>& tokens) const override {
        for (size_t i = 0; i < tokens.size(); ++i) {
            tokens[i] = Pattern(m_replacement).replaceAll(tokens[i], i == 0 && m_dropFirst ? "" : " ");
        }
    }

private:
    std::string m_replacement;
    bool m_dropFirst;
};

// The end-of-word suffix ("</w>") becomes a space, except on the last token.
class BpeDecoder : public Decoder {
public:
    explicit BpeDecoder(std::string suffix) : m_suffix(std::move(suffix)) {}
    void apply(std::vector<std::string>& tokens) const override {
        for (size_t i = 0; i < tokens.size(); ++i) {
            tokens[i] = Pattern(m_suffix).replaceAll(tokens[i], i + 1 == tokens.size() ? "" : " ");
        }
    }

private:
    std::string m_suffix;
};

class SequenceDecoder : public Decoder {
public:
    explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> parts) : m_parts(std::move(parts)) {}
    void apply(std::vector<std::string>& tokens) const override {
        for (const auto& part : m_parts) part->apply(tokens);
    }

private:
    std::vector<std::unique_ptr<Decoder>> m_parts;
};

}  // namespace

std::unique_ptr<Decoder> makeByteLevelDecoder() {
    return std::make_unique<ByteLevelDecoder>();
}

std::unique_ptr<Decoder> makeDecoder(const JsonField& field) {
    if (field.isNull()) return nullptr;
    std::string type = field["type"].str();
    if (type == "ByteLevel") return makeByteLevelDecoder();
    if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
    if (type == "Fuse") return std::make_unique<FuseDecoder>();
    if (type == "Strip") {
        return std::make_unique<StripDecoder>(field["content"].str(), field.intOr("start", 0), field.intOr("stop", 0));
    }
    if (type == "Replace") {
        return std::make_unique<ReplaceDecoder>(Pattern::fromJson(field["pattern"]), field["content"].str());
    }
    if (type == "Metaspace") {
        bool dropFirst = field.has("prepend_scheme") ? field["prepend_scheme"].str() != "never"
                                                     : field.boolOr("add_prefix_space", true);
        return std::make_unique<MetaspaceDecoder>(field.strOr("replacement", "\xE2\x96\x81"), dropFirst);
    }
    if (type == "BPEDecoder") return std::make_unique<BpeDecoder>(field.strOr("suffix", "</w>"));
    if (type == "Sequence") {
        JsonField list = field["decoders"];
        std::vector<std::unique_ptr<Decoder>> parts;
        for (size_t i = 0; i < list.arraySize(); ++i) {
            if (auto part = makeDecoder(list.at(i))) parts.push_back(std::move(part));
        }
        return std::make_unique<SequenceDecoder>(std::move(parts));
    }
    field["type"].fail("unsupported decoder type '" + type + "'", kSupported);
}

}  // namespace prunescope
