#include "ui/worker/engine.h"

#include "ui/worker/engine_worker.h"

#include "core/data/task_preset.h"
#include "core/model/model_io.h"
#include "core/util/device.h"
#include "core/util/device_memory.h"
#include "core/util/error.h"
#include "core/util/log.h"
#include "core/util/memory.h"

namespace prunescope::ui {
namespace {

void registerTypes() {
    static const bool done = [] {
        qRegisterMetaType<Task>();
        qRegisterMetaType<ProgressValue>();
        qRegisterMetaType<TaskError>();
        qRegisterMetaType<SystemValue>();
        qRegisterMetaType<ModelCard>();
        qRegisterMetaType<DatasetInfo>();
        qRegisterMetaType<ScoreResult>();
        qRegisterMetaType<NeuronScores>();
        qRegisterMetaType<NeuronDetail>();
        qRegisterMetaType<PreviewResult>();
        qRegisterMetaType<TrainPointValue>();
        qRegisterMetaType<RunResult>();
        qRegisterMetaType<NeuronMask>();
        qRegisterMetaType<nlohmann::json>();
        return true;
    }();
    (void)done;
}

}  // namespace

Engine::Engine(QObject* parent) : QObject(parent) {
    registerTypes();
    m_thread.setObjectName(QStringLiteral("prunescope-engine"));
    m_worker = new EngineWorker;
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    // Worker signals arrive queued on this (the UI) thread.
    connect(m_worker, &EngineWorker::taskStarted, this, &Engine::onTaskStarted);
    connect(m_worker, &EngineWorker::taskFinished, this, &Engine::onTaskFinished);
    connect(m_worker, &EngineWorker::taskFailed, this, &Engine::taskFailed);
    connect(m_worker, &EngineWorker::progressChanged, this, &Engine::progressChanged);
    connect(m_worker, &EngineWorker::systemChanged, this, [this](const SystemValue& s) {
        m_system = s;
        emit systemChanged(s);
    });
    connect(m_worker, &EngineWorker::modelChanged, this, [this](const ModelCard& card) {
        m_model = card;
        emit modelChanged(card);
    });
    connect(m_worker, &EngineWorker::datasetChanged, this, [this](const DatasetInfo& info) {
        m_datasets.push_back(info);
        emit datasetsChanged();
    });
    connect(m_worker, &EngineWorker::datasetRemoved, this, [this](const QString& name) {
        for (auto it = m_datasets.begin(); it != m_datasets.end(); ++it) {
            if (it->name == name) {
                m_datasets.erase(it);
                break;
            }
        }
        emit datasetsChanged();
    });
    connect(m_worker, &EngineWorker::promptLengthsMeasured, this,
            [this](const QString& name, qint64 promptTokens, qint64 scoredTokens) {
                for (auto& d : m_datasets) {
                    if (d.name == name) {
                        d.promptTokens = promptTokens;
                        d.scoredTokens = scoredTokens;
                    }
                }
                emit promptLengthsChanged();
            });
    connect(m_worker, &EngineWorker::scoringProgressed, this, &Engine::scoringProgressed);
    connect(m_worker, &EngineWorker::scoringFinished, this, &Engine::scoringFinished);
    connect(m_worker, &EngineWorker::neuronScoresChanged, this, &Engine::neuronScoresChanged);
    connect(m_worker, &EngineWorker::neuronDetailFinished, this, &Engine::neuronDetailFinished);
    connect(m_worker, &EngineWorker::previewFinished, this, &Engine::previewFinished);
    connect(m_worker, &EngineWorker::trainPointChanged, this, &Engine::trainPointChanged);
    connect(m_worker, &EngineWorker::finetuneFinished, this, &Engine::finetuneFinished);
    connect(m_worker, &EngineWorker::experimentFinished, this, &Engine::experimentFinished);
    connect(m_worker, &EngineWorker::demoFinished, this, &Engine::demoFinished);
    m_thread.start();
}

Engine::~Engine() {
    cancel();
    m_thread.quit();
    m_thread.wait();
}

void Engine::send(std::function<void()> call) {
    m_worker->enqueue(std::move(call));
    QMetaObject::invokeMethod(m_worker, "runNext", Qt::QueuedConnection);
}

template <typename Call>
void Engine::post(Task task, Call call) {
    auto flag = std::make_shared<CancelFlag>(false);
    const bool wasBusy = busy();
    m_pending.push_back({task, flag});
    EngineWorker* worker = m_worker;
    send([worker, flag, call] { call(*worker, flag.get()); });
    if (!wasBusy) emit busyChanged(true);
}

void Engine::onTaskStarted(Task task) {
    m_current = task;
    emit taskStarted(task);
}

void Engine::onTaskFinished(Task task) {
    if (!m_pending.empty()) m_pending.pop_front();
    if (task == Task::LoadData && !m_loadingRoles.empty()) m_loadingRoles.pop_front();
    m_current = Task::None;
    emit taskFinished(task);
    if (m_pending.empty()) emit busyChanged(false);
}

QStringList Engine::datasetNames(const QStringList& roles) const {
    QStringList names;
    for (const auto& d : m_datasets)
        if (roles.isEmpty() || roles.contains(d.role)) names << d.name;
    return names;
}

QStringList Engine::datasetRoles() const {
    QStringList roles;
    for (const auto& d : m_datasets) roles << d.role;
    for (const auto& r : m_loadingRoles) roles << r;
    return roles;
}

void Engine::probeSystem() {
    post(Task::None, [](EngineWorker& w, const CancelFlag*) { w.probeSystem(); });
}

void Engine::loadModel(const QString& dir, const QString& device) {
    post(Task::LoadModel, [dir, device, dtype = m_computeDtype](EngineWorker& w, const CancelFlag*) {
        w.loadModel(dir, device, dtype);
    });
}

void Engine::loadDataset(const QString& path, const QString& role, const QString& format, const QString& name) {
    const int seed = m_splitSeed;
    m_loadingRoles.push_back(role);
    post(Task::LoadData, [=](EngineWorker& w, const CancelFlag*) { w.loadDataset(path, role, format, name, seed); });
}

void Engine::setPrompt(const PromptChoice& prompt) {
    m_prompt = prompt;
    if (m_prompt.preset == QLatin1String("none")) m_prompt.preset.clear();
    try {
        if (!m_prompt.preset.isEmpty())
            parseTaskPreset(m_prompt.preset.toStdString(), "session field 'prompt.task_preset'");
    } catch (const Error& e) {
        log::get("session")->warn("{}; using Prunescope's prompt", e.what());
        m_prompt.preset.clear();
    }
    try {
        if (!m_prompt.scoring.isEmpty()) parseScoringMode(m_prompt.scoring.toStdString());
    } catch (const Error& e) {
        log::get("session")->warn("{}; scoring letters", e.what());
        m_prompt.scoring.clear();
    }
    if (!m_prompt.preset.isEmpty()) m_prompt.scoring.clear();  // the preset sets the mode
    EngineWorker* worker = m_worker;
    send([worker, p = m_prompt] { worker->setPrompt(p); });
}

void Engine::removeDataset(const QString& name) {
    EngineWorker* worker = m_worker;
    send([worker, name] { worker->removeDataset(name); });
}

void Engine::score(const QString& dataset, int sample) {
    post(Task::Score, [dataset, sample](EngineWorker& w, const CancelFlag* c) { w.score(dataset, sample, c); });
}

void Engine::attribute(const AttributionRequest& request) {
    post(Task::Attribute, [request](EngineWorker& w, const CancelFlag* c) { w.attribute(request, c); });
}

void Engine::openAttributions(const QString& file, const QString& score) {
    post(Task::Attribute, [file, score](EngineWorker& w, const CancelFlag*) { w.openAttributions(file, score); });
}

void Engine::setNeuronScore(const QString& score) {
    post(Task::None, [score](EngineWorker& w, const CancelFlag*) { w.setNeuronScore(score); });
}

void Engine::requestNeuron(int layer, int neuron) {
    post(Task::Neuron, [layer, neuron](EngineWorker& w, const CancelFlag* c) { w.neuronDetail(layer, neuron, c); });
}

uint64_t Engine::requestPreview(const NeuronMask& mask, bool allSets) {
    for (auto& p : m_pending)
        if (p.task == Task::Preview) p.cancel->store(true);
    const uint64_t generation = ++m_previewGeneration;
    post(Task::Preview, [generation, mask, allSets](EngineWorker& w, const CancelFlag* c) {
        w.preview(generation, mask, allSets, c);
    });
    return generation;
}

void Engine::finetune(const FinetuneRequest& request) {
    post(Task::Finetune, [request](EngineWorker& w, const CancelFlag* c) { w.finetune(request, c); });
}

void Engine::runExperiment(const nlohmann::json& config, const QString& baseDir) {
    post(Task::Experiment,
         [config, baseDir](EngineWorker& w, const CancelFlag* c) { w.runExperiment(config, baseDir, c); });
}

void Engine::buildDemo() {
    post(Task::Demo, [](EngineWorker& w, const CancelFlag* c) { w.buildDemo(c); });
}

void Engine::cancel() {
    for (auto& p : m_pending) p.cancel->store(true);
}

PlanSettings Engine::onModel(PlanSettings settings) const {
    if (!m_model.config) return settings;
    settings.cuda = m_model.deviceId.startsWith(QStringLiteral("cuda"));
    settings.modelLoaded = true;
    settings.weightBytes = m_model.weightBytes;
    settings.computeBytes = m_model.computeDtype == QStringLiteral("float32") || m_model.computeDtype.isEmpty() ? 4 : 2;
    settings.tokens = std::max<int64_t>(1, std::min<int64_t>(settings.tokens, m_model.config->nCtx));
    return settings;
}

QString Engine::sizeFromDatasets(PlanSettings& settings, const QStringList& names) const {
    int64_t longest = 0, scored = 0;
    QStringList measured;
    for (const auto& d : m_datasets) {
        if (!names.contains(d.name) || d.promptTokens <= 0) continue;
        longest = std::max(longest, d.promptTokens);
        scored = std::max(scored, d.scoredTokens);
        measured << d.name;
    }
    if (measured.isEmpty()) {
        return tr("Prompts assumed to be up to %1 tokens: the lengths are measured when the questions are first "
                  "scored.")
            .arg(onModel(settings).tokens);
    }
    settings.tokens = longest;
    settings.scoredTokens = std::max<int64_t>(1, scored);
    return tr("Prompts up to %1 tokens, measured on %2.").arg(longest).arg(measured.join(QStringLiteral(", ")));
}

int64_t Engine::freeMemory() const {
    return availableMemoryBytes(m_model.deviceId.isEmpty() ? c10::Device(c10::kCPU)
                                                           : c10::Device(m_model.deviceId.toStdString()));
}

int64_t Engine::deviceHeldMemory() const {
    if (m_model.deviceId.isEmpty()) return -1;
    return deviceReservedBytes(c10::Device(m_model.deviceId.toStdString()));
}

MemoryPlan Engine::plan(const PlanSettings& settings) const {
    if (!m_model.config) return {};
    return planMemory(*m_model.config, onModel(settings), freeMemory());
}

MemoryPlan Engine::loadPlan(const QString& dir, const QString& device, const QString& dtype) {
    const auto config = readModelConfigAt(dir.toStdString());
    const auto where = chooseDevice(device.toStdString());
    const int64_t available = availableMemoryBytes(where);
    const auto compute = dtypeFromName(dtype.toStdString(), "compute dtype");
    PlanSettings settings;
    settings.job = PlanJob::Load;
    settings.cuda = where.is_cuda();
    settings.computeBytes = static_cast<int>(c10::elementSize(compute));
    settings.weightBytes =
        static_cast<int>(c10::elementSize(heldWeightDtype(config, WeightHolding::Auto, available, compute)));
    return planMemory(config, settings, available);
}

}  // namespace prunescope::ui
