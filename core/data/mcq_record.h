// Internal to core/data: the raw record each reader builds, and the collector that validates it
// and either throws an Error naming file, line and field, or (skipInvalid) records the skip.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/data/mcq.h"

namespace prunescope::detail {

// A problem in one record. `field` names where in it ("answerKey", "question.choices[2].text");
// empty when the whole record is the problem (malformed JSON).
struct RecordError {
    std::string field;
    std::string message;
};

struct RawQuestion {
    std::string id;  // empty: "<file name>:<line>"
    std::string question;
    std::string questionField = "question";
    std::vector<std::string> options;
    std::string optionsField = "options";
    std::vector<std::string> optionFields;  // the field of each option, for messages
    std::vector<std::string> labels;        // empty: A, B, C...
    std::string labelsField = "labels";
    std::optional<int> answerIndex;  // the answer as an index, or
    std::string answerLabel;         // as a label (when answerIndex is empty)
    std::string answerField = "answer";
    std::map<std::string, std::string> extra;
};

class McqCollector {
public:
    // `unit` names McqQuestion::line in messages: "line", or "record" for a JSON array.
    McqCollector(std::filesystem::path file, const McqLoadOptions& options, std::string unit = "line");

    // Builds a record with `parse`, validates it and adds it; a RecordError thrown by `parse` or
    // found by validation is thrown as Error or, with skipInvalid, recorded as skipped.
    void add(int line, const std::function<RawQuestion()>& parse);
    // Reports a problem with the record at `line` (throws unless skipInvalid).
    void reject(int line, const RecordError& error);
    // Throws an Error that skipInvalid cannot skip (a bad header, an unreadable file).
    [[noreturn]] void fatal(const std::string& place, const std::string& message, const std::string& hint = {}) const;

    const std::string& fileName() const { return m_fileName; }  // as in Error::file()
    void setUnit(std::string unit) { m_unit = std::move(unit); }
    McqDataset finish(McqFormat format);

private:
    McqQuestion validate(int line, RawQuestion raw);

    std::filesystem::path m_file;
    std::string m_fileName;
    McqLoadOptions m_options;
    std::string m_unit;
    McqDataset m_data;
};

}  // namespace prunescope::detail
