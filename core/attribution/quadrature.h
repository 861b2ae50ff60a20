// Quadrature rules on [0, 1] for the Integrated Gradients path integral.
#pragma once

#include <string>
#include <vector>

#include "core/settings/ig_settings.h"

namespace prunescope {

struct Quadrature {
    std::vector<double> alphas;   // points in [0, 1]
    std::vector<double> weights;  // sum to 1
};

// `steps` points (trapezoid: steps + 1 points, steps intervals). Gauss-Legendre integrates
// polynomials of degree 2*steps - 1 exactly.
Quadrature quadrature(IgRule rule, int steps);

}  // namespace prunescope
