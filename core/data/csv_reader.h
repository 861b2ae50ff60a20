// An RFC 4180 reader: comma-separated fields, records ended by CRLF or LF, fields in double quotes
// may hold commas, line breaks and doubled quotes (""). Every record knows the line it starts on.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace prunescope::detail {

struct CsvRecord {
    int line = 0;  // 1-based line the record starts on
    std::vector<std::string> fields;
    std::string error;   // a problem in this record ("text after a closing quote"), or empty
    bool fatal = false;  // the rest of the input cannot be read (an unterminated quote)
    bool blank() const { return fields.size() == 1 && fields[0].empty() && error.empty(); }
};

// Lenient where readers usually are: a quote inside an unquoted field is kept as a character;
// "\r\n" inside a quoted field becomes "\n", so CRLF and LF files give the same text.
class CsvReader {
public:
    explicit CsvReader(std::string_view text, char delimiter = ',') : m_text(text), m_delimiter(delimiter) {}
    // The next record (a blank line gives one empty field); false at the end of the input.
    bool next(CsvRecord& record);

private:
    bool atLineEnd() const;
    void skipLineEnd();
    void skipRestOfLine();

    std::string_view m_text;
    char m_delimiter;
    size_t m_pos = 0;
    int m_line = 1;
};

}  // namespace prunescope::detail
