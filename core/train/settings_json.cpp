// FinetuneSettings and FinetuneResult as JSON (experiment configs, prunescope.json, checkpoints).
#include "core/train/checkpoint.h"
#include "core/train/finetune.h"
#include "core/util/error.h"

namespace prunescope {

nlohmann::json FinetuneSettings::toJson() const {
    nlohmann::json j = {{"scoring", scoringModeName(mode)},
                        {"lr", lr},
                        {"weight_decay", weightDecay},
                        {"betas", {beta1, beta2}},
                        {"eps", eps},
                        {"schedule", schedule},
                        {"warmup_fraction", warmupFraction},
                        {"batch_size", batchSize},
                        {"grad_accum", gradAccum},
                        {"clip_norm", clipNorm},
                        {"epochs", epochs},
                        {"max_steps", maxSteps},
                        {"seed", seed},
                        {"trainable", trainable},
                        {"eval_every", evalEvery},
                        {"keep_best", keepBest},
                        {"patience", patience},
                        {"l1_activation", l1Activation},
                        {"checkpoint_every", checkpointEvery},
                        {"checkpoint_dir", checkpointDir.string()},
                        {"resume", resume}};
    // Only when on: it changes the memory, never the result, so runs cached without it still match.
    if (checkpointActivations) j["checkpoint_activations"] = true;
    j.update(lora.toJson());  // empty when LoRA is off, for the same reason
    return j;
}

FinetuneSettings FinetuneSettings::fromJson(const nlohmann::json& j, const std::string& where) {
    FinetuneSettings s;
    if (!j.is_object()) throw Error(where, "", "fine-tuning settings must be an object");
    static const char* known[] = {"scoring",
                                  "lr",
                                  "weight_decay",
                                  "betas",
                                  "eps",
                                  "schedule",
                                  "warmup_fraction",
                                  "batch_size",
                                  "grad_accum",
                                  "clip_norm",
                                  "epochs",
                                  "max_steps",
                                  "seed",
                                  "trainable",
                                  "eval_every",
                                  "keep_best",
                                  "patience",
                                  "l1_activation",
                                  "checkpoint_every",
                                  "checkpoint_dir",
                                  "resume",
                                  "checkpoint_activations",
                                  "lora_rank",
                                  "lora_alpha",
                                  "lora_dropout",
                                  "lora_targets"};
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (std::find(std::begin(known), std::end(known), it.key()) == std::end(known)) {
            throw Error(where, "field '" + it.key() + "'", "unknown fine-tuning setting");
        }
    }
    auto number = [&](const char* key, double fallback) {
        if (!j.contains(key)) return fallback;
        if (!j[key].is_number()) throw Error(where, std::string("field '") + key + "'", "expected a number");
        return j[key].get<double>();
    };
    // A setting declared in core/settings/train_settings.h, range-checked.
    auto real = [&](const RealSetting& setting, double fallback) {
        const double v = number(setting.key, fallback);
        if (auto problem = outOfRange(setting, v); !problem.empty())
            throw Error(where, std::string("field '") + setting.key + "'", problem);
        return v;
    };
    auto integer = [&](const char* key, int64_t fallback, int64_t minimum) {
        if (!j.contains(key)) return fallback;
        if (!j[key].is_number_integer()) throw Error(where, std::string("field '") + key + "'", "expected an integer");
        auto v = j[key].get<int64_t>();
        if (v < minimum)
            throw Error(where, std::string("field '") + key + "'", "must be >= " + std::to_string(minimum));
        return v;
    };
    if (j.contains("scoring")) s.mode = parseScoringMode(j["scoring"].get<std::string>());
    using namespace settings;
    s.lr = real(kLearningRate, s.lr);
    s.weightDecay = real(kWeightDecay, s.weightDecay);
    if (j.contains("betas")) {
        if (!j["betas"].is_array() || j["betas"].size() != 2)
            throw Error(where, "field 'betas'", "expected [beta1, beta2]");
        s.beta1 = j["betas"][0].get<double>();
        s.beta2 = j["betas"][1].get<double>();
    }
    s.eps = number("eps", s.eps);
    s.schedule = j.value("schedule", s.schedule);
    if (s.schedule != "constant" && s.schedule != "linear" && s.schedule != "cosine") {
        throw Error(where, "field 'schedule'", "unknown schedule '" + s.schedule + "'",
                    "use constant, linear or cosine");
    }
    s.warmupFraction = real(kWarmupFraction, s.warmupFraction);
    s.batchSize = integer(kTrainBatchSize.key, s.batchSize, kTrainBatchSize.min);
    s.gradAccum = integer(kGradAccum.key, s.gradAccum, kGradAccum.min);
    s.clipNorm = real(kClipNorm, s.clipNorm);
    s.epochs = integer(kEpochs.key, s.epochs, kEpochs.min);
    s.maxSteps = integer(kMaxSteps.key, s.maxSteps, kMaxSteps.min);
    s.seed = static_cast<uint64_t>(integer(kTrainSeed.key, static_cast<int64_t>(s.seed), kTrainSeed.min));
    s.trainable = j.value("trainable", s.trainable);
    s.evalEvery = integer(kEvalEvery.key, s.evalEvery, kEvalEvery.min);
    s.keepBest = j.value("keep_best", s.keepBest);
    s.patience = integer(kPatience.key, s.patience, kPatience.min);
    s.l1Activation = real(kL1Activation, s.l1Activation);
    s.checkpointEvery = integer("checkpoint_every", s.checkpointEvery, 0);
    s.checkpointDir = j.value("checkpoint_dir", std::string());
    s.resume = j.value("resume", false);
    s.checkpointActivations = j.value("checkpoint_activations", false);
    s.lora = LoraSettings::fromJson(j, where);
    if (s.lora.enabled() && s.trainable != "all") {
        throw Error(where, "field 'trainable'", "LoRA (lora_rank > 0) trains the adapters only",
                    "leave trainable at all, or lora_rank at 0");
    }
    return s;
}

nlohmann::json FinetuneResult::toJson() const {
    nlohmann::json h = nlohmann::json::array();
    for (const auto& p : history) h.push_back(trainPointJson(p));
    return {{"steps", steps},
            {"best_step", bestStep},
            {"best_validation_accuracy", bestValidationAccuracy},
            {"stopped_early", stoppedEarly},
            {"history", h}};
}

}  // namespace prunescope
