// The common interface of every architecture: a decoder-only causal language model whose
// parameter names equal the Hugging Face checkpoint keys, so loading is a name lookup.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/model/config.h"
#include "core/model/neuron_hook.h"

namespace prunescope {

// Keys and values of earlier tokens, per layer: (B, nKvHead, S, headDim).
struct KvCache {
    std::vector<torch::Tensor> keys;
    std::vector<torch::Tensor> values;
    torch::Tensor mask;  // (B, S) 1 = real token, 0 = padding; undefined = all real

    // Shared-prefix mode (sharePrefix): `keys`/`values` hold Q prompts that groups of rows attend
    // to without copies, and the rows' own keys/values are appended here instead.
    std::vector<torch::Tensor> rowKeys;
    std::vector<torch::Tensor> rowValues;
    int64_t sharedRows = 0;  // > 0: shared-prefix mode with this many rows

    int64_t length() const {
        int64_t n = keys.empty() || !keys[0].defined() ? 0 : keys[0].size(2);
        if (!rowKeys.empty() && rowKeys[0].defined()) n += rowKeys[0].size(2);
        return n;
    }
    // A batch-1 cache seen as `batch` identical rows (views, no copy).
    KvCache expandBatch(int64_t batch) const;
    // This cache's Q prompts, each shared by `rowsPerPrefix` consecutive rows (row r belongs to
    // prompt r / rowsPerPrefix): attention to a prompt runs as one product for all of its rows
    // (folded into the query length) instead of a batched one over broadcast copies. Same results
    // as expanding each prompt; for many rows on few prompts (Integrated Gradients).
    KvCache sharePrefix(int64_t rowsPerPrefix) const;
};

struct ForwardArgs {
    torch::Tensor attentionMask;  // (B, T) for the new tokens; 1 = real, 0 = padding (left padding)
    KvCache* cache = nullptr;     // when given: attends to it and appends the new keys/values
    NeuronHook* hook = nullptr;
    // Gradient checkpointing: with gradients on and no cache, each block keeps only its input and
    // runs again in the backward pass (see checkpointed()).
    bool checkpoint = false;
    // Starts at block `startLayer` from `start` (B, T, dModel), the hidden state entering it (from
    // blockInputs of an earlier call), instead of at the embeddings; `ids` still give the shape and,
    // with the cache, the positions. Blocks below add nothing to the cache, which then serves this
    // call only. For Integrated Gradients one layer at a time: rows that scale layer l equal the
    // unscaled pass below it.
    int64_t startLayer = 0;
    torch::Tensor start;
    // When given: receives the hidden state entering each block that runs, in order.
    std::vector<torch::Tensor>* blockInputs = nullptr;
};

// Runs `block` on x without keeping its activations for the gradient; the backward pass runs it
// again with gradients on (the random state restored, so dropout draws the same) and passes the
// gradient through. Parameters the block uses receive their gradients as usual. `block` must not
// write state other than its output (hooks that record, caches).
using BlockFn = std::function<torch::Tensor(const torch::Tensor&)>;
torch::Tensor checkpointed(const BlockFn& block, const torch::Tensor& x);

// Runs block on x, checkpointed when args ask for it and gradients are on.
inline torch::Tensor runBlock(const ForwardArgs& args, const BlockFn& block, const torch::Tensor& x) {
    return args.checkpoint && args.cache == nullptr && torch::GradMode::is_enabled() ? checkpointed(block, x)
                                                                                     : block(x);
}

// What a parameter is, for choosing what trains.
struct ParameterRole {
    int64_t layer = -1;  // block index, -1 for embeddings / final norm / head
    bool ffn = false;    // part of a block's feed-forward network
};

class CausalLM : public torch::nn::Module {
public:
    explicit CausalLM(ModelConfig config) : m_config(std::move(config)) {}
    const ModelConfig& config() const { return m_config; }

    // The dtype activations are computed in. Weights may be held narrower (bfloat16 / float16 kept
    // as stored) and are widened layer by layer (see layers.h). Unless set, the dtype of the
    // embedding, so a model converted with to(dtype) computes in that dtype.
    torch::ScalarType computeDtype() { return m_computeDtype.value_or(unembedding().scalar_type()); }
    void setComputeDtype(torch::ScalarType dtype) { m_computeDtype = dtype; }

    // ids (B, T) -> final hidden states (B, T, dModel), after the final norm.
    virtual torch::Tensor hidden(const torch::Tensor& ids, const ForwardArgs& args = {}) = 0;
    // (nVocab, dModel): the head, or the input embedding when tied.
    virtual torch::Tensor unembedding() = 0;

    // hidden (..., dModel) -> logits (..., nVocab), or (..., R) for vocabulary `rows` (R,) only.
    torch::Tensor logits(const torch::Tensor& hidden, const torch::Tensor& rows = {});
    // ids (B, T) -> logits (B, T, nVocab).
    torch::Tensor forward(const torch::Tensor& ids, const ForwardArgs& args = {}) { return logits(hidden(ids, args)); }

    // Checkpoint key -> parameter name; "" for keys to ignore (buffers, a tied head's copy).
    virtual std::string parameterNameFor(const std::string& key) const = 0;
    virtual ParameterRole roleOf(const std::string& parameterName) const = 0;

    // (nNeuron, dModel): what each FFN neuron of `layer` adds to the residual stream per unit of
    // activation (GPT-2: c_proj rows; SwiGLU: down_proj columns).
    virtual torch::Tensor neuronOutputWeights(int64_t layer) = 0;
    // Zeroes the weights that feed and read neurons `index` (K,) of `layer`, so the saved model
    // computes exactly what the masked one does, in any runtime.
    virtual void zeroNeurons(int64_t layer, const torch::Tensor& index) = 0;

private:
    ModelConfig m_config;
    std::optional<torch::ScalarType> m_computeDtype;
};

// Whether parameter `name` trains under rule `rule`: all, ffn (the blocks' feed-forward networks)
// or last:K (the last K blocks and what follows them: final norm, untied head).
bool isTrainableParameter(const CausalLM& model, const std::string& name, const std::string& rule);

// Shared position/mask bookkeeping for a forward call: positions (B, T) of the new tokens and the
// additive attention bias (B, 1, T, S) over cached + new keys.
struct AttentionContext {
    torch::Tensor positions;  // (B, T) int64
    torch::Tensor bias;       // (B, 1, T, S) float, 0 or a large negative number
};
AttentionContext makeAttentionContext(const torch::Tensor& ids, const ForwardArgs& args, int64_t slidingWindow,
                                      torch::ScalarType dtype);

// Appends this layer's new keys/values to the cache (when given) and returns the keys/values to
// attend to: (B, nKvHead, S, headDim). Not for shared-prefix caches (use attendWithCache).
std::pair<torch::Tensor, torch::Tensor> updateCache(KvCache* cache, int64_t layer, const torch::Tensor& k,
                                                    const torch::Tensor& v);
// Appends k, v (B, nKvHead, T, headDim) to the cache (when given) and attends to the cached and
// new keys: q (B, nHead, T, headDim), bias (B, 1, T, S) -> (B, T, nHead * headDim).
torch::Tensor attendWithCache(KvCache* cache, int64_t layer, const torch::Tensor& q, const torch::Tensor& k,
                              const torch::Tensor& v, const torch::Tensor& bias);
// Extends the cache's padding mask with the new tokens' mask (call once per forward, at the end).
void extendCacheMask(KvCache* cache, const torch::Tensor& ids, const torch::Tensor& newMask);

}  // namespace prunescope
