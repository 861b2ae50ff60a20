// The table layouts: OpenBookQA's release TSV, MMLU's header-less CSV, and CSV with a header.
#include <array>

#include "core/data/csv_reader.h"
#include "core/data/mcq_readers.h"
#include "core/data/text_util.h"

namespace prunescope::detail {
namespace {

constexpr const char* kOpenBookQaHeader =
    "expected the OpenBookQA header: ID<tab>Question Stem<tab>Choices<tab>Complete "
    "Question<tab>Answer Key";
constexpr const char* kCsvColumns =
    "accepted columns: question; A, B, C... or choice1, choice2... or option1, option2...; "
    "answer; optional id; any other column is kept as an extra field";

std::vector<std::string_view> splitTabs(std::string_view line) {
    std::vector<std::string_view> fields;
    size_t start = 0;
    while (true) {
        size_t tab = line.find('\t', start);
        fields.push_back(line.substr(start, tab == std::string_view::npos ? tab : tab - start));
        if (tab == std::string_view::npos) return fields;
        start = tab + 1;
    }
}

// "(A) text (B) text (C) text": a marker is " (X)" with the next letter, then a space or the end.
void parseLetteredChoices(std::string_view choices, RawQuestion& raw) {
    std::string_view s = trimView(choices);
    if (s.substr(0, 3) != "(A)") {
        throw RecordError{"Choices", "expected '(A) text (B) text ...', found '" + std::string(s.substr(0, 40)) + "'"};
    }
    size_t pos = 3;
    for (char letter = 'A';; ++letter) {
        size_t next = std::string_view::npos;
        if (letter < 'Z') {
            const std::string marker = std::string(" (") + char(letter + 1) + ")";
            next = s.find(marker, pos);
            while (next != std::string_view::npos && next + 4 < s.size() && s[next + 4] != ' ') {
                next = s.find(marker, next + 1);
            }
        }
        std::string_view text = s.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos);
        raw.options.push_back(trim(text));
        raw.labels.push_back(std::string(1, letter));
        raw.optionFields.push_back(std::string("Choices (") + letter + ")");
        if (next == std::string_view::npos) return;
        pos = next + 4;
    }
}

struct CsvLayout {
    std::vector<std::string> names;  // as written in the header
    int question = -1, answer = -1, id = -1;
    std::vector<int> options;  // column of option 0, 1, ...
    bool numbered = false;     // choice1.. / option1.. (labels "1".."n") instead of A, B, ...
    std::vector<int> extra;
};

// The option index a header name stands for ("b" -> 1, "choice3" -> 2), or -1.
int optionColumn(const std::string& key, bool& numbered) {
    if (key.size() == 1 && key[0] >= 'a' && key[0] <= 'z') {
        numbered = false;
        return key[0] - 'a';
    }
    for (const char* prefix : {"choice", "option"}) {
        const std::string p = prefix;
        if (key.size() > p.size() && key.size() <= p.size() + 2 && key.compare(0, p.size(), p) == 0) {
            std::string digits = key.substr(p.size());
            if (digits.find_first_not_of("0123456789") != std::string::npos) return -1;
            int n = std::stoi(digits);
            numbered = true;
            return n >= 1 && n <= 26 ? n - 1 : -1;
        }
    }
    return -1;
}

CsvLayout parseHeader(const CsvRecord& header, const McqCollector& out) {
    const std::string place = "line " + std::to_string(header.line);
    CsvLayout layout;
    std::array<int, 26> slots;
    slots.fill(-1);
    bool sawLetters = false, sawNumbers = false;
    for (size_t i = 0; i < header.fields.size(); ++i) {
        const int column = static_cast<int>(i);
        layout.names.push_back(trim(header.fields[i]));
        const std::string key = toLower(layout.names.back());
        int* role = key == "question" ? &layout.question
                    : key == "answer" ? &layout.answer
                    : key == "id"     ? &layout.id
                                      : nullptr;
        bool numbered = false;
        int option = role ? -1 : optionColumn(key, numbered);
        if (role) {
            if (*role >= 0) out.fatal(place, "two '" + key + "' columns", kCsvColumns);
            *role = column;
        } else if (option >= 0) {
            if (slots[option] >= 0) {
                out.fatal(place, "two columns for option " + std::to_string(option + 1) + " ('" +
                                     layout.names[slots[option]] + "', '" + layout.names.back() + "')");
            }
            slots[option] = column;
            (numbered ? sawNumbers : sawLetters) = true;
        } else {
            layout.extra.push_back(column);
        }
    }
    if (layout.question < 0) out.fatal(place, "no 'question' column", kCsvColumns);
    if (layout.answer < 0) out.fatal(place, "no 'answer' column", kCsvColumns);
    if (sawLetters && sawNumbers) {
        out.fatal(place, "option columns mix letters (A, B...) and numbers (choice1...)", kCsvColumns);
    }
    layout.numbered = sawNumbers;
    for (int k = 0; k < 26; ++k) {
        if (slots[k] < 0) continue;
        if (static_cast<int>(layout.options.size()) != k) {
            const std::string missing =
                layout.numbered ? "choice" + std::to_string(k) : std::string(1, char('A' + k - 1));
            out.fatal(place,
                      "option column '" + missing +
                          "' is missing (option columns must be "
                          "consecutive from " +
                          (layout.numbered ? "1" : "A") + ")",
                      kCsvColumns);
        }
        layout.options.push_back(slots[k]);
    }
    if (layout.options.size() < 2) out.fatal(place, "fewer than 2 option columns", kCsvColumns);
    return layout;
}

RawQuestion csvRecord(const CsvRecord& record, const CsvLayout& layout) {
    if (record.fields.size() != layout.names.size()) {
        throw RecordError{"", std::to_string(record.fields.size()) + " fields, the header has " +
                                  std::to_string(layout.names.size())};
    }
    RawQuestion raw;
    if (layout.id >= 0) raw.id = trim(record.fields[layout.id]);
    raw.question = record.fields[layout.question];
    raw.questionField = layout.names[layout.question];
    // Trailing empty option cells mean "fewer options"; an empty cell before a filled one is an
    // empty option (an error).
    size_t used = layout.options.size();
    while (used > 0 && trimView(record.fields[layout.options[used - 1]]).empty()) --used;
    for (size_t k = 0; k < used; ++k) {
        raw.options.push_back(record.fields[layout.options[k]]);
        raw.optionFields.push_back(layout.names[layout.options[k]]);
        if (layout.numbered) raw.labels.push_back(std::to_string(k + 1));
    }
    raw.labelsField = raw.optionsField = "options";
    const std::string answer = trim(record.fields[layout.answer]);
    raw.answerField = layout.names[layout.answer];
    if (layout.numbered && answer.size() == 1 && answer[0] >= 'A' && answer[0] <= 'Z') {
        raw.answerIndex = answer[0] - 'A';
    } else {
        raw.answerLabel = answer;
    }
    for (int column : layout.extra) raw.extra[layout.names[column]] = record.fields[column];
    return raw;
}

}  // namespace

