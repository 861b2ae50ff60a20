// GPT-2's original tokenizer files: vocab.json (or encoder.json), a token -> id map, and
// merges.txt (or vocab.bpe), one "a b" merge per line after a "#version" line. The pipeline is
// GPT-2's: its regular expression, the byte-level alphabet, BPE without an unknown token.
#include <nlohmann/json.hpp>

#include "core/tokenizer/json_field.h"
#include "core/tokenizer/tokenizer_impl.h"
#include "core/util/files.h"

namespace fs = std::filesystem;

namespace prunescope {

std::shared_ptr<Tokenizer::Impl> loadLegacyGpt2(const fs::path& vocabJson, const fs::path& merges) {
    const nlohmann::json root = readJsonFile(vocabJson);
    const std::string vocabName = vocabJson.string();
    if (!root.is_object()) {
        throw Error(vocabName, "", "expected a JSON object mapping tokens to ids");
    }
    Vocab vocab;
    for (const auto& [token, value] : root.items()) {
        if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() >= (1 << 24)) {
            throw Error(vocabName, "field '" + token + "'",
                        "expected a token id (a non-negative integer), found " + value.dump());
        }
        vocab.add(token, value.get<int32_t>());
    }

    const std::string mergesName = merges.string();
    const std::string text = readTextFile(merges);
    std::vector<std::pair<std::string, std::string>> pairs;
    std::vector<size_t> lineOf;  // merge index -> line number, for errors
    size_t lineNumber = 0;
    for (size_t start = 0; start < text.size();) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(start, end - start);
        start = end + 1;
        ++lineNumber;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || (lineNumber == 1 && line.rfind("#version", 0) == 0)) continue;
        size_t space = line.find(' ');
        if (space == std::string::npos || space == 0 || line.find(' ', space + 1) != std::string::npos) {
            throw Error(mergesName, "line " + std::to_string(lineNumber),
                        "expected two tokens separated by one space, found \"" + line + "\"");
        }
        pairs.emplace_back(line.substr(0, space), line.substr(space + 1));
        lineOf.push_back(lineNumber);
    }

    auto impl = std::make_shared<Tokenizer::Impl>();
    impl->sources = {vocabJson, merges};
    impl->model = std::make_unique<BpeModel>(
        std::move(vocab), pairs, BpeOptions{}, [&](size_t index, const std::string& message) {
            throw Error(mergesName, "line " + std::to_string(lineOf[index]), message,
                        "is " + vocabJson.filename().string() + " the vocabulary of these merges?");
        });
    impl->preTokenizer = makeByteLevelPreTokenizer(false, true);
    impl->decoder = makeByteLevelDecoder();
    if (auto eot = impl->model->vocab().find("<|endoftext|>")) {
        impl->added.add(AddedToken{"<|endoftext|>", *eot, true, false, false, false, false});
        impl->bos = eot;
        impl->eos = eot;
    }
    impl->added.build(nullptr);
    impl->kind = "byte-level BPE";
    return impl;
}

}  // namespace prunescope
