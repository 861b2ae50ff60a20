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

// Auto-detection from the file name and text (see docs/datasets.md); throws through `out`.
McqFormat sniffMcqFormat(const std::filesystem::path& file, std::string_view text,
                         const McqCollector& out);

}  // namespace prunescope::detail
