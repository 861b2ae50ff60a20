// The JSON layouts: ARC / OpenBookQA / CommonsenseQA release JSONL, their Hugging Face exports,
// plain JSONL, and SciQ's JSON array.
#include <algorithm>
#include <functional>
#include <initializer_list>

#include <nlohmann/json.hpp>

#include "core/data/mcq_json_fields.h"
#include "core/data/mcq_readers.h"
#include "core/data/text_util.h"
#include "core/util/files.h"

namespace prunescope::detail {

using nlohmann::json;

std::string describe(const nlohmann::json& value) {
    std::string type = value.type_name();
    if (value.is_primitive() && !value.is_string()) type += " " + value.dump();
    return type;
}

const nlohmann::json& member(const nlohmann::json& object, const char* key, const std::string& path) {
    auto it = object.find(key);
    if (it == object.end()) throw RecordError{path, "missing field"};
    return *it;
}

std::string stringMember(const nlohmann::json& object, const char* key, const std::string& path) {
    const json& value = member(object, key, path);
    if (!value.is_string()) throw RecordError{path, "expected a string, found " + describe(value)};
    return value.get<std::string>();
}

const nlohmann::json& arrayMember(const nlohmann::json& object, const char* key, const std::string& path) {
    const json& value = member(object, key, path);
    if (!value.is_array()) throw RecordError{path, "expected an array, found " + describe(value)};
    return value;
}

std::string optionalId(const nlohmann::json& record) {
    auto it = record.find("id");
    if (it == record.end() || it->is_null()) return {};
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number_integer()) return it->dump();
    throw RecordError{"id", "expected a string, found " + describe(*it)};
}

void copyScalars(const nlohmann::json& object, std::initializer_list<const char*> used,
                 std::map<std::string, std::string>& extra) {
    for (auto it = object.begin(); it != object.end(); ++it) {
        bool isUsed = false;
        for (const char* key : used) isUsed = isUsed || it.key() == key;
        if (isUsed || !it->is_primitive() || it->is_null()) continue;
        extra[it.key()] = it->is_string() ? it->get<std::string>() : it->dump();
    }
}

nlohmann::json parseLine(std::string_view text) {
    try {
        return json::parse(text.begin(), text.end());
    } catch (const json::parse_error& e) {
        std::string what = e.what();
        auto pos = what.find("syntax error");
        std::string detail = pos == std::string::npos ? what : what.substr(pos);
        throw RecordError{"", "malformed JSON at column " + std::to_string(e.byte) + ": " + detail};
    }
}

void forEachJsonLine(std::string_view text, McqCollector& out,
                     const std::function<RawQuestion(const nlohmann::json&)>& build) {
    for (const TextLine& line : splitLines(text)) {
        if (trimView(line.text).empty()) continue;
        out.add(line.number, [&] {
            size_t bad = findInvalidUtf8(line.text);
            if (bad != std::string_view::npos) {
                throw RecordError{"", describeInvalidUtf8(line.text, bad)};
            }
            json record = parseLine(line.text);
            if (!record.is_object()) {
                throw RecordError{"", "expected a JSON object, found " + describe(record)};
            }
            return build(record);
        });
    }
}

