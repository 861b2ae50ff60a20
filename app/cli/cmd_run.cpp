// `prunescope-cli run --config experiment.json`: the whole experiment, then the report's plots.
#include <cstdio>
#include <iostream>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/common.h"
#include "app/cli/report_plots_bridge.h"
#include "core/pipeline/experiment.h"
#include "core/pipeline/experiment_report.h"

namespace prunescope::cli {

int runRun(const Argv& argv) {
    ArgParser parser("prunescope-cli run --config experiment.json [--out DIR]",
                     "Score -> attribute -> select -> fine-tune every arm (plain; IG-, random-, magnitude-pruned) for\n"
                     "every seed from the same base model -> evaluate in and out of distribution -> report.json,\n"
                     "report.md and plots. Intermediate results are cached (OUT/cache), so a re-run with one changed\n"
                     "setting recomputes only what depends on it. Schema and examples: docs/experiments.md.");
    parser.option("config", "FILE", "experiment.json").required("config")
        .option("out", "DIR", "Override the config's output folder")
        .flag("quiet", "No progress bar; only warnings and errors on stderr");
    return guarded("run", [&] {
        auto args = parser.parse(argv);
        if (!args) return int(kOk);
        startCommand({args->has("quiet"), false});
        auto config = readExperimentConfig(args->get("config"));
        if (args->maybe("out")) config.out = args->get("out");
        ProgressBar bar(!args->has("quiet"));
        auto report = runExperiment(config,
                                    bar.stagedCallback(),
                                    interruptFlag());
        bar.finish();
        renderExperimentPlots(report, config.out);
        std::cout << reportMarkdown(report).substr(0, reportMarkdown(report).find("## Plots"));
        std::printf("report: %s\n", (config.out / "report.md").string().c_str());
        return int(kOk);
    });
}

}  // namespace prunescope::cli
