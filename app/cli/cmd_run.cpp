// `prunescope-cli run --config experiment.json`: the whole experiment, then the report's plots.
#include <cstdio>
#include <iostream>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/common.h"
#include "app/cli/inputs.h"
#include "app/cli/report_plots_bridge.h"
#include "core/eval/mcq_items.h"
#include "core/pipeline/experiment.h"
#include "core/pipeline/experiment_report.h"
#include "core/train/finetune.h"

namespace prunescope::cli {
namespace {

// The experiment's memory plan before anything runs: its fine-tuning and its attribution, sized by
// the training set's prompts (exit 2 naming the estimate when one does not fit, unless `force`).
// An attribution that fits only in smaller passes gets them (c.attribution.ig.rowsPerPass).
void checkExperimentMemory(ExperimentConfig& c, bool force) {
    const auto tokenizer = Tokenizer::fromModel(c.model);
    McqLoadOptions load;
    load.format = parseMcqFormat(c.train.format);
    QuestionSelection selection;
    selection.split = c.train.split;
    selection.splitSpec.seed = c.splitSeed;
    selection.limit = c.train.limit;
    const auto train = selectQuestions(loadMcqDataset(c.train.file, load), selection);
    const auto items = buildScoringItems(train, tokenizer, c.scoring, c.prompt);
    auto finetune = finetunePlanSettings(c.finetune, readModelConfigAt(c.model).modelType, true);
    sizeFromItems(items, c.scoring, finetune);
    const int computeBytes = static_cast<int>(c10::elementSize(dtypeFromName(c.dtype, "field 'dtype'")));
    finetune.computeBytes = computeBytes;
    checkMemoryPlan(c.model, c.device, WeightHolding::Auto, finetune, force);
    PlanSettings attribute;
    attribute.computeBytes = computeBytes;
    attribute.job = PlanJob::Attribute;
    attribute.igSteps = c.attribution.ig.steps;
    attribute.igPerLayer = c.attribution.ig.scope == IgScope::PerLayer;
    attribute.questionsPerPass = c.attribution.ig.questionsPerPass;
    attribute.rowsPerPass = c.attribution.ig.rowsPerPass;
    sizeFromItems(items, ScoringMode::Letter, attribute);
    checkMemoryPlan(c.model, c.device, WeightHolding::Auto, attribute, force);
    c.attribution.ig.rowsPerPass = attribute.rowsPerPass;
}

}  // namespace

int runRun(const Argv& argv) {
    ArgParser parser("prunescope-cli run --config experiment.json [--out DIR]",
                     "Score -> attribute -> select -> fine-tune every arm (plain; IG-, random-, magnitude-pruned) for\n"
                     "every seed from the same base model -> evaluate in and out of distribution -> report.json,\n"
                     "report.md and plots. Intermediate results are cached (OUT/cache), so a re-run with one changed\n"
                     "setting recomputes only what depends on it. Schema and examples: docs/experiments.md.");
    parser.option("config", "FILE", "experiment.json")
        .required("config")
        .option("out", "DIR", "Override the config's output folder")
        .flag("force", "Run even when the memory plan says fine-tuning or attribution will not fit")
        .flag("quiet", "No progress bar; only warnings and errors on stderr");
    return guarded("run", [&] {
        auto args = parser.parse(argv);
        if (!args) return int(kOk);
        startCommand({args->has("quiet"), false});
        auto config = readExperimentConfig(args->get("config"));
        if (args->maybe("out")) config.out = args->get("out");
        checkExperimentMemory(config, args->has("force"));
        ProgressBar bar(!args->has("quiet"));
        auto report = runExperiment(config, bar.stagedCallback(), interruptFlag());
        bar.finish();
        renderExperimentPlots(report, config.out);
        std::cout << reportMarkdown(report).substr(0, reportMarkdown(report).find("## Plots"));
        std::printf("report: %s\n", (config.out / "report.md").string().c_str());
        return int(kOk);
    });
}

}  // namespace prunescope::cli
