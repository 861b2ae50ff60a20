#include "core/util/hypothesis.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace prunescope {
namespace {

// The continued fraction of I_x(a, b) (modified Lentz), valid for x < (a + 1) / (a + b + 2).
double betaFraction(double a, double b, double x) {
    constexpr double kTiny = 1e-300;
    constexpr double kEps = 1e-15;
    double c = 1.0;
    double d = 1.0 - (a + b) * x / (a + 1.0);
    if (std::abs(d) < kTiny) d = kTiny;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= 10000; ++m) {
        const double m2 = 2.0 * m;
        // Even step.
        double num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        d = 1.0 + num * d;
        if (std::abs(d) < kTiny) d = kTiny;
        c = 1.0 + num / c;
        if (std::abs(c) < kTiny) c = kTiny;
        d = 1.0 / d;
        h *= d * c;
        // Odd step.
        num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
        d = 1.0 + num * d;
        if (std::abs(d) < kTiny) d = kTiny;
        c = 1.0 + num / c;
        if (std::abs(c) < kTiny) c = kTiny;
        d = 1.0 / d;
        const double step = d * c;
        h *= step;
        if (std::abs(step - 1.0) < kEps) return h;
    }
    return h;
}

}  // namespace

double incompleteBeta(double a, double b, double x) {
    if (!(a > 0 && b > 0) || !(x >= 0 && x <= 1)) throw std::domain_error("incompleteBeta: a, b > 0 and 0 <= x <= 1");
    if (x == 0 || x == 1) return x;
    const double logFront = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
    if (x < (a + 1.0) / (a + b + 2.0)) return std::exp(logFront) * betaFraction(a, b, x) / a;
    return 1.0 - std::exp(logFront) * betaFraction(b, a, 1.0 - x) / b;
}

double studentTwoSided(double t, double df) {
    if (!(df > 0)) throw std::domain_error("studentTwoSided: df > 0");
    if (std::isinf(t)) return 0.0;
    if (std::isnan(t)) return 1.0;
    return incompleteBeta(df / 2.0, 0.5, df / (df + t * t));
}

double signTestTwoSided(int positive, int negative) {
    const int n = positive + negative;
    if (n == 0) return 1.0;
    const int k = std::min(positive, negative);
    // P(X <= k) for X ~ Bin(n, 1/2), summed in logs.
    double tail = 0;
    for (int i = 0; i <= k; ++i) {
        tail += std::exp(std::lgamma(n + 1.0) - std::lgamma(i + 1.0) - std::lgamma(n - i + 1.0) - n * std::log(2.0));
    }
    return std::min(1.0, 2.0 * tail);
}

PairedTest pairedTest(const std::vector<double>& a, const std::vector<double>& b) {
    PairedTest r;
    const size_t n = std::min(a.size(), b.size());
    r.n = static_cast<int>(n);
    if (n == 0) return r;
    std::vector<double> d(n);
    for (size_t i = 0; i < n; ++i) {
        d[i] = a[i] - b[i];
        r.positive += d[i] > 0;
        r.negative += d[i] < 0;
    }
    r.meanDiff = std::accumulate(d.begin(), d.end(), 0.0) / static_cast<double>(n);
    r.signP = signTestTwoSided(r.positive, r.negative);
    if (n < 2) return r;
    double ss = 0;
    for (double x : d) ss += (x - r.meanDiff) * (x - r.meanDiff);
    r.stdErr = std::sqrt(ss / static_cast<double>(n - 1)) / std::sqrt(static_cast<double>(n));
    if (r.stdErr > 0) {
        r.t = r.meanDiff / r.stdErr;
        r.tP = studentTwoSided(r.t, static_cast<double>(n - 1));
    } else {
        r.t = r.meanDiff == 0 ? 0 : std::copysign(std::numeric_limits<double>::infinity(), r.meanDiff);
        r.tP = r.meanDiff == 0 ? 1.0 : 0.0;
    }
    return r;
}

std::vector<double> holmAdjust(const std::vector<double>& p) {
    const size_t m = p.size();
    std::vector<size_t> order(m);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t i, size_t j) { return p[i] < p[j]; });
    std::vector<double> adjusted(m);
    double running = 0;
    for (size_t rank = 0; rank < m; ++rank) {
        const size_t i = order[rank];
        running = std::max(running, std::min(1.0, p[i] * static_cast<double>(m - rank)));
        adjusted[i] = running;
    }
    return adjusted;
}

}  // namespace prunescope
