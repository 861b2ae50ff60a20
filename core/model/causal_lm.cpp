#include "core/model/causal_lm.h"

#include <cmath>
#include <limits>

#include "core/model/layers.h"
#include "core/util/error.h"

namespace prunescope {

KvCache KvCache::expandBatch(int64_t batch) const {
    KvCache out;
    for (const auto& k : keys) out.keys.push_back(k.expand({batch, k.size(1), k.size(2), k.size(3)}));
    for (const auto& v : values) out.values.push_back(v.expand({batch, v.size(1), v.size(2), v.size(3)}));
    if (mask.defined()) out.mask = mask.expand({batch, mask.size(1)});
    return out;
}

torch::Tensor CausalLM::logits(const torch::Tensor& hidden, const torch::Tensor& rows) {
    auto w = unembedding();                                          // (V, d)
    if (rows.defined()) w = w.index_select(0, rows.to(w.device()));  // (R, d)
    if (w.scalar_type() == hidden.scalar_type()) return torch::matmul(hidden, w.t());
    return linearWidened(hidden, w);
}

namespace {

struct BlockHolder : torch::CustomClassHolder {
    explicit BlockHolder(BlockFn f) : fn(std::move(f)) {}
    BlockFn fn;
};

struct Checkpoint : torch::autograd::Function<Checkpoint> {
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                                 const c10::intrusive_ptr<BlockHolder>& block) {
        ctx->saved_data["block"] = c10::IValue::make_capsule(block);
        ctx->saved_data["rng"] = at::detail::getDefaultCPUGenerator().get_state();
        ctx->save_for_backward({x});
        torch::NoGradGuard noGrad;
        return block->fn(x);
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        auto block = c10::static_intrusive_pointer_cast<BlockHolder>(ctx->saved_data["block"].toCapsule());
        auto generator = at::detail::getDefaultCPUGenerator();
        const auto state = generator.get_state();
        generator.set_state(ctx->saved_data["rng"].toTensor());
        auto x = ctx->get_saved_variables()[0].detach().requires_grad_(true);
        torch::Tensor y;
        {
            torch::AutoGradMode on(true);
            y = block->fn(x);
        }
        generator.set_state(state);
        torch::autograd::backward({y}, {grads[0]});
        return {x.grad(), torch::Tensor()};
    }
};

}  // namespace

torch::Tensor checkpointed(const BlockFn& block, const torch::Tensor& x) {
    return Checkpoint::apply(x, c10::make_intrusive<BlockHolder>(block));
}

bool isTrainableParameter(const CausalLM& model, const std::string& name, const std::string& rule) {
    if (rule == "all") return true;
    auto role = model.roleOf(name);
    if (rule == "ffn") return role.ffn;
    if (rule.rfind("last:", 0) == 0) {
        int64_t k = std::stoll(rule.substr(5));
        // The last k blocks, and what follows them (final norm, untied head).
        bool afterBlocks = role.layer < 0 && name.find("embed") == std::string::npos &&
                           name.find("wte") == std::string::npos && name.find("wpe") == std::string::npos;
        return role.layer >= model.config().nLayer - k || afterBlocks;
    }
    throw Error("", "field 'trainable'", "unknown value '" + rule + "'", "use all, ffn or last:K");
}

KvCache KvCache::sharePrefix(int64_t rowsPerPrefix) const {
    KvCache out;
    out.keys = keys;
    out.values = values;
    const int64_t prefixes = keys.empty() || !keys[0].defined() ? 1 : keys[0].size(0);
    out.sharedRows = prefixes * rowsPerPrefix;
    if (mask.defined()) out.mask = mask.repeat_interleave(rowsPerPrefix, 0);
    return out;
}

AttentionContext makeAttentionContext(const torch::Tensor& ids, const ForwardArgs& args, int64_t slidingWindow,
                                      torch::ScalarType dtype) {
    const int64_t batch = ids.size(0);
    const int64_t t = ids.size(1);
    const int64_t past = args.cache != nullptr ? args.cache->length() : 0;
    const auto device = ids.device();
    auto longOpts = torch::TensorOptions().dtype(torch::kLong).device(device);

    // Key mask over cached + new tokens: (B, S), or undefined when every token is real.
    torch::Tensor keyMask;
    const bool cachedMask = args.cache != nullptr && args.cache->mask.defined();
    if (args.attentionMask.defined() || cachedMask) {
        auto past_mask = cachedMask ? args.cache->mask.to(torch::kLong) : torch::ones({batch, past}, longOpts);
        auto new_mask = args.attentionMask.defined() ? args.attentionMask.to(device, torch::kLong)
                                                     : torch::ones({batch, t}, longOpts);
        keyMask = torch::cat({past_mask, new_mask}, 1);  // (B, S)
    }

    AttentionContext ctx;
    if (keyMask.defined()) {
        // Left padding: a token's position counts the real tokens before it.
        ctx.positions = (keyMask.cumsum(1) - 1).clamp_min(0).slice(1, past, past + t);
    } else {
        ctx.positions = torch::arange(past, past + t, longOpts).unsqueeze(0).expand({batch, t});
    }

    const int64_t s = past + t;
    auto q = torch::arange(past, past + t, longOpts).unsqueeze(1);  // (T, 1)
    auto k = torch::arange(0, s, longOpts).unsqueeze(0);            // (1, S)
    auto allowed = k <= q;                                          // (T, S)
    if (slidingWindow > 0) allowed = allowed & (q - k < slidingWindow);
    auto allowedB = allowed.unsqueeze(0).unsqueeze(0);  // (1, 1, T, S)
    if (keyMask.defined()) allowedB = allowedB & keyMask.to(torch::kBool).unsqueeze(1).unsqueeze(1);
    const double lowest = std::numeric_limits<float>::lowest();
    auto opts = torch::TensorOptions().dtype(dtype).device(device);
    ctx.bias = torch::zeros(allowedB.sizes(), opts).masked_fill(allowedB.logical_not(), lowest);
    if (ctx.bias.size(0) != batch) ctx.bias = ctx.bias.expand({batch, 1, t, s});
    return ctx;
}

