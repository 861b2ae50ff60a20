#include "core/attribution/aggregate.h"

#include <torch/torch.h>

#include "core/util/error.h"

namespace prunescope {

IgSums IgSums::zeros(int64_t nLayer, int64_t nNeuron) {
    auto z = [&] { return torch::zeros({nLayer, nNeuron}, torch::kDouble); };
    return {z(), z(), z(), z()};
}

void IgSums::add(const at::Tensor& ig) {
    sum += ig;
    sumSquares += ig * ig;
    sumAbs += ig.abs();
    sumPositive += ig.clamp_min(0);
}

void IgSums::add(const IgSums& other) {
    sum += other.sum;
    sumSquares += other.sumSquares;
    sumAbs += other.sumAbs;
    sumPositive += other.sumPositive;
}

at::Tensor IgSums::statistic(NeuronScore which, int64_t count) const {
    const auto n = static_cast<double>(std::max<int64_t>(1, count));
    switch (which) {
        case NeuronScore::Mean:
        case NeuronScore::LayerNormalized: return sum / n;
        case NeuronScore::MeanAbs: return sumAbs / n;
        case NeuronScore::PositiveMean: return sumPositive / n;
        case NeuronScore::Std: {
            auto m = sum / n;
            return (sumSquares / n - m * m).clamp_min(0).sqrt();
        }
        case NeuronScore::TopKFrequency: break;
    }
    throw std::logic_error("IgSums::statistic: no sum for this score");
}

IgAggregate::IgAggregate(int64_t nLayer, int64_t nNeuron, int topK)
    : m_nLayer(nLayer),
      m_nNeuron(nNeuron),
      m_topK(topK),
      m_raw(IgSums::zeros(nLayer, nNeuron)),
      m_normalized(IgSums::zeros(nLayer, nNeuron)),
      m_topCount(torch::zeros({nLayer, nNeuron}, torch::kDouble)) {}

void IgAggregate::add(const at::Tensor& ig, QuestionRecord record) {
    m_raw.add(ig);
    // Each question's IG over its largest |IG|, so that every question weighs the same in the mean
    // (a question whose IG is all zero adds zeros).
    const double peak = ig.abs().max().item<double>();
    m_normalized.add(peak > 0 ? ig / peak : torch::zeros_like(ig));
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
    m_raw.add(other.m_raw);
    if (m_normalized.defined() && other.m_normalized.defined()) {
        m_normalized.add(other.m_normalized);
    } else {
        m_normalized = IgSums();  // one side was written before they were stored
    }
    m_topCount += other.m_topCount;
    m_records.insert(m_records.end(), other.m_records.begin(), other.m_records.end());
    std::stable_sort(m_records.begin(), m_records.end(),
                     [](const QuestionRecord& a, const QuestionRecord& b) { return a.index < b.index; });
}

at::Tensor IgAggregate::mean() const {
    return m_raw.statistic(NeuronScore::Mean, count());
}

at::Tensor IgAggregate::std() const {
    return m_raw.statistic(NeuronScore::Std, count());
}

namespace {

// Divides each layer (row) by its largest |value| (rows of zeros stay zero).
at::Tensor perLayerMax(const at::Tensor& scores) {
    auto peak = std::get<0>(scores.abs().max(1, true)).clamp_min(1e-300);  // (nLayer, 1)
    return scores / peak;
}

}  // namespace

const IgSums& IgAggregate::sumsFor(const ScoreSpec& spec) const {
    if (!spec.perQuestion) return m_raw;
    if (!m_normalized.defined()) {
        throw Error("", "setting 'score'",
                    "these attributions have no per-question normalised sums (written by an older version)",
                    "run the attribution again, or choose a score without +per-question");
    }
    return m_normalized;
}

at::Tensor IgAggregate::layerTotals(const ScoreSpec& spec) const {
    if (spec.score == NeuronScore::TopKFrequency) return m_topCount.sum(1) / std::max<int64_t>(1, count());
    return sumsFor(spec).statistic(spec.score, count()).sum(1);
}

at::Tensor IgAggregate::score(const ScoreSpec& spec) const {
    at::Tensor scores;
    if (spec.score == NeuronScore::TopKFrequency) {
        scores = m_topCount / std::max<int64_t>(1, count());  // the same with +per-question
    } else {
        scores = sumsFor(spec).statistic(spec.score, count());
    }
    return spec.perLayer || spec.score == NeuronScore::LayerNormalized ? perLayerMax(scores) : scores;
}

IgAggregate IgAggregate::fromSums(IgSums raw, IgSums normalized, at::Tensor topCount,
                                  std::vector<QuestionRecord> records, int topK) {
    auto dbl = [](IgSums s) {
        if (!s.defined()) return s;
        return IgSums{s.sum.to(torch::kDouble), s.sumSquares.to(torch::kDouble), s.sumAbs.to(torch::kDouble),
                      s.sumPositive.to(torch::kDouble)};
    };
    IgAggregate a;
    a.m_nLayer = raw.sum.size(0);
    a.m_nNeuron = raw.sum.size(1);
    a.m_topK = topK;
    a.m_raw = dbl(std::move(raw));
    a.m_normalized = dbl(std::move(normalized));
    a.m_topCount = topCount.to(torch::kDouble);
    a.m_records = std::move(records);
    return a;
}

}  // namespace prunescope
