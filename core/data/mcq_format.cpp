// Format names and automatic detection (extension first, then the first record's shape).
#include <nlohmann/json.hpp>

#include "core/data/csv_reader.h"
#include "core/data/mcq_readers.h"
#include "core/data/text_util.h"
#include "core/util/error.h"

namespace prunescope {
namespace {

struct FormatName {
    McqFormat format;
    const char* name;
};

constexpr FormatName kFormatNames[] = {
    {McqFormat::Auto, "auto"},
    {McqFormat::ArcJsonl, "arc"},
    {McqFormat::ArcHfJsonl, "arc-hf"},
    {McqFormat::OpenBookQaTsv, "openbookqa"},
    {McqFormat::OpenBookQaJsonl, "openbookqa-jsonl"},
    {McqFormat::CommonsenseQaJsonl, "commonsenseqa"},
    {McqFormat::CommonsenseQaHfJsonl, "commonsenseqa-hf"},
    {McqFormat::SciqJson, "sciq"},
    {McqFormat::MmluCsv, "mmlu"},
    {McqFormat::Jsonl, "jsonl"},
    {McqFormat::Csv, "csv"},
    {McqFormat::PiqaJsonl, "piqa"},
    {McqFormat::SiqaJsonl, "siqa"},
    {McqFormat::HellaswagJsonl, "hellaswag"},
    {McqFormat::WinograndeJsonl, "winogrande"},
    {McqFormat::TruthfulQaMc1, "truthfulqa-mc1"},
    {McqFormat::QascJsonl, "qasc"},
};

constexpr const char* kForceHint =
    "name the format with --format (arc, arc-hf, openbookqa, openbookqa-jsonl, commonsenseqa, "
    "commonsenseqa-hf, sciq, mmlu, jsonl, csv, piqa, siqa, hellaswag, winogrande, truthfulqa-mc1, "
    "qasc)";

// OpenBookQA ids look like "7-980" (book fact - question number).
bool isOpenBookQaId(const nlohmann::json& record) {
    auto it = record.find("id");
    if (it == record.end() || !it->is_string()) return false;
    const std::string id = it->get<std::string>();
    size_t dash = id.find('-');
    if (dash == std::string::npos || dash == 0 || dash + 1 == id.size()) return false;
    for (size_t i = 0; i < id.size(); ++i) {
        if (i != dash && (id[i] < '0' || id[i] > '9')) return false;
    }
    return true;
}

McqFormat sniffJsonl(std::string_view text, const detail::McqCollector& out) {
    constexpr int kMaxTries = 20;
    int tries = 0;
    std::string firstProblem;
    int firstLine = 0;
    for (const detail::TextLine& line : detail::splitLines(text)) {
        if (detail::trimView(line.text).empty()) continue;
        if (++tries > kMaxTries) break;
        nlohmann::json record;
        try {
            record = nlohmann::json::parse(line.text.begin(), line.text.end());
        } catch (const nlohmann::json::exception& e) {
            if (firstLine == 0) firstLine = line.number, firstProblem = e.what();
            continue;
        }
        const std::string place = "line " + std::to_string(line.number);
        // Benchmarks with their own field names, by the fields only they have.
        if (record.is_object()) {
            if (record.contains("goal") && record.contains("sol1")) return McqFormat::PiqaJsonl;
            if (record.contains("context") && record.contains("answerA")) return McqFormat::SiqaJsonl;
            if (record.contains("ctx") && record.contains("endings")) return McqFormat::HellaswagJsonl;
            if (record.contains("sentence") && record.contains("option1")) {
                return McqFormat::WinograndeJsonl;
            }
            if (record.contains("mc1_targets")) return McqFormat::TruthfulQaMc1;
        }
        if (!record.is_object() || !record.contains("question")) {
            out.fatal(place, "cannot tell the format: the record has no 'question' field", kForceHint);
        }
        const auto& question = record["question"];
        if (question.is_object()) {
            if (question.contains("question_concept")) return McqFormat::CommonsenseQaJsonl;
            if (record.contains("combinedfact")) return McqFormat::QascJsonl;
            if (record.contains("fact1") || isOpenBookQaId(record)) {
                return McqFormat::OpenBookQaJsonl;
            }
            return McqFormat::ArcJsonl;
        }
        auto choices = record.find("choices");
        if (choices != record.end() && choices->is_object()) {
            return record.contains("question_concept") ? McqFormat::CommonsenseQaHfJsonl : McqFormat::ArcHfJsonl;
        }
        if (choices != record.end() && choices->is_array()) return McqFormat::Jsonl;
        out.fatal(place, "cannot tell the format: no 'choices' list or object", kForceHint);
    }
    if (firstLine > 0) {
        out.fatal("line " + std::to_string(firstLine), "cannot tell the format: malformed JSON (" + firstProblem + ")",
                  kForceHint);
    }
    out.fatal("", "no questions found");
}

McqFormat sniffCsv(std::string_view text, const detail::McqCollector& out) {
    detail::CsvReader reader(text);
    detail::CsvRecord record;
    while (reader.next(record)) {
        if (record.blank()) continue;
        bool question = false, answer = false;
        for (const auto& field : record.fields) {
            const std::string key = detail::toLower(detail::trimView(field));
            question = question || key == "question";
            answer = answer || key == "answer";
        }
        if (question && answer) return McqFormat::Csv;
        if (record.fields.size() == 6) return McqFormat::MmluCsv;
        out.fatal("line " + std::to_string(record.line),
                  "cannot tell the CSV layout: no header with 'question' and 'answer' columns, "
                  "and not the 6 columns of MMLU (question, A, B, C, D, answer)",
                  kForceHint);
    }
    out.fatal("", "no questions found");
}

}  // namespace

McqFormat parseMcqFormat(const std::string& name) {
    const std::string key = detail::toLower(detail::trimView(name));
    for (const auto& entry : kFormatNames) {
        if (key == entry.name) return entry.format;
    }
    throw Error("", "setting 'format'", "unknown dataset format '" + name + "'",
                "one of: " + detail::joinList(mcqFormatNames()));
}

std::string mcqFormatName(McqFormat format) {
    for (const auto& entry : kFormatNames) {
        if (entry.format == format) return entry.name;
    }
    return "unknown";
}

std::vector<std::string> mcqFormatNames() {
    std::vector<std::string> names;
    for (const auto& entry : kFormatNames) names.push_back(entry.name);
    return names;
}

namespace detail {

McqFormat sniffMcqFormat(const std::filesystem::path& file, std::string_view text, const McqCollector& out) {
    const std::string ext = toLower(file.extension().string());
    if (ext == ".tsv") return McqFormat::OpenBookQaTsv;
    if (ext == ".csv") return sniffCsv(text, out);
    std::string_view body = trimView(text);
    if (body.empty()) out.fatal("", "no questions found (the file is empty)");
    if (body.front() == '[') {
        // TruthfulQA's mc_task.json is an array too; its records name mc1_targets early.
        const std::string_view head = body.substr(0, 4096);
        return head.find("\"mc1_targets\"") != std::string_view::npos ? McqFormat::TruthfulQaMc1 : McqFormat::SciqJson;
    }
    if (body.front() == '{' || ext == ".jsonl" || ext == ".json" || ext == ".ndjson") {
        return sniffJsonl(text, out);
    }
    std::string_view firstLine = body.substr(0, body.find('\n'));
    if (toLower(firstLine).rfind("id\tquestion stem", 0) == 0) return McqFormat::OpenBookQaTsv;
    return sniffCsv(text, out);
}

}  // namespace detail
}  // namespace prunescope
