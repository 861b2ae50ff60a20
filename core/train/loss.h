// The fine-tuning loss of a micro-batch of questions.
#pragma once

#include <vector>

#include <torch/torch.h>

#include "core/eval/scoring.h"

namespace prunescope {

class CausalLM;
class NeuronHook;

// Letter mode: cross-entropy of the gold letter among the option letters at the answer position.
// Continuation mode: mean negative log-likelihood of the gold option's tokens. Plus, when
// l1 > 0, l1 x mean |FFN activation| at the answer position (the hook records with the graph).
// `checkpoint`: gradient checkpointing (ForwardArgs::checkpoint); not with l1 > 0.
torch::Tensor questionLoss(CausalLM& model, const std::vector<const ScoringItem*>& batch, ScoringMode mode,
                           NeuronHook& hook, double l1, bool checkpoint = false);

}  // namespace prunescope
