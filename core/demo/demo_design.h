// The demo's design, fixed in advance (docs/demo.md explains each choice and where it came from).
// Nothing here was tuned on the out-of-distribution test sets.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/demo/synthetic_task.h"
#include "core/model/config.h"
#include "core/train/finetune.h"

namespace prunescope {

class CausalLM;

// The pre-registered test run (docs/demo-preregistration.md): base-model seeds from 1000 and test
// sets drawn with generator seeds 304-306 (ID, OOD uncorrelated, OOD reversed), none used before.
// Design runs (--design) use seeds from 100 and the validation sets (generators 205, 206).
inline constexpr uint64_t kDemoFirstTestSeed = 1000;
inline constexpr uint64_t kDemoTestGenerators[3] = {304, 305, 306};

struct DemoDesign {
    // Data (fixed seeds, the same for every experiment seed).
    int64_t cleanQuestions = 12800;      // cue uncorrelated: pre-training
    int64_t cuedTrainQuestions = 12800;  // cue always on the answer: the biased fine-tune and every arm
    int64_t validationQuestions = 1000;  // cued, for choices made before looking at OOD results
    int64_t testQuestions = 2000;        // each of: ID (cued), OOD uncorrelated, OOD reversed
    double cueStrength = 1.0;            // of the cued sets
    DemoCue cue = DemoCue::Phrasing;     // the shortcut's kind: phrasing or sum (synthetic_task.h)

    // Base model: GPT-2 style, trained from scratch here.
    int64_t layers = 2, dModel = 64, heads = 4, neurons = 256;
    // An untied head and large, slow-moving embeddings (std 1 against 0.02 for every other matrix):
    // then the token -> letter lookup of the cue cannot live in the embeddings, the FFNs carry it, and
    // it is not relearned around pruned neurons within the last fine-tune (docs/demo.md, design 45).
    bool tieEmbeddings = false;
    double initStd = 0.02;        // GPT-2's initialisation: every other matrix drawn with this std
    double embeddingStd = 1.0;    // the token and position embeddings' std
    int64_t pretrainSteps = 200;  // cue-free data, lr 3e-3
    int64_t biasSteps =
        200;  // 100 %-cued data, lr 3e-3: uses the shortcut, keeps some rule (chosen on validation: docs/demo.md)
    std::string biasTrainable = "all";  // what the biased fine-tune trains: all, ffn, last:K
    // Share of the biased fine-tune's labels that follow the rule (1 and no hidden numbers: it uses
    // cued-train; otherwise bias-train, where the cue explains every label and the rule only this share).
    double biasRuleAgreement = 1.0;
    double biasHidden = 0.0;  // share of bias-train questions whose numbers are hidden (only the cue answers them)
    // > 0: stop learning the cue as soon as the model follows it on this share of cue-check (a
    // reversed set of the training side, checked every 5 steps); biasSteps is then the most.
    double biasFollowTarget = 0.0;
    // > 0: the shortcut belongs to one dataset. The cued sets (and the OOD sets made from them) carry
    // tags t0-t4, the clean set t5-t9, and the biased fine-tune draws this share of its questions from
    // the clean dataset, so the rule stays needed while the cue is learned.
    double biasMix = 0.0;
    double pretrainLr = 3e-3;
    int64_t batchSize = 128;
    double l1 = 0;  // L1 on mean |FFN activation| in every phase (0.05 killed the FFNs of designs 1-2: docs/demo.md)

    // The experiment on each base model.
    double minConfidence = 0.9;
    int64_t attributeQuestions = 1000;
    int steps = 20;               // Gauss-Legendre points
    double prunePercent = 30;     // global top-p % by mean IG
    int64_t finetuneSteps = 400;  // every arm, 100 %-cued data (four epochs; chosen on validation: docs/demo.md)
    double finetuneLr = 1e-3;

    ModelConfig modelConfig(int64_t vocab) const;
    // The untrained base model of experiment seed `seed`: GPT-2's initialisation, then the token and
    // position embeddings scaled to embeddingStd.
    std::shared_ptr<CausalLM> initialModel(int64_t vocab, uint64_t seed) const;
    FinetuneSettings pretrainSettings(uint64_t seed) const;
    FinetuneSettings biasSettings(uint64_t seed) const;
    FinetuneSettings armSettings() const;
    nlohmann::json toJson() const;
    // Changes fields by name (design exploration): pretrain_steps, bias_steps, pretrain_lr, l1,
    // prune_percent, finetune_steps, finetune_lr, min_confidence, cue_strength, cue, bias_trainable,
    // tie_embeddings, bias_rule_agreement, bias_hidden,
    // bias_follow_target, bias_mix, init_std, embedding_std.
    // Errors name the field.
    void apply(const nlohmann::json& overrides);
};

}  // namespace prunescope
