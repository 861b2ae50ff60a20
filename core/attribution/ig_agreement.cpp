#include "core/attribution/ig_agreement.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <numeric>
#include <stdexcept>
#include <vector>

#include <torch/torch.h>

namespace prunescope {
namespace {

std::vector<double> values(const at::Tensor& t) {
    auto flat = t.detach().to(torch::kCPU, torch::kDouble).contiguous().view(-1);
    return {flat.data_ptr<double>(), flat.data_ptr<double>() + flat.numel()};
}

// 1-based ranks, ties sharing their mean rank.
std::vector<double> ranks(const std::vector<double>& v) {
    std::vector<size_t> order(v.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
    std::vector<double> r(v.size());
    for (size_t i = 0; i < order.size();) {
        size_t j = i;
        while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
        const double mean = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
        for (size_t k = i; k <= j; ++k) r[order[k]] = mean;
        i = j + 1;
    }
    return r;
}

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
    const double n = static_cast<double>(a.size());
    const double ma = std::accumulate(a.begin(), a.end(), 0.0) / n;
    const double mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
    double sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : (saa == sbb ? 1.0 : 0.0);
}

std::vector<size_t> topIndices(const std::vector<double>& v, size_t k) {
    std::vector<size_t> order(v.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                      [&](size_t a, size_t b) { return v[a] > v[b] || (v[a] == v[b] && a < b); });
    order.resize(k);
    std::sort(order.begin(), order.end());
    return order;
}

}  // namespace

double spearmanCorrelation(const at::Tensor& a, const at::Tensor& b) {
    const auto va = values(a), vb = values(b);
    if (va.size() != vb.size() || va.empty())
        throw std::invalid_argument("spearmanCorrelation: lengths differ or are 0");
    return pearson(ranks(va), ranks(vb));
}

IgAgreement compareScores(const at::Tensor& reference, const at::Tensor& other, double topFraction) {
    if (reference.sizes() != other.sizes()) throw std::invalid_argument("compareScores: shapes differ");
    const auto ref = values(reference), oth = values(other);
    IgAgreement out;
    if (ref.empty()) return out;
    out.spearman = pearson(ranks(ref), ranks(oth));
    const auto k = std::clamp<size_t>(static_cast<size_t>(std::ceil(topFraction * static_cast<double>(ref.size()))),
                                      size_t{1}, ref.size());
    const auto ta = topIndices(ref, k), tb = topIndices(oth, k);
    std::vector<size_t> common;
    std::set_intersection(ta.begin(), ta.end(), tb.begin(), tb.end(), std::back_inserter(common));
    out.topCount = static_cast<int64_t>(k);
    out.topOverlap = static_cast<double>(common.size()) / static_cast<double>(k);
    double scale = 0, diff = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
        scale = std::max(scale, std::abs(ref[i]));
        diff = std::max(diff, std::abs(ref[i] - oth[i]));
    }
    out.maxRelativeDiff = scale > 0 ? diff / scale : diff;
    return out;
}

}  // namespace prunescope
