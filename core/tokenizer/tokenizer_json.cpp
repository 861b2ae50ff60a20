// Reads a Hugging Face tokenizer.json: the model (BPE or WordLevel), normalizer, pre-tokenizer,
// decoder, added tokens and post-processor.
#include <nlohmann/json.hpp>

#include "core/tokenizer/json_field.h"
#include "core/tokenizer/tokenizer_impl.h"
#include "core/util/files.h"
#include "core/util/log.h"

namespace fs = std::filesystem;

namespace prunescope {
namespace {

constexpr int64_t kMaxId = 1 << 24;

Vocab readVocab(const JsonField& field) {
    field.requireObject();
    Vocab vocab;
    for (const auto& [token, value] : field.json().items()) {
        if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() >= kMaxId) {
            JsonField(value, field.file(), field.path() + "['" + token + "']")
                .fail("expected a token id (an integer from 0 to " + std::to_string(kMaxId - 1) + "), found " +
                      value.dump());
        }
        vocab.add(token, value.get<int32_t>());
    }
    return vocab;
}

// Merges as "a b" strings (older files) or ["a", "b"] pairs (newer ones).
std::vector<std::pair<std::string, std::string>> readMerges(const JsonField& field) {
    size_t count = field.arraySize();
    std::vector<std::pair<std::string, std::string>> merges;
    merges.reserve(count);
    for (size_t i = 0; i < count; ++i) {
        const auto& m = field.json()[i];
        if (m.is_string()) {
            const auto& s = m.get_ref<const std::string&>();
            size_t space = s.find(' ');
            if (space == std::string::npos || space == 0 || space + 1 == s.size()) {
                field.at(i).fail("expected two tokens separated by a space, found \"" + s + "\"");
            }
            merges.emplace_back(s.substr(0, space), s.substr(space + 1));
        } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
            merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
        } else {
            field.at(i).fail("expected \"a b\" or [\"a\", \"b\"], found " + m.dump());
        }
    }
    return merges;
}

std::unique_ptr<Model> readModel(const JsonField& field) {
    field.requireObject();
    std::string type;
    if (field.has("type")) {
        type = field["type"].str();
    } else if (field.has("merges")) {
        type = "BPE";
    } else {
        field["type"].fail("missing");
    }
    if (type == "BPE") {
        BpeOptions options;
        options.unkToken = field.optionalStr("unk_token");
        options.continuingSubwordPrefix = field.strOr("continuing_subword_prefix", "");
        options.endOfWordSuffix = field.strOr("end_of_word_suffix", "");
        options.fuseUnk = field.boolOr("fuse_unk", false);
        options.byteFallback = field.boolOr("byte_fallback", false);
        options.ignoreMerges = field.boolOr("ignore_merges", false);
        if (field.has("dropout") && field["dropout"].json().is_number() && field["dropout"].json().get<double>() > 0) {
            log::get("tokenizer")->warn("{}: BPE dropout is a training-time option; ignored", field.file());
        }
        JsonField merges = field["merges"];
        return std::make_unique<BpeModel>(
            readVocab(field["vocab"]), readMerges(merges), options,
            [&](size_t index, const std::string& message) { merges.at(index).fail(message); });
    }
    if (type == "WordLevel") {
        return std::make_unique<WordLevelModel>(readVocab(field["vocab"]), field.strOr("unk_token", "<unk>"),
                                                field.file());
    }
    field["type"].fail("unsupported model type '" + type + "'",
                       "supported: BPE, WordLevel (WordPiece and Unigram are not)");
}

void readAddedTokens(Tokenizer::Impl& impl, const JsonField& field) {
    if (field.isNull()) return;
    for (size_t i = 0; i < field.arraySize(); ++i) {
        JsonField entry = field.at(i);
        AddedToken token;
        token.content = entry["content"].str();
        int64_t id = entry["id"].integer();
        if (id < 0 || id >= kMaxId) entry["id"].fail("token id out of range");
        token.id = static_cast<int32_t>(id);
        token.special = entry.boolOr("special", false);
        token.lstrip = entry.boolOr("lstrip", false);
        token.rstrip = entry.boolOr("rstrip", false);
        token.singleWord = entry.boolOr("single_word", false);
        token.normalized = entry.boolOr("normalized", !token.special);
        if (token.content.empty()) entry["content"].fail("empty token");
        impl.added.add(std::move(token));
    }
}

bool mentionsType(const nlohmann::json& value, const std::string& type) {
    if (value.is_object()) {
        auto it = value.find("type");
        if (it != value.end() && it->is_string() && *it == type) return true;
    }
    if (value.is_structured()) {
        for (const auto& child : value) {
            if (mentionsType(child, type)) return true;
        }
    }
    return false;
}

std::string describeKind(const nlohmann::json& root) {
    const auto& model = root["model"];
    if (model.value("type", "") == "WordLevel") return "word level";
    for (const char* key : {"pre_tokenizer", "decoder", "normalizer"}) {
        if (root.contains(key) && mentionsType(root[key], "ByteLevel")) return "byte-level BPE";
    }
    bool metaspace = false;
    for (const char* key : {"pre_tokenizer", "decoder"}) {
        if (root.contains(key) && mentionsType(root[key], "Metaspace")) metaspace = true;
    }
    bool spaceMark = root.contains("normalizer") &&
                     root["normalizer"].dump(-1, ' ', false).find("\xE2\x96\x81") != std::string::npos;
    if (metaspace || spaceMark || model.value("byte_fallback", false)) return "SentencePiece BPE";
    return "BPE";
}

}  // namespace

std::shared_ptr<Tokenizer::Impl> loadTokenizerJson(const fs::path& file) {
    auto impl = buildTokenizerJson(readJsonFile(file), file.string());
    impl->sources.push_back(file);
    applyTokenizerConfig(*impl, file.parent_path());
    return impl;
}

std::shared_ptr<Tokenizer::Impl> buildTokenizerJson(const nlohmann::json& root, const std::string& name) {
    JsonField top(root, name, "");
    if (!root.is_object()) throw Error(name, "", "expected a JSON object at the top level");

    auto impl = std::make_shared<Tokenizer::Impl>();
    impl->model = readModel(top["model"]);
    if (root.contains("normalizer")) impl->normalizer = makeNormalizer(top["normalizer"]);
    if (root.contains("pre_tokenizer")) impl->preTokenizer = makePreTokenizer(top["pre_tokenizer"]);
    if (root.contains("decoder")) impl->decoder = makeDecoder(top["decoder"]);
    if (root.contains("added_tokens")) readAddedTokens(*impl, top["added_tokens"]);
    impl->added.build(impl->normalizer.get());
    if (root.contains("post_processor")) applyPostProcessor(*impl, root["post_processor"], name);
    if (top.has("padding") && top["padding"].has("pad_id")) {
        int64_t id = top["padding"]["pad_id"].integer();
        if (id >= 0 && id < kMaxId) impl->pad = static_cast<int32_t>(id);
    }
    impl->kind = describeKind(root);
    return impl;
}

}  // namespace prunescope
