// Llama family: RMSNorm, rotary positions (rope_theta, Llama-3 / linear scaling), grouped-query
// attention, SwiGLU FFN, tied or untied head. Also covers TinyLlama, SmolLM and Llama 2/3;
// Mistral (sliding window) and Qwen2 (q/k/v bias) reuse it from their own files.
#include "core/model/architecture.h"
#include "core/model/layers.h"

namespace prunescope {
namespace {

struct LlamaAttentionImpl : torch::nn::Module {
    LlamaAttentionImpl(const ModelConfig& c, const torch::TensorOptions& o)
        : nHead(c.nHead),
          nKvHead(c.nKvHead),
          headDim(c.headDim),
          q_proj(register_module("q_proj", Dense(c.dModel, c.nHead * c.headDim, c.attnBias, o))),
          k_proj(register_module("k_proj", Dense(c.dModel, c.nKvHead * c.headDim, c.attnBias, o))),
          v_proj(register_module("v_proj", Dense(c.dModel, c.nKvHead * c.headDim, c.attnBias, o))),
          o_proj(register_module("o_proj", Dense(c.nHead * c.headDim, c.dModel, false, o))) {}

    // x (B, T, d), cos/sin (B, 1, T, hd) -> (B, T, d)
    torch::Tensor forward(const torch::Tensor& x, const AttentionContext& ctx, const torch::Tensor& cos,
                          const torch::Tensor& sin, KvCache* cache, int64_t layer) {
        const int64_t b = x.size(0), t = x.size(1);
        auto q = q_proj(x).view({b, t, nHead, headDim}).transpose(1, 2);    // (B, H, T, hd)
        auto k = k_proj(x).view({b, t, nKvHead, headDim}).transpose(1, 2);  // (B, Hkv, T, hd)
        auto v = v_proj(x).view({b, t, nKvHead, headDim}).transpose(1, 2);
        q = Rope::apply(q, cos, sin);
        k = Rope::apply(k, cos, sin);
        return o_proj(attendWithCache(cache, layer, q, k, v, ctx.bias));
    }

    int64_t nHead, nKvHead, headDim;
    Dense q_proj, k_proj, v_proj, o_proj;
};
TORCH_MODULE(LlamaAttention);

struct LlamaMlpImpl : torch::nn::Module {
    LlamaMlpImpl(const ModelConfig& c, const torch::TensorOptions& o)
        : activation(c.activation),
          gate_proj(register_module("gate_proj", Dense(c.dModel, c.nNeuron, c.mlpBias, o))),
          up_proj(register_module("up_proj", Dense(c.dModel, c.nNeuron, c.mlpBias, o))),
          down_proj(register_module("down_proj", Dense(c.nNeuron, c.dModel, c.mlpBias, o))) {}

    torch::Tensor forward(const torch::Tensor& x, NeuronHook* hook, int64_t layer) {
        auto gate = gate_proj(x);  // (B, T, nNeuron)
        if (hook != nullptr) gate = hook->apply(layer, NeuronSite::Gate, gate);
        auto act = activate(gate, activation) * up_proj(x);  // (B, T, nNeuron): the neurons
        if (hook != nullptr) act = hook->apply(layer, NeuronSite::Activation, act);
        return down_proj(act);
    }

    std::string activation;
    Dense gate_proj, up_proj, down_proj;
};
TORCH_MODULE(LlamaMlp);

struct LlamaBlockImpl : torch::nn::Module {
    LlamaBlockImpl(const ModelConfig& c, const torch::TensorOptions& o)
        : input_layernorm(register_module("input_layernorm", RmsNorm(c.dModel, c.normEps, o))),
          self_attn(register_module("self_attn", LlamaAttention(c, o))),
          post_attention_layernorm(register_module("post_attention_layernorm", RmsNorm(c.dModel, c.normEps, o))),
          mlp(register_module("mlp", LlamaMlp(c, o))) {}

