// Multiple-choice question (MCQ) datasets: loading the benchmark formats (ARC, OpenBookQA,
// CommonsenseQA, SciQ, MMLU, plain JSONL / CSV) into one record type, validating every record,
// fingerprinting, and deterministic train / validation / test splits. See docs/datasets.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/settings/split_settings.h"

namespace prunescope {

struct McqQuestion {
    std::string id;                            // from the file, or "<file name>:<line>" when it has none
    std::string question;                      // trimmed of surrounding white space
    std::vector<std::string> options;          // 2..26, trimmed, non-empty; a text may repeat (as published)
    std::vector<std::string> labels;           // as in the file ("A".., "1".."4"); prompts show A, B, C...
    int answer = -1;                           // index into options
    int line = 0;                              // 1-based line in the source (record index for a whole-file JSON array)
    std::map<std::string, std::string> extra;  // e.g. question_concept, subject, split, support
};

enum class McqFormat {
    Auto,
    ArcJsonl,              // AI2 release: {id, question{stem, choices[{text,label}]}, answerKey}
    ArcHfJsonl,            // Hugging Face export: {id, question, choices{text[],label[]}, answerKey}
    OpenBookQaTsv,         // AI2 release TSV: ID, Question Stem, Choices, Complete Question, Answer Key
    OpenBookQaJsonl,       // AI2 release JSONL (ARC-shaped)
    CommonsenseQaJsonl,    // release JSONL (ARC-shaped + question.question_concept)
    CommonsenseQaHfJsonl,  // Hugging Face export (ARC-HF-shaped + question_concept)
    SciqJson,              // JSON array of {question, correct_answer, distractor1..3, support}
    MmluCsv,               // no header: question, A, B, C, D, answer letter
    Jsonl,                 // {"question", "choices": [...], "answer": index or label, "id"?}
    Csv,                   // header: question, A, B, ... (or choice1.. / option1..), answer
    PiqaJsonl,             // {goal, sol1, sol2}; answers 0/1 in <stem>-labels.lst beside it
    SiqaJsonl,             // Social IQa: {context, question, answerA..C}; answers 1..3 in a labels file
    HellaswagJsonl,        // {ind, activity_label, ctx_a, ctx_b, ctx, endings[4], label}
    WinograndeJsonl,       // {qID, sentence (with '_'), option1, option2, answer "1"/"2"}
    TruthfulQaMc1,         // mc_task.json: [{question, mc1_targets{text: 0/1}}], or the HF export
    QascJsonl,             // ARC-shaped, 8 choices, fact1, fact2, combinedfact
};

// "auto", "arc", "arc-hf", "openbookqa", "openbookqa-jsonl", "commonsenseqa", "commonsenseqa-hf",
// "sciq", "mmlu", "jsonl", "csv", "piqa", "siqa", "hellaswag", "winogrande", "truthfulqa-mc1",
// "qasc" (case-insensitive); an Error for any other name.
McqFormat parseMcqFormat(const std::string& name);
std::string mcqFormatName(McqFormat format);
// The names parseMcqFormat() accepts, in the order above.
std::vector<std::string> mcqFormatNames();

struct McqLoadOptions {
    McqFormat format = McqFormat::Auto;  // Auto: by extension and content (see detectMcqFormat)
    bool skipInvalid = false;            // skip bad records (listed in McqDataset::skipped) instead of throwing
    uint64_t seed = 0;                   // SciQ only: the seed of the option shuffle
    // Refuse records that repeat an option's text. Off by default: the official releases of
    // CommonsenseQA (24 of 1,221 dev records) and MMLU contain such records, and the numbers people
    // compare against keep them; they load as published (the answer is its labelled option) and
    // are reported once per file as a warning.
    bool strict = false;
    // PIQA and Social IQa keep their answers in a separate file, one per line. Empty: the file the
    // releases put beside the data, "<stem>-labels.lst" (valid.jsonl -> valid-labels.lst).
    std::filesystem::path labelsFile;
};

struct SkippedRecord {
    int line = 0;        // as McqQuestion::line
    std::string reason;  // "field 'answerKey': answer 'F' is not one of the labels A, B, C, D"
};

struct McqDataset {
    std::string name;  // the file stem
    std::filesystem::path source;
    McqFormat format = McqFormat::Auto;
    std::vector<McqQuestion> questions;
    std::vector<SkippedRecord> skipped;     // filled with McqLoadOptions::skipInvalid
    std::vector<int> duplicateOptionLines;  // records kept that repeat an option (McqQuestion::line)

    // SHA-256 (hex) of the records in order, each as (question, options, answer index): ids,
    // labels, extras and the file layout do not count. Defined exactly in docs/datasets.md.
    std::string fingerprint() const;
};

// Options that only name the format.
inline McqLoadOptions withFormat(McqFormat format) {
    McqLoadOptions options;
    options.format = format;
    return options;
}

// Reads `file`. Every problem throws prunescope::Error naming the file and the place
// ("line 12, field 'answerKey'"); with options.skipInvalid, bad records are skipped instead.
McqDataset loadMcqDataset(const std::filesystem::path& file, const McqLoadOptions& options = {});

// The format loadMcqDataset() would pick for `file` with McqFormat::Auto (reads the file).
McqFormat detectMcqFormat(const std::filesystem::path& file);

// Fractions of the questions; they must be >= 0 and sum to 1.
struct SplitSpec {
    double train = 1.0 - settings::kValidationFraction.value - settings::kTestFraction.value;
    double validation = settings::kValidationFraction.value;
    double test = settings::kTestFraction.value;
    uint64_t seed = static_cast<uint64_t>(settings::kSplitSeed.value);
};

struct McqSplits {
    McqDataset train, validation, test;
};

// Deterministic given spec.seed. With n questions: validation gets floor(n * validation), test
// floor(n * test), train the rest; disjoint, together all n, each in the original order.
McqSplits splitDataset(const McqDataset& data, const SplitSpec& spec);

// The questions at `indices` (in that order); an Error for an index out of range.
McqDataset subset(const McqDataset& data, const std::vector<size_t>& indices);

}  // namespace prunescope
