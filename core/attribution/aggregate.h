// Running per-neuron statistics of IG over questions, and per-question records. Only sums are
// kept (of the raw IG and of each question's IG divided by its largest |IG|); means, standard
// deviations and normalised scores are derived from them, so any score can be chosen after a run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/settings/ig_settings.h"

namespace prunescope {

struct TopNeuron {
    int32_t layer = 0;
    int32_t neuron = 0;
    float value = 0;
};

struct QuestionRecord {
    int64_t index = 0;  // position of the question in the dataset (after split / limit)
    std::string id;
    double confidence = 0;  // from the confidence pass
    int predicted = -1;
    int gold = -1;
    double fx = 0;
    double f0 = 0;  // joint scope: F(0); per-layer: the mean over layers
    double completenessError = 0;
    std::vector<TopNeuron> top;  // the k largest IG values
};

// Sums over questions of one IG value per neuron, (nLayer, nNeuron) float64 each.
struct IgSums {
    at::Tensor sum, sumSquares, sumAbs, sumPositive;

    static IgSums zeros(int64_t nLayer, int64_t nNeuron);
    bool defined() const { return sum.defined(); }
    void add(const at::Tensor& ig);
    void add(const IgSums& other);
    // The statistic `which` (not TopKFrequency) over `count` questions.
    at::Tensor statistic(NeuronScore which, int64_t count) const;
};

class IgAggregate {
public:
    IgAggregate() = default;
    IgAggregate(int64_t nLayer, int64_t nNeuron, int topK);

    // ig (nLayer, nNeuron) float64 CPU
    void add(const at::Tensor& ig, QuestionRecord record);
    // Adds another aggregate's sums and records (shards); records stay sorted by index.
    void merge(const IgAggregate& other);

    int64_t count() const { return static_cast<int64_t>(m_records.size()); }
    int64_t nLayer() const { return m_nLayer; }
    int64_t nNeuron() const { return m_nNeuron; }
    int topK() const { return m_topK; }
    const std::vector<QuestionRecord>& records() const { return m_records; }

    // Stored sums of the raw IG, of each question's IG / its largest |IG| (undefined in files
    // written before they were stored), and how often each neuron was among a question's top k.
    const IgSums& sums() const { return m_raw; }
    const at::Tensor& sum() const { return m_raw.sum; }
    const IgSums& normalizedSums() const { return m_normalized; }
    const at::Tensor& topKCount() const { return m_topCount; }
    bool hasNormalizedSums() const { return m_normalized.defined(); }

    // Derived scores, (nLayer, nNeuron) float64.
    at::Tensor mean() const;
    at::Tensor std() const;  // population standard deviation over questions
    at::Tensor score(NeuronScore which) const { return score(ScoreSpec{which, false, false}); }
    // The aggregation of spec.score over the questions (of the per-question normalised IG with
    // perQuestion), divided by each layer's largest |value| with perLayer (or LayerNormalized).
    at::Tensor score(const ScoreSpec& spec) const;
    // (nLayer,) each layer's total of `spec` before any per-layer normalisation: the ranking of
    // layers for the largest-layer selection rule.
    at::Tensor layerTotals(const ScoreSpec& spec) const;

    // Restores from stored sums (reading a file); `normalized` may be undefined (older files).
    static IgAggregate fromSums(IgSums raw, IgSums normalized, at::Tensor topCount, std::vector<QuestionRecord> records,
                                int topK);

private:
    // The raw sums, or with +per-question the normalised ones (an Error naming the setting when
    // the file has none).
    const IgSums& sumsFor(const ScoreSpec& spec) const;

    int64_t m_nLayer = 0, m_nNeuron = 0;
    int m_topK = 0;
    IgSums m_raw, m_normalized;
    at::Tensor m_topCount;
    std::vector<QuestionRecord> m_records;
};

}  // namespace prunescope
