// From questions to token sequences for scoring: prompts from the template, letter tokens, and
// continuation tokens split off the way lm-evaluation-harness does it.
#pragma once

#include <vector>

#include "core/data/mcq.h"
#include "core/data/prompt.h"
#include "core/eval/scoring.h"

namespace prunescope {

class Tokenizer;

// The scoring mode a task preset needs: letters for Prunescope's own prompt (None) and the letter
// presets, continuations for the others.
ScoringMode presetScoringMode(TaskPreset preset);

// Letter mode: the context is the letter prompt; each option's continuation is the single token of
// " " + letter after it. An Error when a letter is not one token for this tokenizer.
// Continuation mode: the context is the question-only prompt; option i's continuation is
// encode(context + " " + option)[len(encode(context)):].
std::vector<ScoringItem> buildScoringItems(const McqDataset& data, const Tokenizer& tokenizer, ScoringMode mode,
                                           const PromptTemplate& prompt);

ScoringItem buildScoringItem(const McqQuestion& question, const Tokenizer& tokenizer, ScoringMode mode,
                             const PromptTemplate& prompt);

}  // namespace prunescope
