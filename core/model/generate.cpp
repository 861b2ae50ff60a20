#include "core/model/generate.h"

#include "core/util/error.h"

namespace prunescope {

std::vector<int64_t> generateGreedy(CausalLM& model, const std::vector<int64_t>& prompt, int64_t maxNewTokens,
                                    std::optional<int64_t> eosId) {
    if (prompt.empty()) throw Error("", "prompt", "is empty");
    torch::NoGradGuard noGrad;
    const auto device = model.unembedding().device();
    const int64_t nCtx = model.config().nCtx;
    KvCache cache;
    ForwardArgs args;
    args.cache = &cache;
    auto ids = torch::tensor(prompt, torch::kLong).unsqueeze(0).to(device);  // (1, T)
    std::vector<int64_t> out;
    for (int64_t step = 0; step < maxNewTokens; ++step) {
        if (cache.length() + ids.size(1) > nCtx && model.config().traits().learnedPositions) break;
        auto h = model.hidden(ids, args);                        // (1, T, d)
        auto logits = model.logits(h.select(1, h.size(1) - 1));  // (1, V)
        int64_t next = logits.argmax(-1).item<int64_t>();
        out.push_back(next);
        if (eosId && next == *eosId) break;
        ids = torch::full({1, 1}, next, torch::TensorOptions().dtype(torch::kLong).device(device));
    }
    return out;
}

}  // namespace prunescope