void readOpenBookQaTsv(std::string_view text, McqCollector& out) {
    std::vector<TextLine> lines = splitLines(text);
    size_t h = 0;
    while (h < lines.size() && trimView(lines[h].text).empty()) ++h;
    if (h == lines.size()) return;
    const std::string headerPlace = "line " + std::to_string(lines[h].number);
    std::vector<std::string> names;
    int id = -1, stem = -1, choices = -1, key = -1;
    std::vector<int> extra;
    for (std::string_view field : splitTabs(lines[h].text)) {
        names.push_back(trim(field));
        const std::string lower = toLower(names.back());
        const int column = static_cast<int>(names.size()) - 1;
        if (lower == "id")
            id = column;
        else if (lower == "question stem")
            stem = column;
        else if (lower == "choices")
            choices = column;
        else if (lower == "answer key")
            key = column;
        else if (lower != "complete question")
            extra.push_back(column);
    }
    const std::pair<int, const char*> required[] = {
        {id, "ID"}, {stem, "Question Stem"}, {choices, "Choices"}, {key, "Answer Key"}};
    for (const auto& [column, name] : required) {
        if (column < 0) {
            out.fatal(headerPlace, std::string("no '") + name + "' column", kOpenBookQaHeader);
        }
    }
    for (size_t i = h + 1; i < lines.size(); ++i) {
        const TextLine& line = lines[i];
        if (trimView(line.text).empty()) continue;
        out.add(line.number, [&] {
            size_t bad = findInvalidUtf8(line.text);
            if (bad != std::string_view::npos) {
                throw RecordError{"", describeInvalidUtf8(line.text, bad)};
            }
            std::vector<std::string_view> fields = splitTabs(line.text);
            if (fields.size() != names.size()) {
                throw RecordError{"", std::to_string(fields.size()) + " tab-separated fields, the header has " +
                                          std::to_string(names.size())};
            }
            RawQuestion raw;
            raw.id = trim(fields[id]);
            raw.question = std::string(fields[stem]);
            raw.questionField = "Question Stem";
            raw.optionsField = raw.labelsField = "Choices";
            parseLetteredChoices(fields[choices], raw);
            raw.answerLabel = std::string(fields[key]);
            raw.answerField = "Answer Key";
            for (int column : extra) raw.extra[names[column]] = std::string(fields[column]);
            return raw;
        });
    }
}

