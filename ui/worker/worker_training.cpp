// EngineWorker: ablation preview, fine-tuning runs (plain and pruned arms), experiment and demo.
#include <torch/torch.h>

#include "core/demo/demo.h"
#include "core/model/model_io.h"
#include "core/model/neuron_hook.h"
#include "core/pipeline/experiment.h"
#include "core/prune/activation_stats.h"
#include "core/prune/selection.h"
#include "core/train/pruned_model_io.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/log.h"
#include "ui/worker/engine_worker.h"
#include "ui/worker/progress_throttle.h"
#include "ui/worker/worker_state.h"

namespace prunescope::ui {
namespace {

constexpr size_t kMagnitudeQuestions = 256;  // when no questions were attributed

WorkerDataset& validationSet(EngineWorker::State& s) {
    auto* set = s.firstWithRole("validation");
    if (set == nullptr) set = s.firstWithRole("test");
    if (set == nullptr) {
        throw Error("", "", "no validation questions",
                    "add a training dataset (its validation split is used) or a test dataset");
    }
    s.ensureItems(*set);
    return *set;
}

// Accuracy and mean confidence of `items` with `mask` (may be null) applied.
DatasetAccuracy evaluate(CausalLM& model, const WorkerDataset& set, const NeuronMask* mask, ScoringMode mode,
                         const CancelFlag* cancel, const ProgressFn& progress = {}) {
    NeuronHook hook(model.config().nLayer);
    if (mask != nullptr) mask->applyTo(hook, model.unembedding().device());
    ScoringOptions options;
    options.mode = mode;
    options.hook = &hook;
    const auto summary = summarize(scoreItems(model, set.items, options, progress, cancel));
    return {set.info.name, set.info.role == "ood" ? "ood" : "id", summary.accuracy, summary.meanConfidence};
}

// The logits (float32, on the CPU) of `ids` with `mask` (may be null) applied through the hook.
torch::Tensor maskedLogits(CausalLM& model, const torch::Tensor& ids, const NeuronMask* mask) {
    NeuronHook hook(model.config().nLayer);
    if (mask != nullptr) mask->applyTo(hook, model.unembedding().device());
    ForwardArgs args;
    args.hook = &hook;
    return model.forward(ids.to(model.unembedding().device()), args).to(torch::kCPU, torch::kFloat);
}

}  // namespace

void EngineWorker::preview(uint64_t generation, const NeuronMask& mask, bool allSets, const CancelFlag* cancel) {
    runTask(Task::Preview, [&] {
        throwIfCancelled(cancel);  // a newer preview was requested while this one waited
        auto& s = *m_state;
        s.requireModel();
        auto& set = validationSet(s);
        checkMaskFits(mask, s.model->config().nLayer, s.model->config().nNeuron, "selection");
        EtaClock clock;
        // Each pass reports question by question, with its ETA.
        auto pass = [this](const WorkerDataset& d, bool masked) {
            return progressFor(Task::Preview, masked ? tr("ablation preview: %1 with the mask").arg(d.info.name)
                                                     : tr("ablation preview: %1 without the mask").arg(d.info.name));
        };
        if (!s.previewBase) {
            s.previewBase = maskedAccuracy(*s.model, set.items, nullptr, s.scoringMode(), 8, cancel, pass(set, false));
        }
        PreviewResult result;
        result.generation = generation;
        result.dataset = set.info.name;
        result.baseAccuracy = *s.previewBase;
        result.maskedAccuracy = maskedAccuracy(*s.model, set.items, &mask, s.scoringMode(), 8, cancel, pass(set, true));
        result.pruned = mask.count();
        result.questions = int(set.items.size());
        for (auto& d : s.datasets) {
            if (!allSets || (d.info.role != "test" && d.info.role != "ood")) continue;
            s.ensureItems(d);
            PreviewResult::Set r{d.info.name, d.info.role, 0, 0, int(d.items.size())};
            // The base model's accuracy: its scores when the set is scored, else one pass.
            r.baseAccuracy =
                d.scores.size() == d.items.size() && !d.scores.empty()
                    ? summarize(d.scores).accuracy
                    : maskedAccuracy(*s.model, d.items, nullptr, s.scoringMode(), 8, cancel, pass(d, false));
            r.maskedAccuracy = maskedAccuracy(*s.model, d.items, &mask, s.scoringMode(), 8, cancel, pass(d, true));
            result.others.push_back(r);
        }
        result.seconds = clock.elapsedSeconds();
        emit previewFinished(result);
    });
}

void EngineWorker::finetune(const FinetuneRequest& r, const CancelFlag* cancel) {
    runTask(Task::Finetune, [&] {
        auto& s = *m_state;
        s.requireModel();
        auto* train = s.firstWithRole("train");
        if (train == nullptr) throw Error("", "", "no training dataset", "add a dataset with the role 'train'");
        s.ensureItems(*train);
        std::vector<ScoringItem> validation;
        if (auto* v = s.firstWithRole("validation")) {
            s.ensureItems(*v);
            validation = v->items;
        }
        const auto& c = s.model->config();
        // The arm's mask: none, the IG selection, or a baseline with the same per-layer counts.
        std::optional<NeuronMask> mask;
        if (r.arm != "plain") {
            if (r.selection.count() == 0) {
                throw Error("", "arm '" + r.arm.toStdString() + "'", "the selection is empty",
                            "select neurons on the Select panel first");
            }
            checkMaskFits(r.selection, c.nLayer, c.nNeuron, "selection");
            if (r.arm == "ig") {
                mask = r.selection;
            } else if (r.arm == "random") {
                mask = randomLike(r.selection, uint64_t(r.seed));
            } else if (r.arm == "magnitude") {
                if (!s.magnitude.defined()) {
                    std::vector<size_t> indices;
                    if (s.aggregate && s.attributionDataset == train->info.name.toStdString()) {
                        for (size_t i : s.attributedIndices)
                            if (i < train->items.size()) indices.push_back(i);
                    }
                    if (indices.empty())
                        for (size_t i = 0; i < std::min(train->items.size(), kMagnitudeQuestions); ++i)
                            indices.push_back(i);
                    s.magnitude = meanAbsActivation(*s.model, train->items, indices, settings::kScoringBatchSize.value,
                                                    progressFor(Task::Finetune), cancel);
                }
                mask = magnitudeLike(r.selection, s.magnitude);
            } else {
                throw Error("", "arm", "unknown arm '" + r.arm.toStdString() + "'", "plain, ig, random or magnitude");
            }
        }
        RunResult result;
        result.arm = r.arm;
        result.seed = r.seed;
        result.pruned = mask ? mask->count() : 0;
        // The sets the report compares on: the base model's accuracy first (cached scores).
        std::vector<WorkerDataset*> evalSets;
        for (auto& d : s.datasets)
            if (d.info.role == "test" || d.info.role == "ood") evalSets.push_back(&d);
        for (auto* d : evalSets) {
            s.ensureItems(*d);
            if (d->scores.empty()) {
                ScoringOptions options;
                options.mode = s.scoringMode();
                d->scores = scoreItems(*s.model, d->items, options, progressFor(Task::Score), cancel);
                d->partial.clear();
            }
            const auto summary = summarize(d->scores);
            result.base.push_back(
                {d->info.name, d->info.role == "ood" ? "ood" : "id", summary.accuracy, summary.meanConfidence});
        }
        const QString label = QStringLiteral("%1 seed %2").arg(r.arm).arg(r.seed);
        // Each stage says what it does: loading, training (steps), validation (questions),
        // the test and OOD sets (questions), saving. A stage of its own never looks stuck.
        auto stage = [this, label](const QString& what) {
            return progressFor(Task::Finetune, tr("%1 — %2").arg(label, what));  // what: %1 is the core's stage
        };
        // Train a fresh copy: the base model stays as it is for the other arms.
        emit progressChanged({Task::Finetune, tr("%1 — loading a fresh copy of the model").arg(label), 0, 0, -1});
        auto model = prunescope::loadModel(s.modelDir, {s.device, s.dtype});
        FinetuneSettings settings = r.settings;
        settings.seed = uint64_t(r.seed);
        settings.mode = s.scoringMode();
        ProgressThrottle progress(50);
        auto callback = [&](const TrainPoint& p) {
            TrainPointValue v;
            v.runLabel = label;
            v.step = p.step;
            v.totalSteps = p.totalSteps;
            v.loss = p.loss;
            v.lr = p.lr;
            v.validationAccuracy = p.validationAccuracy.value_or(-1.0);
            v.etaSeconds = p.etaSeconds;
            emit trainPointChanged(v);
            if (progress.ready(p.step, p.totalSteps)) {
                emit progressChanged({Task::Finetune,
                                      tr("%1 — training, step %2 of %3").arg(label).arg(p.step).arg(p.totalSteps),
                                      p.step, p.totalSteps, p.etaSeconds});
            }
        };
        auto trained = prunescope::finetune(*model, train->items, validation, mask ? &*mask : nullptr, settings,
                                            callback, cancel, {}, stage(QStringLiteral("%1")));
        result.steps = trained.steps;
        result.bestValidationAccuracy = trained.bestValidationAccuracy;
        torch::NoGradGuard noGrad;
        for (auto* d : evalSets) {
            result.results.push_back(evaluate(*model, *d, mask ? &*mask : nullptr, s.scoringMode(), cancel,
                                              stage(tr("evaluating on %1").arg(d->info.name))));
        }
        log::get("gui")->info("fine-tuned {}: {} steps, best validation accuracy {:.3f}", label.toStdString(),
                              trained.steps, trained.bestValidationAccuracy);
        if (!r.saveTo.isEmpty()) {
            throwIfCancelled(cancel);
            emit progressChanged({Task::Finetune, tr("%1 — saving to %2").arg(label, r.saveTo), 0, 0, -1});
            const std::filesystem::path dir = r.saveTo.toStdString();
            const auto probe = torch::tensor(train->items.front().context, torch::kLong).unsqueeze(0);
            const auto before = maskedLogits(*model, probe, mask ? &*mask : nullptr);
            ModelSaveOptions save;
            save.copyFilesFrom = s.modelDir;
            // prunescope.json is written inside the folder before it appears (its "mask" filled in).
            const auto saved = savePrunedModel(*model, dir, mask ? &*mask : nullptr, save,
                                               {{"base_model", s.modelDir.string()},
                                                {"arm", r.arm.toStdString()},
                                                {"seed", r.seed},
                                                {"mask", nullptr},
                                                {"settings", settings.toJson()},
                                                {"metrics", trained.toJson()}});
            // Loaded back as any front end loads it (the trained copy freed first: one copy at a time).
            model.reset();
            auto loaded = prunescope::loadModel(dir, {s.device, s.dtype});
            const auto after = maskedLogits(*loaded, probe, saved.maskInWeights ? nullptr : &*mask);
            result.savedTo = r.saveTo;
            result.maskInWeights = saved.maskInWeights;
            result.savedLogitDiff = (after - before).abs().max().item<double>();
            log::get("gui")->info("saved {} to {}: loaded back, largest logit difference {:.3g}", label.toStdString(),
                                  dir.string(), result.savedLogitDiff);
        }
        emit finetuneFinished(result);
    });
}

void EngineWorker::runExperiment(const nlohmann::json& config, const QString& baseDir, const CancelFlag* cancel) {
    runTask(Task::Experiment, [&] {
        auto parsed = parseExperimentConfig(config, "session", baseDir.toStdString());
        auto report = prunescope::runExperiment(parsed, progressFor(Task::Experiment), cancel);
        emit experimentFinished(report);
    });
}

void EngineWorker::buildDemo(const CancelFlag* cancel) {
    runTask(Task::Demo, [&] {
        auto result = runDemo({}, progressFor(Task::Demo), cancel);
        emit demoFinished(QString::fromStdString(result.session.string()));
    });
}

}  // namespace prunescope::ui
