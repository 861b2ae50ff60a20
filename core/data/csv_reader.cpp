#include "core/data/csv_reader.h"

namespace prunescope::detail {

bool CsvReader::atLineEnd() const {
    if (m_pos >= m_text.size()) return true;
    char c = m_text[m_pos];
    return c == '\n' || (c == '\r' && m_pos + 1 < m_text.size() && m_text[m_pos + 1] == '\n') ||
           (c == '\r' && m_pos + 1 == m_text.size());
}

void CsvReader::skipLineEnd() {
    if (m_pos < m_text.size() && m_text[m_pos] == '\r') ++m_pos;
    if (m_pos < m_text.size() && m_text[m_pos] == '\n') {
        ++m_pos;
        ++m_line;
    }
}

void CsvReader::skipRestOfLine() {
    while (!atLineEnd()) ++m_pos;
    skipLineEnd();
}

bool CsvReader::next(CsvRecord& record) {
    record = CsvRecord{};
    if (m_pos >= m_text.size()) return false;
    record.line = m_line;
    while (true) {
        std::string field;
        if (m_pos < m_text.size() && m_text[m_pos] == '"') {
            const int opened = m_line;
            ++m_pos;
            while (true) {
                if (m_pos >= m_text.size()) {
                    record.error = "unterminated quoted field (the quote opens on line " + std::to_string(opened) + ")";
                    record.fatal = true;
                    record.fields.push_back(std::move(field));
                    return true;
                }
                char c = m_text[m_pos];
                if (c == '"') {
                    if (m_pos + 1 < m_text.size() && m_text[m_pos + 1] == '"') {
                        field += '"';
                        m_pos += 2;
                        continue;
                    }
                    ++m_pos;
                    break;
                }
                if (c == '\r' && m_pos + 1 < m_text.size() && m_text[m_pos + 1] == '\n') {
                    ++m_pos;  // CRLF inside a field becomes LF
                    continue;
                }
                if (c == '\n') ++m_line;
                field += c;
                ++m_pos;
            }
            if (!atLineEnd() && m_text[m_pos] != m_delimiter) {
                record.error = std::string("unexpected character '") + m_text[m_pos] +
                               "' after a closing quote (a quote inside a quoted field must be "
                               "doubled: \"\")";
                record.fields.push_back(std::move(field));
                skipRestOfLine();
                return true;
            }
        } else {
            while (!atLineEnd() && m_text[m_pos] != m_delimiter) field += m_text[m_pos++];
        }
        record.fields.push_back(std::move(field));
        if (m_pos < m_text.size() && m_text[m_pos] == m_delimiter) {
            ++m_pos;
            continue;
        }
        skipLineEnd();
        return true;
    }
}

}  // namespace prunescope::detail
