// How one token reads as text, for tables of tokens (the tokens a neuron promotes): "ĠKant" is
// shown " Kant" and "Ã±" "ñ", as a reader of the model's output would see them.
#pragma once

#include <cstdint>
#include <string>

namespace prunescope {

class Tokenizer;

// The token's vocabulary string turned back into its text: byte-level characters to their bytes
// (Hugging Face's ByteLevel decoder), SentencePiece's "▁" to a space. Unlike decode({id}) it keeps
// a word-initial space, which tells " the" from "the". Then made readable in one line: bytes
// that are not a whole UTF-8 character are written <0xC3>, and white space is visible (␣ space,
// ↵ newline, ⇥ tab, and <0x..> for other control characters). Empty for an unknown id.
std::string tokenDisplayText(const Tokenizer& tokenizer, int32_t id);

}  // namespace prunescope
