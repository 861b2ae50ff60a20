// tokenizer.json: the model (BPE, SentencePiece-style BPE, word level), normalizers,
// pre-tokenizers (with their regular expressions), decoders, added tokens and post-processors,
// then encoding and decoding a few texts with the tokenizer that loaded. An input with a NUL byte
// is two files: tokenizer.json before it and tokenizer_config.json after it, read through the
// file-level entry (Tokenizer::fromTokenizerJson); without one, the text is parsed in memory.
#include <cstdint>
#include <cstring>
#include <memory>

#include <nlohmann/json.hpp>

#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/tokenizer_impl.h"
#include "core/util/files.h"
#include "tests/fuzz/fuzz_support.h"

using namespace prunescope;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::quietLogs();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view input = fuzz::asText(data, size);
    try {
        Tokenizer tokenizer;
        const size_t nul = input.find('\0');
        if (nul == std::string_view::npos) {
            tokenizer = Tokenizer(buildTokenizerJson(parseJson(input, "tokenizer.json"), "tokenizer.json"));
        } else {
            fuzz::writeScratch("tokenizer_config.json", input.substr(nul + 1));
            tokenizer = Tokenizer::fromTokenizerJson(fuzz::writeScratch("tokenizer.json", input.substr(0, nul)));
        }
        fuzz::exerciseTokenizer(tokenizer, input);
    } catch (const std::exception&) {
    }
    return 0;
}
