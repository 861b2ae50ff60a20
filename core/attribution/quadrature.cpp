#include "core/attribution/quadrature.h"

#include <cmath>

#include "core/util/error.h"

namespace prunescope {

Quadrature quadrature(IgRule rule, int steps) {
    checked(settings::kIgSteps, steps);
    Quadrature q;
    const double m = steps;
    switch (rule) {
        case IgRule::Left:
        case IgRule::Right:
        case IgRule::Midpoint: {
            const double shift = rule == IgRule::Left ? 0.0 : rule == IgRule::Right ? 1.0 : 0.5;
            for (int k = 0; k < steps; ++k) {
                q.alphas.push_back((k + shift) / m);
                q.weights.push_back(1.0 / m);
            }
            break;
        }
        case IgRule::Trapezoid:
            for (int k = 0; k <= steps; ++k) {
                q.alphas.push_back(k / m);
                q.weights.push_back((k == 0 || k == steps ? 0.5 : 1.0) / m);
            }
            break;
        case IgRule::GaussLegendre:
            // Roots of the Legendre polynomial P_m by Newton's method, mapped from [-1, 1] to [0, 1].
            for (int i = 0; i < steps; ++i) {
                double x = std::cos(M_PI * (i + 0.75) / (m + 0.5));
                double dp = 0;
                for (int iter = 0; iter < 100; ++iter) {
                    double p0 = 1, p1 = x;
                    for (int k = 2; k <= steps; ++k) {
                        double p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
                        p0 = p1;
                        p1 = p2;
                    }
                    if (steps == 1) p0 = 1;
                    dp = steps * (x * p1 - p0) / (x * x - 1);
                    double dx = p1 / dp;
                    x -= dx;
                    if (std::abs(dx) < 1e-15) break;
                }
                q.alphas.push_back((1 - x) / 2);                     // ascending in alpha
                q.weights.push_back(1.0 / ((1 - x * x) * dp * dp));  // 2 / ((1-x^2) P'^2), halved
            }
            break;
    }
    return q;
}

}  // namespace prunescope
