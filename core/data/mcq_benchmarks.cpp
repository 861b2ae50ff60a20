// Benchmarks with their own field names: PIQA and Social IQa (answers in a separate labels file),
// HellaSwag, WinoGrande and TruthfulQA MC1. (QASC is ARC-shaped: readNestedJsonl.) Field
// mappings in docs/datasets.md.
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/data/mcq_json_fields.h"
#include "core/data/mcq_readers.h"
#include "core/data/text_util.h"

namespace prunescope::detail {
namespace {

using nlohmann::json;

// A whole number written as a JSON integer or as a string of digits ("2", as the releases of
// WinoGrande and the Hugging Face exports write their answers).
int integerField(const json& record, const char* key, const std::string& path) {
    const json& value = member(record, key, path);
    if (value.is_number_integer()) return static_cast<int>(std::clamp<int64_t>(value.get<int64_t>(), -1, 1000));
    if (value.is_string()) {
        const std::string text = trim(value.get<std::string>());
        int parsed = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
        if (!text.empty() && ec == std::errc() && end == text.data() + text.size()) return parsed;
        if (text.empty()) throw RecordError{path, "no answer (an unlabelled test split?)"};
    }
    throw RecordError{path, "expected a whole number, found " + describe(value)};
}

std::string stringOption(const json& record, const char* key, RawQuestion& raw) {
    raw.optionFields.push_back(key);
    return stringMember(record, key, key);
}

struct Label {
    int line = 0;  // in the labels file
    std::string text;
};

std::vector<Label> readLabels(const std::filesystem::path& file, size_t records, const McqCollector& out) {
    if (!std::filesystem::exists(file)) {
        out.fatal("", "the answers of this benchmark are in a separate file, and there is none at " + file.string(),
                  "name it with --labels FILE; the releases put it beside the data as "
                  "<name>-labels.lst");
    }
    const std::string content = readDatasetText(file);
    std::vector<Label> labels;
    for (const TextLine& line : splitLines(stripBom(content))) {
        if (trimView(line.text).empty()) continue;
        labels.push_back({line.number, std::string(trimView(line.text))});
    }
    if (labels.size() != records) {
        out.fatal(
            "",
            std::to_string(records) + " records, but " + std::to_string(labels.size()) + " answers in " + file.string(),
            "the labels file must have one answer per record, in the same order");
    }
    return labels;
}

// Records paired with the labels file line by line; `build` makes the record, then the answer is
// the label (an option index counted from `firstIndex`).
void readWithLabels(std::string_view text, const std::filesystem::path& labelsFile, int firstIndex, McqCollector& out,
                    const std::function<RawQuestion(const json&)>& build) {
    size_t records = 0;
    for (const TextLine& line : splitLines(text)) records += trimView(line.text).empty() ? 0 : 1;
    const std::vector<Label> labels = readLabels(labelsFile, records, out);
    const std::string labelsName = labelsFile.filename().string();
    size_t k = 0;
    forEachJsonLine(text, out, [&](const json& record) {
        const Label& label = labels[k++];
        RawQuestion raw = build(record);
        raw.answerField = labelsName + " line " + std::to_string(label.line);
        int value = 0;
        auto [end, ec] = std::from_chars(label.text.data(), label.text.data() + label.text.size(), value);
        if (ec != std::errc() || end != label.text.data() + label.text.size()) {
            throw RecordError{raw.answerField, "expected an answer number, found '" + label.text + "'"};
        }
        raw.answerIndex = value - firstIndex;
        return raw;
    });
}

RawQuestion piqaRecord(const json& record) {
    RawQuestion raw;
    raw.id = optionalId(record);
    raw.question = stringMember(record, "goal", "goal");
    raw.questionField = "goal";
    raw.optionsField = "sol1, sol2";
    raw.options.push_back(stringOption(record, "sol1", raw));
    raw.options.push_back(stringOption(record, "sol2", raw));
    copyScalars(record, {"id", "goal", "sol1", "sol2"}, raw.extra);
    return raw;
}

// Social IQa: the context and the question together make the question text (both are kept in
// `extra` for prompts that want them apart).
RawQuestion siqaRecord(const json& record) {
    RawQuestion raw;
    raw.id = optionalId(record);
    const std::string context = stringMember(record, "context", "context");
    const std::string question = stringMember(record, "question", "question");
    raw.question = trim(context) + " " + trim(question);
    raw.optionsField = "answerA..C";
    for (const char* key : {"answerA", "answerB", "answerC"}) raw.options.push_back(stringOption(record, key, raw));
    raw.extra["context"] = context;
    raw.extra["question"] = question;
    copyScalars(record, {"id", "context", "question", "answerA", "answerB", "answerC"}, raw.extra);
    return raw;
}

RawQuestion hellaswagRecord(const json& record) {
    RawQuestion raw;
    if (auto it = record.find("ind"); it != record.end() && it->is_number_integer()) raw.id = it->dump();
    raw.question = stringMember(record, "ctx", "ctx");
    raw.questionField = "ctx";
    const json& endings = arrayMember(record, "endings", "endings");
    raw.optionsField = "endings";
    for (size_t i = 0; i < endings.size(); ++i) {
        const std::string path = "endings[" + std::to_string(i) + "]";
        if (!endings[i].is_string()) throw RecordError{path, "expected a string, found " + describe(endings[i])};
        raw.options.push_back(endings[i].get<std::string>());
        raw.optionFields.push_back(path);
    }
    raw.answerIndex = integerField(record, "label", "label");
    raw.answerField = "label";
    copyScalars(record, {"ind", "ctx", "endings", "label"}, raw.extra);  // activity_label, ctx_a, ctx_b...
    return raw;
}

RawQuestion winograndeRecord(const json& record) {
    RawQuestion raw;
    if (auto it = record.find("qID"); it != record.end() && it->is_string()) raw.id = it->get<std::string>();
    raw.question = stringMember(record, "sentence", "sentence");
    raw.questionField = "sentence";
    raw.optionsField = "option1, option2";
    raw.options.push_back(stringOption(record, "option1", raw));
    raw.options.push_back(stringOption(record, "option2", raw));
    raw.answerIndex = integerField(record, "answer", "answer") - 1;  // "1" or "2"
    raw.answerField = "answer";
    copyScalars(record, {"qID", "sentence", "option1", "option2", "answer"}, raw.extra);
    return raw;
}

// TruthfulQA MC1. The release (mc_task.json) maps each answer text to 1 (true) or 0, in an object
// whose order is the answers' order (parsed order-preserving); the Hugging Face export
// (truthful_qa, multiple_choice) has {choices: [...], labels: [...]}. Exactly one answer is true.
RawQuestion truthfulQaRecord(const nlohmann::ordered_json& record) {
    auto describeAny = [](const nlohmann::ordered_json& v) { return std::string(v.type_name()); };
    RawQuestion raw;
    auto question = record.find("question");
    if (question == record.end()) throw RecordError{"question", "missing field"};
    if (!question->is_string()) throw RecordError{"question", "expected a string, found " + describeAny(*question)};
    raw.question = question->get<std::string>();
    auto targets = record.find("mc1_targets");
    if (targets == record.end()) throw RecordError{"mc1_targets", "missing field"};
    if (!targets->is_object()) {
        throw RecordError{"mc1_targets", "expected an object, found " + describeAny(*targets)};
    }
    raw.optionsField = "mc1_targets";
    std::vector<int> truth;
    auto flag = [&](const nlohmann::ordered_json& v, const std::string& path) {
        if (!v.is_number_integer() || (v.get<int64_t>() != 0 && v.get<int64_t>() != 1)) {
            throw RecordError{path, "expected 0 or 1, found " + v.dump()};
        }
        truth.push_back(static_cast<int>(v.get<int64_t>()));
    };
    if (targets->contains("choices") && targets->contains("labels")) {
        const auto& choices = targets->at("choices");
        const auto& labels = targets->at("labels");
        if (!choices.is_array() || !labels.is_array() || choices.size() != labels.size()) {
            throw RecordError{"mc1_targets", "expected choices and labels arrays of the same length"};
        }
        for (size_t i = 0; i < choices.size(); ++i) {
            const std::string path = "mc1_targets.choices[" + std::to_string(i) + "]";
            if (!choices[i].is_string()) throw RecordError{path, "expected a string, found " + describeAny(choices[i])};
            raw.options.push_back(choices[i].get<std::string>());
            raw.optionFields.push_back(path);
            flag(labels[i], "mc1_targets.labels[" + std::to_string(i) + "]");
        }
    } else {
        for (auto it = targets->begin(); it != targets->end(); ++it) {
            raw.options.push_back(it.key());
            raw.optionFields.push_back("mc1_targets");
            flag(it.value(), "mc1_targets['" + it.key() + "']");
        }
    }
    int trueCount = 0;
    for (size_t i = 0; i < truth.size(); ++i) {
        if (truth[i] == 1) raw.answerIndex = static_cast<int>(i), ++trueCount;
    }
    if (trueCount != 1) {
        throw RecordError{"mc1_targets", std::to_string(trueCount) + " answers marked true; MC1 has exactly one"};
    }
    raw.answerField = "mc1_targets";
    return raw;
}

}  // namespace

std::filesystem::path defaultLabelsFile(const std::filesystem::path& data) {
    return data.parent_path() / (data.stem().string() + "-labels.lst");
}

void readPiqaJsonl(std::string_view text, const std::filesystem::path& labels, McqCollector& out) {
    readWithLabels(text, labels, 0, out, piqaRecord);  // labels 0 / 1
}

void readSiqaJsonl(std::string_view text, const std::filesystem::path& labels, McqCollector& out) {
    readWithLabels(text, labels, 1, out, siqaRecord);  // labels 1 / 2 / 3
}

void readHellaswagJsonl(std::string_view text, McqCollector& out) {
    forEachJsonLine(text, out, hellaswagRecord);
}

void readWinograndeJsonl(std::string_view text, McqCollector& out) {
    forEachJsonLine(text, out, winograndeRecord);
}

void readTruthfulQaMc1(std::string_view text, McqCollector& out) {
    const std::string_view body = trimView(text);
    if (!body.empty() && body.front() == '[') {  // mc_task.json
        nlohmann::ordered_json doc;
        try {
            doc = nlohmann::ordered_json::parse(body.begin(), body.end());
        } catch (const nlohmann::json::parse_error& e) {
            out.fatal("", std::string("malformed JSON: ") + e.what());
        }
        out.setUnit("record");
        for (size_t r = 0; r < doc.size(); ++r) {
            out.add(static_cast<int>(r + 1), [&] {
                if (!doc[r].is_object()) throw RecordError{"", "expected an object"};
                return truthfulQaRecord(doc[r]);
            });
        }
        return;
    }
    for (const TextLine& line : splitLines(text)) {  // the Hugging Face export, one per line
        if (trimView(line.text).empty()) continue;
        out.add(line.number, [&] {
            nlohmann::ordered_json record;
            try {
                record = nlohmann::ordered_json::parse(line.text.begin(), line.text.end());
            } catch (const nlohmann::json::parse_error& e) {
                throw RecordError{"", std::string("malformed JSON: ") + e.what()};
            }
            if (!record.is_object()) throw RecordError{"", "expected a JSON object"};
            return truthfulQaRecord(record);
        });
    }
}

}  // namespace prunescope::detail
