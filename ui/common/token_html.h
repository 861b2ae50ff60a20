// Tokens as rich text: each on its own background colour, so that one sees where a token ends,
// with its id as the tooltip. Used wherever the window shows what the model reads.
#pragma once

#include <QString>
#include <QStringList>

#include <cstdint>
#include <vector>

namespace prunescope::ui {

// `texts`: the tokens as core's tokenDisplayText writes them (␣ a space, ↵ a new line, which also
// breaks the line here); `ids`: empty, or one per token.
QString tokenHtml(const QStringList& texts, const std::vector<int32_t>& ids = {});

}  // namespace prunescope::ui
