#include "core/model/layers.h"

#include <cmath>

#include "core/model/lora_adapter.h"
#include "core/util/error.h"

namespace prunescope {
namespace {

// x (..., in) W^T with W (out, in) narrower than x: saves the stored W (and x, when W trains).
struct WidenedLinear : torch::autograd::Function<WidenedLinear> {
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                                 const torch::Tensor& w) {
        ctx->save_for_backward({w.requires_grad() ? x : torch::Tensor(), w});
        return torch::matmul(x, w.to(x.scalar_type()).t());
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        auto saved = ctx->get_saved_variables();
        const auto& x = saved[0];
        const auto& w = saved[1];
        const auto& g = grads[0];  // (..., out)
        torch::Tensor gx, gw;
        if (ctx->needs_input_grad(0)) gx = torch::matmul(g, w.to(g.scalar_type()));
        if (ctx->needs_input_grad(1)) {
            gw = g.reshape({-1, g.size(-1)}).t().mm(x.reshape({-1, x.size(-1)})).to(w.scalar_type());
        }
        return {gx, gw};
    }
};

torch::Tensor activateFloat(const torch::Tensor& x, const std::string& activation) {
    if (activation == "gelu_new" || activation == "gelu_pytorch_tanh" || activation == "gelu_fast") {
        return torch::gelu(x, "tanh");
    }
    if (activation == "gelu") return torch::gelu(x);
    if (activation == "silu" || activation == "swish") return torch::silu(x);
    if (activation == "relu") return torch::relu(x);
    throw Error("config.json", "field 'activation'", "unsupported activation '" + activation + "'",
                "supported: gelu_new, gelu_pytorch_tanh, gelu, silu, relu");
}

}  // namespace

torch::Tensor linearWidened(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
    if (w.scalar_type() == x.scalar_type()) return torch::linear(x, w, b);
    auto y = WidenedLinear::apply(x, w);
    return b.defined() ? y + inDtype(b, x.scalar_type()) : y;
}

DenseImpl::DenseImpl(int64_t in, int64_t out, bool withBias, const torch::TensorOptions& options) {
    weight = register_parameter("weight", torch::empty({out, in}, options), false);
    if (withBias) bias = register_parameter("bias", torch::empty({out}, options), false);
}

torch::Tensor DenseImpl::forward(const torch::Tensor& x) {
    auto y = linearWidened(x, weight, bias);
    if (lora) y = y + lora->delta(x, is_training());  // (..., out)
    return y;
}

Conv1DImpl::Conv1DImpl(int64_t in, int64_t out, const torch::TensorOptions& options) {
    weight = register_parameter("weight", torch::empty({in, out}, options), false);
    bias = register_parameter("bias", torch::empty({out}, options), false);
}

torch::Tensor Conv1DImpl::forward(const torch::Tensor& x) {
    if (weight.scalar_type() != x.scalar_type()) {
        auto y = linearWidened(x, weight.t(), bias);
        if (lora) y = y + lora->delta(x, is_training());
        return y;
    }
    auto flat = x.reshape({-1, x.size(-1)});    // (N, in)
    auto y = torch::addmm(bias, flat, weight);  // (N, out)
    if (lora) y = y + lora->delta(flat, is_training());
    auto shape = x.sizes().vec();
    shape.back() = weight.size(1);
    return y.view(shape);
}

LayerNormImpl::LayerNormImpl(int64_t d, double eps_, const torch::TensorOptions& options) : eps(eps_) {
    weight = register_parameter("weight", torch::empty({d}, options), false);
    bias = register_parameter("bias", torch::empty({d}, options), false);
}

torch::Tensor LayerNormImpl::forward(const torch::Tensor& x) {
    // Statistics in float32 for bfloat16 / float16 activations, whatever the LibTorch kernel does
    // (1.13's CPU kernel keeps less precision than 2.x's); the result goes back to x's dtype.
    const auto xf = atLeastFloat(x);
    auto y =
        torch::layer_norm(xf, {x.size(-1)}, inDtype(weight, xf.scalar_type()), inDtype(bias, xf.scalar_type()), eps);
    return inDtype(y, x.scalar_type());
}

RmsNormImpl::RmsNormImpl(int64_t d, double eps_, const torch::TensorOptions& options) : eps(eps_) {
    weight = register_parameter("weight", torch::empty({d}, options), false);
}

torch::Tensor RmsNormImpl::forward(const torch::Tensor& x) {
    auto xf = atLeastFloat(x);
    auto normed = xf * torch::rsqrt(xf.pow(2).mean(-1, true) + eps);
    return inDtype(weight, x.scalar_type()) * normed.to(x.scalar_type());
}

EmbeddingImpl::EmbeddingImpl(int64_t n, int64_t d, const torch::TensorOptions& options) {
    weight = register_parameter("weight", torch::empty({n, d}, options), false);
}

torch::Tensor EmbeddingImpl::forward(const torch::Tensor& ids, torch::ScalarType dtype) {
    return inDtype(torch::embedding(weight, ids), dtype);
}

Rope::Rope(int64_t headDim, double theta, const std::optional<RopeScaling>& scaling) {
    const auto inv = ropeInverseFrequencies(headDim, theta, scaling);
    m_invFreq = torch::tensor(inv, torch::kDouble);  // (hd/2,)
}

std::pair<torch::Tensor, torch::Tensor> Rope::table(const torch::Tensor& positions, torch::ScalarType dtype) const {
    auto inv = m_invFreq.to(positions.device());
    auto freqs = positions.to(torch::kDouble).unsqueeze(-1) * inv;  // (B, T, hd/2)
    auto emb = torch::cat({freqs, freqs}, -1).unsqueeze(1);         // (B, 1, T, hd)
    return {emb.cos().to(dtype), emb.sin().to(dtype)};
}

torch::Tensor Rope::apply(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
    const int64_t half = x.size(-1) / 2;
    auto rotated = torch::cat({-x.slice(-1, half), x.slice(-1, 0, half)}, -1);
    return x * cos + rotated * sin;
}

torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const torch::Tensor& bias) {
    const int64_t batch = q.size(0), nHead = q.size(1), t = q.size(2), hd = q.size(3);
    const int64_t nKv = k.size(1), s = k.size(2);
    const int64_t group = nHead / nKv;
    const double scale = 1.0 / std::sqrt(static_cast<double>(hd));
    // Query heads of one group share a key/value head: fold the group into the query length.
    auto qg = q.reshape({batch, nKv, group * t, hd});              // (B, Hkv, g*T, hd)
    auto scores = torch::matmul(qg, k.transpose(-1, -2)) * scale;  // (B, Hkv, g*T, S)
    scores = atLeastFloat(scores.view({batch, nKv, group, t, s})) + bias.unsqueeze(1);
    auto probs = torch::softmax(scores, -1).to(v.scalar_type());          // (B, Hkv, g, T, S)
    auto out = torch::matmul(probs.view({batch, nKv, group * t, s}), v);  // (B, Hkv, g*T, hd)
    return out.view({batch, nHead, t, hd}).transpose(1, 2).reshape({batch, t, nHead * hd});
}

torch::Tensor activate(const torch::Tensor& x, const std::string& activation) {
    // In float32 for bfloat16 / float16 inputs (cast back after): LibTorch 1.13's bfloat16 GELU
    // alone doubles the completeness error of bfloat16 Integrated Gradients (docs/precision.md).
    return inDtype(activateFloat(atLeastFloat(x), activation), x.scalar_type());
}

}  // namespace prunescope
