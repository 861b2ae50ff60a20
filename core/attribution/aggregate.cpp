#include "core/attribution/aggregate.h"

#include <torch/torch.h>

#include "core/util/error.h"

namespace prunescope {

IgAggregate::IgAggregate(int64_t nLayer, int64_t nNeuron, int topK)
    : m_nLayer(nLayer), m_nNeuron(nNeuron), m_topK(topK) {
    auto zeros = [&] { return torch::zeros({nLayer, nNeuron}, torch::kDouble); };
    m_sum = zeros();
    m_sumSq = zeros();
    m_sumAbs = zeros();
    m_sumPos = zeros();
    m_topCount = zeros();
}

void IgAggregate::add(const at::Tensor& ig, QuestionRecord record) {
    m_sum += ig;
    m_sumSq += ig * ig;
    m_sumAbs += ig.abs();
    m_sumPos += ig.clamp_min(0);
    const int64_t k = std::min<int64_t>(m_topK, ig.numel());
    if (k > 0) {
        auto [values, index] = ig.flatten().topk(k);
        m_topCount.view(-1).index_add_(0, index, torch::ones({k}, torch::kDouble));
        record.top.clear();
        for (int64_t j = 0; j < k; ++j) {
            int64_t flat = index[j].item<int64_t>();
            record.top.push_back({static_cast<int32_t>(flat / m_nNeuron), static_cast<int32_t>(flat % m_nNeuron),
                                  static_cast<float>(values[j].item<double>())});
        }
    }
    m_records.push_back(std::move(record));
}

void IgAggregate::merge(const IgAggregate& other) {
    if (other.m_nLayer != m_nLayer || other.m_nNeuron != m_nNeuron || other.m_topK != m_topK) {
        throw Error("", "merge", "attribution shapes or top-k differ");
    }
    m_sum += other.m_sum;
    m_sumSq += other.m_sumSq;
    m_sumAbs += other.m_sumAbs;
    m_sumPos += other.m_sumPos;
    m_topCount += other.m_topCount;
    m_records.insert(m_records.end(), other.m_records.begin(), other.m_records.end());
    std::stable_sort(m_records.begin(), m_records.end(),
                     [](const QuestionRecord& a, const QuestionRecord& b) { return a.index < b.index; });
}

at::Tensor IgAggregate::mean() const {
    return m_sum / std::max<int64_t>(1, count());
}

at::Tensor IgAggregate::std() const {
    auto n = static_cast<double>(std::max<int64_t>(1, count()));
    auto m = m_sum / n;
    return (m_sumSq / n - m * m).clamp_min(0).sqrt();
}

at::Tensor IgAggregate::meanAbs() const {
    return m_sumAbs / std::max<int64_t>(1, count());
}

at::Tensor IgAggregate::positiveMean() const {
    return m_sumPos / std::max<int64_t>(1, count());
}

at::Tensor IgAggregate::layerNormalized() const {
    auto m = mean();
    auto peak = std::get<0>(m.abs().max(1, true)).clamp_min(1e-300);  // (nLayer, 1)
    return m / peak;
}

at::Tensor IgAggregate::score(NeuronScore which) const {
    switch (which) {
        case NeuronScore::Mean: return mean();
        case NeuronScore::MeanAbs: return meanAbs();
        case NeuronScore::PositiveMean: return positiveMean();
        case NeuronScore::LayerNormalized: return layerNormalized();
        case NeuronScore::Std: return std();
        case NeuronScore::TopKFrequency: return m_topCount / std::max<int64_t>(1, count());
    }
    return mean();
}

IgAggregate IgAggregate::fromSums(at::Tensor sum, at::Tensor sumSq, at::Tensor sumAbs, at::Tensor sumPos,
                                  at::Tensor topCount, std::vector<QuestionRecord> records, int topK) {
    IgAggregate a;
    a.m_nLayer = sum.size(0);
    a.m_nNeuron = sum.size(1);
    a.m_topK = topK;
    a.m_sum = sum.to(torch::kDouble);
    a.m_sumSq = sumSq.to(torch::kDouble);
    a.m_sumAbs = sumAbs.to(torch::kDouble);
    a.m_sumPos = sumPos.to(torch::kDouble);
    a.m_topCount = topCount.to(torch::kDouble);
    a.m_records = std::move(records);
    return a;
}

}  // namespace prunescope
