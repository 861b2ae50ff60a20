// EngineWorker: task wrapper, system probe, model and dataset loading, scoring.
#include "ui/worker/engine_worker.h"

#include <algorithm>

#include <torch/torch.h>

#include "core/eval/mcq_items.h"
#include "core/model/model_io.h"
#include "core/util/device.h"
#include "core/util/error.h"
#include "core/util/log.h"
#include "core/util/memory.h"
#include "core/util/system_info.h"
#include "ui/worker/progress_throttle.h"
#include "ui/worker/prompt_check.h"
#include "ui/worker/worker_state.h"

namespace prunescope::ui {

QString taskName(Task task) {
    switch (task) {
        case Task::None: return EngineWorker::tr("idle");
        case Task::LoadModel: return EngineWorker::tr("Loading the model");
        case Task::LoadData: return EngineWorker::tr("Loading a dataset");
        case Task::Score: return EngineWorker::tr("Scoring");
        case Task::Attribute: return EngineWorker::tr("Attribution");
        case Task::Neuron: return EngineWorker::tr("Neuron details");
        case Task::Preview: return EngineWorker::tr("Ablation preview");
        case Task::Finetune: return EngineWorker::tr("Fine-tuning");
        case Task::Experiment: return EngineWorker::tr("Experiment");
        case Task::Demo: return EngineWorker::tr("Building the demo");
    }
    return {};
}

WorkerDataset* EngineWorker::State::find(const std::string& name) {
    for (auto& d : datasets)
        if (d.info.name.toStdString() == name) return &d;
    return nullptr;
}

WorkerDataset* EngineWorker::State::firstWithRole(const std::string& role) {
    for (auto& d : datasets)
        if (d.info.role.toStdString() == role) return &d;
    return nullptr;
}

void EngineWorker::State::requireModel() const {
    if (!model)
        throw Error("", "", "no model is open",
                    "open one first: File ▸ Open Model Folder… (Ctrl+Shift+O) or Open GGUF File…");
}

ScoringMode EngineWorker::State::scoringMode() const {
    return scoring;
}

void EngineWorker::State::ensureItems(WorkerDataset& set) {
    requireModel();
    if (set.items.empty() && !set.data.questions.empty()) {
        set.items = buildScoringItems(set.data, *tokenizer, scoringMode(), prompt);
        const auto lengths = promptLengths(set.items, scoringMode());
        set.info.promptTokens = lengths.longest;
        set.info.scoredTokens = lengths.scored;
        if (lengthsMeasured) lengthsMeasured(set);
    }
}

void EngineWorker::State::clearItems() {
    for (auto& d : datasets) {
        d.items.clear();
        d.clearScores();
        if (d.info.promptTokens != 0) {
            d.info.promptTokens = 0;
            d.info.scoredTokens = 0;
            if (lengthsMeasured) lengthsMeasured(d);
        }
    }
}

void EngineWorker::State::resetResults() {
    aggregate.reset();
    attributionDataset.clear();
    attributedIndices.clear();
    attributionFile.clear();
    questionIg.clear();
    questionIgComplete = false;
    previewBase.reset();
    magnitude = at::Tensor();
}

EngineWorker::EngineWorker(QObject* parent) : QObject(parent), m_state(std::make_unique<State>()) {
    m_state->lengthsMeasured = [this](const WorkerDataset& d) {
        emit promptLengthsMeasured(d.info.name, d.info.promptTokens, d.info.scoredTokens);
    };
}

EngineWorker::~EngineWorker() = default;

void EngineWorker::enqueue(std::function<void()> call) {
    std::lock_guard lock(m_queueMutex);
    m_queue.push_back(std::move(call));
}

void EngineWorker::runNext() {
    std::function<void()> call;
    {
        std::lock_guard lock(m_queueMutex);
        if (m_queue.empty()) return;
        call = std::move(m_queue.front());
        m_queue.pop_front();
    }
    call();
}

void EngineWorker::runTask(Task task, const std::function<void()>& body) {
    emit taskStarted(task);
    torch::NoGradGuard noGrad;  // autograd guards are thread-local: set here, on the worker
    TaskError error;
    error.task = task;
    std::string logLine;  // the one line the log gets (the main window adds nothing)
    try {
        body();
        releaseFreedMemory();  // what the task freed goes back to the system, not only to the heap
        emit taskFinished(task);
        return;
    } catch (const CancelledError&) {
        error.message = tr("%1 was cancelled.").arg(taskName(task));
        error.cancelled = true;
    } catch (const Error& e) {
        error.message = QString::fromStdString(e.message());
        QStringList details;
        if (!e.file().empty()) details << tr("File: %1").arg(QString::fromStdString(e.file()));
        if (!e.place().empty()) details << tr("Where: %1").arg(QString::fromStdString(e.place()));
        if (!e.hint().empty()) details << tr("Hint: %1").arg(QString::fromStdString(e.hint()));
        details << tr("Full message: %1").arg(QString::fromUtf8(e.what()));
        error.details = details.join('\n');
        logLine = e.what();  // file, place, message and hint
    } catch (const c10::Error& e) {
        // The message without LibTorch's C++ backtrace (which goes to the details).
        const QString what = QString::fromUtf8(e.what_without_backtrace()).trimmed().section('\n', 0, 0);
        error.message = tr("LibTorch error during %1: %2").arg(taskName(task).toLower(), what);
        error.details = QString::fromUtf8(e.what());
    } catch (const std::exception& e) {
        error.message = QString::fromUtf8(e.what());
        error.details = tr("Task: %1 (std::exception)").arg(taskName(task));
    }
    releaseFreedMemory();
    if (logLine.empty()) logLine = error.message.toStdString();
    log::get("gui")->log(error.cancelled ? spdlog::level::info : spdlog::level::err, "{}", logLine);
    emit taskFailed(error);
    emit taskFinished(task);
}

ProgressFn EngineWorker::progressFor(Task task, const QString& stage) {
    auto throttle = std::make_shared<ProgressThrottle>(50);
    return [this, task, throttle, stage](const Progress& p) {
        if (!throttle->ready(p.done, p.total)) return;
        const QString core = QString::fromStdString(p.stage);
        const QString shown = stage.isEmpty() ? core : stage.contains(QLatin1String("%1")) ? stage.arg(core) : stage;
        emit progressChanged({task, shown, p.done, p.total, p.etaSeconds});
    };
}

void EngineWorker::probeSystem() {
    runTask(Task::None, [&] {
        auto info = prunescope::probeSystem(false);
        emit systemChanged({QString::fromStdString(info.device), std::max(info.threads, info.blasThreads),
                            QString::fromStdString(describeVersions())});
    });
}

void EngineWorker::loadModel(const QString& dir, const QString& device, const QString& dtype) {
    runTask(Task::LoadModel, [&] {
        auto& s = *m_state;
        const std::filesystem::path path = dir.toStdString();
        emit progressChanged({Task::LoadModel, tr("loading %1").arg(dir), 0, 0, -1});
        const auto compute = dtypeFromName(dtype.toStdString(), "compute dtype");
        auto model = prunescope::loadModel(path, {device.toStdString(), compute});
        auto tokenizer = std::make_shared<const Tokenizer>(Tokenizer::fromModel(path));
        s.model = model;
        s.tokenizer = tokenizer;
        s.modelDir = path;
        s.device = device.toStdString();
        s.dtype = compute;
        s.resetResults();
        s.clearItems();
        const auto& c = model->config();
        ModelCard card;
        card.dir = dir;
        card.modelType = QString::fromStdString(c.modelType);
        card.nLayer = c.nLayer;
        card.nNeuron = c.nNeuron;
        card.dModel = c.dModel;
        card.nHead = c.nHead;
        card.nKvHead = c.nKvHead;
        card.nVocab = c.nVocab;
        card.nCtx = c.nCtx;
        card.parameters = c.parameterCount();
        card.memoryBytes = parameterBytes(*model);
        card.storedDtype = QString::fromStdString(c.storedDtype);
        card.computeDtype = QString::fromStdString(dtypeName(model->computeDtype()));
        card.activation = QString::fromStdString(c.activation);
        card.device = QString::fromStdString(deviceName(model->unembedding().device()));
        card.deviceId = QString::fromStdString(model->unembedding().device().str());
        card.weightBytes = c.parameterCount() > 0 && card.memoryBytes < 3 * c.parameterCount() ? 2 : 4;
        card.config = std::make_shared<const ModelConfig>(c);
        card.tokenizerKind = QString::fromStdString(tokenizer->kind());
        card.tokenizer = tokenizer;
        log::get("gui")->info("model {}: {} layers x {} neurons, {} parameters", dir.toStdString(), c.nLayer, c.nNeuron,
                              c.parameterCount());
        emit modelChanged(card);
    });
}

void EngineWorker::loadDataset(const QString& path, const QString& role, const QString& format, const QString& name,
                               int splitSeed) {
    runTask(Task::LoadData, [&] {
        auto& s = *m_state;
        McqLoadOptions options;
        options.format = parseMcqFormat(format.isEmpty() ? "auto" : format.toStdString());
        options.skipInvalid = true;
        auto data = loadMcqDataset(path.toStdString(), options);
        if (data.questions.empty()) {
            throw Error(path.toStdString(), "", "no valid questions in the file");
        }
        const QString base = name.isEmpty() ? QString::fromStdString(data.name) : name;
        auto add = [&](McqDataset set, const QString& setName, const QString& setRole, const char* split) {
            if (s.find(setName.toStdString()) != nullptr) removeDataset(setName);
            WorkerDataset d;
            d.split = split;
            d.splitSeed = uint64_t(splitSeed);
            d.info = {setName,
                      path,
                      setRole,
                      QString::fromStdString(mcqFormatName(data.format)),
                      int(set.questions.size()),
                      int(data.skipped.size()),
                      {}};
            const size_t n = std::min(set.questions.size(), DatasetInfo::kSampleQuestions);
            d.info.sample.assign(set.questions.begin(), set.questions.begin() + std::ptrdiff_t(n));
            d.data = std::move(set);
            s.datasets.push_back(std::move(d));
            emit datasetChanged(s.datasets.back().info);
        };
        if (role == "train") {
            // Test and OOD sets are files of their own here: the training file keeps the test share.
            SplitSpec spec;
            spec.train += spec.test;
            spec.test = 0.0;
            spec.seed = uint64_t(splitSeed);
            auto splits = splitDataset(data, spec);
            add(std::move(splits.train), base, "train", "train");
            add(std::move(splits.validation), base + tr(" (validation)"), "validation", "validation");
            s.previewBase.reset();
        } else {
            add(std::move(data), base, role, "all");
        }
    });
}

void EngineWorker::setPrompt(const PromptChoice& choice) {
    m_state->prompt = promptTemplate(choice);
    m_state->scoring = promptScoringMode(choice);
    m_state->previewBase.reset();
    m_state->clearItems();  // rebuilt with the new prompt on first use
}

void EngineWorker::removeDataset(const QString& name) {
    auto& sets = m_state->datasets;
    for (auto it = sets.begin(); it != sets.end(); ++it) {
        if (it->info.name == name) {
            sets.erase(it);
            emit datasetRemoved(name);
            return;
        }
    }
}

namespace {

// The rows of the first scores.size() questions of `set`.
ScoreResult scoreResult(const WorkerDataset& set, const QString& name, const std::vector<QuestionScore>& scores,
                        ScoringMode mode, TaskPreset preset) {
    ScoreResult result;
    result.dataset = name;
    result.total = int(set.items.size());
    result.preset = QString::fromStdString(taskPresetName(preset));
    const auto summary = summarize(scores);
    result.accuracy = summary.accuracy;
    if (mode == ScoringMode::Continuation) result.accuracyNorm = summary.accuracyNorm;
    result.meanConfidence = summary.meanConfidence;
    result.rows.reserve(scores.size());
    for (size_t i = 0; i < scores.size(); ++i) {
        const auto& q = set.data.questions[i];
        const auto& sc = scores[i];
        QuestionRow row;
        row.index = int(i);
        row.id = QString::fromStdString(q.id);
        row.question = QString::fromStdString(q.question);
        for (const auto& o : q.options) row.options << QString::fromStdString(o);
        row.gold = q.answer;
        row.predicted = sc.predicted;
        row.confidence = sc.confidence;
        row.margin = sc.margin;
        row.correct = sc.correct;
        row.probs = sc.probs;
        row.extra = q.extra;
        result.rows.push_back(std::move(row));
    }
    return result;
}

// Questions per chunk of a streamed scoring run: each chunk is sorted by length for padding, and
// its rows reach the window when it is done.
constexpr size_t kScoreChunk = 64;

}  // namespace

void EngineWorker::scoreDataset(State& s, const QString& name, const CancelFlag* cancel, size_t sample) {
    auto* set = s.find(name.toStdString());
    if (set == nullptr) throw Error("", "", "no dataset named '" + name.toStdString() + "'");
    s.ensureItems(*set);
    ScoringOptions options;
    options.mode = s.scoringMode();
    const size_t total = set->items.size();
    const size_t target = sample > 0 ? std::min(sample, total) : total;
    auto& done = set->scores.size() == total ? set->scores : set->partial;
    const size_t first = done.size();
    EtaClock clock;
    const QString stage = tr("scoring %1").arg(name);
    while (done.size() < target) {
        const size_t n = std::min(kScoreChunk, target - done.size());
        const auto begin = set->items.begin() + std::ptrdiff_t(done.size());
        const std::vector<ScoringItem> chunk(begin, begin + std::ptrdiff_t(n));
        auto scores = scoreItems(*s.model, chunk, options, {}, cancel);  // a cancel keeps the chunks before
        done.insert(done.end(), scores.begin(), scores.end());
        const auto doneNow = int64_t(done.size() - first), all = int64_t(target - first);
        emit progressChanged({Task::Score, stage, doneNow, all, clock.eta(doneNow, all)});
        if (done.size() < target) emit scoringProgressed(scoreResult(*set, name, done, options.mode, s.prompt.task));
    }
    if (set->partial.size() == total) {  // all scored: the dataset's scores
        set->scores = std::move(set->partial);
        set->partial.clear();
    }
    // Everything scored so far (a sample smaller than what an earlier run scored shows all of that).
    const auto& scored = set->scores.size() == total ? set->scores : set->partial;
    const auto result = scoreResult(*set, name, scored, options.mode, s.prompt.task);
    log::get("gui")->info("scored {} ({} of {} questions): accuracy {:.3f}, mean confidence {:.3f}", name.toStdString(),
                          result.rows.size(), total, result.accuracy, result.meanConfidence);
    emit scoringFinished(result);
}

void EngineWorker::score(const QString& dataset, int sample, const CancelFlag* cancel) {
    runTask(Task::Score, [&] {
        m_state->requireModel();
        scoreDataset(*m_state, dataset, cancel, size_t(std::max(sample, 0)));
    });
}

}  // namespace prunescope::ui
