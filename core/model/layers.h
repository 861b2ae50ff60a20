// Building blocks shared by the architectures. Parameters are created as placeholders of the
// right shape (torch::empty, or on the meta device for counting) and filled by the loader or by
// initializeWeights(); their names equal the checkpoint keys.
//
// Weights may be held in a narrower dtype than the computation (bfloat16 / float16 weights kept
// as stored, float32 compute): every layer widens its weights to the input's dtype for the
// product only, so a model costs its stored bytes plus one widened matrix at a time.
#pragma once

#include <cstdint>
#include <optional>

#include <torch/torch.h>

#include "core/model/config.h"

namespace prunescope {

// y = x W^T + b for W (out, in) in any floating dtype, computed in x's dtype. When W is narrower,
// it is widened for the product and again in the backward pass: only the stored W is kept for
// the gradient, never a widened copy. Same as torch::linear when the dtypes agree.
torch::Tensor linearWidened(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b = {});

// `t` in `dtype` (no copy when it already is).
inline torch::Tensor inDtype(const torch::Tensor& t, torch::ScalarType dtype) {
    return t.scalar_type() == dtype ? t : t.to(dtype);
}

struct LoraAdapter;  // core/model/lora_adapter.h

// Hugging Face Linear layout: weight (out, in); y = x W^T + b.
struct DenseImpl : torch::nn::Module {
    DenseImpl(int64_t in, int64_t out, bool bias, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& x);
    torch::Tensor weight;               // (out, in)
    torch::Tensor bias;                 // (out,) or undefined
    std::shared_ptr<LoraAdapter> lora;  // not a registered parameter; null: none attached
};
TORCH_MODULE(Dense);

// GPT-2's Conv1D layout: weight (in, out); y = x W + b.
struct Conv1DImpl : torch::nn::Module {
    Conv1DImpl(int64_t in, int64_t out, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& x);
    torch::Tensor weight;               // (in, out)
    torch::Tensor bias;                 // (out,)
    std::shared_ptr<LoraAdapter> lora;  // not a registered parameter; null: none attached
};
TORCH_MODULE(Conv1D);

struct LayerNormImpl : torch::nn::Module {
    LayerNormImpl(int64_t d, double eps, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& x);
    torch::Tensor weight, bias;  // (d,)
    double eps;
};
TORCH_MODULE(LayerNorm);

struct RmsNormImpl : torch::nn::Module {
    RmsNormImpl(int64_t d, double eps, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& x);
    torch::Tensor weight;  // (d,)
    double eps;
};
TORCH_MODULE(RmsNorm);

struct EmbeddingImpl : torch::nn::Module {
    EmbeddingImpl(int64_t n, int64_t d, const torch::TensorOptions& options);
    // ids -> rows of the weight, in `dtype` (the model's compute dtype).
    torch::Tensor forward(const torch::Tensor& ids, torch::ScalarType dtype);
    torch::Tensor weight;  // (n, d)
};
TORCH_MODULE(Embedding);

// Rotary position embedding (Hugging Face's half-split convention).
class Rope {
public:
    Rope(int64_t headDim, double theta, const std::optional<RopeScaling>& scaling);
    // positions (B, T) -> cos, sin (B, 1, T, headDim)
    std::pair<torch::Tensor, torch::Tensor> table(const torch::Tensor& positions, torch::ScalarType dtype) const;
    // x (B, H, T, headDim) rotated by the table.
    static torch::Tensor apply(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);
    const torch::Tensor& invFreq() const { return m_invFreq; }

private:
    torch::Tensor m_invFreq;  // (headDim / 2,) float64
};

// Scaled dot-product attention with grouped-query heads and an additive bias.
// q (B, H, T, hd), k, v (B, Hkv, S, hd), bias (B, 1, T, S) -> (B, T, H * hd)
torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const torch::Tensor& bias);

torch::Tensor activate(const torch::Tensor& x, const std::string& activation);

// Half and bfloat16 promoted to float32 for reductions (softmax, norms, losses); float32 and
// float64 kept as they are.
inline torch::Tensor atLeastFloat(const torch::Tensor& x) {
    return x.scalar_type() == torch::kHalf || x.scalar_type() == torch::kBFloat16 ? x.to(torch::kFloat) : x;
}

}  // namespace prunescope
