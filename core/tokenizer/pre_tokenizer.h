// Hugging Face pre-tokenizers (the "pre_tokenizer" field of tokenizer.json): they cut normalized
// text into the pieces the model tokenizes one by one; internal to core/tokenizer.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/tokenizer/json_field.h"

namespace prunescope {

struct Piece {
    std::string text;
    bool atStart = false;  // begins at the start of the input (Metaspace's prepend_scheme "first")
};

class PreTokenizer {
public:
    virtual ~PreTokenizer() = default;
    // Replaces every piece by its sub-pieces; empty pieces are dropped.
    virtual void apply(std::vector<Piece>& pieces) const = 0;
};

// nullptr for a JSON null; an Error naming the field for an unsupported or malformed one.
std::unique_ptr<PreTokenizer> makePreTokenizer(const JsonField& field);
// GPT-2's: its regular expression, then the byte-level alphabet.
std::unique_ptr<PreTokenizer> makeByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex);

}  // namespace prunescope