    RmsNorm input_layernorm;
    LlamaAttention self_attn;
    RmsNorm post_attention_layernorm;
    LlamaMlp mlp;
};
TORCH_MODULE(LlamaBlock);

struct LlamaBodyImpl : torch::nn::Module {
    LlamaBodyImpl(const ModelConfig& c, const torch::TensorOptions& o)
        : embed_tokens(register_module("embed_tokens", Embedding(c.nVocab, c.dModel, o))),
          layers(register_module("layers", torch::nn::ModuleList())),
          norm(register_module("norm", RmsNorm(c.dModel, c.normEps, o))) {
        for (int64_t i = 0; i < c.nLayer; ++i) {
            blocks.push_back(LlamaBlock(c, o));
            layers->push_back(blocks.back());
        }
    }
    Embedding embed_tokens;
    torch::nn::ModuleList layers;
    RmsNorm norm;
    std::vector<LlamaBlock> blocks;
};
TORCH_MODULE(LlamaBody);

class LlamaModel : public CausalLM {
public:
    LlamaModel(const ModelConfig& c, const torch::TensorOptions& o)
        : CausalLM(c), m_rope(c.headDim, c.ropeTheta, c.ropeScaling) {
        model = register_module("model", LlamaBody(c, o));
        if (!c.tieEmbeddings) lm_head = register_module("lm_head", Dense(c.dModel, c.nVocab, false, o));
    }

    torch::Tensor hidden(const torch::Tensor& ids, const ForwardArgs& args) override {
        auto ctx = makeAttentionContext(ids, args, config().slidingWindow, torch::kFloat);
        auto x = args.start.defined() ? args.start : model->embed_tokens(ids, computeDtype());  // (B, T, d)
        auto [cos, sin] = m_rope.table(ctx.positions, x.scalar_type());
        for (auto i = static_cast<size_t>(args.startLayer); i < model->blocks.size(); ++i) {
            auto blk = model->blocks[i];
            const auto layer = static_cast<int64_t>(i);
            if (args.blockInputs != nullptr) args.blockInputs->push_back(x);
            x = runBlock(
                args,
                [blk, ctx, cos = cos, sin = sin, args, layer](const torch::Tensor& h) mutable {
                    auto y = h + blk->self_attn->forward(blk->input_layernorm(h), ctx, cos, sin, args.cache, layer);
                    return y + blk->mlp->forward(blk->post_attention_layernorm(y), args.hook, layer);
                },
                x);
        }
        if (args.startLayer == 0) extendCacheMask(args.cache, ids, args.attentionMask);
        return model->norm(x);
    }

    torch::Tensor unembedding() override { return lm_head ? lm_head->weight : model->embed_tokens->weight; }

    std::string parameterNameFor(const std::string& key) const override {
        if (key.find("rotary_emb.inv_freq") != std::string::npos) return "";
        if (key == "lm_head.weight" && config().tieEmbeddings) return "";
        return key;
    }

    ParameterRole roleOf(const std::string& name) const override {
        ParameterRole role;
        const std::string prefix = "model.layers.";
        if (name.rfind(prefix, 0) == 0) {
            role.layer = std::stoll(name.substr(prefix.size(), name.find('.', prefix.size()) - prefix.size()));
            role.ffn = name.find(".mlp.") != std::string::npos;
        }
        return role;
    }

    torch::Tensor neuronOutputWeights(int64_t layer) override {
        return model->blocks.at(static_cast<size_t>(layer))->mlp->down_proj->weight.t();  // (nNeuron, d)
    }

    void zeroNeurons(int64_t layer, const torch::Tensor& index) override {
        torch::NoGradGuard noGrad;
        auto& mlp = model->blocks.at(static_cast<size_t>(layer))->mlp;
        auto idx = index.to(mlp->gate_proj->weight.device(), torch::kLong);
        for (auto* dense : {&mlp->gate_proj, &mlp->up_proj}) {
            (*dense)->weight.index_fill_(0, idx, 0);  // (nNeuron, d): rows feed the neurons
            if ((*dense)->bias.defined()) (*dense)->bias.index_fill_(0, idx, 0);
        }
        mlp->down_proj->weight.index_fill_(1, idx, 0);  // (d, nNeuron): columns read them
    }

