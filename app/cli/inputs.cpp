#include "app/cli/inputs.h"

#include <cstdlib>

#include "core/eval/mcq_items.h"
#include "core/eval/provenance.h"
#include "core/model/model_io.h"
#include "core/util/device.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/log.h"
#include "core/util/memory.h"

namespace prunescope::cli {

void addModelOptions(ArgParser& parser) {
    parser
        .option("model", "PATH",
                "Hugging Face model folder (config.json, *.safetensors, tokenizer) or llama.cpp .gguf file")
        .required("model")
        .option("device", "D", "auto, cpu, cuda or cuda:N", "auto")
        .option("weights", "W",
                "How weights are held: float32, stored (bfloat16/float16 kept as in the checkpoint, widened one "
                "matrix at a time), or auto (stored when float32 would take over half the free memory)",
                "auto")
        .option("dtype", "T",
                "Compute dtype: float32, bfloat16 or float16 (the weights are then held in it too; norms, softmax, "
                "losses and Integrated Gradients' gates and sums stay float32; see docs/precision.md)",
                "float32")
        .flag("force", "Run even when the memory plan says the job will not fit");
}

void addDataOptions(ArgParser& parser, bool withLimit) {
    std::string formats;
    for (const auto& n : mcqFormatNames()) formats += (formats.empty() ? "" : ", ") + n;
    parser.option("data", "FILE", "Multiple-choice dataset file")
        .required("data")
        .option("format", "F", "Dataset format: " + formats, "auto")
        .flag("skip-invalid", "Skip invalid records (reported) instead of stopping at the first")
        .option("labels", "FILE", "PIQA / Social IQa: the answers file (default: <data stem>-labels.lst beside --data)")
        .flag("strict",
              "Refuse records that repeat an option's text (by default they load as published, "
              "with one warning per file: CommonsenseQA and MMLU have some)")
        .option("split", "S", "Questions to use: all, train, validation, test (seeded split)", "all")
        .option("split-seed", "N", "Seed of the train/validation/test split (80/10/10)", "0");
    if (withLimit) {
        parser.option("limit", "N", "Use at most the first N questions (0: all)", "0");
    } else {
        parser.option("score-first", "N", "Score only the first N questions of the split (0: all)", "0");
    }
}

void addPromptOptions(ArgParser& parser) {
    parser
        .option("scoring", "MODE", "letter (next token over A, B, ...) or continuation (option log-likelihood)",
                "letter")
        .option("template", "T", "Prompt template with {question} and {options}",
                "Question: {question}\\n{options}\\nAnswer:")
        .option("option-template", "T", "One option line, with {letter} and {text}", "{letter}. {text}")
        .option("task-preset", "NAME",
                "lm-evaluation-harness's prompt for a benchmark: arc, openbookqa, piqa, siqa, hellaswag, winogrande,\n"
                "sciq, truthfulqa-mc1, mmlu, commonsenseqa; it sets --scoring and replaces --template\n"
                "(docs/datasets.md, Task presets)",
                "none")
        .option("few-shot", "K", "Examples prepended to every prompt", "0")
        .option("few-shot-split", "S", "Split the examples come from", "train");
}

ModelLoadOptions modelLoadOptions(const Args& args) {
    ModelLoadOptions load;
    load.device = args.get("device");
    if (args.maybe("dtype")) load.compute = dtypeFromName(args.get("dtype"), "--dtype");
    if (args.maybe("weights")) load.weights = parseWeightHolding(args.get("weights"));
    if (load.compute != torch::kFloat && args.has("weights") && load.weights == WeightHolding::Float32) {
        throw UsageError("--weights float32 and --dtype " + args.get("dtype") +
                         " disagree: a narrow compute dtype holds the weights in it");
    }
    return load;
}

MemoryPlan checkMemoryPlan(const Args& args, PlanSettings& settings, bool force) {
    const auto load = modelLoadOptions(args);
    if (load.compute != torch::kFloat) settings.computeBytes = static_cast<int>(c10::elementSize(load.compute));
    return checkMemoryPlan(args.get("model"), args.get("device"), load.weights, settings, force);
}

MemoryPlan checkMemoryPlan(const std::filesystem::path& dir, const std::string& deviceSpec, WeightHolding holding,
                           PlanSettings& settings, bool force) {
    const auto config = readModelConfigAt(dir);
    const auto device = chooseDevice(deviceSpec);
    const int64_t available = availableMemoryBytes(device);
    settings.cuda = device.is_cuda();
    // A narrow compute dtype holds the weights in it; float32 computation holds them as `holding` says.
    settings.weightBytes = settings.computeBytes < 4
                               ? settings.computeBytes
                               : static_cast<int>(c10::elementSize(heldWeightDtype(config, holding, available)));
    auto plan = planMemory(config, settings, available);
    if (!plan.fits() && settings.job == PlanJob::Attribute && settings.rowsPerPass == 0) {
        if (const auto rows = fittingRowsPerPass(config, settings, available); rows > 0) {
            settings.rowsPerPass = rows;
            plan = planMemory(config, settings, available);
            log::get("memory")->info("{} scaled copies per pass, to fit in {}", rows, formatBytes(available));
        }
    }
    log::get("memory")->info("{}", plan.text());
    if (const char* out = std::getenv("PRUNESCOPE_PLAN_OUT"); out != nullptr && *out != 0) {  // bench memory
        auto json = plan.toJson();
        json["tokens"] = settings.tokens;
        json["rows_per_pass"] = settings.rowsPerPass;
        writeJsonAtomic(out, json);
    }
    if (!plan.fits() && !force) {
        std::string hint = plan.suggestions.empty()
                               ? "no setting of this job fits; a machine with more memory is needed"
                               : "these would fit: " + plan.suggestions.front();
        for (size_t i = 1; i < plan.suggestions.size(); ++i) hint += "; or " + plan.suggestions[i];
        throw Error(dir.string(), "memory plan",
                    std::string(planJobName(settings.job)) + " needs about " + formatBytes(plan.total) + " but " +
                        deviceName(device) + " has " + formatBytes(plan.available) + " free\n" + plan.text(),
                    hint + " (--force runs it anyway)");
    }
    return plan;
}

void sizeFromItems(const std::vector<ScoringItem>& items, ScoringMode mode, PlanSettings& settings) {
    const auto lengths = promptLengths(items, mode);
    settings.tokens = lengths.longest;
    settings.scoredTokens = lengths.scored;
}

ModelInput readModel(const Args& args, const PlanFor& plan) {
    ModelInput in;
    std::filesystem::path dir = args.get("model");
    in.tokenizer = Tokenizer::fromModel(dir);
    if (plan) {
        in.plan = plan(in.tokenizer);
        checkMemoryPlan(args, in.plan, args.has("force"));
    }
    in.model = loadModel(dir, modelLoadOptions(args));
    in.description = modelProvenance(*in.model, dir);
    return in;
}

DataInput readData(const Args& args, bool withLimit) {
    DataInput in;
    McqLoadOptions load;
    load.format = parseMcqFormat(args.get("format"));
    load.skipInvalid = args.has("skip-invalid");
    load.strict = args.has("strict");
    if (args.maybe("labels")) load.labelsFile = args.get("labels");
    in.all = loadMcqDataset(args.get("data"), load);
    if (!in.all.skipped.empty()) {
        std::string lines;
        for (size_t i = 0; i < in.all.skipped.size() && i < 20; ++i) {
            lines += (i ? ", " : "") + std::to_string(in.all.skipped[i].line);
        }
        log::get("data")->warn("{}: skipped {} invalid record(s) at line(s) {}{}; first: {}", args.get("data"),
                               in.all.skipped.size(), lines, in.all.skipped.size() > 20 ? ", ..." : "",
                               in.all.skipped.front().reason);
    }
    in.selection.split = args.get("split");
    in.selection.splitSpec.seed = static_cast<uint64_t>(args.getInt("split-seed"));
    in.selection.limit = args.getInt(withLimit ? "limit" : "score-first");
    if (args.maybe("few-shot")) {
        in.selection.fewShot = static_cast<int>(args.getInt("few-shot"));
        in.selection.fewShotSplit = args.get("few-shot-split");
    }
    in.selected = selectQuestions(in.all, in.selection);
    return in;
}

namespace {

std::string unescape(const std::string& text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) {
            char c = text[++i];
            out += c == 'n' ? '\n' : c == 't' ? '\t' : c;
        } else {
            out += text[i];
        }
    }
    return out;
}

}  // namespace

