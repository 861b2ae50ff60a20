// Hugging Face normalizers (the "normalizer" field of tokenizer.json); internal to core/tokenizer.
#pragma once

#include <memory>
#include <string>

#include "core/tokenizer/json_field.h"

namespace prunescope {

class Normalizer {
public:
    virtual ~Normalizer() = default;
    virtual std::string normalize(std::string text) const = 0;
};

// nullptr for a JSON null; an Error naming the field for an unsupported or malformed one.
std::unique_ptr<Normalizer> makeNormalizer(const JsonField& field);

}  // namespace prunescope
