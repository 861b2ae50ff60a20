// EngineWorker: attribution runs with a live heatmap, attribution files, neuron details.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "core/attribution/attribution_file.h"
#include "core/attribution/attribution_run.h"
#include "core/model/model_io.h"
#include "core/prune/activation_stats.h"
#include "core/tokenizer/token_display.h"
#include "core/util/error.h"
#include "core/util/log.h"
#include "ui/worker/engine_worker.h"
#include "ui/worker/progress_throttle.h"
#include "ui/worker/worker_state.h"

namespace prunescope::ui {
namespace {

constexpr int kFrameIntervalMs = 250;  // live heatmap updates
constexpr int kProgressIntervalMs = 50;
constexpr int kTopTokens = 15;
constexpr int kTopQuestions = 10;
constexpr size_t kActivationQuestions = 256;  // when no questions were attributed

std::vector<float> toFloats(const at::Tensor& t) {
    auto c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

std::vector<TokenScore> topTokens(const at::Tensor& logits, const Tokenizer& tokenizer, bool largest) {
    const int64_t k = std::min<int64_t>(kTopTokens, logits.size(0));
    auto [values, index] = logits.topk(k, 0, largest);  // (k,)
    std::vector<TokenScore> out;
    for (int64_t j = 0; j < k; ++j) {
        const auto id = int32_t(index[j].item<int64_t>());
        out.push_back({QString::fromStdString(tokenDisplayText(tokenizer, id)),
                       QString::fromStdString(tokenizer.idToToken(id)), int(id), float(values[j].item<double>())});
    }
    return out;
}

// The open set read from the same file as an attributions file made on another part of it (by
// path), when every question id there is unique; null otherwise.
const WorkerDataset* sameFileById(const EngineWorker::State& s, const std::string& file, const IgAggregate& aggregate) {
    if (file.empty() || aggregate.count() == 0) return nullptr;
    const auto wanted = std::filesystem::absolute(file).lexically_normal();
    for (const auto& d : s.datasets) {
        if (std::filesystem::absolute(d.info.path.toStdString()).lexically_normal() != wanted) continue;
        std::set<std::string> ids;
        for (const auto& q : d.data.questions)
            if (q.id.empty() || !ids.insert(q.id).second) return nullptr;
        return &d;
    }
    return nullptr;
}

// For each record of `aggregate` whose question id is in `set`: its index there.
std::vector<size_t> indicesById(const WorkerDataset& set, const IgAggregate& aggregate) {
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < set.data.questions.size(); ++i) index[set.data.questions[i].id] = i;
    std::vector<size_t> out;
    for (const auto& rec : aggregate.records())
        if (auto it = index.find(rec.id); it != index.end()) out.push_back(it->second);
    return out;
}

}  // namespace

void EngineWorker::emitNeuronScores(int questions, int total, bool final) {
    auto& s = *m_state;
    if (!s.aggregate) return;
    NeuronScores out;
    out.nLayer = int(s.aggregate->nLayer());
    out.nNeuron = int(s.aggregate->nNeuron());
    const auto spec = parseScoreSpec(s.scoreName);
    out.values = toFloats(s.aggregate->score(spec));  // (layer, neuron)
    out.layerTotals = toFloats(s.aggregate->layerTotals(spec));
    out.scoreName = QString::fromStdString(s.scoreName);
    out.preset = QString::fromStdString(s.presetName);
    out.questions = questions;
    out.total = total;
    out.final = final;
    out.file = QString::fromStdString(s.attributionFile);
    if (final) {
        auto statistic = [&](NeuronScore which) {
            try {
                return toFloats(s.aggregate->score(which));
            } catch (const Error&) {
                return std::vector<float>();  // not in this file
            }
        };
        out.igMean = statistic(NeuronScore::Mean);
        out.igStd = statistic(NeuronScore::Std);
        out.igMeanAbs = statistic(NeuronScore::MeanAbs);
        out.topKShare = statistic(NeuronScore::TopKFrequency);
    }
    emit neuronScoresChanged(out);
}

void EngineWorker::attribute(const AttributionRequest& r, const CancelFlag* cancel) {
    runTask(Task::Attribute, [&] {
        auto& s = *m_state;
        s.requireModel();
        auto* set = s.find(r.dataset.toStdString());
        if (set == nullptr) set = s.firstWithRole("train");
        if (set == nullptr) {
            throw Error("", "", "no dataset to attribute on", "add a training dataset first");
        }
        const QString name = set->info.name;
        if (s.scoringMode() != ScoringMode::Letter) {
            throw Error("", "attribution",
                        "attribution needs the answer letters scored (one token per option); the " +
                            taskPresetName(s.prompt.task) + " preset scores the options' text",
                        "choose Prunescope's prompt, or the mmlu or commonsenseqa preset, on the Score panel");
        }
        if (set->scores.empty()) scoreDataset(s, name, cancel);
        set = s.find(name.toStdString());  // scoring may not move it, but stay safe

        AttributionJob job;
        job.ig = r.ig;
        job.filter = r.filter;
        job.topK = r.topK;
        job.source = {s.modelDir, set->split, set->splitSeed, s.prompt};
        const size_t selected = selectConfident(set->scores, job.filter).size();
        if (selected == 0) {
            throw Error("", "", "no question has confidence >= " + std::to_string(r.filter.minConfidence),
                        "lower the confidence threshold (drag the line on the Score panel)");
        }
        s.resetResults();
        s.scoreName = scoreSpecName(r.score);
        s.presetName = presetName(r.preset);
        job.preset = r.preset;
        s.attributionDataset = name.toStdString();
        const auto& c = s.model->config();
        const size_t perQuestion = size_t(c.nLayer * c.nNeuron) * sizeof(float);
        const size_t keep = std::max<size_t>(1, kQuestionIgBudgetBytes / std::max<size_t>(1, perQuestion));
        s.questionIgComplete = selected <= keep;

        ProgressThrottle frames(kFrameIntervalMs), progress(kProgressIntervalMs);
        auto live = [&](const AttributionUpdate& u) {
            for (const auto& q : u.questions)
                if (s.questionIg.size() < keep) s.questionIg.push_back(toFloats(q.ig));
            const Progress& p = u.progress;
            const IgAggregate& agg = u.aggregate;
            if (progress.ready(p.done, p.total)) {
                emit progressChanged({Task::Attribute, tr("attribution"), p.done, p.total, p.etaSeconds});
            }
            if (frames.ready(p.done, p.total) && p.done < p.total) {
                NeuronScores out;
                out.nLayer = int(agg.nLayer());
                out.nNeuron = int(agg.nNeuron());
                out.values = toFloats(agg.score(r.score));
                out.layerTotals = toFloats(agg.layerTotals(r.score));
                out.scoreName = QString::fromStdString(scoreSpecName(r.score));
                out.preset = QString::fromStdString(s.presetName);
                out.questions = int(p.done);
                out.total = int(p.total);
                emit neuronScoresChanged(out);
            }
        };
        auto result = runAttribution(*s.model, set->data, set->items, set->scores, job, live, cancel);
        s.aggregate = std::move(result.aggregate);
        for (const auto& rec : s.aggregate->records()) s.attributedIndices.push_back(size_t(rec.index));
        if (!r.outFile.isEmpty()) {
            const std::filesystem::path out = r.outFile.toStdString();
            if (out.has_parent_path()) std::filesystem::create_directories(out.parent_path());
            writeAttributionFile(out, *s.aggregate, result.meta);
            s.attributionFile = out.string();
        }
        emitNeuronScores(int(s.aggregate->count()), int(selected), true);
    });
}

void EngineWorker::openAttributions(const QString& file, const QString& score) {
    runTask(Task::Attribute, [&] {
        auto& s = *m_state;
        auto read = readAttributionFile(file.toStdString());
        if (s.model) {
            const auto& c = s.model->config();
            if (read.aggregate.nLayer() != c.nLayer || read.aggregate.nNeuron() != c.nNeuron) {
                throw Error(file.toStdString(), "shape",
                            "the attributions are " + std::to_string(read.aggregate.nLayer()) + " x " +
                                std::to_string(read.aggregate.nNeuron()) + ", the model is " +
                                std::to_string(c.nLayer) + " x " + std::to_string(c.nNeuron),
                            "open the attributions made with this model");
            }
        }
        read.aggregate.score(parseScoreSpec(score.toStdString()));  // an old file may lack +per-question's sums
        s.resetResults();
        s.aggregate = std::move(read.aggregate);
        s.scoreName = score.toStdString();
        s.presetName = read.meta.contains("preset") ? read.meta["preset"].value("name", std::string()) : "";
        s.attributionFile = file.toStdString();
        // The file's question indices count in the set it was made on: use them with a set of
        // this session only when it is that set (same fingerprint). Otherwise the activation and
        // magnitude views take the first questions of the training set instead.
        const auto dataset = read.meta.value("dataset", nlohmann::json::object());
        const std::string dataName = dataset.value("name", dataset.value("file", std::string("?")));
        const std::string dataFingerprint = dataset.value("fingerprint", "");
        const WorkerDataset* match = nullptr;
        for (const auto& d : s.datasets)
            if (!dataFingerprint.empty() && d.data.fingerprint() == dataFingerprint) match = &d;
        if (match != nullptr) {
            s.attributionDataset = match->info.name.toStdString();
            for (const auto& rec : s.aggregate->records()) s.attributedIndices.push_back(size_t(rec.index));
        } else if (const auto* sameFile = sameFileById(s, dataset.value("file", std::string()), *s.aggregate)) {
            s.attributionDataset = sameFile->info.name.toStdString();
            s.attributedIndices = indicesById(*sameFile, *s.aggregate);
            log::get("gui")->info("{}: made on another part of {}; {} of its {} questions are in {}",
                                  file.toStdString(), dataName, s.attributedIndices.size(), s.aggregate->count(),
                                  sameFile->info.name.toStdString());
        } else if (!s.datasets.empty()) {
            log::get("gui")->warn(
                "{}: made on {}, which is not open in this session (no open set has its "
                "fingerprint); the neuron views use the first questions of the training set",
                file.toStdString(), dataName);
        }
        emitNeuronScores(int(s.aggregate->count()), int(s.aggregate->count()), true);
    });
}

void EngineWorker::setNeuronScore(const QString& score) {
    runTask(Task::None, [&] {
        const auto spec = parseScoreSpec(score.toStdString());
        if (m_state->aggregate) m_state->aggregate->score(spec);  // throws for what the file cannot give
        m_state->scoreName = score.toStdString();
        if (m_state->aggregate) {
            const int n = int(m_state->aggregate->count());
            emitNeuronScores(n, n, true);
        }
    });
}

void EngineWorker::neuronDetail(int layer, int neuron, const CancelFlag* cancel) {
    runTask(Task::Neuron, [&] {
        auto& s = *m_state;
        s.requireModel();
        if (!s.aggregate) throw Error("", "", "no attributions yet", "run or open an attribution first");
        const auto& c = s.model->config();
        if (layer < 0 || layer >= c.nLayer || neuron < 0 || neuron >= c.nNeuron) {
            throw Error("", "neuron", "no neuron " + std::to_string(neuron) + " in layer " + std::to_string(layer));
        }
        NeuronDetail d;
        d.layer = layer;
        d.neuron = neuron;
        auto scores = s.aggregate->score(parseScoreSpec(s.scoreName));  // (nLayer, nNeuron)
        const double v = scores[layer][neuron].item<double>();
        d.score = float(v);
        d.rank = 1 + int((scores[layer] > v).sum().item<int64_t>());
        d.igMean = s.aggregate->mean()[layer][neuron].item<double>();
        d.igStd = s.aggregate->std()[layer][neuron].item<double>();
        const size_t flat = size_t(layer) * size_t(c.nNeuron) + size_t(neuron);
        for (const auto& q : s.questionIg) d.igPerQuestion.push_back(q[flat]);

        // Activation over the attributed questions (or, when the set they were attributed on is
        // not open, the first questions of the training set).
        auto* set = s.find(s.attributionDataset);
        const bool attributedSet = set != nullptr;
        if (set == nullptr) set = s.firstWithRole("train");
        if (set != nullptr) {
            s.ensureItems(*set);
            std::vector<size_t> indices;
            if (attributedSet)
                for (size_t i : s.attributedIndices)
                    if (i < set->items.size()) indices.push_back(i);
            if (indices.empty())
                for (size_t i = 0; i < std::min(set->items.size(), kActivationQuestions); ++i) indices.push_back(i);
            d.dataset = set->info.name;
            std::vector<ScoringItem> items;
            for (size_t i : indices) items.push_back(set->items[i]);
            d.activations =
                neuronActivations(*s.model, items, layer, neuron, settings::kScoringBatchSize.value, cancel);
            std::vector<size_t> order(d.activations.size());
            for (size_t i = 0; i < order.size(); ++i) order[i] = i;
            std::sort(order.begin(), order.end(),
                      [&](size_t a, size_t b) { return d.activations[a] > d.activations[b]; });
            for (size_t j = 0; j < order.size() && j < size_t(kTopQuestions); ++j) {
                const size_t q = indices[order[j]];
                std::vector<int32_t> context(set->items[q].context.begin(), set->items[q].context.end());
                d.exciting.push_back({int(q), QString::fromStdString(set->data.questions[q].question),
                                      QString::fromStdString(s.tokenizer->decode(context)), d.activations[order[j]]});
            }
        }
        // Tokens the neuron's output promotes: unembedding (V, d) @ output weights row (d,).
        auto w = s.model->neuronOutputWeights(layer)[neuron].to(torch::kFloat32);  // (d,)
        auto logits = s.model->unembedding().to(torch::kFloat32).matmul(w).cpu();  // (V,)
        d.promoted = topTokens(logits, *s.tokenizer, true);
        d.suppressed = topTokens(logits, *s.tokenizer, false);
        emit neuronDetailFinished(d);
    });
}

}  // namespace prunescope::ui
