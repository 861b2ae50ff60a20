// What is added around a sequence (the post-processor of tokenizer.json) and which tokens are BOS,
// EOS and padding (tokenizer_config.json, special_tokens_map.json).
#include <nlohmann/json.hpp>

#include "core/tokenizer/json_field.h"
#include "core/tokenizer/tokenizer_impl.h"
#include "core/util/files.h"
#include "core/util/log.h"

namespace fs = std::filesystem;

namespace prunescope {
namespace {

struct Template {
    std::vector<int32_t> prefix, suffix;
    std::optional<int32_t> first, last;  // the first special token before / last after the text
};

// TemplateProcessing's "single": [{"SpecialToken": {"id": "<s>"}}, {"Sequence": {"id": "A"}}],
// or the short string form ["<s>", "$A"].
void readTemplate(const JsonField& field, Template& out) {
    JsonField single = field["single"];
    JsonField specials = field["special_tokens"];
    bool seenSequence = false;
    for (size_t i = 0; i < single.arraySize(); ++i) {
        JsonField item = single.at(i);
        std::string name;
        if (item.json().is_string()) {
            std::string s = item.str();
            if (!s.empty() && s[0] == '$') {
                seenSequence = true;
                continue;
            }
            size_t colon = s.rfind(':');  // "<s>:1" names the type id too
            name = colon != std::string::npos && colon > 0 ? s.substr(0, colon) : s;
        } else if (item.has("Sequence")) {
            seenSequence = true;
            continue;
        } else if (item.has("SpecialToken")) {
            name = item["SpecialToken"]["id"].str();
        } else {
            item.fail("expected {\"SpecialToken\": ...} or {\"Sequence\": ...}");
        }
        if (!specials.has(name)) item.fail("special token '" + name + "' is not in 'special_tokens'");
        JsonField ids = specials[name]["ids"];
        auto& target = seenSequence ? out.suffix : out.prefix;
        for (size_t k = 0; k < ids.arraySize(); ++k) {
            auto id = static_cast<int32_t>(ids.at(k).integer());
            target.push_back(id);
            if (!seenSequence && !out.first) out.first = id;
            if (seenSequence) out.last = id;
        }
    }
}

void readProcessor(const JsonField& field, Template& out) {
    if (field.isNull()) return;
    std::string type = field["type"].str();
    if (type == "ByteLevel") return;
    if (type == "TemplateProcessing") return readTemplate(field, out);
    if (type == "BertProcessing" || type == "RobertaProcessing") {
        // "cls": ["[CLS]", 101], "sep": ["[SEP]", 102]
        auto id = [](const JsonField& pair) {
            if (pair.arraySize() != 2) pair.fail("expected [token, id]");
            return static_cast<int32_t>(pair.at(1).integer());
        };
        out.prefix.push_back(id(field["cls"]));
        out.suffix.push_back(id(field["sep"]));
        out.first = out.prefix.back();
        out.last = out.suffix.back();
        return;
    }
    if (type == "Sequence") {
        JsonField list = field["processors"];
        for (size_t i = 0; i < list.arraySize(); ++i) readProcessor(list.at(i), out);
        return;
    }
    field["type"].fail("unsupported post-processor type '" + type + "'",
                       "supported: TemplateProcessing, ByteLevel, BertProcessing, "
                       "RobertaProcessing, Sequence");
}

// "bos_token": "<s>" or {"content": "<s>", ...}; nullopt when absent or null.
std::optional<std::string> tokenText(const JsonField& config, const std::string& key) {
    if (!config.has(key)) return std::nullopt;
    JsonField value = config[key];
    if (value.json().is_object()) return value["content"].str();
    return value.str();
}

// tokenizer_config.json after special_tokens_map.json: later files win.
void readConfigFiles(Tokenizer::Impl& impl, const fs::path& dir) {
    for (const char* fileName : {"special_tokens_map.json", "tokenizer_config.json"}) {
        fs::path path = dir / fileName;
        if (!fs::exists(path)) continue;
        const nlohmann::json root = readJsonFile(path);
        const std::string name = path.string();
        JsonField config(root, name, "");
        config.requireObject();
        impl.sources.push_back(path);

        // Tokens the config adds beyond tokenizer.json (rare; usually the same list).
        bool addedAny = false;
        if (config.has("added_tokens_decoder")) {
            JsonField decoder = config["added_tokens_decoder"];
            decoder.requireObject();
            for (const auto& [key, entry] : root["added_tokens_decoder"].items()) {
                JsonField e = decoder[key];
                int32_t id = -1;
                try {
                    id = std::stoi(key);
                } catch (const std::exception&) {
                    e.fail("expected a token id as the key");
                }
                if (id < 0 || id >= (1 << 24)) e.fail("token id out of range");
                std::string content = e["content"].str();
                if (impl.added.findContent(content)) continue;
                AddedToken token{content,
                                 id,
                                 e.boolOr("special", false),
                                 e.boolOr("lstrip", false),
                                 e.boolOr("rstrip", false),
                                 e.boolOr("single_word", false),
                                 e.boolOr("normalized", !e.boolOr("special", false))};
                impl.added.add(std::move(token));
                addedAny = true;
            }
        }
        if (addedAny) impl.added.build(impl.normalizer.get());

        auto resolve = [&](const std::string& key, bool required) -> std::optional<int32_t> {
            auto text = tokenText(config, key);
            if (!text) return std::nullopt;
            auto id = impl.tokenToId(*text);
            if (!id && required) {
                config[key].fail("token '" + *text + "' is not in the vocabulary");
            }
            if (!id) {
                log::get("tokenizer")->warn("{}: {} '{}' is not in the vocabulary; ignored", name, key, *text);
            }
            return id;
        };
        if (auto id = resolve("bos_token", true)) impl.bos = id;
        if (auto id = resolve("eos_token", true)) impl.eos = id;
        if (auto id = resolve("pad_token", false)) impl.pad = id;

        // Llama-style configs say what encode(addSpecial) adds, overriding the post-processor.
        if (config.has("add_bos_token") || config.has("add_eos_token")) {
            bool addBos = config.boolOr("add_bos_token", false);
            bool addEos = config.boolOr("add_eos_token", false);
            impl.prefixIds.clear();
            impl.suffixIds.clear();
            if (addBos && impl.bos) impl.prefixIds.push_back(*impl.bos);
            if (addEos && impl.eos) impl.suffixIds.push_back(*impl.eos);
        }
    }
}

}  // namespace

void applyPostProcessor(Tokenizer::Impl& impl, const nlohmann::json& value, const std::string& file) {
    Template t;
    readProcessor(JsonField(value, file, "post_processor"), t);
    impl.prefixIds = t.prefix;
    impl.suffixIds = t.suffix;
    impl.bos = t.first;
    impl.eos = t.last;
}

void applyTokenizerConfig(Tokenizer::Impl& impl, const fs::path& dir) {
    readConfigFiles(impl, dir);
    // GPT-2 style folders often name no BOS / EOS at all (transformers' GPT2Tokenizer class knows
    // them): "<|endoftext|>" is both.
    if (!impl.bos && !impl.eos) {
        const AddedToken* eot = impl.added.findContent("<|endoftext|>");
        if (eot && eot->special) impl.bos = impl.eos = eot->id;
    }
}

}  // namespace prunescope
