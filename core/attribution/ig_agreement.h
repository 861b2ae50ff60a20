// How far two attributions of the same neurons agree: a reduced-precision run against float32,
// or any two runs meant to give the same scores. Used by `bench attribution --dtype` and
// docs/benchmarks.md's precision table.
#pragma once

#include <ATen/core/Tensor.h>

namespace prunescope {

struct IgAgreement {
    double spearman = 0;         // rank correlation of the scores (ties get their mean rank)
    double topOverlap = 0;       // |top(ref) ∩ top(other)| / |top(ref)|, top = the largest scores
    int64_t topCount = 0;        // neurons in each top set
    double maxRelativeDiff = 0;  // max |ref − other| / max |ref|
};

// Compares `other` with `reference` (same shape, any float dtype, any device), flattened over
// every neuron; the top sets hold the ceil(`topFraction` × n) largest scores (signed, as neuron
// selection ranks them).
IgAgreement compareScores(const at::Tensor& reference, const at::Tensor& other, double topFraction = 0.01);

// Spearman's rank correlation of two equally long vectors (1 for the same order, −1 reversed).
double spearmanCorrelation(const at::Tensor& a, const at::Tensor& b);

}  // namespace prunescope
