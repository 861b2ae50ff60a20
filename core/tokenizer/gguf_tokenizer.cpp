// The tokenizer of a llama.cpp GGUF file (tokenizer.ggml.*), expressed as the Hugging Face
// tokenizer.json that describes the same tokenizer, so it runs through the same code as every
// other tokenizer:
//   model "gpt2"  -> byte-level BPE with the file's merges; the pre-tokenizer that llama.cpp
//                    names in tokenizer.ggml.pre (its regular expressions, as tokenizer.json
//                    splits)
//   model "llama" -> SentencePiece-style BPE with byte fallback; the merges are derived from the
//                    token scores (a merge's rank is its result's score), as SentencePiece does
#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "core/model/gguf.h"
#include "core/tokenizer/tokenizer_impl.h"
#include "core/tokenizer/unicode.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/log.h"

namespace prunescope {
namespace {

// GGUF token types (llama.cpp's llama_token_type).
enum TokenType { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

const char* const kLlama3Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const char* const kQwen2Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

nlohmann::json byteLevel(bool useRegex) {
    return {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", useRegex}};
}

nlohmann::json split(const char* regex) {
    return {{"type", "Split"}, {"pattern", {{"Regex", regex}}}, {"behavior", "Isolated"}, {"invert", false}};
}

// llama.cpp's pre-tokenizer names (tokenizer.ggml.pre) -> tokenizer.json pre-tokenizer.
nlohmann::json bpePreTokenizer(const std::string& pre, const GgufFile& f, bool& ignoreMerges, bool& nfc) {
    if (pre == "gpt-2" || pre == "gpt2" || pre == "mpt" || pre == "olmo" || pre == "jais") return byteLevel(true);
    if (pre == "smollm" || pre == "starcoder" || pre == "refact" || pre == "command-r" || pre == "codeshell") {
        // "\p{N}" first: every digit its own piece.
        return {{"type", "Sequence"},
                {"pretokenizers", {{{"type", "Digits"}, {"individual_digits", true}}, byteLevel(true)}}};
    }
    if (pre == "llama-bpe" || pre == "llama3" || pre == "llama-v3" || pre == "smaug-bpe") {
        ignoreMerges = true;
        return {{"type", "Sequence"}, {"pretokenizers", {split(kLlama3Regex), byteLevel(false)}}};
    }
    if (pre == "qwen2" || pre == "qwen2.5" || pre == "qwen-2.5" || pre == "deepseek-r1-qwen") {
        nfc = true;
        return {{"type", "Sequence"}, {"pretokenizers", {split(kQwen2Regex), byteLevel(false)}}};
    }
    throw Error(f.path().string(), "key 'tokenizer.ggml.pre'", "pre-tokenizer '" + pre + "' is not supported",
                "supported: gpt-2, smollm (and starcoder, refact, command-r, codeshell), llama-bpe, qwen2");
}

// SentencePiece BPE merges from token scores: every split of a token into two tokens is a merge,
// ranked by the token's score (highest first), then by the pieces' ids.
nlohmann::json mergesFromScores(const std::vector<std::string>& tokens, const std::vector<double>& scores,
                                const std::vector<int64_t>& types) {
    std::map<std::string, int64_t> ids;
    for (size_t i = 0; i < tokens.size(); ++i) {
        if (types[i] == kNormal || types[i] == kUserDefined) ids.emplace(tokens[i], static_cast<int64_t>(i));
    }
    struct Merge {
        int64_t left, right;
        double score;
    };
    std::vector<Merge> merges;
    for (size_t i = 0; i < tokens.size(); ++i) {
        if (types[i] != kNormal) continue;
        const std::string& t = tokens[i];
        std::vector<Merge> local;
        for (size_t pos = unicode::charLength(t, 0); pos < t.size(); pos += unicode::charLength(t, pos)) {
            auto l = ids.find(t.substr(0, pos));
            auto r = ids.find(t.substr(pos));
            if (l != ids.end() && r != ids.end()) local.push_back({l->second, r->second, scores[i]});
        }
        std::sort(local.begin(), local.end(),
                  [](const Merge& a, const Merge& b) { return std::tie(a.left, a.right) < std::tie(b.left, b.right); });
        merges.insert(merges.end(), local.begin(), local.end());
    }
    std::stable_sort(merges.begin(), merges.end(), [](const Merge& a, const Merge& b) { return a.score > b.score; });
    nlohmann::json out = nlohmann::json::array();
    for (const auto& m : merges)
        out.push_back({tokens[static_cast<size_t>(m.left)], tokens[static_cast<size_t>(m.right)]});
    return out;
}

template <typename T>
std::vector<T> arrayOf(const GgufFile& f, const std::string& key, size_t count, bool required) {
    if (!f.has(key)) {
        if (required) throw Error(f.path().string(), "key '" + key + "'", "missing");
        return {};
    }
    const auto& value = f.metadata().at(key);
    if (!value.is_array() || value.size() != count) {
        throw Error(f.path().string(), "key '" + key + "'",
                    "expected an array of " + std::to_string(count) + " entries (one per token)");
    }
    std::vector<T> out;
    out.reserve(count);
    for (size_t i = 0; i < count; ++i) {
        const auto& v = value[i];
        bool ok = std::is_same_v<T, std::string> ? v.is_string() : v.is_number();
        if (!ok)
            throw Error(f.path().string(), "key '" + key + "[" + std::to_string(i) + "]'",
                        "unexpected value " + v.dump());
        out.push_back(v.get<T>());
    }
    return out;
}

}  // namespace

nlohmann::json ggufTokenizerJson(const GgufFile& f) {
    const std::string file = f.path().string();
    if (!f.has("tokenizer.ggml.tokens")) {
        throw Error(file, "key 'tokenizer.ggml.tokens'", "missing: the file carries no tokenizer",
                    "convert the model with a llama.cpp converter that embeds the tokenizer");
    }
    const std::string model = f.getString("tokenizer.ggml.model");
    const size_t count =
        f.metadata().at("tokenizer.ggml.tokens").is_array() ? f.metadata().at("tokenizer.ggml.tokens").size() : 0;
    const auto tokens = arrayOf<std::string>(f, "tokenizer.ggml.tokens", count, true);
    auto types = arrayOf<int64_t>(f, "tokenizer.ggml.token_type", count, false);
    if (types.empty()) types.assign(count, kNormal);

    nlohmann::json vocab = nlohmann::json::object();
    nlohmann::json added = nlohmann::json::array();
    for (size_t i = 0; i < count; ++i) {
        if (vocab.contains(tokens[i])) {
            throw Error(file, "key 'tokenizer.ggml.tokens[" + std::to_string(i) + "]'",
                        "token '" + tokens[i] + "' appears twice");
        }
        vocab[tokens[i]] = i;
        if (types[i] == kControl || types[i] == kUnknown || types[i] == kUserDefined) {
            const bool special = types[i] != kUserDefined;
            added.push_back({{"id", i},
                             {"content", tokens[i]},
                             {"single_word", false},
                             {"lstrip", false},
                             {"rstrip", false},
                             {"normalized", false},
                             {"special", special}});
        }
    }
    nlohmann::json j = {{"version", "1.0"}, {"added_tokens", added}};
    if (model == "gpt2") {
        const auto merges =
            arrayOf<std::string>(f, "tokenizer.ggml.merges",
                                 f.has("tokenizer.ggml.merges") && f.metadata().at("tokenizer.ggml.merges").is_array()
                                     ? f.metadata().at("tokenizer.ggml.merges").size()
                                     : 0,
                                 true);
        bool ignoreMerges = false, nfc = false;
        const std::string pre = f.has("tokenizer.ggml.pre") ? f.getString("tokenizer.ggml.pre") : "gpt-2";
        j["pre_tokenizer"] = bpePreTokenizer(pre, f, ignoreMerges, nfc);
        if (nfc) j["normalizer"] = {{"type", "NFC"}};
        j["decoder"] = byteLevel(true);
        j["model"] = {{"type", "BPE"},     {"vocab", vocab},         {"merges", merges},
                      {"fuse_unk", false}, {"byte_fallback", false}, {"ignore_merges", ignoreMerges}};
    } else if (model == "llama") {
        const auto scores = arrayOf<double>(f, "tokenizer.ggml.scores", count, true);
        const bool spacePrefix =
            !f.has("tokenizer.ggml.add_space_prefix") || f.getBool("tokenizer.ggml.add_space_prefix");
        nlohmann::json normalizers = nlohmann::json::array();
        if (spacePrefix) normalizers.push_back({{"type", "Prepend"}, {"prepend", "\xE2\x96\x81"}});
        // SentencePiece's remove_extra_whitespaces, when the converter recorded it (llama.cpp's
        // default, and the key's absence, mean off): no leading/trailing spaces, runs of one.
        if (f.has("tokenizer.ggml.remove_extra_whitespaces") && f.getBool("tokenizer.ggml.remove_extra_whitespaces")) {
            normalizers.insert(normalizers.begin(),
                               {{"type", "Replace"}, {"pattern", {{"Regex", "^ +| +$"}}}, {"content", ""}});
            normalizers.insert(normalizers.begin() + 1,
                               {{"type", "Replace"}, {"pattern", {{"Regex", " {2,}"}}}, {"content", " "}});
        }
        normalizers.push_back({{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\xE2\x96\x81"}});
        j["normalizer"] = {{"type", "Sequence"}, {"normalizers", normalizers}};
        nlohmann::json decoders = {{{"type", "Replace"}, {"pattern", {{"String", "\xE2\x96\x81"}}}, {"content", " "}},
                                   {{"type", "ByteFallback"}},
                                   {{"type", "Fuse"}}};
        if (spacePrefix) decoders.push_back({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
        j["decoder"] = {{"type", "Sequence"}, {"decoders", decoders}};
        nlohmann::json m = {{"type", "BPE"},
                            {"vocab", vocab},
                            {"merges", mergesFromScores(tokens, scores, types)},
                            {"fuse_unk", true},
                            {"byte_fallback", true}};
        if (f.has("tokenizer.ggml.unknown_token_id")) {
            int64_t unk = f.getInt("tokenizer.ggml.unknown_token_id");
            if (unk >= 0 && unk < static_cast<int64_t>(count)) m["unk_token"] = tokens[static_cast<size_t>(unk)];
        }
        j["model"] = m;
    } else {
        throw Error(file, "key 'tokenizer.ggml.model'", "tokenizer model '" + model + "' is not supported",
                    "supported: gpt2 (byte-level BPE), llama (SentencePiece BPE)");
    }
    return j;
}

Tokenizer Tokenizer::fromGguf(const std::filesystem::path& path) {
    const GgufFile f(path);
    auto impl = buildTokenizerJson(ggufTokenizerJson(f), path.string() + " (tokenizer.ggml.*)");
    impl->sources.push_back(path);
    const int64_t count = impl->model ? static_cast<int64_t>(f.metadata().at("tokenizer.ggml.tokens").size()) : 0;
    auto special = [&](const char* key) -> std::optional<int32_t> {
        if (!f.has(key)) return std::nullopt;
        int64_t id = f.getInt(key);
        if (id < 0 || id >= count) {
            // Converters write 0xFFFFFFFF for "none"; llama.cpp ignores out-of-range ids the same
            // way.
            log::get("tokenizer")
                ->warn("{}: key '{}': token id {} is outside the vocabulary of {}; ignored", path.string(), key, id,
                       count);
            return std::nullopt;
        }
        return static_cast<int32_t>(id);
    };
    impl->bos = special("tokenizer.ggml.bos_token_id");
    impl->eos = special("tokenizer.ggml.eos_token_id");
    impl->pad = special("tokenizer.ggml.padding_token_id");
    // llama.cpp adds BOS unless the file says not to (its default for SentencePiece vocabularies).
    const std::string model = f.getString("tokenizer.ggml.model");
    const bool addBos =
        f.has("tokenizer.ggml.add_bos_token") ? f.getBool("tokenizer.ggml.add_bos_token") : model == "llama";
    const bool addEos = f.has("tokenizer.ggml.add_eos_token") && f.getBool("tokenizer.ggml.add_eos_token");
    impl->prefixIds.clear();
    impl->suffixIds.clear();
    if (addBos && impl->bos) impl->prefixIds.push_back(*impl->bos);
    if (addEos && impl->eos) impl->suffixIds.push_back(*impl->eos);
    return Tokenizer(std::move(impl));
}

void writeGgufTokenizerFiles(const std::filesystem::path& path, const std::filesystem::path& dir) {
    // The GGUF's tokenizer as the tokenizer.json it is equivalent to (see gguf_tokenizer.cpp). A
    // GGUF without one gives no files, as a folder without tokenizer files does.
    const GgufFile gguf(path);
    if (!gguf.has("tokenizer.ggml.tokens")) return;
    writeJsonAtomic(dir / "tokenizer.json", ggufTokenizerJson(gguf));
    nlohmann::json tc = {{"tokenizer_class", "PreTrainedTokenizerFast"}};
    const auto& tokens = gguf.metadata().at("tokenizer.ggml.tokens");
    auto tokenAt = [&](const char* key) -> nlohmann::json {
        if (!gguf.has(key)) return nullptr;
        auto id = gguf.getInt(key);
        return id >= 0 && id < static_cast<int64_t>(tokens.size()) ? tokens[static_cast<size_t>(id)] : nlohmann::json();
    };
    for (auto [name, key] : {std::pair<const char*, const char*>{"bos_token", "tokenizer.ggml.bos_token_id"},
                             {"eos_token", "tokenizer.ggml.eos_token_id"},
                             {"unk_token", "tokenizer.ggml.unknown_token_id"},
                             {"pad_token", "tokenizer.ggml.padding_token_id"}}) {
        auto token = tokenAt(key);
        if (token.is_string()) tc[name] = token;
    }
    const bool spm = gguf.getString("tokenizer.ggml.model") == "llama";
    tc["add_bos_token"] = gguf.has("tokenizer.ggml.add_bos_token") ? gguf.getBool("tokenizer.ggml.add_bos_token") : spm;
    tc["add_eos_token"] = gguf.has("tokenizer.ggml.add_eos_token") && gguf.getBool("tokenizer.ggml.add_eos_token");
    if (gguf.has("tokenizer.chat_template")) tc["chat_template"] = gguf.getString("tokenizer.chat_template");
    writeJsonAtomic(dir / "tokenizer_config.json", tc);
}

}  // namespace prunescope
