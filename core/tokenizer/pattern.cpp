#include "core/tokenizer/pattern.h"

#include <stdexcept>

namespace prunescope {

Pattern Pattern::fromJson(const JsonField& field) {
    field.requireObject();
    if (field.json().contains("String")) return Pattern(field["String"].str());
    if (field.json().contains("Regex")) {
        JsonField regex = field["Regex"];
        try {
            return Pattern(std::make_shared<const Regex>(adaptOnigurumaPattern(regex.str())));
        } catch (const std::invalid_argument& e) {
            regex.fail(e.what());
        }
    }
    field.fail("expected {\"String\": ...} or {\"Regex\": ...}");
}

std::vector<std::pair<size_t, size_t>> Pattern::findAll(std::string_view text) const {
    if (m_regex) return m_regex->findAll(text);
    std::vector<std::pair<size_t, size_t>> matches;
    if (m_literal.empty()) return matches;
    for (size_t pos = text.find(m_literal); pos != std::string_view::npos;
         pos = text.find(m_literal, pos + m_literal.size())) {
        matches.emplace_back(pos, pos + m_literal.size());
    }
    return matches;
}

std::string Pattern::replaceAll(std::string_view text, std::string_view with) const {
    auto matches = findAll(text);
    if (matches.empty()) return std::string(text);
    std::string out;
    out.reserve(text.size() + matches.size() * with.size());
    size_t last = 0;
    for (const auto& [start, end] : matches) {
        out.append(text.substr(last, start - last));
        out.append(with);
        last = end;
    }
    out.append(text.substr(last));
    return out;
}

}  // namespace prunescope
