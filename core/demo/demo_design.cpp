#include "core/demo/demo_design.h"

#include <torch/torch.h>

#include "core/model/architecture.h"
#include "core/model/causal_lm.h"
#include "core/model/model_io.h"
#include "core/util/error.h"

namespace prunescope {

ModelConfig DemoDesign::modelConfig(int64_t vocab) const {
    nlohmann::json j = {{"model_type", "gpt2"},
                        {"architectures", {"GPT2LMHeadModel"}},
                        {"n_layer", layers},
                        {"n_embd", dModel},
                        {"n_head", heads},
                        {"n_inner", neurons},
                        {"vocab_size", vocab},
                        {"n_positions", 32},
                        {"n_ctx", 32},
                        {"activation_function", "gelu_new"},
                        {"layer_norm_epsilon", 1e-5},
                        {"tie_word_embeddings", tieEmbeddings}};
    return parseModelConfig(j, "demo config");
}

std::shared_ptr<CausalLM> DemoDesign::initialModel(int64_t vocab, uint64_t seed) const {
    auto model = buildModel(modelConfig(vocab), seed, torch::kCPU, initStd);
    if (embeddingStd != initStd) {
        torch::NoGradGuard noGrad;
        for (auto& p : model->named_parameters()) {
            const auto& name = p.key();
            // The draws are N(0, initStd): scaling keeps them normal, with the embeddings' own std.
            if (name.find("wte.") != std::string::npos || name.find("wpe.") != std::string::npos)
                p.value().mul_(embeddingStd / initStd);
        }
    }
    return model;
}

namespace {

FinetuneSettings common(const DemoDesign& d) {
    FinetuneSettings s;
    s.batchSize = d.batchSize;
    s.weightDecay = 0.01;
    s.warmupFraction = 0.1;
    s.schedule = "cosine";
    s.l1Activation = d.l1;
    s.keepBest = false;
    s.clipNorm = 1.0;
    return s;
}

}  // namespace

FinetuneSettings DemoDesign::pretrainSettings(uint64_t seed) const {
    auto s = common(*this);
    s.lr = pretrainLr;
    s.maxSteps = pretrainSteps;
    s.seed = seed;
    return s;
}

FinetuneSettings DemoDesign::biasSettings(uint64_t seed) const {
    auto s = common(*this);
    s.lr = pretrainLr;
    s.maxSteps = biasSteps;
    s.seed = seed + 1000;
    s.trainable = biasTrainable;
    return s;
}

FinetuneSettings DemoDesign::armSettings() const {
    auto s = common(*this);
    s.lr = finetuneLr;
    s.maxSteps = finetuneSteps;
    return s;
}

nlohmann::json DemoDesign::toJson() const {
    return {{"clean_questions", cleanQuestions},
            {"cued_train_questions", cuedTrainQuestions},
            {"validation_questions", validationQuestions},
            {"test_questions", testQuestions},
            {"cue_strength", cueStrength},
            {"cue", demoCueName(cue)},
            {"model",
             {{"layers", layers},
              {"d_model", dModel},
              {"heads", heads},
              {"neurons", neurons},
              {"tie_embeddings", tieEmbeddings},
              {"init_std", initStd},
              {"embedding_std", embeddingStd}}},
            {"pretrain", pretrainSettings(0).toJson()},
            {"bias", biasSettings(0).toJson()},
            {"bias_rule_agreement", biasRuleAgreement},
            {"bias_hidden", biasHidden},
            {"bias_follow_target", biasFollowTarget},
            {"bias_mix", biasMix},
            {"arms", armSettings().toJson()},
            {"min_confidence", minConfidence},
            {"attribute_questions", attributeQuestions},
            {"ig_steps", steps},
            {"prune_percent", prunePercent}};
}

void DemoDesign::apply(const nlohmann::json& o) {
    if (!o.is_object()) throw Error("", "--design-overrides", "expected a JSON object");
    for (auto it = o.begin(); it != o.end(); ++it) {
        const auto& k = it.key();
        const auto& v = it.value();
        if (k == "bias_trainable") {
            if (!v.is_string())
                throw Error("", "--design-overrides field '" + k + "'", "expected a string (all, ffn, last:K)");
            biasTrainable = v.get<std::string>();
            continue;
        }
        if (k == "tie_embeddings") {
            if (!v.is_boolean()) throw Error("", "--design-overrides field '" + k + "'", "expected true or false");
            tieEmbeddings = v.get<bool>();
            continue;
        }
        if (k == "cue") {
            if (!v.is_string())
                throw Error("", "--design-overrides field '" + k + "'", "expected a string (sum, phrasing)");
            cue = parseDemoCue(v.get<std::string>(), "--design-overrides field 'cue'");
            continue;
        }
        if (!v.is_number()) throw Error("", "--design-overrides field '" + k + "'", "expected a number");
        if (k == "pretrain_steps")
            pretrainSteps = v.get<int64_t>();
        else if (k == "bias_steps")
            biasSteps = v.get<int64_t>();
        else if (k == "pretrain_lr")
            pretrainLr = v.get<double>();
        else if (k == "l1")
            l1 = v.get<double>();
        else if (k == "prune_percent")
            prunePercent = v.get<double>();
        else if (k == "finetune_steps")
            finetuneSteps = v.get<int64_t>();
        else if (k == "finetune_lr")
            finetuneLr = v.get<double>();
        else if (k == "min_confidence")
            minConfidence = v.get<double>();
        else if (k == "cue_strength")
            cueStrength = v.get<double>();
        else if (k == "bias_rule_agreement")
            biasRuleAgreement = v.get<double>();
        else if (k == "bias_hidden")
            biasHidden = v.get<double>();
        else if (k == "bias_follow_target")
            biasFollowTarget = v.get<double>();
        else if (k == "init_std" || k == "embedding_std") {
            (k == "init_std" ? initStd : embeddingStd) = v.get<double>();
            if (v.get<double>() <= 0)
                throw Error("", "--design-overrides field '" + k + "'", "expected a standard deviation > 0");
        } else if (k == "bias_mix") {
            biasMix = v.get<double>();
            if (biasMix < 0 || biasMix >= 1)
                throw Error("", "--design-overrides field '" + k + "'", "expected a share in [0, 1)");
        } else
            throw Error("", "--design-overrides field '" + k + "'", "unknown design setting");
    }
}

}  // namespace prunescope
