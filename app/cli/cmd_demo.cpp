// `prunescope-cli demo`: the built-in demo, end to end, with nothing downloaded.
#include <cstdio>
#include <iostream>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/common.h"
#include "app/cli/report_plots_bridge.h"
#include "core/demo/demo.h"
#include "core/util/files.h"

namespace prunescope::cli {

int runDemoCommand(const Argv& argv) {
    ArgParser parser("prunescope-cli demo [--out DIR] [--quick] [--seeds N]",
                     "The built-in demo: builds a synthetic multiple-choice task with a planted shortcut, trains a\n"
                     "small GPT-2-style model on it from scratch, and runs the whole experiment (confidence pass, IG,\n"
                     "selection, plain / IG / random / magnitude arms, ID and OOD accuracy, a ground-truth check).\n"
                     "Data and models are cached in the output folder. Full demo: seeds 0-9; --quick: 0-4.");
    parser.option("out", "DIR", "Output folder (default: ~/.local/share/prunescope/demo)")
        .flag("quick", "Seeds 0-4 (a few minutes on two cores)")
        .option("seeds", "N", "Number of seeds (overrides --quick)", "0")
        .flag("design", "Design mode: seeds 100+ and OOD validation sets, in OUT/design (how the design was chosen)")
        .option("workers", "N", "Seeds trained in parallel (0: one per core)", "0")
        .option("design-overrides", "JSON", "With --design: change design settings, e.g. '{\"prune_percent\": 20}'")
        .flag("quiet", "No progress bar; only warnings and errors on stderr");
    return guarded("demo", [&] {
        auto args = parser.parse(argv);
        if (!args) return int(kOk);
        startCommand({args->has("quiet"), false});
        DemoOptions options;
        if (args->maybe("out")) options.out = args->get("out");
        options.quick = args->has("quick");
        options.seeds = static_cast<int>(args->getInt("seeds"));
        options.design = args->has("design");
        options.workers = static_cast<int>(args->getInt("workers"));
        if (args->maybe("design-overrides"))
            options.overrides = parseJson(args->get("design-overrides"), "--design-overrides");
        ProgressBar bar(!args->has("quiet"));
        auto result = runDemo(options, bar.stagedCallback(), interruptFlag());
        bar.finish();
        auto report = readJsonFile(result.out / "report.json");
        renderExperimentPlots(report, result.out);
        std::string md = readTextFile(result.report);
        std::cout << md.substr(0, md.find("## Per seed"));
        std::printf("report: %s\nsession for the GUI: %s\n", result.report.string().c_str(),
                    result.session.string().c_str());
        return int(kOk);
    });
}

}  // namespace prunescope::cli