void readMmluCsv(std::string_view text, const std::string& stem, McqCollector& out) {
    std::string subject = stem, split;
    for (const char* suffix : {"_test", "_val", "_dev", "_train"}) {
        const std::string s = suffix;
        if (stem.size() > s.size() && stem.compare(stem.size() - s.size(), s.size(), s) == 0) {
            subject = stem.substr(0, stem.size() - s.size());
            split = s.substr(1);
            break;
        }
    }
    static const char* const kColumns[] = {"question", "A", "B", "C", "D", "answer"};
    CsvReader reader(text);
    CsvRecord record;
    while (reader.next(record)) {
        if (record.blank()) continue;
        if (record.fatal) out.fatal("line " + std::to_string(record.line), record.error);
        out.add(record.line, [&] {
            if (!record.error.empty()) throw RecordError{"", record.error};
            if (record.fields.size() != 6) {
                throw RecordError{
                    "", std::to_string(record.fields.size()) + " fields, expected 6 (question, A, B, C, D, answer)"};
            }
            RawQuestion raw;
            raw.question = record.fields[0];
            for (int k = 1; k <= 4; ++k) {
                raw.options.push_back(record.fields[k]);
                raw.optionFields.push_back(kColumns[k]);
            }
            raw.answerLabel = record.fields[5];
            raw.answerField = kColumns[5];
            raw.extra["subject"] = subject;
            if (!split.empty()) raw.extra["split"] = split;
            return raw;
        });
    }
}

void readHeaderCsv(std::string_view text, McqCollector& out) {
    CsvReader reader(text);
    CsvRecord record;
    bool haveHeader = false;
    CsvLayout layout;
    while (reader.next(record)) {
        if (record.blank()) continue;
        if (record.fatal) out.fatal("line " + std::to_string(record.line), record.error);
        if (!haveHeader) {
            if (!record.error.empty()) out.fatal("line " + std::to_string(record.line), record.error);
            layout = parseHeader(record, out);
            haveHeader = true;
            continue;
        }
        out.add(record.line, [&] {
            if (!record.error.empty()) throw RecordError{"", record.error};
            return csvRecord(record, layout);
        });
    }
}

}  // namespace prunescope::detail
