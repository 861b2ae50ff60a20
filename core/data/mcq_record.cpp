#include "core/data/mcq_record.h"

#include <unordered_map>

#include "core/data/text_util.h"
#include "core/util/error.h"
#include "core/util/log.h"

namespace prunescope::detail {
namespace {

constexpr int kMinOptions = 2;
constexpr int kMaxOptions = 26;

std::string optionField(const RawQuestion& raw, size_t i) {
    if (i < raw.optionFields.size()) return raw.optionFields[i];
    return "options[" + std::to_string(i) + "]";
}

void checkUtf8(const std::string& text, const std::string& field) {
    size_t bad = findInvalidUtf8(text);
    if (bad != std::string::npos) {
        throw RecordError{field, describeInvalidUtf8(text, bad) + " of the field"};
    }
}

std::string quoteText(const std::string& text) {
    constexpr size_t kMax = 60;
    if (text.size() <= kMax) return "'" + text + "'";
    size_t cut = kMax;  // not inside a UTF-8 sequence
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    return "'" + text.substr(0, cut) + "...'";
}

}  // namespace

McqCollector::McqCollector(std::filesystem::path file, const McqLoadOptions& options, std::string unit)
    : m_file(std::move(file)), m_fileName(m_file.string()), m_options(options), m_unit(std::move(unit)) {
    m_data.name = m_file.stem().string();
    m_data.source = m_file;
}

void McqCollector::add(int line, const std::function<RawQuestion()>& parse) {
    try {
        m_data.questions.push_back(validate(line, parse()));
    } catch (const RecordError& e) {
        reject(line, e);
    }
}

void McqCollector::reject(int line, const RecordError& error) {
    if (!m_options.skipInvalid) {
        std::string place = m_unit + " " + std::to_string(line);
        if (!error.field.empty()) place += ", field '" + error.field + "'";
        throw Error(m_fileName, place, error.message, "fix the record, or skip bad records with --skip-invalid");
    }
    std::string reason = error.field.empty() ? error.message : "field '" + error.field + "': " + error.message;
    m_data.skipped.push_back({line, std::move(reason)});
}

void McqCollector::fatal(const std::string& place, const std::string& message, const std::string& hint) const {
    throw Error(m_fileName, place, message, hint);
}

McqQuestion McqCollector::validate(int line, RawQuestion raw) {
    McqQuestion q;
    q.line = line;
    q.id = raw.id.empty() ? m_file.filename().string() + ":" + std::to_string(line) : raw.id;
    checkUtf8(q.id, "id");
    checkUtf8(raw.question, raw.questionField);
    q.question = trim(raw.question);
    if (q.question.empty()) throw RecordError{raw.questionField, "the question is empty"};

    const int count = static_cast<int>(raw.options.size());
    if (count < kMinOptions) {
        throw RecordError{raw.optionsField, std::to_string(count) + " option" + (count == 1 ? "" : "s") +
                                                ", need at least " + std::to_string(kMinOptions)};
    }
    if (count > kMaxOptions) {
        throw RecordError{raw.optionsField, std::to_string(count) + " options, at most " + std::to_string(kMaxOptions) +
                                                " are supported"};
    }
    std::unordered_map<std::string, size_t> seen;
    bool repeats = false;
    for (size_t i = 0; i < raw.options.size(); ++i) {
        checkUtf8(raw.options[i], optionField(raw, i));
        q.options.push_back(trim(raw.options[i]));
        if (q.options.back().empty()) throw RecordError{optionField(raw, i), "empty option"};
        auto [it, fresh] = seen.emplace(q.options.back(), i);
        if (!fresh && m_options.strict) {
            throw RecordError{optionField(raw, i), "duplicate option " + quoteText(q.options.back()) + " (same as " +
                                                       optionField(raw, it->second) + ")"};
        }
        repeats = repeats || !fresh;
    }

    if (raw.labels.empty()) {
        for (int i = 0; i < count; ++i) q.labels.push_back(std::string(1, char('A' + i)));
    } else {
        if (raw.labels.size() != raw.options.size()) {
            throw RecordError{raw.labelsField,
                              std::to_string(raw.labels.size()) + " labels for " + std::to_string(count) + " options"};
        }
        std::unordered_map<std::string, size_t> seenLabels;
        for (size_t i = 0; i < raw.labels.size(); ++i) {
            checkUtf8(raw.labels[i], raw.labelsField);
            std::string label = trim(raw.labels[i]);
            if (label.empty()) throw RecordError{raw.labelsField, "empty label"};
            if (!seenLabels.emplace(label, i).second) {
                throw RecordError{raw.labelsField, "duplicate label '" + label + "'"};
            }
            q.labels.push_back(std::move(label));
        }
    }

    if (raw.answerIndex) {
        int a = *raw.answerIndex;
        if (a < 0 || a >= count) {
            throw RecordError{raw.answerField, "answer index " + std::to_string(a) + " is out of range for " +
                                                   std::to_string(count) + " options (0.." + std::to_string(count - 1) +
                                                   ")"};
        }
        q.answer = a;
    } else {
        checkUtf8(raw.answerLabel, raw.answerField);
        std::string key = trim(raw.answerLabel);
        if (key.empty()) throw RecordError{raw.answerField, "empty answer"};
        for (int i = 0; i < count; ++i) {
            if (q.labels[i] == key) q.answer = i;
        }
        if (q.answer < 0) {
            throw RecordError{raw.answerField,
                              "answer " + quoteText(key) + " is not one of the labels " + joinList(q.labels)};
        }
    }
    for (auto& [key, value] : raw.extra) checkUtf8(value, key);
    q.extra = std::move(raw.extra);
    if (repeats) m_data.duplicateOptionLines.push_back(line);  // only once the record is valid
    return q;
}

McqDataset McqCollector::finish(McqFormat format) {
    m_data.format = format;
    if (m_data.questions.empty()) {
        if (m_data.skipped.empty()) {
            fatal("", "no questions found", "is this the right file and --format?");
        }
        const auto& first = m_data.skipped.front();
        fatal(m_unit + " " + std::to_string(first.line),
              "all " + std::to_string(m_data.skipped.size()) + " records are invalid; the first: " + first.reason);
    }
    if (const auto& lines = m_data.duplicateOptionLines; !lines.empty()) {
        constexpr size_t kShown = 10;
        std::string shown;
        for (size_t i = 0; i < lines.size() && i < kShown; ++i) shown += (i ? ", " : "") + std::to_string(lines[i]);
        log::get("data")->warn(
            "{}: {} of {} records repeat an option's text ({} {}{}); kept as published, each "
            "answer is its labelled option (--strict refuses them)",
            m_fileName, lines.size(), m_data.questions.size(), m_unit + (lines.size() > 1 ? "s" : ""), shown,
            lines.size() > kShown ? ", ..." : "");
    }
    return std::move(m_data);
}

}  // namespace prunescope::detail
