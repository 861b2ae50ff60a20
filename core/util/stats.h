// Small statistics for reports: mean, sample standard deviation, and printf-style formatting.
#pragma once

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace prunescope {

inline double mean(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return v.empty() ? 0 : s / static_cast<double>(v.size());
}

// With n - 1 in the denominator; 0 for fewer than two values.
inline double sampleStd(const std::vector<double>& v) {
    if (v.size() < 2) return 0;
    double m = mean(v), s = 0;
    for (double x : v) s += (x - m) * (x - m);
    return std::sqrt(s / static_cast<double>(v.size() - 1));
}

inline std::string formatNumbers(const char* format, double a, double b = 0) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, format, a, b);
    return buffer;
}

}  // namespace prunescope
