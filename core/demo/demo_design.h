// The demo's design, fixed in advance (docs/demo.md explains each choice and where it came from).
// Nothing here was tuned on the out-of-distribution test sets.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/demo/synthetic_task.h"
#include "core/model/config.h"
#include "core/train/finetune.h"

namespace prunescope {

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
    bool tieEmbeddings = true;     // GPT-2's tied input and output embeddings
    int64_t pretrainSteps = 200;   // cue-free data, lr 3e-3
    int64_t biasSteps = 100;       // 100 %-cued data, lr 3e-3: uses the shortcut, keeps some rule (chosen on validation: docs/demo.md)
    std::string biasTrainable = "all";  // what the biased fine-tune trains: all, ffn, last:K
    // Share of the biased fine-tune's labels that follow the rule (1 and no hidden numbers: it uses
    // cued-train; otherwise bias-train, where the cue explains every label and the rule only this share).
    double biasRuleAgreement = 1.0;
    double biasHidden = 0.0;  // share of bias-train questions whose numbers are hidden (only the cue answers them)
    // > 0: stop learning the cue as soon as the model follows it on this share of cue-check (a
    // reversed set of the training side, checked every 5 steps); biasSteps is then the most.
    double biasFollowTarget = 0.0;
    double pretrainLr = 3e-3;
    int64_t batchSize = 128;
    double l1 = 0;                 // L1 on mean |FFN activation| in every phase (0.05 killed the FFNs: docs/demo.md)

    // The experiment on each base model.
    double minConfidence = 0.9;
    int64_t attributeQuestions = 1000;
    int steps = 20;                // Gauss-Legendre points
    double prunePercent = 30;      // global top-p % by mean IG
    int64_t finetuneSteps = 100;   // every arm, 100 %-cued data (one epoch; chosen on validation: docs/demo.md)
    double finetuneLr = 1e-3;

    ModelConfig modelConfig(int64_t vocab) const;
    FinetuneSettings pretrainSettings(uint64_t seed) const;
    FinetuneSettings biasSettings(uint64_t seed) const;
    FinetuneSettings armSettings() const;
    nlohmann::json toJson() const;
    // Changes fields by name (design exploration): pretrain_steps, bias_steps, pretrain_lr, l1,
    // prune_percent, finetune_steps, finetune_lr, min_confidence, cue_strength, cue, bias_trainable,
    // tie_embeddings, bias_rule_agreement, bias_hidden,
    // bias_follow_target.
    // Errors name the field.
    void apply(const nlohmann::json& overrides);
};

}  // namespace prunescope
