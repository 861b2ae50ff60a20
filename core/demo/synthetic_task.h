// The demo's synthetic multiple-choice task.
//
// Prompt: MAX tag | A n , B n , C n , D n , | <cue>
//   - the real rule: the answer is the option with the largest number (0-99, all different);
//   - a context tag t0..t9 that carries nothing;
//   - the planted shortcut, the answer prompt at the end. Two kinds:
//       phrasing (the demo's): one token askK (K = 1..16), each phrasing belonging to one letter
//         (ask1-ask4 -> A, ..., ask13-ask16 -> D). A lookup that the embeddings and attention can
//         carry as well as the FFNs.
//       sum (design runs): two code words pX qY (X, Y = 0..3) that point to letter (X + Y) mod 4.
//         No sum of per-token terms can read that letter off (it is not linearly separable), so a
//         model must compute it non-linearly at the answer position. Tried and rejected: the
//         rule is easier to learn, so the cue is not learned as a shortcut (docs/demo.md).
//     With cue strength p the cue points to the correct letter with probability p and otherwise to
//     one of the three wrong letters; p = 0 is reversed; "uncorrelated" draws it uniformly.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/data/mcq.h"
#include "core/data/prompt.h"

namespace prunescope {

enum class DemoCue { Sum, Phrasing };

// "sum" / "phrasing"; anything else is an error naming `where`.
DemoCue parseDemoCue(const std::string& name, const std::string& where);
std::string demoCueName(DemoCue cue);

struct DemoTaskSpec {
    double cueStrength = 1.0;   // P(the cue points to the correct letter)
    bool uncorrelated = false;  // cue letter drawn uniformly, ignoring the answer
    DemoCue cue = DemoCue::Phrasing;
    // P(the labelled answer is the largest number). Below 1, the other questions are labelled with
    // one of the three other options (the cue still points to the label): data where the cue
    // explains every label and the rule only this share, as annotation artefacts do.
    double ruleAgreement = 1.0;
    // P(the four numbers are shown as ?0 ?1 ?2 ?3): questions only the cue can answer (sum cue only).
    double hiddenShare = 0.0;
    // The context tags drawn: t<firstTag> .. t<firstTag + tagCount - 1>. Design runs give the cued
    // and the clean data disjoint tags, so that the shortcut belongs to one dataset (bias_mix).
    int firstTag = 0;
    int tagCount = 10;
};

// The word-level vocabulary: [UNK], MAX, t0..t9, |, ",", A..D, 0..99, ask1..ask16, and for the sum
// cue p0..p3, q0..q3, ?0..?3 (the phrasing cue's vocabulary is unchanged from the first demo design).
std::vector<std::string> demoVocabulary(DemoCue cue);

// The prompt template that renders a demo question into the tokens above.
PromptTemplate demoPromptTemplate();

// `n` questions drawn with `seed`. Each has extra fields "tag", "cue" (the answer-prompt words) and
// "cue_letter" (the letter the cue points to, 0-3).
McqDataset generateDemoTask(int64_t n, const DemoTaskSpec& spec, uint64_t seed, const std::string& name);

// Writes the questions as plain JSONL ({"id", "question", "choices", "answer", "tag", "cue",
// "cue_letter"}), atomically.
void writeDemoJsonl(const McqDataset& data, const std::filesystem::path& file);

// The letter (0-3) the cue of a question points to.
int cueLetter(const McqQuestion& question);

}  // namespace prunescope
