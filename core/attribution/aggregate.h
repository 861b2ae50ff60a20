// Running per-neuron statistics of IG over questions, and per-question records. Only sums are
// kept; means, standard deviations and normalized scores are derived from them.
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

    // Stored sums, (nLayer, nNeuron) float64.
    const at::Tensor& sum() const { return m_sum; }
    const at::Tensor& sumSquares() const { return m_sumSq; }
    const at::Tensor& sumAbs() const { return m_sumAbs; }
    const at::Tensor& sumPositive() const { return m_sumPos; }
    const at::Tensor& topKCount() const { return m_topCount; }

    // Derived scores, (nLayer, nNeuron) float64.
    at::Tensor mean() const;
    at::Tensor std() const;  // population standard deviation over questions
    at::Tensor meanAbs() const;
    at::Tensor positiveMean() const;
    at::Tensor layerNormalized() const;  // mean / max over the layer of |mean| (the paper's reimplementations)
    at::Tensor score(NeuronScore which) const;

    // Restores from stored sums (reading a file).
    static IgAggregate fromSums(at::Tensor sum, at::Tensor sumSq, at::Tensor sumAbs, at::Tensor sumPos,
                                at::Tensor topCount, std::vector<QuestionRecord> records, int topK);

private:
    int64_t m_nLayer = 0, m_nNeuron = 0;
    int m_topK = 0;
    at::Tensor m_sum, m_sumSq, m_sumAbs, m_sumPos, m_topCount;
    std::vector<QuestionRecord> m_records;
};

}  // namespace prunescope
