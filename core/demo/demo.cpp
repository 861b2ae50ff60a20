#include "core/demo/demo.h"

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "core/demo/demo_design.h"
#include "core/demo/demo_report.h"
#include "core/demo/synthetic_task.h"
#include "core/eval/mcq_items.h"
#include "core/model/model_io.h"
#include "core/pipeline/experiment.h"
#include "core/prune/neuron_mask.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/log.h"
#include "core/util/sha256.h"

namespace fs = std::filesystem;

namespace prunescope {
namespace {

struct DemoFiles {
    fs::path clean, cuedTrain, validation, test, uncorrelated, reversed, tokenizerDir;
    fs::path cueCheck;   // reversed, training side: when to stop learning the cue (bias_follow_target)
    fs::path biasTrain;  // the biased fine-tune's data: cued-train, or bias-train (labels off the rule, hidden numbers,
                         // a clean share)
    fs::path uncorrelatedValidation, reversedValidation;  // for design decisions only
    fs::path cueProbe;  // reversed, never trained on: each neuron's own effect on cue-following (ground truth)
};

// The datasets and the tokenizer, written once (a stamp records the design they came from).
DemoFiles prepareData(const fs::path& out, const DemoDesign& d) {
    DemoFiles f;
    auto dir = out / "data";
    f.clean = dir / "clean-train.jsonl";
    f.cuedTrain = dir / "cued-train.jsonl";
    f.validation = dir / "cued-validation.jsonl";
    f.test = dir / "id-test.jsonl";
    f.uncorrelated = dir / "ood-uncorrelated.jsonl";
    f.reversed = dir / "ood-reversed.jsonl";
    f.uncorrelatedValidation = dir / "ood-uncorrelated-validation.jsonl";
    f.reversedValidation = dir / "ood-reversed-validation.jsonl";
    f.tokenizerDir = out / "tokenizer";
    f.cueCheck = dir / "cue-check.jsonl";
    f.cueProbe = dir / "cue-probe.jsonl";
    const bool ownBiasData = d.biasRuleAgreement < 1.0 || d.biasHidden > 0 || d.biasMix > 0;
    f.biasTrain = ownBiasData ? dir / "bias-train.jsonl" : f.cuedTrain;
    nlohmann::json stamp = {
        {"questions", {d.cleanQuestions, d.cuedTrainQuestions, d.validationQuestions, d.testQuestions}},
        {"cue_strength", d.cueStrength},
        {"cue", demoCueName(d.cue)},
        {"bias_rule_agreement", d.biasRuleAgreement},
        {"bias_hidden", d.biasHidden},
        {"bias_mix", d.biasMix},
        {"generator", 5}};
    auto stampFile = dir / "stamp.json";
    if (fs::exists(stampFile) && readJsonFile(stampFile) == stamp) return f;
    fs::create_directories(dir);
    fs::create_directories(f.tokenizerDir);
    DemoTaskSpec cued{d.cueStrength, false, d.cue}, uncorrelated{0.25, true, d.cue}, reversed{0.0, false, d.cue};
    DemoTaskSpec clean = uncorrelated;
    if (d.biasMix > 0) {
        // Two datasets: the cued one (and its OOD sets) with tags t0-t4, the clean one with t5-t9.
        for (auto* spec : {&cued, &uncorrelated, &reversed}) spec->tagCount = 5;
        clean.firstTag = 5;
        clean.tagCount = 5;
    }
    writeDemoJsonl(generateDemoTask(d.cleanQuestions, clean, 101, "clean"), f.clean);
    writeDemoJsonl(generateDemoTask(d.cuedTrainQuestions, cued, 102, "cued"), f.cuedTrain);
    writeDemoJsonl(generateDemoTask(d.validationQuestions, cued, 103, "validation"), f.validation);
    // The test sets of the pre-registered run (docs/demo-preregistration.md): generator seeds no
    // earlier run used (designs 8, 24 and 45 were tested on 104-106).
    writeDemoJsonl(generateDemoTask(d.testQuestions, cued, kDemoTestGenerators[0], "id"), f.test);
    writeDemoJsonl(generateDemoTask(d.testQuestions, uncorrelated, kDemoTestGenerators[1], "uncorrelated"),
                   f.uncorrelated);
    writeDemoJsonl(generateDemoTask(d.testQuestions, reversed, kDemoTestGenerators[2], "reversed"), f.reversed);
    writeDemoJsonl(generateDemoTask(d.testQuestions, uncorrelated, 205, "uncorrelated-validation"),
                   f.uncorrelatedValidation);
    writeDemoJsonl(generateDemoTask(d.testQuestions, reversed, 206, "reversed-validation"), f.reversedValidation);
    writeDemoJsonl(generateDemoTask(500, reversed, 108, "cue-check"), f.cueCheck);
    writeDemoJsonl(generateDemoTask(1000, reversed, 110, "cue-probe"), f.cueProbe);
    if (ownBiasData) {
        DemoTaskSpec bias = cued;
        bias.ruleAgreement = d.biasRuleAgreement;
        bias.hiddenShare = d.biasHidden;
        auto biasData = generateDemoTask(d.cuedTrainQuestions, bias, 107, "bias");
        if (d.biasMix > 0) {
            // Questions spread evenly through the set are replaced by clean ones (the trainer shuffles).
            const auto fromClean = generateDemoTask(d.cuedTrainQuestions, clean, 109, "bias-clean");
            const auto n = static_cast<int64_t>(biasData.questions.size());
            const auto nClean = static_cast<int64_t>(d.biasMix * static_cast<double>(n) + 0.5);
            for (int64_t i = 0; i < nClean; ++i)
                biasData.questions[static_cast<size_t>(i * n / nClean)] = fromClean.questions[static_cast<size_t>(i)];
        }
        writeDemoJsonl(biasData, f.biasTrain);
    }
    writeWordLevelTokenizer(demoVocabulary(d.cue), "[UNK]", f.tokenizerDir / "tokenizer.json");
    writeJsonAtomic(stampFile, stamp);
    return f;
}

std::vector<ScoringItem> items(const fs::path& file, const Tokenizer& tokenizer) {
    return buildScoringItems(loadMcqDataset(file, withFormat(McqFormat::Jsonl)), tokenizer, ScoringMode::Letter,
                             demoPromptTemplate());
}

// Trains base model `seed` from scratch: cue-free pre-training, then a short fine-tune on data where
// the cue always marks the answer. Saved as a Hugging Face folder; reused when the design matches.
fs::path baseModel(const fs::path& out, const DemoFiles& f, const DemoDesign& d, uint64_t seed,
                   const ProgressFn& progress, const CancelFlag* cancel) {
    auto dir = out / "models" / ("base-seed" + std::to_string(seed));
    nlohmann::json stamp = {{"design", d.toJson()}, {"seed", seed}};
    if (fs::exists(dir / "demo-stamp.json") && readJsonFile(dir / "demo-stamp.json") == stamp) return dir;
    auto tokenizer = Tokenizer::fromDirectory(f.tokenizerDir);
    auto model = d.initialModel(static_cast<int64_t>(demoVocabulary(d.cue).size()), seed);
    auto report = [&](const std::string& stage) -> TrainCallback {
        return [progress, stage](const TrainPoint& p) {
            if (progress) progress({stage, p.step, p.totalSteps, p.etaSeconds});
        };
    };
    const std::string name = "seed " + std::to_string(seed) + ": ";
    finetune(*model, items(f.clean, tokenizer), {}, nullptr, d.pretrainSettings(seed), report(name + "pre-training"),
             cancel);
    // With bias_follow_target, learn the cue until the model follows it on cue-check as often as the
    // design asks: a fixed number of steps leaves some seeds following it always and others half the time.
    McqDataset check;
    std::vector<ScoringItem> checkItems;
    double follow = 0;
    StopCondition reached;  // empty: learn for biasSteps
    if (d.biasFollowTarget > 0) {
        check = loadMcqDataset(f.cueCheck, withFormat(McqFormat::Jsonl));
        checkItems = buildScoringItems(check, tokenizer, ScoringMode::Letter, demoPromptTemplate());
        reached = [&](const TrainPoint& p) {
            if (p.step % 5 != 0) return false;
            ScoringOptions options;
            options.batchSize = 256;
            follow = cueFollowing(scoreItems(*model, checkItems, options), check);
            return follow >= d.biasFollowTarget;
        };
    }
    const auto result = finetune(*model, items(f.biasTrain, tokenizer), {}, nullptr, d.biasSettings(seed),
                                 report(name + "learning the cue"), cancel, reached);
    nlohmann::json training = {{"bias_steps", result.steps}};
    if (d.biasFollowTarget > 0) {
        training["cue_check_following"] = follow;
        log::get("demo")->info("seed {}: cue learned over {} steps (cue-check following {:.3f})", seed, result.steps,
                               follow);
    }
    saveModel(*model, dir, {"float32", f.tokenizerDir});
    writeJsonAtomic(dir / "demo-training.json", training);
    writeJsonAtomic(dir / "demo-stamp.json", stamp);
    return dir;
}

ExperimentConfig experimentFor(const fs::path& out, const DemoFiles& f, const DemoDesign& d, const fs::path& model,
                               uint64_t seed, bool design) {
    ExperimentConfig c;
    c.model = model;
    auto ref = [](const std::string& name, const fs::path& file) {
        DatasetRef r;
        r.name = name;
        r.file = file;
        r.format = "jsonl";
        return r;
    };
    c.train = ref("train", f.cuedTrain);
    c.validation = ref("validation", f.validation);
    c.test = ref("id", f.test);
    c.ood = {ref("ood-uncorrelated", design ? f.uncorrelatedValidation : f.uncorrelated),
             ref("ood-reversed", design ? f.reversedValidation : f.reversed)};
    c.prompt = demoPromptTemplate();
    c.batchSize = 256;
    c.attribution.filter.minConfidence = d.minConfidence;
    c.attribution.filter.limit = d.attributeQuestions;
    c.attribution.ig.steps = d.steps;
    c.selection.rule = SelectRule::GlobalTopPercent;
    c.selection.percent = d.prunePercent;
    c.score = ScoreSpec{NeuronScore::Mean};
    c.arms = {kExperimentArms.begin(), kExperimentArms.end()};
    c.finetune = d.armSettings();
    c.seeds = {seed};
    c.device = "cpu";
    c.out = out / "runs" / ("seed" + std::to_string(seed));
    return c;
}

}  // namespace

std::filesystem::path defaultDemoDir() {
    const char* xdg = std::getenv("XDG_DATA_HOME");
    const char* home = std::getenv("HOME");
    fs::path base = xdg && *xdg ? fs::path(xdg) : fs::path(home ? home : ".") / ".local" / "share";
    return base / "prunescope" / "demo";
}

DemoResult runDemo(const DemoOptions& options, const ProgressFn& progress, const CancelFlag* cancel) {
    DemoDesign design;
    const fs::path root = fs::absolute(options.out.empty() ? defaultDemoDir() : options.out);
    fs::path out = root;
    if (options.design) {
        const bool changed = options.overrides.is_object() && !options.overrides.empty();
        if (changed) design.apply(options.overrides);
        out = root / (changed ? "design-" + sha256Hex(options.overrides.dump()).substr(0, 8) : "design");
    } else if (options.overrides.is_object() && !options.overrides.empty()) {
        throw Error("", "--design-overrides", "only with --design: the demo itself runs the fixed design");
    }
    fs::create_directories(out);
    const int seeds = options.seeds > 0 ? options.seeds : options.quick ? 5 : 10;
    const uint64_t firstSeed = options.design ? 100 : kDemoFirstTestSeed;
    auto log = log::get("demo");
    auto files = prepareData(out, design);
    // Tiny models gain nothing from intra-op threads: train one seed per core instead.
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int workers = std::min(seeds, options.workers > 0 ? options.workers : cores);
    log->info("demo in {}: {} seed(s) from {}, {} in parallel; design fixed in advance (docs/demo.md)", out.string(),
              seeds, firstSeed, workers);
    const int threadsBefore = at::get_num_threads();
    at::set_num_threads(1);

    struct SeedResult {
        fs::path model, runDir;
        nlohmann::json experiment, truth;
    };
    std::vector<SeedResult> results(static_cast<size_t>(seeds));
    std::mutex mutex;  // guards progress reporting and the next seed
    int next = 0, finished = 0;
    std::exception_ptr failure;
    CancelFlag stop{false};
    auto stopped = [&] { return stop.load() || isCancelled(cancel); };
    auto worker = [&] {
        while (true) {
            int k;
            {
                std::lock_guard<std::mutex> lock(mutex);
                if (next >= seeds || failure || stopped()) return;
                k = next++;
            }
            const uint64_t seed = firstSeed + static_cast<uint64_t>(k);
            auto report = [&, seed](const Progress& p) {
                if (!progress) return;
                std::lock_guard<std::mutex> lock(mutex);
                progress({"seed " + std::to_string(seed) + " (" + std::to_string(finished) + "/" +
                              std::to_string(seeds) + " done): " + p.stage,
                          p.done, p.total, p.etaSeconds});
            };
            try {
                auto& r = results[static_cast<size_t>(k)];
                r.model = baseModel(out, files, design, seed, report, &stop);
                auto config = experimentFor(out, files, design, r.model, seed, options.design);
                r.runDir = config.out;
                r.experiment = runExperiment(config, report, &stop);
                r.truth = groundTruth(
                    r.model, config.out, files.test, options.design ? files.uncorrelatedValidation : files.uncorrelated,
                    options.design ? files.reversedValidation : files.reversed, files.cueProbe, seed, &stop);
                std::lock_guard<std::mutex> lock(mutex);
                ++finished;
                log->info("seed {} done ({}/{})", seed, finished, seeds);
            } catch (...) {
                std::lock_guard<std::mutex> lock(mutex);
                if (!failure) failure = std::current_exception();
                stop = true;
                return;
            }
        }
    };
    std::atomic<int> active{workers};
    std::vector<std::thread> pool;
    for (int w = 0; w < workers; ++w) {
        pool.emplace_back([&] {
            worker();
            --active;
        });
    }
    // A cancel from outside reaches the workers through `stop`.
    while (active.load() > 0) {
        if (isCancelled(cancel)) stop = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    for (auto& t : pool) t.join();
    at::set_num_threads(threadsBefore);
    if (failure) std::rethrow_exception(failure);
    throwIfCancelled(cancel);

    DemoReport report(design, out);
    for (int k = 0; k < seeds; ++k) {
        const auto& r = results[static_cast<size_t>(k)];
        report.addSeed(firstSeed + static_cast<uint64_t>(k), r.model, r.runDir, r.experiment, r.truth);
    }
    report.write(files.cuedTrain, files.test, options.design ? files.uncorrelatedValidation : files.uncorrelated,
                 options.design ? files.reversedValidation : files.reversed);
    DemoResult result;
    result.out = out;
    result.model = results.front().model;
    result.report = out / "report.md";
    result.session = out / "demo.prunescope";
    return result;
}

}  // namespace prunescope
