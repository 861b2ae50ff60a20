// `prunescope-cli bench front-ends`: one attribution run through each front end, in one process,
// on the same model and questions: the CLI's path (runAttribution with its questions batched),
// the GUI's engine (EngineWorker::attribute, what the Attribute button runs) and one question per
// pass (what the GUI ran before the per-question live updates). Needs the GUI's libraries.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <unistd.h>

#include "app/cli/args.h"
#include "app/cli/bench.h"
#include "app/cli/common.h"
#include "core/attribution/attribution_run.h"
#include "core/data/mcq.h"
#include "core/eval/mcq_items.h"
#include "core/model/causal_lm.h"
#include "core/model/model_io.h"
#include "core/tokenizer/tokenizer.h"

#ifdef PRUNESCOPE_CLI_QT
#include "ui/worker/engine_worker.h"
#endif

namespace prunescope::cli {
namespace {

// Declared in both builds, so `--help` and the man page name the same options with or without the GUI.
ArgParser frontEndsParser() {
    ArgParser parser(
        "prunescope-cli bench front-ends --model PATH --data FILE.jsonl [--questions 16] [--steps 20]",
        "The same attribution (the data file's first questions, confidence >= 0) through the CLI's path\n"
        "and through the GUI's engine, in one process, then one question per pass: seconds per question\n"
        "and the ratios. The GUI's engine scores the questions first (not timed), as the Score panel does.");
    parser.option("model", "PATH", "Model folder or .gguf file")
        .required("model")
        .option("data", "FILE", "Questions, one JSON record per line (the first --questions are used)")
        .required("data")
        .option("questions", "N", "Questions attributed by each path", "16")
        .option("steps", "M", "Integration steps", "20")
        .option("device", "D", "cpu, cuda or auto", "cpu");
    return parser;
}

}  // namespace

#ifdef PRUNESCOPE_CLI_QT
namespace {

// A folder of its own under the system's temporary folder, removed at the end.
struct ScratchDir {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("prunescope-bench-" + std::to_string(::getpid()));
    ScratchDir() { std::filesystem::create_directories(path); }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

double secondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The CLI's path: the file's first `n` questions, scored, then attributed `perPass` at a time.
double timeCliPath(CausalLM& model, const std::filesystem::path& modelDir, const McqDataset& data,
                   const std::vector<ScoringItem>& items, const std::vector<QuestionScore>& scores, int steps,
                   int perPass, int64_t n) {
    AttributionJob job;
    job.ig.steps = steps;
    job.ig.questionsPerPass = perPass;
    job.filter.minConfidence = 0;
    job.filter.limit = n;
    job.source.modelDir = modelDir;
    const auto start = std::chrono::steady_clock::now();
    auto result = runAttribution(model, data, items, scores, job);
    const double seconds = secondsSince(start);
    if (result.aggregate.count() != n) throw Error("", "", "the CLI path attributed a different number of questions");
    return seconds / static_cast<double>(n);
}

}  // namespace

int benchFrontEnds(const Argv& argv) {
    ArgParser parser = frontEndsParser();
    return guarded("bench front-ends", [&] {
        auto args = parser.parse(argv);
        if (!args) return int(kOk);
        startCommand({false, false});
        const auto n = args->getInt("questions");
        const int steps = static_cast<int>(args->getInt("steps"));
        const std::filesystem::path modelDir = args->get("model");
        if (n < 1) throw UsageError("--questions must be >= 1");
        // The first n records in a file of their own: the GUI's engine scores every question of a set.
        ScratchDir tmp;
        const auto first = tmp.path / "questions.jsonl";
        {
            std::ifstream in(args->get("data"));
            if (!in) throw Error(args->get("data"), "", "cannot read the file");
            std::ofstream out(first);
            std::string line;
            for (int64_t kept = 0; kept < n && std::getline(in, line);)
                if (line.find_first_not_of(" \t\r") != std::string::npos) {
                    out << line << "\n";
                    ++kept;
                }
        }
        auto data = loadMcqDataset(first);
        if (static_cast<int64_t>(data.questions.size()) < n)
            throw Error(args->get("data"), "", "has fewer than --questions records");

        double cliBatched = 0, cliSingle = 0;
        int perPass = 0;
        {
            ModelLoadOptions load;
            load.device = args->get("device");
            auto model = loadModel(modelDir, load);
            const auto tokenizer = Tokenizer::fromModel(modelDir);
            auto items = buildScoringItems(data, tokenizer, ScoringMode::Letter, PromptTemplate{});
            auto scores = scoreItems(*model, items, ScoringOptions{});
            perPass = AttributionJob{}.ig.questionsPerPass;
            timeCliPath(*model, modelDir, data, items, scores, steps, perPass, 1);  // warm-up
            cliBatched = timeCliPath(*model, modelDir, data, items, scores, steps, perPass, n);
            cliSingle = timeCliPath(*model, modelDir, data, items, scores, steps, 1, n);
        }

        ui::EngineWorker worker;
        QString failure;
        QObject::connect(&worker, &ui::EngineWorker::taskFailed,
                         [&](const ui::TaskError& e) { failure = e.message + QStringLiteral(" ") + e.details; });
        auto check = [&](const char* what) {
            if (!failure.isEmpty()) throw Error("", what, "the GUI's engine failed: " + failure.toStdString());
        };
        worker.loadModel(QString::fromStdString(modelDir.string()), QString::fromStdString(args->get("device")),
                         QStringLiteral("float32"));
        check("load");
        worker.loadDataset(QString::fromStdString(first.string()), QStringLiteral("test"), QString(),
                           QStringLiteral("bench"), 0);
        check("dataset");
        worker.score(QStringLiteral("bench"), 0, nullptr);
        check("score");
        ui::AttributionRequest request;
        request.dataset = QStringLiteral("bench");
        request.ig.steps = steps;
        request.filter.minConfidence = 0;
        request.filter.limit = n;
        int frames = 0;
        QObject::connect(&worker, &ui::EngineWorker::neuronScoresChanged, [&](const ui::NeuronScores&) { ++frames; });
        const auto start = std::chrono::steady_clock::now();
        worker.attribute(request, nullptr);
        const double gui = secondsSince(start) / static_cast<double>(n);
        check("attribute");

        std::printf("front ends: %s, %lld questions of %s, %d steps, %s\n", modelDir.string().c_str(), (long long)n,
                    args->get("data").c_str(), steps, args->get("device").c_str());
        std::printf("  %-52s %8.3f s/question\n",
                    ("CLI: runAttribution, " + std::to_string(perPass) + " questions per pass").c_str(), cliBatched);
        std::printf("  %-52s %8.3f s/question   GUI / CLI = %.2f (%d heatmap frames)\n",
                    "GUI: EngineWorker::attribute (the Attribute button)", gui, gui / cliBatched, frames);
        std::printf("  %-52s %8.3f s/question   / CLI = %.2f\n", "one question per pass (the GUI before)", cliSingle,
                    cliSingle / cliBatched);
        return int(kOk);
    });
}

#else

int benchFrontEnds(const Argv& argv) {
    ArgParser parser = frontEndsParser();
    return guarded("bench front-ends", [&] {
        if (!parser.parse(argv)) return int(kOk);  // --help
        std::cerr << "prunescope-cli bench front-ends: this build has no GUI (PRUNESCOPE_BUILD_GUI=OFF)\n";
        return int(kBadInput);
    });
}

#endif

}  // namespace prunescope::cli
