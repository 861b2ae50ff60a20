// Man pages in roff for `prunescope --man` and `prunescope-cli --man`; the build turns their output
// into prunescope.1.gz and prunescope-cli.1.gz (packaging/CMakeLists.txt).
#pragma once

#include <cctype>
#include <string>

namespace prunescope::roff {

// `text` as roff prints it: backslashes and hyphens escaped, no line read as a request.
inline std::string escape(const std::string& text) {
    std::string out;
    bool lineStart = true;
    for (char c : text) {
        if (lineStart && (c == '.' || c == '\'')) out += "\\&";
        if (c == '\\') {
            out += "\\e";
        } else if (c == '-') {
            out += "\\-";
        } else {
            out += c;
        }
        lineStart = c == '\n';
    }
    return out;
}

inline std::string bold(const std::string& text) {
    return "\\fB" + escape(text) + "\\fR";
}

inline std::string italic(const std::string& text) {
    return "\\fI" + escape(text) + "\\fR";
}

// The page's title line and NAME section.
inline std::string header(const std::string& name, const std::string& version, const std::string& summary) {
    std::string title;
    for (char c : name) title += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return ".TH " + escape(title) + " 1 \"\" \"Prunescope " + version + "\" \"User Commands\"\n.SH NAME\n" +
           escape(name) + " \\- " + escape(summary) + "\n";
}

}  // namespace prunescope::roff
