// GPT-2: learned positions, pre-LayerNorm blocks, fused q/k/v, GELU (tanh) FFN, Conv1D weights
// stored (in, out), head tied to the token embedding (or untied: its own lm_head).
#include <cmath>

#include "core/model/architecture.h"
#include "core/model/layers.h"

namespace prunescope {
namespace {

struct Gpt2AttentionImpl : torch::nn::Module {
    Gpt2AttentionImpl(const ModelConfig& c, const torch::TensorOptions& o)
        : nHead(c.nHead),
          c_attn(register_module("c_attn", Conv1D(c.dModel, 3 * c.dModel, o))),
          c_proj(register_module("c_proj", Conv1D(c.dModel, c.dModel, o))) {}

    // x (B, T, d) -> (B, T, d)
    torch::Tensor forward(const torch::Tensor& x, const AttentionContext& ctx, KvCache* cache, int64_t layer) {
        const int64_t b = x.size(0), t = x.size(1), d = x.size(2), hd = d / nHead;
        auto qkv = c_attn(x).split(d, -1);  // 3 x (B, T, d)
        auto heads = [&](const torch::Tensor& y) { return y.view({b, t, nHead, hd}).transpose(1, 2); };
        return c_proj(attendWithCache(cache, layer, heads(qkv[0]), heads(qkv[1]), heads(qkv[2]), ctx.bias));
    }

    int64_t nHead;
    Conv1D c_attn, c_proj;
};
TORCH_MODULE(Gpt2Attention);

struct Gpt2MlpImpl : torch::nn::Module {
    Gpt2MlpImpl(const ModelConfig& c, const torch::TensorOptions& o)
        : activation(c.activation),
          c_fc(register_module("c_fc", Conv1D(c.dModel, c.nNeuron, o))),
          c_proj(register_module("c_proj", Conv1D(c.nNeuron, c.dModel, o))) {}

    torch::Tensor forward(const torch::Tensor& x, NeuronHook* hook, int64_t layer) {
        auto act = activate(c_fc(x), activation);  // (B, T, nNeuron): the neurons
        if (hook != nullptr) act = hook->apply(layer, NeuronSite::Activation, act);
        return c_proj(act);
    }

    std::string activation;
    Conv1D c_fc, c_proj;
};
TORCH_MODULE(Gpt2Mlp);

struct Gpt2BlockImpl : torch::nn::Module {
    Gpt2BlockImpl(const ModelConfig& c, const torch::TensorOptions& o)
        : ln_1(register_module("ln_1", LayerNorm(c.dModel, c.normEps, o))),
          attn(register_module("attn", Gpt2Attention(c, o))),
          ln_2(register_module("ln_2", LayerNorm(c.dModel, c.normEps, o))),
          mlp(register_module("mlp", Gpt2Mlp(c, o))) {}

    torch::Tensor forward(torch::Tensor x, const AttentionContext& ctx, const ForwardArgs& args, int64_t layer) {
        x = x + attn->forward(ln_1(x), ctx, args.cache, layer);
        return x + mlp->forward(ln_2(x), args.hook, layer);
    }

    LayerNorm ln_1;
    Gpt2Attention attn;
    LayerNorm ln_2;
    Gpt2Mlp mlp;
};
TORCH_MODULE(Gpt2Block);

class Gpt2Model : public CausalLM {
public:
    Gpt2Model(const ModelConfig& c, const torch::TensorOptions& o) : CausalLM(c) {
        wte = register_module("wte", Embedding(c.nVocab, c.dModel, o));
        wpe = register_module("wpe", Embedding(c.nCtx, c.dModel, o));
        h = register_module("h", torch::nn::ModuleList());
        for (int64_t i = 0; i < c.nLayer; ++i) {
            blocks.push_back(Gpt2Block(c, o));
            h->push_back(blocks.back());
        }
        ln_f = register_module("ln_f", LayerNorm(c.dModel, c.normEps, o));
        if (!c.tieEmbeddings) lm_head = register_module("lm_head", Dense(c.dModel, c.nVocab, false, o));
    }

    torch::Tensor hidden(const torch::Tensor& ids, const ForwardArgs& args) override {
        auto ctx = makeAttentionContext(ids, args, 0, torch::kFloat);
        auto x = args.start.defined() ? args.start
                                      : wte(ids, computeDtype()) + wpe(ctx.positions, computeDtype());  // (B, T, d)
        for (auto i = static_cast<size_t>(args.startLayer); i < blocks.size(); ++i) {
            auto block = blocks[i];
            const auto layer = static_cast<int64_t>(i);
            if (args.blockInputs != nullptr) args.blockInputs->push_back(x);
            x = runBlock(
                args,
                [block, ctx, args, layer](const torch::Tensor& h) mutable {
                    return block->forward(h, ctx, args, layer);
                },
                x);
        }
        if (args.startLayer == 0) extendCacheMask(args.cache, ids, args.attentionMask);
        return ln_f(x);
    }

