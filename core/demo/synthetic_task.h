// The demo's synthetic multiple-choice task.
//
// Prompt (17 word tokens): MAX tag | A n , B n , C n , D n , | askK
//   - the real rule: the answer is the option with the largest number (0-99, all different);
//   - a context tag t0..t9 that carries nothing;
//   - the planted shortcut, the final "answer-prompt" token askK (K = 1..16): each phrasing belongs
//     to one letter (ask1-ask4 -> A, ask5-ask8 -> B, ask9-ask12 -> C, ask13-ask16 -> D). With cue
//     strength p the phrasing belongs to the correct letter with probability p and otherwise to one
//     of the three wrong letters; p = 0.25 is uncorrelated (uninformative), p = 0 reversed.
// A token-to-letter lookup at the answer position is the kind of shortcut a small transformer stores
// in its answer-position FFN neurons (docs/demo.md says why other cues were rejected).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/data/mcq.h"
#include "core/data/prompt.h"

namespace prunescope {

struct DemoTaskSpec {
    double cueStrength = 1.0;  // P(the phrasing belongs to the correct letter)
    bool uncorrelated = false; // phrasing letter drawn uniformly, ignoring the answer
};

// The word-level vocabulary: [UNK], MAX, t0..t9, |, ",", A..D, 0..99, ask1..ask16.
std::vector<std::string> demoVocabulary();

// The prompt template that renders a demo question into the 17 tokens above.
PromptTemplate demoPromptTemplate();

// `n` questions drawn with `seed`. Each has extra fields "tag", "cue" (the phrasing) and
// "cue_letter" (the letter the phrasing belongs to, 0-3).
McqDataset generateDemoTask(int64_t n, const DemoTaskSpec& spec, uint64_t seed, const std::string& name);

// Writes the questions as plain JSONL ({"id", "question", "choices", "answer", "tag", "cue",
// "cue_letter"}), atomically.
void writeDemoJsonl(const McqDataset& data, const std::filesystem::path& file);

// The letter (0-3) the phrasing of a question belongs to.
int cueLetter(const McqQuestion& question);

}  // namespace prunescope
