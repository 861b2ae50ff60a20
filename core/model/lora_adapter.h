// A LoRA adapter on one linear layer: y = base(x) + dropout(x) A^T B^T * scale. Its tensors live
// here, not among the layer's registered parameters, so the model's parameter names, saving and
// checkpoint loading are the same with or without adapters. Attached, trained, merged and saved by
// core/train/lora.h.
#pragma once

#include <torch/torch.h>

namespace prunescope {

struct LoraAdapter {
    torch::Tensor A;   // (r, in) float32
    torch::Tensor B;   // (out, r) float32
    double scale = 1;  // alpha / r
    double dropout = 0;

    // x (..., in) -> (..., out) in x's dtype; dropout only while training.
    torch::Tensor delta(const torch::Tensor& x, bool training) const {
        auto h = x.to(A.scalar_type());
        if (dropout > 0 && training) h = torch::dropout(h, dropout, true);
        auto low = torch::matmul(h, A.t());  // (..., r)
        return (torch::matmul(low, B.t()) * scale).to(x.scalar_type());
    }
};

}  // namespace prunescope
