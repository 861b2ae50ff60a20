#include "core/train/finetune.h"

#include <cmath>

#include <torch/torch.h>

#include "core/model/causal_lm.h"
#include "core/prune/neuron_mask.h"
#include "core/train/checkpoint.h"
#include "core/train/loss.h"
#include "core/util/error.h"
#include "core/util/log.h"

namespace prunescope {
namespace {

// The data order of an epoch: a Fisher-Yates shuffle with our own draw (portable across
// standard libraries, so a resumed run sees the same batches).
std::vector<size_t> epochOrder(size_t n, uint64_t seed, int64_t epoch) {
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = i;
    uint64_t state = seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(epoch) + 1;
    auto next = [&] {  // SplitMix64
        uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    };
    for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[next() % i]);
    return order;
}

double learningRate(const FinetuneSettings& s, int64_t step, int64_t total) {
    const auto warmup = static_cast<int64_t>(std::llround(s.warmupFraction * static_cast<double>(total)));
    if (step < warmup) return s.lr * static_cast<double>(step + 1) / static_cast<double>(warmup);
    if (s.schedule == "constant") return s.lr;
    double progress = total > warmup ? static_cast<double>(step - warmup) / static_cast<double>(total - warmup) : 1.0;
    if (s.schedule == "linear") return s.lr * (1.0 - progress);
    return s.lr * 0.5 * (1.0 + std::cos(M_PI * progress));
}

// Copies of the trained tensors that can change (undefined for frozen ones), aligned with
// `trained`: keep-best costs the trainable bytes only.
std::vector<torch::Tensor> snapshot(const NamedTensors& trained) {
    std::vector<torch::Tensor> values;
    for (const auto& p : trained)
        values.push_back(p.second.requires_grad() ? p.second.detach().clone() : torch::Tensor());
    return values;
}

void restore(const NamedTensors& trained, const std::vector<torch::Tensor>& values) {
    torch::NoGradGuard noGrad;
    for (size_t i = 0; i < trained.size(); ++i) {
        if (values[i].defined()) trained[i].second.copy_(values[i]);
    }
}

// Adapters left on the model by an exception (a cancel) are removed; merged ones are gone already.
struct DetachOnExit {
    LoraAttachment& lora;
    ~DetachOnExit() { detachLora(lora); }
};

// However training ends (finished, stopped, cancelled, failed), the model is left frozen and
// without gradient buffers: they are as large as the trainable weights, and a model kept after a
// run (the pipeline evaluates it, the GUI keeps it open) would hold them for nothing.
struct FreezeOnExit {
    CausalLM& model;
    ~FreezeOnExit() {
        for (auto& p : model.parameters()) {
            p.mutable_grad() = torch::Tensor();
            p.set_requires_grad(false);
        }
    }
};

// Training cannot go on from a NaN or Inf: every weight it reaches becomes NaN. Names the step
// and the questions of its batch (indices into the training items).
Error nonFinite(const std::string& what, int64_t step, const std::vector<size_t>& questions) {
    std::string list;
    for (size_t i = 0; i < questions.size() && i < 16; ++i) list += (i ? ", " : "") + std::to_string(questions[i]);
    if (questions.size() > 16) list += ", ...";
    return Error("", "fine-tuning step " + std::to_string(step),
                 "the " + what + " is not finite (NaN or Inf) on training questions " + list,
                 "lower the learning rate (setting 'lr'), clip the gradients (setting 'clip_norm'), or compute in "
                 "float32 (setting 'dtype')");
}

}  // namespace

double maskedAccuracy(CausalLM& model, const std::vector<ScoringItem>& items, const NeuronMask* mask, ScoringMode mode,
                      int64_t batchSize, const CancelFlag* cancel, const ProgressFn& progress) {
    if (items.empty()) return 0;
    NeuronHook hook(model.config().nLayer);
    if (mask != nullptr) mask->applyTo(hook, model.unembedding().device());
    ScoringOptions options;
    options.mode = mode;
    options.batchSize = batchSize;
    options.hook = &hook;
    auto scores = scoreItems(model, items, options, progress, cancel);
    return summarize(scores).accuracy;
}

