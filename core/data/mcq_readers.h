// Internal to core/data: one reader per file layout. Each gets the whole file text (byte order
// mark removed) and feeds McqCollector; formats are described in docs/datasets.md.
#pragma once

#include <string>
#include <string_view>

#include "core/data/mcq.h"
#include "core/data/mcq_record.h"

namespace prunescope::detail {

// ArcJsonl, OpenBookQaJsonl, CommonsenseQaJsonl: {id, question{stem, choices[{text,label}]},
// answerKey}.
void readNestedJsonl(std::string_view text, McqCollector& out);
// ArcHfJsonl, CommonsenseQaHfJsonl: {id, question, choices{text[], label[]}, answerKey}.
void readHfJsonl(std::string_view text, McqCollector& out);
// Jsonl: {question, choices[], answer (index or label), id?, labels?}.
void readPlainJsonl(std::string_view text, McqCollector& out);
// SciqJson: [{question, distractor1..3, correct_answer, support}], options shuffled with `seed`.
void readSciqJson(std::string_view text, uint64_t seed, McqCollector& out);

// OpenBookQaTsv: header ID, Question Stem, Choices, Complete Question, Answer Key.
void readOpenBookQaTsv(std::string_view text, McqCollector& out);
// MmluCsv: question, A, B, C, D, answer; `stem` ("astronomy_test") gives subject and split.
void readMmluCsv(std::string_view text, const std::string& stem, McqCollector& out);
// Csv: a header row naming question, option and answer columns.
void readHeaderCsv(std::string_view text, McqCollector& out);

// Benchmarks with their own field names (mcq_benchmarks.cpp). PIQA's answers (0/1) and Social
// IQa's (1..3) are in `labels`, one per record, in order; a count mismatch names both files.
void readPiqaJsonl(std::string_view text, const std::filesystem::path& labels, McqCollector& out);
void readSiqaJsonl(std::string_view text, const std::filesystem::path& labels, McqCollector& out);
void readHellaswagJsonl(std::string_view text, McqCollector& out);
void readWinograndeJsonl(std::string_view text, McqCollector& out);
// mc_task.json (a JSON array) or the Hugging Face export (JSONL).
void readTruthfulQaMc1(std::string_view text, McqCollector& out);
// Where the PIQA and Social IQa releases keep the answers of `data`: <stem>-labels.lst beside it.
std::filesystem::path defaultLabelsFile(const std::filesystem::path& data);

// Auto-detection from the file name and text (see docs/datasets.md); throws through `out`.
McqFormat sniffMcqFormat(const std::filesystem::path& file, std::string_view text, const McqCollector& out);

}  // namespace prunescope::detail
