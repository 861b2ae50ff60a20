// The vocabulary between the UI thread and the engine worker: requests and results as plain values
// (strings, numbers, std::vector<float> + shape). No torch type crosses the thread boundary.
#pragma once

#include <QMetaType>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/data/mcq.h"
#include "core/prune/neuron_mask.h"
#include "core/settings/presets.h"
#include "core/train/finetune.h"

namespace prunescope {
class Tokenizer;
}

namespace prunescope::ui {

// What kind of long task is running (one at a time in the worker's queue).
enum class Task { None, LoadModel, LoadData, Score, Attribute, Neuron, Preview, Finetune, Experiment, Demo };
QString taskName(Task task);

struct ProgressValue {
    Task task = Task::None;
    QString stage;
    int64_t done = 0;
    int64_t total = 0;
    double etaSeconds = -1;
};

struct TaskError {
    Task task = Task::None;
    QString message;         // one line a user can act on
    QString details;         // file, place, hint, the exception type
    bool cancelled = false;  // the user cancelled: not an error to show
};

struct ModelCard {
    QString dir;
    QString modelType;
    int64_t nLayer = 0, nNeuron = 0, dModel = 0, nHead = 0, nKvHead = 0, nVocab = 0, nCtx = 0;
    int64_t parameters = 0;
    int64_t memoryBytes = 0;
    QString storedDtype;
    QString computeDtype;  // float32, bfloat16, float16: what activations are computed in
    QString activation;
    QString device;
    QString deviceId;     // "cpu", "cuda:0": where the weights are
    int weightBytes = 4;  // bytes per weight as held (4, or 2 when kept as stored or computing narrow)
    std::shared_ptr<const ModelConfig> config;
    QString tokenizerKind;
    // Immutable and thread-safe to read: the UI tokenizes typed text itself, without the worker.
    std::shared_ptr<const Tokenizer> tokenizer;
};

// Roles of a dataset: a "train" file is split into train (90 %) and validation (10 %) parts,
// each listed as a dataset of its own; "test" is the in-distribution test set; "ood" the others.
struct DatasetInfo {
    QString name;  // unique in the session
    QString path;
    QString role;  // train, validation, test, ood
    QString format;
    int questions = 0;
    int skipped = 0;
    // The first few questions (kSampleQuestions), for what the UI shows without the worker: the
    // prompt preview and the check that the prompt can score this set.
    std::vector<McqQuestion> sample;
    static constexpr size_t kSampleQuestions = 20;
    // Its prompts as the open model reads them (core's PromptLengths), measured when its questions
    // are first tokenized (scoring, attribution, fine-tuning); 0 until then, and again after the
    // model or the prompt changes. The memory plans size activations by them.
    int64_t promptTokens = 0;
    int64_t scoredTokens = 0;
};

// How questions are put to the model, as the session keeps it (core's PromptTemplate and
// ScoringMode); empty strings are the defaults.
struct PromptChoice {
    QString text;     // the template: {question}, {options}, {extra.NAME}; empty: Prunescope's
    QString option;   // one option line: {letter}, {text}; empty: Prunescope's
    QString preset;   // a task preset (lm-evaluation-harness's prompt) that replaces both; empty: none
    QString scoring;  // without a preset: "letter" or "continuation" (empty: letter); a preset sets its own