namespace {

RawQuestion nestedRecord(const json& record) {
    RawQuestion raw;
    raw.id = optionalId(record);
    const json& question = member(record, "question", "question");
    if (!question.is_object()) {
        throw RecordError{"question", "expected an object {stem, choices}, found " + describe(question) +
                                          " (a Hugging Face export? try --format arc-hf)"};
    }
    raw.question = stringMember(question, "stem", "question.stem");
    raw.questionField = "question.stem";
    const json& choices = arrayMember(question, "choices", "question.choices");
    raw.optionsField = "question.choices";
    raw.labelsField = "question.choices[].label";
    for (size_t i = 0; i < choices.size(); ++i) {
        const std::string path = "question.choices[" + std::to_string(i) + "]";
        const json& choice = choices[i];
        if (!choice.is_object()) {
            throw RecordError{path, "expected an object {text, label}, found " + describe(choice)};
        }
        raw.options.push_back(stringMember(choice, "text", path + ".text"));
        raw.optionFields.push_back(path + ".text");
        raw.labels.push_back(stringMember(choice, "label", path + ".label"));
    }
    raw.answerLabel = stringMember(record, "answerKey", "answerKey");
    raw.answerField = "answerKey";
    copyScalars(question, {"stem", "choices"}, raw.extra);            // question_concept (CommonsenseQA)
    copyScalars(record, {"id", "question", "answerKey"}, raw.extra);  // fact1... (OpenBookQA)
    return raw;
}

RawQuestion hfRecord(const json& record) {
    RawQuestion raw;
    raw.id = optionalId(record);
    const json& question = member(record, "question", "question");
    if (!question.is_string()) {
        throw RecordError{"question", "expected a string, found " + describe(question) +
                                          (question.is_object() ? " (the AI2 release layout? try "
                                                                  "--format arc)"
                                                                : "")};
    }
    raw.question = question.get<std::string>();
    const json& choices = member(record, "choices", "choices");
    if (!choices.is_object()) {
        throw RecordError{"choices", "expected an object {text: [...], label: [...]}, found " + describe(choices)};
    }
    const json& texts = arrayMember(choices, "text", "choices.text");
    const json& labels = arrayMember(choices, "label", "choices.label");
    raw.optionsField = "choices.text";
    raw.labelsField = "choices.label";
    if (texts.size() != labels.size()) {
        throw RecordError{"choices.label",
                          std::to_string(labels.size()) + " labels for " + std::to_string(texts.size()) + " texts"};
    }
    for (size_t i = 0; i < texts.size(); ++i) {
        const std::string path = "choices.text[" + std::to_string(i) + "]";
        if (!texts[i].is_string()) {
            throw RecordError{path, "expected a string, found " + describe(texts[i])};
        }
        const std::string labelPath = "choices.label[" + std::to_string(i) + "]";
        if (!labels[i].is_string()) {
            throw RecordError{labelPath, "expected a string, found " + describe(labels[i])};
        }
        raw.options.push_back(texts[i].get<std::string>());
        raw.optionFields.push_back(path);
        raw.labels.push_back(labels[i].get<std::string>());
    }
    raw.answerLabel = stringMember(record, "answerKey", "answerKey");
    raw.answerField = "answerKey";
    copyScalars(record, {"id", "question", "choices", "answerKey"}, raw.extra);
    return raw;
}

RawQuestion plainRecord(const json& record) {
    RawQuestion raw;
    raw.id = optionalId(record);
    raw.question = stringMember(record, "question", "question");
    const json& choices = arrayMember(record, "choices", "choices");
    raw.optionsField = "choices";
    for (size_t i = 0; i < choices.size(); ++i) {
        const std::string path = "choices[" + std::to_string(i) + "]";
        if (!choices[i].is_string()) {
            throw RecordError{path, "expected a string, found " + describe(choices[i])};
        }
        raw.options.push_back(choices[i].get<std::string>());
        raw.optionFields.push_back(path);
    }
    if (record.contains("labels")) {
        const json& labels = arrayMember(record, "labels", "labels");
        for (size_t i = 0; i < labels.size(); ++i) {
            if (!labels[i].is_string()) {
                throw RecordError{"labels[" + std::to_string(i) + "]",
                                  "expected a string, found " + describe(labels[i])};
            }
            raw.labels.push_back(labels[i].get<std::string>());
        }
    }
    const json& answer = member(record, "answer", "answer");
    if (answer.is_number_integer()) {
        auto value = answer.get<int64_t>();
        raw.answerIndex = static_cast<int>(std::clamp<int64_t>(value, -1, 1000));
    } else if (answer.is_string()) {
        raw.answerLabel = answer.get<std::string>();
    } else {
        throw RecordError{"answer", "expected an option index (0-based) or a label, found " + describe(answer)};
    }
    copyScalars(record, {"id", "question", "choices", "labels", "answer"}, raw.extra);
    return raw;
}

}  // namespace

void readNestedJsonl(std::string_view text, McqCollector& out) {
    forEachJsonLine(text, out, nestedRecord);
}

void readHfJsonl(std::string_view text, McqCollector& out) {
    forEachJsonLine(text, out, hfRecord);
}

void readPlainJsonl(std::string_view text, McqCollector& out) {
    forEachJsonLine(text, out, plainRecord);
}

void readSciqJson(std::string_view text, uint64_t seed, McqCollector& out) {
    size_t bad = findInvalidUtf8(text);
    if (bad != std::string_view::npos) {
        size_t lineStart = 0;
        int line = 1;
        for (size_t i = 0; i < bad; ++i) {
            if (text[i] == '\n') ++line, lineStart = i + 1;
        }
        out.fatal("line " + std::to_string(line), describeInvalidUtf8(text.substr(lineStart), bad - lineStart));
    }
    json doc = parseJson(text, out.fileName());
    if (!doc.is_array()) {
        out.fatal("", "expected a JSON array of questions (the SciQ layout), found " + describe(doc));
    }
    out.setUnit("record");
    static const char* const kFields[] = {"correct_answer", "distractor1", "distractor2", "distractor3"};
    for (size_t r = 0; r < doc.size(); ++r) {
        out.add(static_cast<int>(r + 1), [&] {
            const json& record = doc[r];
            if (!record.is_object()) {
                throw RecordError{"", "expected an object, found " + describe(record)};
            }
            RawQuestion raw;
            raw.id = optionalId(record);
            raw.question = stringMember(record, "question", "question");
            std::vector<std::string> given;
            for (const char* field : kFields) given.push_back(stringMember(record, field, field));
            // The shuffle depends on the seed and the question text only, not on the position.
            SplitMix64 rng(seed ^ fnv1a64(trimView(raw.question)));
            std::vector<size_t> order = shuffledIndices(given.size(), rng);
            for (size_t k = 0; k < order.size(); ++k) {
                raw.options.push_back(given[order[k]]);
                raw.optionFields.push_back(kFields[order[k]]);
                if (order[k] == 0) raw.answerIndex = static_cast<int>(k);
            }
            raw.answerField = "correct_answer";
            copyScalars(record, {"id", "question", "correct_answer", "distractor1", "distractor2", "distractor3"},
                        raw.extra);  // support
            return raw;
        });
    }
}

}  // namespace prunescope::detail
