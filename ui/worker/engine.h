// The UI thread's handle on the engine: starts the worker thread, queues requests to the
// EngineWorker (which owns the model) and re-emits its results. Nothing here blocks: every call
// returns at once, results arrive as signals. Cancellation is an atomic flag per request, raised
// from the UI thread while the worker runs.
#pragma once

#include <QObject>
#include <QThread>

#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "core/util/progress.h"
#include "ui/worker/engine_types.h"

namespace prunescope::ui {

class EngineWorker;

class Engine : public QObject {
    Q_OBJECT
public:
    explicit Engine(QObject* parent = nullptr);
    ~Engine() override;  // cancels what runs and joins the thread

    void probeSystem();
    // The memory plan of a job on the open model: what it adds to the loaded weights, against the
    // free memory of the model's device now. settings.tokens: the caller's guess of the longest
    // prompt (the default 256), capped by the model's context.
    MemoryPlan plan(const PlanSettings& settings) const;
    // `settings` made to describe the open model (device, weights as held, loaded, tokens capped).
    PlanSettings onModel(PlanSettings settings) const;
    // Sizes `settings` (tokens, scoredTokens) by the prompt lengths measured on the datasets
    // `names` (DatasetInfo::promptTokens), the longest of them; where none is measured yet, leaves
    // the caller's guess. Returns a sentence for the plan's tooltip saying which it is.
    QString sizeFromDatasets(PlanSettings& settings, const QStringList& names) const;
    // Free memory of the open model's device (the CPU without a model).
    int64_t freeMemory() const;
    // GPU memory LibTorch holds for the open model's device (in use or cached); -1 on the CPU.
    int64_t deviceHeldMemory() const;
    // The plan for opening `dir` on `device` (weights held as --weights auto would); throws
    // prunescope::Error for a folder or file without a readable config.
    // `dtype`: the compute dtype (float32, bfloat16, float16; narrow ones hold the weights in it).
    static MemoryPlan loadPlan(const QString& dir, const QString& device = QStringLiteral("auto"),
                               const QString& dtype = QStringLiteral("float32"));
    // Opens `dir` computing in computeDtype().
    void loadModel(const QString& dir, const QString& device = QStringLiteral("auto"));
    // The compute dtype the next model is opened in (the open one keeps its own: model().computeDtype).
    void setComputeDtype(const QString& dtype) { m_computeDtype = dtype; }
    QString computeDtype() const { return m_computeDtype; }
    void loadDataset(const QString& path, const QString& role, const QString& format = {}, const QString& name = {});
    void removeDataset(const QString& name);
    // Scores `dataset`: every question, or the first `sample` (> 0). Results stream in
    // (scoringProgressed); a cancelled run keeps what it scored, and the next run goes on from there.
    void score(const QString& dataset, int sample = 0);
    void attribute(const AttributionRequest& request);
    void openAttributions(const QString& file, const QString& score = QStringLiteral("mean"));
    void setNeuronScore(const QString& score);
    void requestNeuron(int layer, int neuron);
    // Cancels previews still waiting or running; returns the new preview's generation.
    // `allSets`: the test and OOD sets too (each scored without the mask once, then with it).
    uint64_t requestPreview(const NeuronMask& mask, bool allSets = false);
    void finetune(const FinetuneRequest& request);
    void runExperiment(const nlohmann::json& config, const QString& baseDir);
    void buildDemo();
    // Raises the cancel flag of every request queued or running.
    void cancel();

    bool busy() const { return !m_pending.empty(); }
    int pendingCount() const { return int(m_pending.size()); }
    Task currentTask() const { return m_current; }
    const ModelCard& model() const { return m_model; }
    bool hasModel() const { return !m_model.dir.isEmpty(); }
    const std::vector<DatasetInfo>& datasets() const { return m_datasets; }
    QStringList datasetNames(const QStringList& roles = {}) const;
    // Roles of the datasets loaded or still queued to load (train, validation, test, ood).
    QStringList datasetRoles() const;
    const SystemValue& system() const { return m_system; }
    int splitSeed() const { return m_splitSeed; }
    void setSplitSeed(int seed) { m_splitSeed = seed; }
    // The prompt every dataset is rendered with, and the scoring mode. Scores made with another
    // prompt are cleared (the items are rebuilt on first use). A preset or scoring mode the
    // engine does not know (a session from another version) is logged and dropped.
    void setPrompt(const PromptChoice& prompt);
    const PromptChoice& prompt() const { return m_prompt; }
    QString promptText() const { return m_prompt.text; }
    QString promptOption() const { return m_prompt.option; }
    QString promptPreset() const { return m_prompt.preset; }  // empty: none

signals:
    void busyChanged(bool busy);
    void taskStarted(prunescope::ui::Task task);
    void taskFinished(prunescope::ui::Task task);
    void taskFailed(const prunescope::ui::TaskError& error);
    void progressChanged(const prunescope::ui::ProgressValue& progress);
    void systemChanged(const prunescope::ui::SystemValue& system);
    void modelChanged(const prunescope::ui::ModelCard& card);
    void datasetsChanged();
    // A dataset's prompt lengths were measured or forgotten (datasets()[i].promptTokens).
    void promptLengthsChanged();
    void scoringProgressed(const prunescope::ui::ScoreResult& result);
    void scoringFinished(const prunescope::ui::ScoreResult& result);
    void neuronScoresChanged(const prunescope::ui::NeuronScores& scores);
    void neuronDetailFinished(const prunescope::ui::NeuronDetail& detail);
    void previewFinished(const prunescope::ui::PreviewResult& result);
    void trainPointChanged(const prunescope::ui::TrainPointValue& point);
    void finetuneFinished(const prunescope::ui::RunResult& result);
    void experimentFinished(const nlohmann::json& report);
    void demoFinished(const QString& sessionFile);

private:
    // Queues `call(worker, flag)` on the worker thread as task `task`.
    template <typename Call>
    void post(Task task, Call call);
    // Runs `call` on the worker thread, after the calls sent before it (EngineWorker::enqueue).
    void send(std::function<void()> call);
    void onTaskStarted(Task task);
    void onTaskFinished(Task task);

    QThread m_thread;
    EngineWorker* m_worker = nullptr;  // lives on m_thread, deleted when it finishes
    struct Pending {
        Task task;
        std::shared_ptr<CancelFlag> cancel;
    };
    std::deque<Pending> m_pending;  // in the worker's order (it runs requests one by one)
    Task m_current = Task::None;
    uint64_t m_previewGeneration = 0;
    ModelCard m_model;
    std::vector<DatasetInfo> m_datasets;
    std::deque<QString> m_loadingRoles;  // roles of the LoadData requests not finished yet
    SystemValue m_system;
    int m_splitSeed = 0;
    PromptChoice m_prompt;
    QString m_computeDtype = QStringLiteral("float32");
};

}  // namespace prunescope::ui