FinetuneResult finetune(CausalLM& model, const std::vector<ScoringItem>& train,
                        const std::vector<ScoringItem>& validation, const NeuronMask* mask, const FinetuneSettings& s,
                        const TrainCallback& callback, const CancelFlag* cancel, const StopCondition& stopWhen,
                        const ProgressFn& validating) {
    if (train.empty()) throw Error("", "fine-tuning", "no training questions");
    if (s.batchSize < 1 || s.gradAccum < 1)
        throw Error("", "field 'batch_size'", "batch size and accumulation must be >= 1");
    const auto& config = model.config();
    if (mask != nullptr) checkMaskFits(*mask, config.nLayer, config.nNeuron, "mask");
    if (s.checkpointActivations && s.l1Activation > 0) {
        throw Error("", "field 'checkpoint_activations'", "cannot be combined with an L1 activation penalty",
                    "the penalty reads the recorded activations, which checkpointing does not keep");
    }
    torch::AutoGradMode gradMode(true);
    NeuronHook hook(config.nLayer);
    if (mask != nullptr) mask->applyTo(hook, model.unembedding().device());

    // Trainable parameters: weight decay on matrices only. With LoRA: the adapters, nothing else.
    // Trainable weights held in bfloat16 / float16 (kept as stored, or a narrow compute dtype)
    // train as float32 masters (AdamW's updates vanish in bfloat16) that the layers narrow for
    // each product; frozen ones stay as they are held.
    std::vector<torch::Tensor> decay, noDecay;
    NamedTensors trained;  // what checkpoints and keep-best hold
    FreezeOnExit freezeOnExit{model};
    LoraAttachment lora;
    DetachOnExit detachOnExit{lora};
    if (s.lora.enabled()) {
        if (s.trainable != "all") {
            throw Error("", "field 'trainable'", "LoRA trains the adapters only",
                        "leave trainable at all, or lora_rank at 0");
        }
        for (auto& p : model.parameters()) p.set_requires_grad(false);
        lora = attachLora(model, s.lora, s.seed);
        decay = lora.parameters();
        trained = lora.namedParameters();
    } else {
        for (auto& p : model.named_parameters()) {
            bool on = isTrainableParameter(model, p.key(), s.trainable);
            if (on && (p.value().scalar_type() == torch::kBFloat16 || p.value().scalar_type() == torch::kHalf)) {
                torch::NoGradGuard noGrad;
                p.value().set_data(p.value().to(torch::kFloat));
            }
            p.value().set_requires_grad(on);
            if (on) (p.value().dim() >= 2 ? decay : noDecay).push_back(p.value());
            trained.emplace_back(p.key(), p.value());
        }
    }
    if (decay.empty() && noDecay.empty()) throw Error("", "field 'trainable'", "selects no parameters");
    auto options = torch::optim::AdamWOptions(s.lr).betas({s.beta1, s.beta2}).eps(s.eps);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(
                                   torch::optim::AdamWOptions(options).weight_decay(s.weightDecay)));
    groups.emplace_back(
        noDecay, std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(options).weight_decay(0.0)));
    torch::optim::AdamW optimizer(groups, options);

    const auto perStep = static_cast<size_t>(s.batchSize * s.gradAccum);
    const int64_t stepsPerEpoch = std::max<int64_t>(1, static_cast<int64_t>((train.size() + perStep - 1) / perStep));
    const int64_t total = s.maxSteps > 0 ? s.maxSteps : stepsPerEpoch * s.epochs;

    TrainerState state;
    std::vector<torch::Tensor> best;
    if (s.resume && !std::filesystem::exists(s.checkpointDir / "state.json")) {
        log::get("train")->info("no checkpoint at {}: starting from the beginning", s.checkpointDir.string());
    } else if (s.resume) {
        state = loadCheckpoint(s.checkpointDir, trained, optimizer, best, s.toJson());
        log::get("train")->info("resuming at step {} of {}", state.step, total);
    }
    std::vector<torch::Tensor> trainableParams = decay;
    trainableParams.insert(trainableParams.end(), noDecay.begin(), noDecay.end());

    EtaClock clock;
    const int64_t firstStep = state.step;
    auto evaluate = [&]() {
        model.eval();
        ProgressFn report;
        if (validating) {
            const std::string stage = "validation at step " + std::to_string(state.step);
            report = [&validating, stage](Progress p) {
                p.stage = stage;
                validating(p);
            };
        }
        double acc = maskedAccuracy(model, validation, mask, s.mode, s.batchSize, cancel, report);
        if (acc > state.bestAccuracy) {
            state.bestAccuracy = acc;
            state.bestStep = state.step;
            if (s.keepBest) best = snapshot(trained);
            state.evalsWithoutGain = 0;
        } else {
            ++state.evalsWithoutGain;
        }
        return acc;
    };
    bool stop = false;
    while (state.step < total && !stop) {
        auto order = epochOrder(train.size(), s.seed, state.epoch);
        size_t position = static_cast<size_t>(state.position);
        while (position < order.size() && state.step < total) {
            throwIfCancelled(cancel);
            const double lr = learningRate(s, state.step, total);
            for (auto& g : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
            optimizer.zero_grad();
            double stepLoss = 0;
            int64_t micro = 0;
            std::vector<size_t> stepQuestions;  // to name them if the step goes wrong
            for (; micro < s.gradAccum && position < order.size(); ++micro) {
                std::vector<const ScoringItem*> batch;
                for (size_t j = 0; j < static_cast<size_t>(s.batchSize) && position < order.size(); ++j) {
                    stepQuestions.push_back(order[position]);
                    batch.push_back(&train[order[position++]]);
                }
                auto loss = questionLoss(model, batch, s.mode, hook, s.l1Activation, s.checkpointActivations);
                const double value = loss.item<double>();
                if (!std::isfinite(value)) throw nonFinite("loss", state.step + 1, stepQuestions);
                (loss / static_cast<double>(s.gradAccum)).backward();
                stepLoss += value;
            }
            // The gradients' norm: NaN or Inf when any gradient is (taken whether or not it clips).
            const double gradNorm =
                torch::nn::utils::clip_grad_norm_(trainableParams, s.clipNorm > 0 ? s.clipNorm : INFINITY);
            if (!std::isfinite(gradNorm)) throw nonFinite("gradient", state.step + 1, stepQuestions);
            optimizer.step();
            ++state.step;
            state.position = static_cast<int64_t>(position);
            TrainPoint point{state.step, total, state.epoch, stepLoss / static_cast<double>(micro), lr, {}, -1};
            const bool last = state.step == total;
            if (!validation.empty() && ((s.evalEvery > 0 && state.step % s.evalEvery == 0) || last)) {
                point.validationAccuracy = evaluate();
                model.train();
                if (s.patience > 0 && state.evalsWithoutGain >= s.patience) {
                    state.stoppedEarly = true;
                    stop = true;
                }
            }
            point.etaSeconds = clock.eta(state.step - firstStep, total - firstStep);
            state.history.push_back(point);
            if (callback) callback(point);
            if (stopWhen && stopWhen(point) && !last) {
                state.stoppedEarly = true;
                stop = true;
            }
            if (s.checkpointEvery > 0 && state.step % s.checkpointEvery == 0 && !last && !stop) {
                saveCheckpoint(s.checkpointDir, trained, optimizer, best, state, s.toJson());
            }
            if (stop) break;
        }
        if (position >= order.size()) {
            ++state.epoch;
            state.position = 0;
        }
    }
    if (s.keepBest && !best.empty()) restore(trained, best);
    for (auto& p : model.parameters()) p.set_requires_grad(false);  // before merging into them
    model.eval();

    FinetuneResult result;
    if (s.lora.enabled()) {
        result.adapter = loraWeights(lora, mask);
        mergeLora(lora, model, mask);
    }
    result.history = state.history;
    result.steps = state.step;
    result.bestStep = state.bestStep;
    result.bestValidationAccuracy = state.bestAccuracy;
    result.stoppedEarly = state.stoppedEarly;
    return result;
}

PlanSettings finetunePlanSettings(const FinetuneSettings& settings, const std::string& modelType, bool withValidation) {
    PlanSettings plan;
    plan.job = PlanJob::Finetune;
    plan.batchSize = settings.batchSize;
    plan.trainable = settings.trainable;
    if (settings.lora.enabled()) {
        plan.loraRank = settings.lora.rank;
        plan.loraTargets = resolveLoraTargets(settings.lora.targets, modelType);
    }
    plan.checkpointActivations = settings.checkpointActivations;
    plan.keepBest = settings.keepBest && withValidation;
    return plan;
}

}  // namespace prunescope
