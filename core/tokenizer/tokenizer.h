// Text to token ids and back, for the tokenizers real checkpoints ship: Hugging Face
// tokenizer.json (byte-level BPE as in GPT-2 / Llama 3 / Qwen, SentencePiece-style BPE as in
// Llama 2 / Mistral, word level), and GPT-2's original vocab.json + merges.txt. See
// docs/tokenizers.md for what is supported. Every problem with the files is a prunescope::Error
// naming the file and the field ("tokenizer.json: field 'model.merges[12]': ...").
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace prunescope {

class Tokenizer {
public:
    // A model folder: tokenizer.json (+ tokenizer_config.json for bos/eos/add_bos_token), or
    // GPT-2's vocab.json + merges.txt, or encoder.json + vocab.bpe (the same content).
    static Tokenizer fromDirectory(const std::filesystem::path& dir);
    // tokenizer_config.json (and special_tokens_map.json) beside it are read if present.
    static Tokenizer fromTokenizerJson(const std::filesystem::path& file);
    // The tokenizer embedded in a llama.cpp GGUF file (tokenizer.ggml.*).
    static Tokenizer fromGguf(const std::filesystem::path& file);
    // A model: a folder (as fromDirectory) or a GGUF file (as fromGguf).
    static Tokenizer fromModel(const std::filesystem::path& path);
    static Tokenizer fromLegacyGpt2(const std::filesystem::path& vocabJson, const std::filesystem::path& merges);

    // An empty tokenizer (for members filled in later): every call but kind() throws an Error.
    Tokenizer();

    // UTF-8 text in (invalid sequences count as U+FFFD). Added and special tokens written in the
    // text are always recognized; `addSpecial` adds what the tokenizer adds around a sequence
    // (BOS for Llama / Mistral, nothing for GPT-2 / Qwen).
    std::vector<int32_t> encode(std::string_view text, bool addSpecial = false) const;
    // Ids outside the vocabulary are skipped; `skipSpecial` also skips special tokens.
    std::string decode(const std::vector<int32_t>& ids, bool skipSpecial = false) const;
    // The token's string as stored in the vocabulary ("Ġthe", "▁the"); empty for an unknown id.
    std::string idToToken(int32_t id) const;
    std::optional<int32_t> tokenToId(std::string_view token) const;
    int32_t vocabSize() const;  // largest id + 1, added tokens included

    std::optional<int32_t> bosId() const;
    std::optional<int32_t> eosId() const;
    std::optional<int32_t> padId() const;
    std::string kind() const;  // "byte-level BPE", "SentencePiece BPE", "BPE", "word level"
    // The files it was read from (to be copied when a model folder is saved).
    std::vector<std::filesystem::path> sourceFiles() const;

    struct Impl;  // core/tokenizer/tokenizer_impl.h
    explicit Tokenizer(std::shared_ptr<const Impl> impl);
    const Impl& impl() const;  // for the tokenizer's own tests

private:
    std::shared_ptr<const Impl> m_impl;
};

// Writes the tokenizer of GGUF file `gguf` into folder `dir` as the tokenizer.json and
// tokenizer_config.json it is equivalent to (for a model saved from a GGUF input); nothing when the
// file carries no tokenizer.
void writeGgufTokenizerFiles(const std::filesystem::path& gguf, const std::filesystem::path& dir);

// Writes a Hugging Face tokenizer.json of model type "WordLevel" (pre-tokenizer WhitespaceSplit,
// `unkToken` appended to the vocabulary if missing, ids in `vocab` order) atomically; it loads
// back through Tokenizer::fromTokenizerJson. Tokens must be non-empty, unique, without whitespace.
void writeWordLevelTokenizer(const std::vector<std::string>& vocab, const std::string& unkToken,
                             const std::filesystem::path& file);

}  // namespace prunescope
