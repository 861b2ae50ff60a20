// The Tokenizer facade: the Hugging Face pipeline (added tokens, normalizer, pre-tokenizer, model,
// post-processor; decoder on the way back) over the parts in tokenizer_impl.h.
#include "core/tokenizer/tokenizer.h"

#include "core/tokenizer/tokenizer_impl.h"
#include "core/tokenizer/unicode.h"
#include "core/util/error.h"

namespace fs = std::filesystem;

namespace prunescope {

std::optional<int32_t> Tokenizer::Impl::tokenToId(std::string_view token) const {
    if (const AddedToken* t = added.findContent(token)) return t->id;
    return model->vocab().find(token);
}

Tokenizer::Tokenizer() = default;

Tokenizer::Tokenizer(std::shared_ptr<const Impl> impl) : m_impl(std::move(impl)) {}

const Tokenizer::Impl& Tokenizer::impl() const {
    if (!m_impl) throw Error("", "", "no tokenizer loaded");
    return *m_impl;
}

Tokenizer Tokenizer::fromTokenizerJson(const fs::path& file) {
    return Tokenizer(loadTokenizerJson(file));
}

Tokenizer Tokenizer::fromLegacyGpt2(const fs::path& vocabJson, const fs::path& merges) {
    return Tokenizer(loadLegacyGpt2(vocabJson, merges));
}

Tokenizer Tokenizer::fromModel(const fs::path& path) {
    if (fs::is_regular_file(path)) return fromGguf(path);
    return fromDirectory(path);
}

Tokenizer Tokenizer::fromDirectory(const fs::path& dir) {
    if (!fs::is_directory(dir)) {
        throw Error(dir.string(), "", fs::exists(dir) ? "not a folder" : "no such folder");
    }
    if (fs::exists(dir / "tokenizer.json")) return fromTokenizerJson(dir / "tokenizer.json");
    for (auto [vocab, merges] :
         {std::pair<const char*, const char*>{"vocab.json", "merges.txt"}, {"encoder.json", "vocab.bpe"}}) {
        if (fs::exists(dir / vocab) && fs::exists(dir / merges)) {
            auto impl = loadLegacyGpt2(dir / vocab, dir / merges);
            applyTokenizerConfig(*impl, dir);
            return Tokenizer(std::move(impl));
        }
    }
    std::string hint = "expected tokenizer.json, or vocab.json + merges.txt, or encoder.json + vocab.bpe";
    if (fs::exists(dir / "tokenizer.model")) {
        hint +=
            "; a SentencePiece tokenizer.model is not read directly: convert it to tokenizer.json "
            "(transformers' AutoTokenizer.from_pretrained(...).save_pretrained(...))";
    }
    throw Error(dir.string(), "", "no tokenizer found", hint);
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool addSpecial) const {
    const Impl& d = impl();
    std::string clean;
    if (!unicode::isValidUtf8(text)) {
        clean = unicode::sanitizeUtf8(text);
        text = clean;
    }
    std::vector<int32_t> ids;
    ids.reserve(text.size() / 3 + 4);
    if (addSpecial) ids = d.prefixIds;
    std::vector<Piece> pieces;
    for (auto& segment : d.added.split(text, d.normalizer.get())) {
        if (segment.id >= 0) {
            ids.push_back(segment.id);
            continue;
        }
        pieces.clear();
        pieces.push_back(Piece{std::move(segment.text), segment.atStart});
        if (d.preTokenizer) d.preTokenizer->apply(pieces);
        for (const auto& piece : pieces) d.model->tokenize(piece.text, ids);
    }
    if (addSpecial) ids.insert(ids.end(), d.suffixIds.begin(), d.suffixIds.end());
    return ids;
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids, bool skipSpecial) const {
    const Impl& d = impl();
    std::vector<std::string> tokens;
    tokens.reserve(ids.size());
    for (int32_t id : ids) {
        if (const AddedToken* t = d.added.findId(id)) {
            if (!(skipSpecial && t->special)) tokens.push_back(t->content);
            continue;
        }
        const std::string& token = d.model->vocab().token(id);
        if (!token.empty()) tokens.push_back(token);
    }
    std::string text;
    if (d.decoder) {
        d.decoder->apply(tokens);
        for (const auto& t : tokens) text += t;
    } else {
        for (size_t i = 0; i < tokens.size(); ++i) text += (i ? " " : "") + tokens[i];
    }
    return text;
}

std::string Tokenizer::idToToken(int32_t id) const {
    const Impl& d = impl();
    if (const AddedToken* t = d.added.findId(id)) return t->content;
    return d.model->vocab().token(id);
}

std::optional<int32_t> Tokenizer::tokenToId(std::string_view token) const {
    return impl().tokenToId(token);
}

int32_t Tokenizer::vocabSize() const {
    const Impl& d = impl();
    return std::max(d.model->vocab().size(), d.added.maxId() + 1);
}

std::optional<int32_t> Tokenizer::bosId() const {
    return impl().bos;
}
std::optional<int32_t> Tokenizer::eosId() const {
    return impl().eos;
}
std::optional<int32_t> Tokenizer::padId() const {
    return impl().pad;
}
std::string Tokenizer::kind() const {
    return m_impl ? m_impl->kind : "none";
}
std::vector<fs::path> Tokenizer::sourceFiles() const {
    return impl().sources;
}

}  // namespace prunescope
