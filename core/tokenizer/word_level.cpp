// The word-level model (one id per whitespace-separated word) and the writer of the small
// word-level tokenizer.json the built-in demo uses.
#include <nlohmann/json.hpp>

#include <set>

#include "core/tokenizer/model.h"
#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/unicode.h"
#include "core/util/error.h"
#include "core/util/files.h"

namespace prunescope {

WordLevelModel::WordLevelModel(Vocab vocab, std::string unkToken, std::string source)
    : Model(std::move(vocab)), m_unkToken(std::move(unkToken)), m_source(std::move(source)) {
    m_unkId = m_vocab.find(m_unkToken);
}

void WordLevelModel::tokenize(std::string_view word, std::vector<int32_t>& out) const {
    if (auto id = m_vocab.find(word)) {
        out.push_back(*id);
    } else if (m_unkId) {
        out.push_back(*m_unkId);
    } else {
        throw Error(m_source, "field 'model.unk_token'",
                    "the word '" + std::string(word) +
                        "' is not in the vocabulary and the unknown "
                        "token '" +
                        m_unkToken + "' is not either");
    }
}

void writeWordLevelTokenizer(const std::vector<std::string>& vocab, const std::string& unkToken,
                             const std::filesystem::path& file) {
    auto checkWord = [&](const std::string& word, const std::string& place) {
        if (word.empty()) throw Error(file.string(), place, "empty token");
        if (!unicode::isValidUtf8(word)) throw Error(file.string(), place, "token is not valid UTF-8");
        for (size_t pos = 0; pos < word.size();) {
            if (unicode::isWhitespace(unicode::decodeUtf8(word, pos))) {
                throw Error(file.string(), place, "token '" + word + "' contains whitespace",
                            "a word-level vocabulary is split on whitespace");
            }
        }
    };
    nlohmann::json ids = nlohmann::json::object();
    std::set<std::string> seen;
    for (size_t i = 0; i < vocab.size(); ++i) {
        std::string place = "vocabulary entry " + std::to_string(i);
        checkWord(vocab[i], place);
        if (!seen.insert(vocab[i]).second) {
            throw Error(file.string(), place, "duplicate token '" + vocab[i] + "'");
        }
        ids[vocab[i]] = i;
    }
    checkWord(unkToken, "unknown token");
    int64_t unkId = ids.contains(unkToken) ? ids[unkToken].get<int64_t>() : static_cast<int64_t>(vocab.size());
    ids[unkToken] = unkId;

    nlohmann::json added = nlohmann::json::array();
    added.push_back({{"id", unkId},
                     {"content", unkToken},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
    nlohmann::json root = {
        {"version", "1.0"},
        {"truncation", nullptr},
        {"padding", nullptr},
        {"added_tokens", added},
        {"normalizer", nullptr},
        {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
        {"post_processor", nullptr},
        {"decoder", nullptr},
        {"model", {{"type", "WordLevel"}, {"vocab", ids}, {"unk_token", unkToken}}},
    };
    writeJsonAtomic(file, root);
}

}  // namespace prunescope
