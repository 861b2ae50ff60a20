#include "ui/common/token_html.h"

namespace prunescope::ui {
namespace {
const char* const kPieceColors[] = {"#dbeafe", "#fde68a", "#bbf7d0", "#fbcfe8", "#ddd6fe", "#fed7aa"};
constexpr int kColors = int(sizeof kPieceColors / sizeof *kPieceColors);
}  // namespace

QString tokenHtml(const QStringList& texts, const std::vector<int32_t>& ids) {
    QString html;
    for (int i = 0; i < texts.size(); ++i) {
        const QString title = size_t(i) < ids.size() ? QStringLiteral(" title=\"%1\"").arg(ids[size_t(i)]) : QString();
        html += QStringLiteral("<span style=\"background:%1\"%2>%3</span>&#8203;")
                    .arg(QLatin1String(kPieceColors[i % kColors]), title, texts[i].toHtmlEscaped());
        if (texts[i].endsWith(QChar(0x21B5))) html += QStringLiteral("<br>");  // ↵
    }
    return html;
}

}  // namespace prunescope::ui