ScoringMode readScoringMode(const Args& args) {
    const TaskPreset preset = parseTaskPreset(args.get("task-preset"));
    if (preset == TaskPreset::None) return parseScoringMode(args.get("scoring"));
    const ScoringMode mode = presetScoringMode(preset);
    if (args.has("scoring") && parseScoringMode(args.get("scoring")) != mode) {
        throw UsageError("--task-preset " + taskPresetName(preset) + " scores " +
                         (mode == ScoringMode::Letter ? "answer letters" : "the options' text") + ", not --scoring " +
                         args.get("scoring"));
    }
    if (args.has("template") || args.has("option-template")) {
        throw UsageError("--task-preset " + taskPresetName(preset) + " writes the prompt itself: leave out --template");
    }
    return mode;
}

PromptTemplate readPrompt(const Args& args, const DataInput& data, ScoringMode mode) {
    PromptTemplate prompt;
    prompt.text = unescape(args.get("template"));
    prompt.option = unescape(args.get("option-template"));
    prompt.task = parseTaskPreset(args.get("task-preset"));
    validateTemplate(prompt);
    prompt.fewShotPrefix = fewShotPrefix(data.all, data.selection, mode == ScoringMode::Letter, prompt);
    return prompt;
}

void addScoreOption(ArgParser& parser) {
    parser.option("score", "S",
                  "How the questions' IG becomes one score per neuron: " + settings::kNeuronScore.names() +
                      ", optionally followed by +per-question (each question's IG / its largest |IG| first) and "
                      "+per-layer (then / the layer's largest |score|), e.g. mean+per-layer",
                  settings::kNeuronScore.nameOf(settings::kNeuronScore.value));
}

ScoreSpec readScoreSpec(const Args& args, const ScoreSpec& fallback) {
    return args.has("score") ? parseScoreSpec(args.get("score")) : fallback;
}

}  // namespace prunescope::cli