    bool operator==(const PromptChoice& o) const {
        return text == o.text && option == o.option && preset == o.preset && scoring == o.scoring;
    }
    bool operator!=(const PromptChoice& o) const { return !(*this == o); }
};

struct QuestionRow {
    int index = 0;
    QString id;
    QString question;
    QStringList options;
    int gold = -1;
    int predicted = -1;
    double confidence = 0;
    double margin = 0;
    bool correct = false;
    std::vector<double> probs;                 // per option: the model's probability
    std::map<std::string, std::string> extra;  // the question's extra fields (for the exact prompt)
};

struct ScoreResult {
    QString dataset;
    std::vector<QuestionRow> rows;  // the first rows.size() questions of the dataset
    int total = 0;                  // questions in the dataset
    bool complete() const { return int(rows.size()) == total; }
    QString preset;  // the task preset the scores were made with ("none": Prunescope's prompt)
    double accuracy = 0;
    std::optional<double> accuracyNorm;  // continuation scoring (lm-eval's acc_norm)
    double meanConfidence = 0;
};

// Per-neuron scores, (layer, neuron) row-major.
struct NeuronScores {
    int nLayer = 0;
    int nNeuron = 0;
    std::vector<float> values;
    std::vector<float> layerTotals;  // (nLayer,) for the largest-layer rule (IgAggregate::layerTotals)
    QString scoreName;               // mean, mean-abs+per-layer, ... (core's scoreSpecName)
    QString preset;                  // the preset of the run ("" when the file does not say)
    int questions = 0;               // attributed so far
    int total = 0;                   // to attribute in this run
    bool final = false;
    QString file;  // where it was written or read (final only)
    // Final frames only, (layer, neuron) like values: IG statistics over the attributed questions
    // (the ranked-neuron table), whatever score `values` holds.
    // A statistic the aggregate cannot give (an older file) is empty.
    std::vector<float> igMean, igStd, igMeanAbs, topKShare;
};

struct AttributionRequest {
    QString dataset;
    IgSettings ig;  // core's defaults unless the panel sets them
    QuestionFilter filter;
    int topK = static_cast<int>(settings::kTopK.value);
    ScoreSpec score;                          // what the heatmap shows
    Preset preset = settings::kPreset.value;  // recorded in the file, with what differs from it
    QString outFile;                          // written at the end ("" : not written)
};

struct TokenScore {
    QString token;  // as text (core's tokenDisplayText: " Kant" shown "␣Kant")
    QString vocab;  // as the vocabulary writes it ("ĠKant")
    int id = -1;
    float value = 0;
};

struct QuestionActivation {
    int index = 0;     // in NeuronDetail::dataset
    QString question;  // its text
    QString prompt;    // the exact text the model read
    float value = 0;
};

struct NeuronDetail {
    int layer = 0, neuron = 0;
    float score = 0;
    int rank = 0;                      // within the layer, 1 = highest
    std::vector<float> igPerQuestion;  // this run's questions (empty for files read from disk)
    double igMean = 0, igStd = 0;
    std::vector<float> activations;            // one per question of the attribution set
    std::vector<QuestionActivation> exciting;  // highest activations first
    QString dataset;                           // the set those questions are from
    std::vector<TokenScore> promoted;          // largest unembedding . output weights
    std::vector<TokenScore> suppressed;        // smallest
};

struct PreviewResult {
    uint64_t generation = 0;
    QString dataset;
    double baseAccuracy = 0;
    double maskedAccuracy = 0;
    int64_t pruned = 0;
    int questions = 0;
    double seconds = 0;  // the preview's time (both passes, or one when the base was known)
    // When asked for: the test and OOD sets too, each without and with the mask.
    struct Set {
        QString dataset, role;
        double baseAccuracy = 0, maskedAccuracy = 0;
        int questions = 0;
    };
    std::vector<Set> others;
};

struct TrainPointValue {
    QString runLabel;
    int64_t step = 0, totalSteps = 0;
    double loss = 0, lr = 0;
    double validationAccuracy = -1;  // -1: not evaluated at this step
    double etaSeconds = -1;
};

struct FinetuneRequest {
    QString arm = "plain";  // plain, ig, random, magnitude
    int seed = 0;
    FinetuneSettings settings;
    NeuronMask selection;  // the IG selection (random and magnitude copy its per-layer counts)
    QString saveTo;        // a folder to save the fine-tuned, pruned model to (empty: not saved)
};

struct DatasetAccuracy {
    QString dataset;
    QString kind;  // id, ood
    double accuracy = 0;
    double meanConfidence = 0;
};

struct SystemValue {
    QString device;
    int threads = 1;   // the threads doing the heavy work: LibTorch's, or OpenBLAS's where it has its own
    QString versions;  // Prunescope and LibTorch
};

struct RunResult {
    QString arm;
    int seed = 0;
    int64_t pruned = 0;
    int64_t steps = 0;
    double bestValidationAccuracy = -1;
    std::vector<DatasetAccuracy> base;     // the base model, unpruned
    std::vector<DatasetAccuracy> results;  // after pruning + fine-tuning
    QString savedTo;                       // the model folder written (empty: none)
    bool maskInWeights = true;             // false: the mask is beside the weights (savedTo/mask.json)
    double savedLogitDiff = -1;            // the folder loaded back vs the trained model: largest |Δ logit|
};

}  // namespace prunescope::ui

Q_DECLARE_METATYPE(prunescope::ui::Task)
Q_DECLARE_METATYPE(prunescope::ui::ProgressValue)
Q_DECLARE_METATYPE(prunescope::ui::TaskError)
Q_DECLARE_METATYPE(prunescope::ui::ModelCard)
Q_DECLARE_METATYPE(prunescope::ui::DatasetInfo)
Q_DECLARE_METATYPE(prunescope::ui::ScoreResult)
Q_DECLARE_METATYPE(prunescope::ui::NeuronScores)
Q_DECLARE_METATYPE(prunescope::ui::NeuronDetail)
Q_DECLARE_METATYPE(prunescope::ui::PreviewResult)
Q_DECLARE_METATYPE(prunescope::ui::TrainPointValue)
Q_DECLARE_METATYPE(prunescope::ui::RunResult)
Q_DECLARE_METATYPE(prunescope::ui::SystemValue)
Q_DECLARE_METATYPE(prunescope::NeuronMask)
Q_DECLARE_METATYPE(nlohmann::json)
