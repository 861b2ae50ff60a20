// What Hugging Face's Split pre-tokenizer and Replace normalizer/decoder search for: a literal
// string ({"String": " "}) or a regular expression ({"Regex": "\\s+"}); internal to core/tokenizer.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/tokenizer/json_field.h"
#include "core/tokenizer/regex.h"

namespace prunescope {

class Pattern {
public:
    explicit Pattern(std::string literal) : m_literal(std::move(literal)) {}
    explicit Pattern(std::shared_ptr<const Regex> regex) : m_regex(std::move(regex)) {}
    // {"String": ...} or {"Regex": ...}; an Error names the field otherwise.
    static Pattern fromJson(const JsonField& field);

    // Non-empty, non-overlapping matches, left to right.
    std::vector<std::pair<size_t, size_t>> findAll(std::string_view text) const;
    std::string replaceAll(std::string_view text, std::string_view with) const;

private:
    std::string m_literal;
    std::shared_ptr<const Regex> m_regex;
};

}  // namespace prunescope
