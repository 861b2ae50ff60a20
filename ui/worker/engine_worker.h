// The one object that owns the model. It lives on the Engine's worker thread; every method below
// runs there (queued by Engine) and reports through signals carrying plain values. Exceptions
// never leave a method: each is caught and emitted as taskFailed(TaskError).
#pragma once

#include <QObject>

#include <deque>
#include <functional>
#include <memory>
#include <mutex>

#include "core/util/progress.h"
#include "ui/worker/engine_types.h"

namespace prunescope::ui {

class EngineWorker : public QObject {
    Q_OBJECT
public:
    explicit EngineWorker(QObject* parent = nullptr);
    ~EngineWorker() override;

    // All of these run on the worker thread. `cancel` may be null.
    void probeSystem();
    void loadModel(const QString& dir, const QString& device, const QString& dtype);
    void loadDataset(const QString& path, const QString& role, const QString& format, const QString& name,
                     int splitSeed);
    void removeDataset(const QString& name);
    void setPrompt(const PromptChoice& prompt);  // checked by Engine::setPrompt
    // Scores `dataset` (the first `sample` questions when > 0), going on from where an earlier run
    // stopped; emits scoringProgressed after every chunk and scoringFinished at the end.
    void score(const QString& dataset, int sample, const CancelFlag* cancel);
    void attribute(const AttributionRequest& request, const CancelFlag* cancel);
    void openAttributions(const QString& file, const QString& score);
    void setNeuronScore(const QString& score);
    void neuronDetail(int layer, int neuron, const CancelFlag* cancel);
    void preview(uint64_t generation, const NeuronMask& mask, bool allSets, const CancelFlag* cancel);
    void finetune(const FinetuneRequest& request, const CancelFlag* cancel);
    void runExperiment(const nlohmann::json& config, const QString& baseDir, const CancelFlag* cancel);
    void buildDemo(const CancelFlag* cancel);

    // The GUI thread's calls, run here in order: Engine queues one (any thread may call this) and
    // then asks for one runNext. The queue's mutex also orders everything the GUI thread wrote
    // before the call, where a sanitizer can see it (Qt's own event queue it cannot).
    void enqueue(std::function<void()> call);
    Q_INVOKABLE void runNext();

signals:
    void taskStarted(prunescope::ui::Task task);
    void taskFinished(prunescope::ui::Task task);  // always, after success, failure or cancel
    void taskFailed(const prunescope::ui::TaskError& error);
    void progressChanged(const prunescope::ui::ProgressValue& progress);
    void systemChanged(const prunescope::ui::SystemValue& system);
    void modelChanged(const prunescope::ui::ModelCard& card);
    void datasetChanged(const prunescope::ui::DatasetInfo& info);
    void datasetRemoved(const QString& name);
    // DatasetInfo::promptTokens and scoredTokens of set `name` (0: not measured).
    void promptLengthsMeasured(const QString& name, qint64 promptTokens, qint64 scoredTokens);
    void scoringProgressed(const prunescope::ui::ScoreResult& result);  // the questions scored so far
    void scoringFinished(const prunescope::ui::ScoreResult& result);
    void neuronScoresChanged(const prunescope::ui::NeuronScores& scores);  // live and final
    void neuronDetailFinished(const prunescope::ui::NeuronDetail& detail);
    void previewFinished(const prunescope::ui::PreviewResult& result);
    void trainPointChanged(const prunescope::ui::TrainPointValue& point);
    void finetuneFinished(const prunescope::ui::RunResult& result);
    void experimentFinished(const nlohmann::json& report);
    void demoFinished(const QString& sessionFile);

public:
    struct State;  // ui/worker/worker_state.h: the model, datasets and results (torch types)

private:
    // Emits taskStarted, runs `body`, turns any exception into taskFailed, emits taskFinished.
    void runTask(Task task, const std::function<void()>& body);
    // `stage` (optional) is shown instead of the core's stage name; a %1 in it stands for that name.
    ProgressFn progressFor(Task task, const QString& stage = {});
    void scoreDataset(State& state, const QString& name, const CancelFlag* cancel, size_t sample = 0);
    void emitNeuronScores(int questions, int total, bool final);

    std::unique_ptr<State> m_state;
    std::mutex m_queueMutex;
    std::deque<std::function<void()>> m_queue;
};

}  // namespace prunescope::ui
