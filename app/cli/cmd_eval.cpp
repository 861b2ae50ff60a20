// `prunescope-cli eval`: score every question, print the summary, write the per-question JSON.
#include <iostream>

#include "app/cli/commands.h"
#include "app/cli/common.h"
#include "app/cli/inputs.h"
#include "core/eval/mcq_items.h"
#include "core/eval/report.h"
#include "core/prune/neuron_mask.h"
#include "core/settings/selection_settings.h"
#include "core/util/files.h"

namespace prunescope::cli {

int runEval(const Argv& argv) {
    ArgParser parser("prunescope-cli eval --model PATH --data FILE [options]",
                     "Score every question: accuracy, how confident the model is, and one JSON entry per question\n"
                     "with every option's log-probability and probability.");
    addModelOptions(parser);
    addDataOptions(parser);
    addPromptOptions(parser);
    parser.option(settings::kScoringBatchSize)
        .option("mask", "FILE", "mask.json: evaluate with these neurons pruned (ablation preview)")
        .option("out", "FILE", "Write the results JSON here (atomically)")
        .flag("quiet", "No progress bar; only warnings and errors on stderr");
    return guarded("eval", [&] {
        auto args = parser.parse(argv);
        if (!args) return int(kOk);
        startCommand({args->has("quiet"), false});
        auto mode = readScoringMode(*args);
        auto data = readData(*args);
        auto prompt = readPrompt(*args, data, mode);
        std::vector<ScoringItem> items;
        auto input = readModel(*args, [&](const Tokenizer& tokenizer) {
            items = buildScoringItems(data.selected, tokenizer, mode, prompt);
            PlanSettings plan;
            plan.job = PlanJob::Eval;
            plan.batchSize = args->get(settings::kScoringBatchSize);
            sizeFromItems(items, mode, plan);
            return plan;
        });
        ScoringOptions options;
        options.mode = mode;
        options.batchSize = args->get(settings::kScoringBatchSize);
        NeuronHook hook(input.model->config().nLayer);
        std::optional<NeuronMask> mask;
        if (args->maybe("mask")) {
            mask = readMask(args->get("mask"));
            checkMaskFits(*mask, input.model->config().nLayer, input.model->config().nNeuron, args->get("mask"));
            checkPrunePositions(mode, !mask->bakeable(), args->get("mask"));
            mask->applyTo(hook, input.model->unembedding().device());
            options.hook = &hook;
        }
        ProgressBar bar(!args->has("quiet"));
        auto scores = scoreItems(*input.model, items, options, bar.callback(), interruptFlag());
        bar.finish();
        std::cout << summaryText(summarize(scores), mode);
        if (args->maybe("out")) {
            const std::string positions = mask ? settings::kPrunePositions.nameOf(mask->positions) : "";
            nlohmann::json settings = {
                {"scoring", scoringModeName(mode)},
                {"prompt", promptJson(prompt)},
                {"split", data.selection.split},
                {"split_seed", data.selection.splitSpec.seed},
                {"limit", data.selection.limit},
                {"batch_size", options.batchSize},
                {"mask",
                 mask ? nlohmann::json{{"file", args->get("mask")}, {"total", mask->count()}, {"positions", positions}}
                      : nlohmann::json()}};
            writeJsonAtomic(args->get("out"),
                            evaluationToJson(data.selected, scores, mode, input.description, settings));
            std::cerr << "wrote " << args->get("out") << "\n";
        }
        return int(kOk);
    });
}

}  // namespace prunescope::cli
