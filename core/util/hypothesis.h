// Hypothesis tests for paired comparisons over seeds: Student's paired t-test, the exact sign test,
// and Holm's step-down correction for several tests. Two-sided throughout. No LibTorch.
#pragma once

#include <vector>

namespace prunescope {

// The regularized incomplete beta function I_x(a, b), for 0 <= x <= 1, a, b > 0.
double incompleteBeta(double a, double b, double x);

// P(|T| >= |t|) for Student's t with `df` degrees of freedom.
double studentTwoSided(double t, double df);

struct PairedTest {
    int n = 0;            // pairs
    double meanDiff = 0;  // mean of a - b
    double stdErr = 0;    // sample standard deviation of a - b / sqrt(n)
    double t = 0;         // meanDiff / stdErr
    double tP = 1;        // two-sided p of the paired t-test (n - 1 degrees of freedom)
    int positive = 0;     // pairs with a > b
    int negative = 0;     // pairs with a < b (ties count in neither, and not in the sign test)
    double signP = 1;     // exact two-sided sign test: 2 x P(X <= min(pos, neg)), X ~ Bin(pos + neg, 1/2), at most 1
};

// a and b are paired by index (the same seed); extra values of the longer one are ignored.
PairedTest pairedTest(const std::vector<double>& a, const std::vector<double>& b);

// The exact two-sided sign test alone.
double signTestTwoSided(int positive, int negative);

// Holm-adjusted p-values, in the order given: sort ascending, p_(i) x (m - i + 1), running maximum,
// capped at 1. A hypothesis is rejected at level α when its adjusted p <= α.
std::vector<double> holmAdjust(const std::vector<double>& p);

}  // namespace prunescope
