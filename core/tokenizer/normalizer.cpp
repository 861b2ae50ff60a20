#include "core/tokenizer/normalizer.h"

#include <vector>

#include "core/tokenizer/byte_level.h"
#include "core/tokenizer/pattern.h"
#include "core/tokenizer/unicode.h"

namespace prunescope {
namespace {

constexpr const char* kSupported = "supported: NFC, NFD, Lowercase, Strip, Replace, Prepend, ByteLevel, Sequence";

class NfcNormalizer : public Normalizer {
public:
    std::string normalize(std::string text) const override { return unicode::nfc(text); }
};

class NfdNormalizer : public Normalizer {
public:
    std::string normalize(std::string text) const override { return unicode::nfd(text); }
};

class LowercaseNormalizer : public Normalizer {
public:
    std::string normalize(std::string text) const override { return unicode::lowercase(text); }
};

class ByteLevelNormalizer : public Normalizer {
public:
    std::string normalize(std::string text) const override { return byte_level::encode(text); }
};

class StripNormalizer : public Normalizer {
public:
    StripNormalizer(bool left, bool right) : m_left(left), m_right(right) {}
    std::string normalize(std::string text) const override {
        size_t begin = 0, end = text.size();
        if (m_left) {
            while (begin < end) {
                size_t pos = begin;
                if (!unicode::isWhitespace(unicode::decodeUtf8(text, pos))) break;
                begin = pos;
            }
        }
        if (m_right) {
            while (end > begin) {
                size_t start = end - 1;
                while (start > begin && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) {
                    --start;
                }
                size_t pos = start;
                if (!unicode::isWhitespace(unicode::decodeUtf8(text, pos))) break;
                end = start;
            }
        }
        return text.substr(begin, end - begin);
    }

private:
    bool m_left, m_right;
};

class ReplaceNormalizer : public Normalizer {
public:
    ReplaceNormalizer(Pattern pattern, std::string content)
        : m_pattern(std::move(pattern)), m_content(std::move(content)) {}
    std::string normalize(std::string text) const override { return m_pattern.replaceAll(text, m_content); }

private:
    Pattern m_pattern;
    std::string m_content;
};

class PrependNormalizer : public Normalizer {
public:
    explicit PrependNormalizer(std::string prefix) : m_prefix(std::move(prefix)) {}
    std::string normalize(std::string text) const override { return text.empty() ? text : m_prefix + text; }

private:
    std::string m_prefix;
};

class SequenceNormalizer : public Normalizer {
public:
    explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> parts) : m_parts(std::move(parts)) {}
    std::string normalize(std::string text) const override {
        for (const auto& part : m_parts) text = part->normalize(std::move(text));
        return text;
    }

private:
    std::vector<std::unique_ptr<Normalizer>> m_parts;
};

}  // namespace

std::unique_ptr<Normalizer> makeNormalizer(const JsonField& field) {
    if (field.isNull()) return nullptr;
    std::string type = field["type"].str();
    if (type == "NFC") return std::make_unique<NfcNormalizer>();
    if (type == "NFD") return std::make_unique<NfdNormalizer>();
    if (type == "Lowercase") return std::make_unique<LowercaseNormalizer>();
    if (type == "ByteLevel") return std::make_unique<ByteLevelNormalizer>();
    if (type == "Strip") {
        return std::make_unique<StripNormalizer>(field.boolOr("strip_left", true), field.boolOr("strip_right", true));
    }
    if (type == "Replace") {
        return std::make_unique<ReplaceNormalizer>(Pattern::fromJson(field["pattern"]), field["content"].str());
    }
    if (type == "Prepend") return std::make_unique<PrependNormalizer>(field["prepend"].str());
    if (type == "Sequence") {
        JsonField list = field["normalizers"];
        std::vector<std::unique_ptr<Normalizer>> parts;
        for (size_t i = 0; i < list.arraySize(); ++i) {
            if (auto part = makeNormalizer(list.at(i))) parts.push_back(std::move(part));
        }
        return std::make_unique<SequenceNormalizer>(std::move(parts));
    }
    field["type"].fail("unsupported normalizer type '" + type + "'", kSupported);
}

}  // namespace prunescope
