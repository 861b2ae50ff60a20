// The parts a Tokenizer is assembled from, and the loaders that fill them in; internal to
// core/tokenizer (and its tests).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/tokenizer/added_vocabulary.h"
#include "core/tokenizer/decoder.h"
#include "core/tokenizer/model.h"
#include "core/tokenizer/normalizer.h"
#include "core/tokenizer/pre_tokenizer.h"
#include "core/tokenizer/tokenizer.h"

namespace prunescope {

class GgufFile;

struct Tokenizer::Impl {
    std::unique_ptr<Normalizer> normalizer;
    std::unique_ptr<PreTokenizer> preTokenizer;
    std::unique_ptr<Model> model;
    std::unique_ptr<Decoder> decoder;
    AddedVocabulary added;
    std::vector<int32_t> prefixIds;  // added around a sequence by encode(addSpecial)
    std::vector<int32_t> suffixIds;
    std::optional<int32_t> bos, eos, pad;
    std::string kind;
    std::vector<std::filesystem::path> sources;

    std::optional<int32_t> tokenToId(std::string_view token) const;
};

// tokenizer_json.cpp
std::shared_ptr<Tokenizer::Impl> loadTokenizerJson(const std::filesystem::path& file);
// The same from tokenizer.json content that came from `name` (no tokenizer_config.json read).
std::shared_ptr<Tokenizer::Impl> buildTokenizerJson(const nlohmann::json& root, const std::string& name);
// gguf_tokenizer.cpp: the tokenizer.json equivalent of a GGUF file's tokenizer.ggml.* metadata.
nlohmann::json ggufTokenizerJson(const GgufFile& file);
// tokenizer_config.cpp: bos / eos / pad, add_bos_token / add_eos_token and extra added tokens
// from tokenizer_config.json and special_tokens_map.json in `dir`, when present.
void applyTokenizerConfig(Tokenizer::Impl& impl, const std::filesystem::path& dir);
// tokenizer_config.cpp: the "post_processor" field (TemplateProcessing and friends).
void applyPostProcessor(Tokenizer::Impl& impl, const nlohmann::json& value, const std::string& file);
// legacy_gpt2.cpp
std::shared_ptr<Tokenizer::Impl> loadLegacyGpt2(const std::filesystem::path& vocabJson,
                                                const std::filesystem::path& merges);

}  // namespace prunescope