    torch::Tensor unembedding() override { return lm_head ? lm_head->weight : wte->weight; }

    std::string parameterNameFor(const std::string& key) const override {
        std::string name = key.rfind("transformer.", 0) == 0 ? key.substr(12) : key;
        auto endsWith = [&](const std::string& suffix) {
            return name.size() >= suffix.size() &&
                   name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
        };
        if (endsWith(".attn.bias") || endsWith(".attn.masked_bias")) return "";  // causal-mask buffers
        if (name == "lm_head.weight" && config().tieEmbeddings) return "";
        return name;
    }

    ParameterRole roleOf(const std::string& name) const override {
        ParameterRole role;
        if (name.rfind("h.", 0) == 0) {
            role.layer = std::stoll(name.substr(2, name.find('.', 2) - 2));
            role.ffn = name.find(".mlp.") != std::string::npos;
        }
        return role;
    }

    torch::Tensor neuronOutputWeights(int64_t layer) override {
        return blocks.at(static_cast<size_t>(layer))->mlp->c_proj->weight;  // (nNeuron, d)
    }

    void zeroNeurons(int64_t layer, const torch::Tensor& index) override {
        torch::NoGradGuard noGrad;
        auto& mlp = blocks.at(static_cast<size_t>(layer))->mlp;
        auto idx = index.to(mlp->c_fc->weight.device(), torch::kLong);
        mlp->c_fc->weight.index_fill_(1, idx, 0);  // (d, nNeuron): columns feed the neurons
        mlp->c_fc->bias.index_fill_(0, idx, 0);
        mlp->c_proj->weight.index_fill_(0, idx, 0);  // (nNeuron, d): rows read them
    }

    Embedding wte{nullptr}, wpe{nullptr};
    torch::nn::ModuleList h{nullptr};
    std::vector<Gpt2Block> blocks;
    LayerNorm ln_f{nullptr};
    Dense lm_head{nullptr};
};

void parseGpt2(const ConfigFields& f, ModelConfig& c) {
    c.nLayer = f.positive("n_layer");
    c.dModel = f.positive("n_embd");
    c.nHead = f.positive("n_head");
    c.nKvHead = c.nHead;
    c.headDim = c.dModel / c.nHead;
    c.nNeuron = f.has("n_inner") ? f.positive("n_inner") : 4 * c.dModel;
    c.nVocab = f.positive("vocab_size");
    c.nCtx = f.has("n_positions") ? f.positive("n_positions") : f.positive("n_ctx");
    c.normEps = f.numberOr("layer_norm_epsilon", 1e-5);
    c.activation = f.stringOr("activation_function", "gelu_new");
    requireKnownActivation(f, "activation_function", c.activation);
    c.tieEmbeddings = f.booleanOr("tie_word_embeddings", true);
    c.attnBias = true;
    c.mlpBias = true;
    if (f.booleanOr("scale_attn_by_inverse_layer_idx", false)) {
        throw Error(f.file(), "field 'scale_attn_by_inverse_layer_idx'", "is not supported");
    }
    if (!f.booleanOr("scale_attn_weights", true)) {
        throw Error(f.file(), "field 'scale_attn_weights'", "false is not supported");
    }
}

nlohmann::json gpt2ToJson(const ModelConfig& c) {
    return {{"architectures", {"GPT2LMHeadModel"}},
            {"n_layer", c.nLayer},
            {"n_embd", c.dModel},
            {"n_head", c.nHead},
            {"n_inner", c.nNeuron},
            {"vocab_size", c.nVocab},
            {"n_positions", c.nCtx},
            {"n_ctx", c.nCtx},
            {"layer_norm_epsilon", c.normEps},
            {"activation_function", c.activation},
            {"tie_word_embeddings", c.tieEmbeddings},
            {"attn_pdrop", 0.0},
            {"embd_pdrop", 0.0},
            {"resid_pdrop", 0.0}};
}

std::shared_ptr<CausalLM> buildGpt2(const ModelConfig& c, const torch::TensorOptions& o) {
    return std::make_shared<Gpt2Model>(c, o);
}

}  // namespace

const Architecture kGpt2Architecture{
    "gpt2", parseGpt2, gpt2ToJson, buildGpt2,
    ArchitectureTraits{false, true, true, "transformer.", {"c_attn", "attn.c_proj"}, {"c_fc", "mlp.c_proj"}}};

}  // namespace prunescope
