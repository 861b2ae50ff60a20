// `prunescope-cli attribute`, `attributions show` and `merge`: Integrated Gradients over the FFN
// neurons for the confidently answered questions, and the files that hold the result.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "app/cli/commands.h"
#include "app/cli/common.h"
#include "app/cli/inputs.h"
#include "core/attribution/attribution_file.h"
#include "core/attribution/attribution_run.h"
#include "core/eval/mcq_items.h"
#include "core/eval/report.h"
#include "core/util/log.h"

namespace prunescope::cli {
namespace {

std::pair<int, int> parseShard(const std::string& text) {
    auto slash = text.find('/');
    try {
        if (slash != std::string::npos) {
            int k = std::stoi(text.substr(0, slash));
            int n = std::stoi(text.substr(slash + 1));
            if (n >= 1 && k >= 1 && k <= n) return {k - 1, n};
        }
    } catch (const std::exception&) {
    }
    throw UsageError("--shard expects k/N with 1 <= k <= N, got '" + text + "'");
}

}  // namespace

int runAttribute(const Argv& argv) {
    ArgParser parser("prunescope-cli attribute --model PATH --data FILE --out attributions.safetensors [options]",
                     "Integrated Gradients over the FFN neurons of every layer, for the questions the model answers\n"
                     "with confidence >= --min-confidence (letter scoring). Writes per-neuron sums and per-question\n"
                     "records to a safetensors file (layout: docs/attribution.md).");
    addModelOptions(parser);
    addDataOptions(parser, false);
    addPromptOptions(parser);
    parser.option("out", "FILE", "Output attributions.safetensors (written atomically at the end)")
        .required("out")
        .option(settings::kPreset)
        .option(settings::kMinConfidence)
        .flag(settings::kCorrectOnly)
        .option(settings::kAttributeLimit)
        .option(settings::kIgSteps)
        .option(settings::kQuestionsPerPass)
        .option(settings::kRowsPerPass)
        .option(settings::kIgRule)
        .option(settings::kIgScope)
        .option(settings::kIgPositions)
        .option(settings::kIgTarget)
        .option(settings::kNeuronSite)
        .option(settings::kTopK)
        .option(settings::kCompletenessTolerance)
        .flag("naive", "Re-run the whole prompt for every step (the slow reference path)")
        .option("shard", "k/N", "Process the k-th of N contiguous slices of the selected questions", "1/1")
        .option("checkpoint-every", "N", "Write resumable state every N questions (to OUT.checkpoint)", "0")
        .flag("resume", "Continue from OUT.checkpoint")
        .option(settings::kScoringBatchSize)
        .flag("quiet", "No progress bar; only warnings and errors on stderr");
    return guarded("attribute", [&] {
        auto args = parser.parse(argv);
        if (!args) return int(kOk);
        startCommand({args->has("quiet"), false});
        auto [shardIndex, shardCount] = parseShard(args->get("shard"));
        AttributionJob job;
        using namespace settings;
        // The preset's values, each replaced by its option when that is given.
        job.preset = args->get(kPreset);
        const auto preset = methodSettings(job.preset);
        job.ig.steps = static_cast<int>(args->getOr(kIgSteps, preset.ig.steps));
        job.ig.rule = args->getOr(kIgRule, preset.ig.rule);
        job.ig.scope = args->getOr(kIgScope, preset.ig.scope);
        job.ig.positions = args->getOr(kIgPositions, preset.ig.positions);
        job.ig.target = args->getOr(kIgTarget, preset.ig.target);
        job.ig.site = args->getOr(kNeuronSite, preset.ig.site);
        job.ig.naive = args->has("naive");
        job.ig.questionsPerPass = static_cast<int>(args->get(kQuestionsPerPass));
        job.ig.rowsPerPass = args->get(kRowsPerPass);
        job.filter.minConfidence = args->getOr(kMinConfidence, preset.filter.minConfidence);
        job.filter.correctOnly = args->getOr(kCorrectOnly, preset.filter.correctOnly);
        job.filter.limit = args->get(kAttributeLimit);
        job.topK = static_cast<int>(args->get(kTopK));
        job.completenessTolerance = args->get(kCompletenessTolerance);
        job.shardIndex = shardIndex;
        job.shardCount = shardCount;
        job.checkpointEvery = args->getInt("checkpoint-every");
        std::filesystem::path out = args->get("out");
        job.checkpointPath = out.string() + ".checkpoint";
        job.resume = args->has("resume");
        if (readScoringMode(*args) != ScoringMode::Letter) {
            throw UsageError(
                "attribution needs letter scoring (the answer is one token): --scoring letter, or a letter preset "
                "(mmlu, commonsenseqa)");
        }

        auto data = readData(*args, false);
        auto prompt = readPrompt(*args, data, ScoringMode::Letter);
        std::vector<ScoringItem> items;
        auto input = readModel(*args, [&](const Tokenizer& tokenizer) {
            items = buildScoringItems(data.selected, tokenizer, ScoringMode::Letter, prompt);
            PlanSettings plan;
            plan.job = PlanJob::Attribute;
            plan.igSteps = job.ig.steps;
            plan.igPerLayer = job.ig.scope == IgScope::PerLayer;
            // No more questions at a time than will be attributed.
            int64_t attributed = static_cast<int64_t>(items.size());
            if (job.filter.limit > 0) attributed = std::min(attributed, job.filter.limit);
            plan.questionsPerPass = std::max<int64_t>(1, std::min<int64_t>(job.ig.questionsPerPass, attributed));
            plan.rowsPerPass = job.ig.rowsPerPass;
            sizeFromItems(items, ScoringMode::Letter, plan);
            return plan;
        });
        job.ig.rowsPerPass = input.plan.rowsPerPass;
        ProgressBar bar(!args->has("quiet"));
        ScoringOptions scoring;
        scoring.batchSize = args->get(settings::kScoringBatchSize);
        auto scores = scoreForAttribution(*input.model, items, job.filter, scoring, bar.callback(), interruptFlag());
        bar.finish();
        job.source = {args->get("model"), data.selection.split, data.selection.splitSpec.seed, prompt};
        auto result = runAttribution(
            *input.model, data.selected, items, scores, job,
            [&](const AttributionUpdate& u) { bar.update(u.progress); }, interruptFlag());
        bar.finish();
        writeAttributionFile(out, result.aggregate, result.meta);
        std::error_code ec;
        std::filesystem::remove(job.checkpointPath, ec);
        double meanError = 0;
        for (const auto& r : result.aggregate.records()) meanError += r.completenessError;
        const auto n = result.aggregate.count();
        std::printf("attributed %lld of %lld selected questions (confidence >= %.2f of %zu scored, of %zu)\n",
                    (long long)n, (long long)result.meta["selection"]["selected"].get<int64_t>(),
                    job.filter.minConfidence, scores.size(), items.size());
        if (n > 0) {
            std::printf("mean completeness error %.3g; %lld question(s) above %g\n", meanError / static_cast<double>(n),
                        (long long)countOverTolerance(result.aggregate, job.completenessTolerance),
                        job.completenessTolerance);
        }
        if (job.preset != Preset::Default) {
            const auto& changed = result.meta["preset"]["changed"];
            std::printf("preset %s%s%s; select with: --rule %s --score %s\n", presetName(job.preset),
                        changed.empty() ? "" : ", changed: ", changed.empty() ? "" : changed.dump().c_str(),
                        kSelectRule.nameOf(preset.rule), scoreSpecName(preset.score).c_str());
        }
        std::printf("wrote %s\n", out.string().c_str());
        return int(kOk);
    });
}

int runAttributions(const Argv& argv) {
    if (argv.empty() || argv[0] != "show") {
        // The man page (prunescope-cli --man) has `show`'s options.
        if (!argv.empty() && argv[0] == "--help" && helpFormat() == HelpFormat::Roff) {
            return runAttributions({"show", "--help"});
        }
        std::cout << "Usage: prunescope-cli attributions show FILE [--top N] [--score S] [--json]\n";
        return argv.empty() || (argv[0] != "--help" && argv[0] != "-h") ? int(kBadInput) : int(kOk);
    }
    ArgParser parser("prunescope-cli attributions show FILE [--top 20] [--score mean]",
                     "Print the strongest neurons of each layer of an attributions file.");
    parser.positionals("FILE", "attributions.safetensors")
        .option("top", "N", "Neurons per layer", "20")
        .flag("json", "Print JSON");
    addScoreOption(parser);
    return guarded("attributions show", [&] {
        auto args = parser.parse(Argv(argv.begin() + 1, argv.end()));
        if (!args) return int(kOk);
        if (args->positionals().size() != 1) throw UsageError("give one attributions file");
        auto file = readAttributionFile(args->positionals()[0]);
        const auto which = readScoreSpec(*args);
        auto score = file.aggregate.score(which);
        const int64_t top = std::min<int64_t>(args->getInt("top"), score.size(1));
        nlohmann::json layers = nlohmann::json::array();
        for (int64_t l = 0; l < score.size(0); ++l) {
            auto [values, index] = score[l].topk(top);
            nlohmann::json row = nlohmann::json::array();
            for (int64_t j = 0; j < top; ++j)
                row.push_back({{"neuron", index[j].item<int64_t>()}, {"score", values[j].item<double>()}});
            layers.push_back(row);
        }
        if (args->has("json")) {
            std::cout << nlohmann::json{{"meta", file.meta}, {"score", scoreSpecName(which)}, {"layers", layers}}.dump(
                             2)
                      << "\n";
            return int(kOk);
        }
        std::printf("%s: %lld questions, %lld layers x %lld neurons, settings %s\n", args->positionals()[0].c_str(),
                    (long long)file.aggregate.count(), (long long)file.aggregate.nLayer(),
                    (long long)file.aggregate.nNeuron(), file.meta["settings"].dump().c_str());
        for (size_t l = 0; l < layers.size(); ++l) {
            std::printf("layer %2zu:", l);
            for (const auto& e : layers[l])
                std::printf(" %lld(%.3g)", (long long)e["neuron"].get<int64_t>(), e["score"].get<double>());
            std::printf("\n");
        }
        return int(kOk);
    });
}

int runMerge(const Argv& argv) {
    ArgParser parser("prunescope-cli merge A.safetensors B.safetensors ... --out ALL.safetensors",
                     "Combine the shards of one attribution run (--shard k/N) into one file. Model, data, settings\n"
                     "and selection must agree.");
    parser.positionals("FILES", "Shard files").option("out", "FILE", "Merged output").required("out");
    return guarded("merge", [&] {
        auto args = parser.parse(argv);
        if (!args) return int(kOk);
        std::vector<std::filesystem::path> paths(args->positionals().begin(), args->positionals().end());
        auto merged = mergeAttributionFiles(paths);
        writeAttributionFile(args->get("out"), merged.aggregate, merged.meta);
        std::printf("merged %zu file(s), %lld questions -> %s\n", paths.size(), (long long)merged.aggregate.count(),
                    args->get("out").c_str());
        if (!merged.meta["shard"].value("complete_shards", true)) {
            log::get("attribution")->warn("not every shard of the run was given");
        }
        return int(kOk);
    });
}

}  // namespace prunescope::cli