    LlamaBody model{nullptr};
    Dense lm_head{nullptr};

private:
    Rope m_rope;
};

void parseLlama(const ConfigFields& f, ModelConfig& c) {
    parseLlamaFamilyConfig(f, c);
}

}  // namespace

void parseLlamaFamilyConfig(const ConfigFields& f, ModelConfig& c) {
    c.nLayer = f.positive("num_hidden_layers");
    c.dModel = f.positive("hidden_size");
    c.nHead = f.positive("num_attention_heads");
    c.nKvHead = f.has("num_key_value_heads") ? f.positive("num_key_value_heads") : c.nHead;
    c.headDim = f.has("head_dim") ? f.positive("head_dim") : c.dModel / c.nHead;
    c.nNeuron = f.positive("intermediate_size");
    c.nVocab = f.positive("vocab_size");
    c.nCtx = f.integerOr("max_position_embeddings", 2048);
    c.normEps = f.numberOr("rms_norm_eps", 1e-6);
    c.activation = f.stringOr("hidden_act", "silu");
    requireKnownActivation(f, "hidden_act", c.activation);
    c.tieEmbeddings = f.booleanOr("tie_word_embeddings", false);
    c.attnBias = f.booleanOr("attention_bias", false);
    c.mlpBias = f.booleanOr("mlp_bias", false);
    c.ropeTheta = f.numberOr("rope_theta", 10000.0);

    // Rope scaling: "rope_scaling" (transformers 4) or "rope_parameters" (transformers 5).
    std::string key = f.has("rope_parameters") ? "rope_parameters" : "rope_scaling";
    if (f.has(key)) {
        const auto& r = f.json()[key];
        if (!r.is_object()) throw Error(f.file(), "field '" + key + "'", "expected an object");
        ConfigFields rf(r, f.file());
        if (key == "rope_parameters") c.ropeTheta = rf.numberOr("rope_theta", c.ropeTheta);
        std::string type = rf.stringOr("rope_type", rf.stringOr("type", "default"));
        if (type == "linear" || type == "llama3") {
            RopeScaling s;
            s.type = type;
            s.factor = rf.number("factor");
            if (type == "llama3") {
                s.lowFreqFactor = rf.number("low_freq_factor");
                s.highFreqFactor = rf.number("high_freq_factor");
                s.originalMaxPositions = rf.integer("original_max_position_embeddings");
            }
            c.ropeScaling = s;
        } else if (type != "default") {
            throw Error(f.file(), "field '" + key + ".rope_type'", "rope type '" + type + "' is not supported",
                        "supported: default, linear, llama3");
        }
    }
    if (c.nHead * c.headDim <= 0) throw Error(f.file(), "field 'head_dim'", "must be positive");
}

nlohmann::json llamaFamilyConfigToJson(const ModelConfig& c) {
    nlohmann::json j = {{"num_hidden_layers", c.nLayer},
                        {"hidden_size", c.dModel},
                        {"num_attention_heads", c.nHead},
                        {"num_key_value_heads", c.nKvHead},
                        {"head_dim", c.headDim},
                        {"intermediate_size", c.nNeuron},
                        {"vocab_size", c.nVocab},
                        {"max_position_embeddings", c.nCtx},
                        {"rms_norm_eps", c.normEps},
                        {"hidden_act", c.activation},
                        {"tie_word_embeddings", c.tieEmbeddings},
                        {"attention_bias", c.attnBias},
                        {"mlp_bias", c.mlpBias},
                        {"rope_theta", c.ropeTheta}};
    if (c.ropeScaling) {
        nlohmann::json s = {{"rope_type", c.ropeScaling->type}, {"factor", c.ropeScaling->factor}};
        if (c.ropeScaling->type == "llama3") {
            s["low_freq_factor"] = c.ropeScaling->lowFreqFactor;
            s["high_freq_factor"] = c.ropeScaling->highFreqFactor;
            s["original_max_position_embeddings"] = c.ropeScaling->originalMaxPositions;
        }
        j["rope_scaling"] = s;
    }
    return j;
}

std::shared_ptr<CausalLM> buildLlamaFamily(const ModelConfig& c, const torch::TensorOptions& o) {
    return std::make_shared<LlamaModel>(c, o);
}

const Architecture kLlamaArchitecture{"llama",
                                      parseLlama,
                                      [](const ModelConfig& c) {
                                          auto j = llamaFamilyConfigToJson(c);
                                          j["architectures"] = {"LlamaForCausalLM"};
                                          return j;
                                      },
                                      buildLlamaFamily,
                                      {}};

}  // namespace prunescope
