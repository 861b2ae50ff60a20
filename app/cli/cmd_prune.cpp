// `prunescope-cli select` and `prunescope-cli finetune`: choose neurons from an attributions
// file (or a baseline with the same per-layer counts), and fine-tune with them pruned.
#include <cstdio>
#include <iostream>
#include <sstream>

#include "app/cli/commands.h"
#include "app/cli/common.h"
#include "app/cli/inputs.h"
#include "core/attribution/attribution_file.h"
#include "core/eval/mcq_items.h"
#include "core/model/model_io.h"
#include "core/prune/activation_stats.h"
#include "core/prune/selection.h"
#include "core/train/finetune.h"
#include "core/train/lora.h"
#include "core/train/pruned_model_io.h"
#include "core/util/files.h"
#include "core/util/sha256.h"

namespace prunescope::cli {
namespace {

std::vector<int64_t> parseLayerList(const std::string& text) {
    std::vector<int64_t> out;
    std::stringstream in(text);
    std::string part;
    while (std::getline(in, part, ',')) {
        if (part.empty()) continue;
        try {
            out.push_back(std::stoll(part));
        } catch (const std::exception&) {
            throw UsageError("--exclude-layers expects comma-separated layer numbers, got '" + text + "'");
        }
    }
    return out;
}

void printCounts(const NeuronMask& mask) {
    std::printf("selected %lld of %lld neurons; per layer:", (long long)mask.count(),
                (long long)(mask.nLayer * mask.nNeuron));
    for (auto c : mask.perLayerCounts()) std::printf(" %lld", (long long)c);
    std::printf("\n");
}

}  // namespace

int runSelect(const Argv& argv) {
    ArgParser parser(
        "prunescope-cli select --attributions A.safetensors --rule RULE [options] --out mask.json",
        "Choose the neurons to prune from per-neuron attribution scores, or build a baseline mask with\n"
        "the same number of neurons in every layer as another mask (--like M --baseline random|magnitude).");
    parser.option("attributions", "FILE", "attributions.safetensors from 'prunescope-cli attribute'")
        .option(settings::kPreset)
        .option(settings::kSelectRule)
        .option(settings::kPrunePercent)
        .option(settings::kSelectLayer)
        .option(settings::kSelectThreshold)
        .option(settings::kFractionOfMax)
        .option("exclude-layers", "L,L", "Layers never pruned")
        .option(settings::kPerLayerCap)
        .option(settings::kPrunePositions)
        .option("like", "MASK", "Baseline: copy the per-layer counts of this mask")
        .option("baseline", "B", "With --like: random or magnitude (mean |activation| on the attributed questions)")
        .option("seed", "N", "Random baseline seed", "0")
        .option("model", "PATH", "Magnitude baseline: the model (folder or .gguf) the attributions came from")
        .option("data", "FILE", "Magnitude baseline: the dataset the attributions came from")
        .option("device", "D", "auto, cpu, cuda", "auto")
        .option("out", "FILE", "Output mask.json (atomic)")
        .required("out");
    addScoreOption(parser);
    return guarded("select", [&] {
        auto args = parser.parse(argv);
        if (!args) return int(kOk);
        NeuronMask mask;
        if (args->maybe("like")) {
            auto like = readMask(args->get("like"));
            std::string baseline = args->get("baseline");
            if (baseline == "random") {
                mask = randomLike(like, static_cast<uint64_t>(args->getInt("seed")));
            } else if (baseline == "magnitude") {
                if (!args->maybe("attributions") || !args->maybe("model") || !args->maybe("data")) {
                    throw UsageError("--baseline magnitude needs --attributions, --model and --data");
                }
                startCommand({false, false});
                auto file = readAttributionFile(args->get("attributions"));
                const auto& ds = file.meta["dataset"];
                McqLoadOptions load;
                load.format = parseMcqFormat(ds.value("format", "auto"));
                auto all = loadMcqDataset(args->get("data"), load);
                QuestionSelection selection;
                selection.split = ds.value("split", "all");
                selection.splitSpec.seed = ds.value("split_seed", uint64_t(0));
                auto data = selectQuestions(all, selection);
                if (data.fingerprint() != ds.value("fingerprint", "")) {
                    throw Error(args->get("data"), "",
                                "is not the dataset the attributions were computed on (fingerprint differs)");
                }
                auto model = loadModel(args->get("model"), {args->get("device")});
                auto tokenizer = Tokenizer::fromModel(args->get("model"));
                PromptTemplate prompt;
                const auto& p = file.meta["scoring"]["prompt"];
                prompt.text = p.value("template", prompt.text);
                prompt.option = p.value("option_template", prompt.option);
                prompt.fewShotPrefix = p.value("few_shot_prefix", "");
                auto items = buildScoringItems(data, tokenizer, ScoringMode::Letter, prompt);
                std::vector<size_t> indices;
                for (const auto& r : file.aggregate.records()) indices.push_back(static_cast<size_t>(r.index));
                mask = magnitudeLike(like, meanAbsActivation(*model, items, indices));
            } else {
                throw UsageError("--like needs --baseline random or magnitude");
            }
        } else {
            if (!args->maybe("attributions")) throw UsageError("--attributions is required (or --like for a baseline)");
            auto file = readAttributionFile(args->get("attributions"));
            // The preset's rule, percent and score, each replaced by its option when that is given.
            const auto preset = methodSettings(args->get(settings::kPreset));
            SelectionSpec spec;
            spec.rule = args->getOr(settings::kSelectRule, preset.rule);
            spec.percent = args->getOr(settings::kPrunePercent, preset.percent);
            spec.layer = args->get(settings::kSelectLayer);
            spec.threshold = args->get(settings::kSelectThreshold);
            spec.fraction = args->get(settings::kFractionOfMax);
            spec.excludeLayers = parseLayerList(args->get("exclude-layers"));
            spec.perLayerCap = args->get(settings::kPerLayerCap);
            spec.positions = args->get(settings::kPrunePositions);
            const auto score = readScoreSpec(*args, preset.score);
            mask = selectNeurons(file.aggregate.score(score), spec, file.aggregate.layerTotals(score));
            mask.meta["score"] = scoreSpecName(score);
            mask.meta["preset"] = presetName(args->get(settings::kPreset));
            mask.meta["source"] = {{"file", args->get("attributions")},
                                   {"sha256", sha256File(args->get("attributions"))},
                                   {"model", file.meta.value("model", nlohmann::json())},
                                   {"dataset", file.meta.value("dataset", nlohmann::json())},
                                   {"questions", file.aggregate.count()}};
        }
        writeMask(args->get("out"), mask);
        printCounts(mask);
        std::printf("wrote %s\n", args->get("out").c_str());
        return int(kOk);
    });
}

int runFinetune(const Argv& argv) {
    ArgParser parser("prunescope-cli finetune --model PATH --data FILE [--mask mask.json] --out DIR2 [options]",
                     "Fine-tune on the train split (validation split for evaluation and keep-best), with the\n"
                     "neurons of --mask pruned throughout. Writes a Hugging Face model folder with the pruning\n"
                     "baked into the weights, plus prunescope.json (base model, mask, settings, metrics). The\n"
                     "input folder is never written to. With --lora R the base weights stay frozen and only\n"
                     "rank-R LoRA adapters train; --out still gets the full model (adapters merged, pruning\n"
                     "baked in), and --save-adapter also writes the adapter as a Hugging Face PEFT folder\n"
                     "(pruned neurons zeroed in it too).");
    addModelOptions(parser);
    parser.option("data", "FILE", "Multiple-choice dataset file")
        .required("data")
        .option("format", "F", "Dataset format", "auto")
        .flag("skip-invalid", "Skip invalid records")
        .option("labels", "FILE", "PIQA / Social IQa: the answers file (default: beside --data)")
        .flag("strict", "Refuse records that repeat an option's text (kept as published otherwise)")
        .option("split-seed", "N", "Seed of the train/validation/test split (80/10/10)", "0")
        .option("train-split", "S", "Split to train on", "train")
        .option("train-first", "N", "Train on the first N questions of that split only (0: all)", "0")
        .option("validation-split", "S", "Split to evaluate on (none: no evaluation)", "validation");
    addPromptOptions(parser);
    parser.option("mask", "FILE", "mask.json of neurons to prune")
        .option("out", "DIR", "Output model folder")
        .required("out")
        .option("config", "FILE", "Fine-tuning settings as JSON (fields as in docs/finetuning.md); flags override")
        .option(settings::kLearningRate)
        .option(settings::kWeightDecay)
        .option("schedule", "S", "constant, linear or cosine", "cosine")
        .option(settings::kWarmupFraction)
        .alias("warmup-fraction", "warmup")
        .option(settings::kTrainBatchSize)
        .option(settings::kGradAccum)
        .option(settings::kClipNorm)
        .alias("clip-norm", "clip")
        .option(settings::kEpochs)
        .option(settings::kMaxSteps)
        .option("trainable", "T", "all, ffn or last:K (full fine-tuning only)", "all")
        .option(settings::kLoraRank)
        .alias("lora-rank", "lora")
        .option(settings::kLoraAlpha)
        .option(settings::kLoraDropout)
        .option("lora-targets", "LIST",
                "attention, ffn, all, or module names (q_proj,v_proj,...; GPT-2: c_attn,c_proj,c_fc)", "all")
        .option("save-adapter", "DIR",
                "With --lora: also write the adapter here (PEFT adapter_config.json + "
                "adapter_model.safetensors)")
        .flag("checkpoint-activations",
              "Keep only each block's input and recompute the block in the backward pass (less memory, ~1.3x the time)")
        .option(settings::kEvalEvery)
        .option(settings::kPatience)
        .option(settings::kTrainSeed)
        .option(settings::kL1Activation)
        .alias("l1-activation", "l1")
        .option("checkpoint-every", "N", "Steps between checkpoints (OUT.checkpoint)", "0")
        .flag("resume", "Continue from OUT.checkpoint")
        .option("save-dtype", "T", "Dtype of the saved weights: float32, float16, bfloat16", "float32")
        .flag("quiet", "Only warnings and errors on stderr");
    return guarded("finetune", [&] {
        auto args = parser.parse(argv);
        if (!args) return int(kOk);
        startCommand({args->has("quiet"), false});
        FinetuneSettings s;
        if (args->maybe("config"))
            s = FinetuneSettings::fromJson(readJsonFile(args->get("config")), args->get("config"));
        auto given = [&](const char* name) { return args->has(name) || !args->maybe("config"); };
        using namespace settings;
        if (given("lr")) s.lr = args->get(kLearningRate);
        if (given("weight-decay")) s.weightDecay = args->get(kWeightDecay);
        if (given("schedule")) s.schedule = args->get("schedule");
        if (given("warmup-fraction")) s.warmupFraction = args->get(kWarmupFraction);
        if (given("batch-size")) s.batchSize = args->get(kTrainBatchSize);
        if (given("grad-accum")) s.gradAccum = args->get(kGradAccum);
        if (given("clip-norm")) s.clipNorm = args->get(kClipNorm);
        if (given("epochs")) s.epochs = args->get(kEpochs);
        if (given("max-steps")) s.maxSteps = args->get(kMaxSteps);
        if (given("trainable")) s.trainable = args->get("trainable");
        if (args->has("checkpoint-activations")) s.checkpointActivations = true;
        if (given("eval-every")) s.evalEvery = args->get(kEvalEvery);
        if (given("patience")) s.patience = args->get(kPatience);
        if (given("seed")) s.seed = static_cast<uint64_t>(args->get(kTrainSeed));
        if (given("l1-activation")) s.l1Activation = args->get(kL1Activation);
        if (given("lora-rank")) s.lora.rank = args->get(kLoraRank);
        if (given("lora-alpha")) s.lora.alpha = args->get(kLoraAlpha);
        if (given("lora-dropout")) s.lora.dropout = args->get(kLoraDropout);
        if (given("lora-targets")) s.lora.targets = parseLoraTargets(args->get("lora-targets"), "settings");
        s.mode = readScoringMode(*args);
        s.checkpointEvery = args->getInt("checkpoint-every");
        std::filesystem::path out = args->get("out");
        s.checkpointDir = out.string() + ".checkpoint";
        s.resume = args->has("resume");
        FinetuneSettings::fromJson(s.toJson(), "settings");  // validates the combination
        if (args->maybe("save-adapter") && !s.lora.enabled()) throw UsageError("--save-adapter needs --lora R (R > 0)");

        McqLoadOptions load;
        load.format = parseMcqFormat(args->get("format"));
        load.skipInvalid = args->has("skip-invalid");
        load.strict = args->has("strict");
        if (args->maybe("labels")) load.labelsFile = args->get("labels");
        auto all = loadMcqDataset(args->get("data"), load);
        QuestionSelection trainSel, valSel;
        trainSel.split = args->get("train-split");
        valSel.split = args->get("validation-split");
        trainSel.splitSpec.seed = valSel.splitSpec.seed = static_cast<uint64_t>(args->getInt("split-seed"));
        trainSel.limit = args->getInt("train-first");
        auto trainData = selectQuestions(all, trainSel);
        McqDataset valData;
        if (valSel.split != "none") valData = selectQuestions(all, valSel);
        DataInput promptData{all, trainData, trainSel};
        auto prompt = readPrompt(*args, promptData, s.mode);
        std::vector<ScoringItem> train, validation;
        auto input = readModel(*args, [&](const Tokenizer& tokenizer) {
            train = buildScoringItems(trainData, tokenizer, s.mode, prompt);
            validation = buildScoringItems(valData, tokenizer, s.mode, prompt);
            auto plan = finetunePlanSettings(s, readModelConfigAt(args->get("model")).modelType, !validation.empty());
            sizeFromItems(train, s.mode, plan);
            return plan;
        });
        std::optional<NeuronMask> mask;
        if (args->maybe("mask")) {
            mask = readMask(args->get("mask"));
            checkMaskFits(*mask, input.model->config().nLayer, input.model->config().nNeuron, args->get("mask"));
            checkPrunePositions(s.mode, !mask->bakeable(), args->get("mask"));
        }
        ProgressBar bar(!args->has("quiet"));
        EtaClock clock;
        auto result = finetune(
            *input.model, train, validation, mask ? &*mask : nullptr, s,
            [&](const TrainPoint& p) {
                bar.update({"fine-tuning", p.step, p.totalSteps, p.etaSeconds});
            },
            interruptFlag());
        bar.finish();
        // The adapter first: the model folder's prunescope.json names it.
        if (args->maybe("save-adapter")) saveLoraAdapter(result.adapter, args->get("save-adapter"), args->get("model"));
        nlohmann::json record = {{"base_model", input.description},
                                 {"dataset",
                                  {{"file", args->get("data")},
                                   {"fingerprint", trainData.fingerprint()},
                                   {"train_questions", train.size()},
                                   {"validation_questions", validation.size()}}},
                                 {"mask", nullptr},
                                 {"settings", s.toJson()},
                                 {"prompt", promptJson(prompt)},
                                 {"metrics", result.toJson()}};
        if (mask) record["mask"] = {{"file", args->get("mask")}};
        if (args->maybe("save-adapter")) record["adapter"] = args->get("save-adapter");
        ModelSaveOptions save;
        save.dtype = args->get("save-dtype");
        save.copyFilesFrom = args->get("model");
        // prunescope.json (and mask.json) are written with the model, in the one atomic step.
        const auto saved = savePrunedModel(*input.model, out, mask ? &*mask : nullptr, save, record);
        if (!saved.maskInWeights) {
            std::fprintf(stderr,
                         "note: the mask prunes at the last position only, so it is not in the saved weights; "
                         "apply it with --mask %s\n",
                         saved.maskFile.string().c_str());
        }
        removeDirectory(s.checkpointDir);  // never seen half removed by a later --resume
        const auto& last = result.history.back();
        std::printf("trained %lld steps; final loss %.4f", (long long)result.steps, last.loss);
        if (result.bestValidationAccuracy >= 0) {
            std::printf("; best validation accuracy %.4f at step %lld", result.bestValidationAccuracy,
                        (long long)result.bestStep);
        }
        std::printf("\nwrote %s\n", out.string().c_str());
        if (args->maybe("save-adapter")) std::printf("wrote %s\n", args->get("save-adapter").c_str());
        return int(kOk);
    });
}

}  // namespace prunescope::cli
