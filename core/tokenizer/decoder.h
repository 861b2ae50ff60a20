// Hugging Face decoders (the "decoder" field of tokenizer.json): they turn token strings back into
// text; internal to core/tokenizer.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/tokenizer/json_field.h"

namespace prunescope {

class Decoder {
public:
    virtual ~Decoder() = default;
    // Hugging Face's decode_chain: tokens in, tokens out; the caller concatenates the result.
    virtual void apply(std::vector<std::string>& tokens) const = 0;
};

// nullptr for a JSON null; an Error naming the field for an unsupported or malformed one.
std::unique_ptr<Decoder> makeDecoder(const JsonField& field);
std::unique_ptr<Decoder> makeByteLevelDecoder();

}  // namespace prunescope