namespace {

// Appends k, v (B, H, T, hd) along the sequence to layer i's cached keys and values.
void appendToLayer(std::vector<torch::Tensor>& keys, std::vector<torch::Tensor>& values, size_t i,
                   const torch::Tensor& k, const torch::Tensor& v) {
    if (keys.size() <= i) {
        keys.resize(i + 1);
        values.resize(i + 1);
    }
    keys[i] = keys[i].defined() ? torch::cat({keys[i], k}, 2) : k;
    values[i] = values[i].defined() ? torch::cat({values[i], v}, 2) : v;
}

}  // namespace

std::pair<torch::Tensor, torch::Tensor> updateCache(KvCache* cache, int64_t layer, const torch::Tensor& k,
                                                    const torch::Tensor& v) {
    if (cache == nullptr) return {k, v};
    const auto i = static_cast<size_t>(layer);
    appendToLayer(cache->keys, cache->values, i, k, v);
    return {cache->keys[i], cache->values[i]};
}

namespace {

// Attention of query rows to shared prefixes plus each row's own keys. The rows come in Q equal
// groups, group j sharing prefix j: every group's queries meet their prefix in one product per
// key/value head (the rows folded into the query length), with no copies of the prefix.
// q (R, H, T, hd); kp, vp (Q, Hkv, P, hd); ko, vo (R, Hkv, T', hd); bias (R, 1, T, P + T').
torch::Tensor sharedPrefixAttention(const torch::Tensor& q, const torch::Tensor& kp, const torch::Tensor& vp,
                                    const torch::Tensor& ko, const torch::Tensor& vo, const torch::Tensor& bias) {
    const int64_t rows = q.size(0), nHead = q.size(1), t = q.size(2), hd = q.size(3);
    const int64_t prefixes = kp.size(0), nKv = kp.size(1), p = kp.size(2), own = ko.size(2);
    const int64_t per = rows / prefixes, group = nHead / nKv, m = per * group * t;
    const double scale = 1.0 / std::sqrt(static_cast<double>(hd));
    auto qg = q.reshape({rows, nKv, group * t, hd});  // (R, Hkv, g*T, hd)
    // (R, Hkv, g*T, x) <-> (Q, Hkv, per*g*T, x)
    auto fold = [&](const torch::Tensor& x) {
        return x.reshape({prefixes, per, nKv, group * t, x.size(-1)})
            .transpose(1, 2)
            .reshape({prefixes, nKv, m, x.size(-1)});
    };
    auto unfold = [&](const torch::Tensor& x) {
        return x.reshape({prefixes, nKv, per, group * t, x.size(-1)})
            .transpose(1, 2)
            .reshape({rows, nKv, group * t, x.size(-1)});
    };
    auto sp = unfold(torch::matmul(fold(qg), kp.transpose(-1, -2)));  // (R, Hkv, g*T, P)
    auto so = torch::matmul(qg, ko.transpose(-1, -2));                // (R, Hkv, g*T, T')
    auto scores = torch::cat({sp, so}, -1) * scale;                   // (R, Hkv, g*T, S)
    scores = atLeastFloat(scores.view({rows, nKv, group, t, p + own})) + bias.unsqueeze(1);
    auto probs = torch::softmax(scores, -1).to(vp.scalar_type()).view({rows, nKv, group * t, p + own});
    auto pp = probs.slice(-1, 0, p), po = probs.slice(-1, p);
    auto out = unfold(torch::matmul(fold(pp), vp)) + torch::matmul(po, vo);  // (R, Hkv, g*T, hd)
    return out.reshape({rows, nHead, t, hd}).transpose(1, 2).reshape({rows, t, nHead * hd});
}

}  // namespace

torch::Tensor attendWithCache(KvCache* cache, int64_t layer, const torch::Tensor& q, const torch::Tensor& k,
                              const torch::Tensor& v, const torch::Tensor& bias) {
    if (cache == nullptr || cache->sharedRows == 0) {
        auto [keys, values] = updateCache(cache, layer, k, v);
        return attention(q, keys, values, bias);
    }
    const auto i = static_cast<size_t>(layer);
    appendToLayer(cache->rowKeys, cache->rowValues, i, k, v);
    if (i >= cache->keys.size() || !cache->keys[i].defined()) {
        return attention(q, cache->rowKeys[i], cache->rowValues[i], bias);
    }
    return sharedPrefixAttention(q, cache->keys[i], cache->values[i], cache->rowKeys[i], cache->rowValues[i], bias);
}

void extendCacheMask(KvCache* cache, const torch::Tensor& ids, const torch::Tensor& newMask) {
    if (cache == nullptr) return;
    const int64_t batch = ids.size(0);
    const int64_t t = ids.size(1);
    // length() already includes the new tokens here.
    const int64_t past = cache->length() - t;
    if (!cache->mask.defined() && !newMask.defined()) return;
    auto opts = torch::TensorOptions().dtype(torch::kLong).device(ids.device());
    auto oldMask = cache->mask.defined() ? cache->mask.to(torch::kLong) : torch::ones({batch, past}, opts);
    auto addMask = newMask.defined() ? newMask.to(ids.device(), torch::kLong) : torch::ones({batch, t}, opts);
    cache->mask = torch::cat({oldMask, addMask}, 1);
}

}  // namespace prunescope
