// `prunescope-cli bench memory`: the memory plan against the measured peak. Each job runs as a
// child process of this executable (so its peak resident memory is its own, read by wait4) on a
// random-weight model made from a real config (init-model, bfloat16); the child writes the plan
// it made to a file (PRUNESCOPE_PLAN_OUT), and the table prints estimate, measured peak and their
// ratio side by side, with seconds per question or per step.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/cli/args.h"
#include "app/cli/bench.h"
#include "app/cli/common.h"
#include "core/model/model_io.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/memory.h"

namespace fs = std::filesystem;

namespace prunescope::cli {
namespace {

struct ChildResult {
    int exitCode = -1;
    int signal = 0;
    int64_t peakBytes = 0;
    double seconds = 0;
};

// Runs this executable with `args`, stdout/stderr into `log`; the child's peak RSS from wait4.
ChildResult runChild(const std::vector<std::string>& args, const fs::path& log, const fs::path& planOut) {
    const fs::path exe = fs::read_symlink("/proc/self/exe");
    std::vector<char*> argv;
    std::vector<std::string> all = {exe.string()};
    all.insert(all.end(), args.begin(), args.end());
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::fflush(stdout);  // or the child inherits (and prints again) what is still buffered
    std::fflush(stderr);
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = ::fork();
    if (pid < 0) throw Error("", "bench memory", "fork failed");
    if (pid == 0) {
        std::FILE* out = std::freopen(log.c_str(), "w", stdout);
        if (out != nullptr) ::dup2(::fileno(stdout), 2);
        ::setenv("PRUNESCOPE_PLAN_OUT", planOut.c_str(), 1);
        ::execv(argv[0], argv.data());
        std::_Exit(127);
    }
    int status = 0;
    rusage usage{};
    ::wait4(pid, &status, 0, &usage);
    ChildResult r;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.peakBytes = static_cast<int64_t>(usage.ru_maxrss) * 1024;
    if (WIFEXITED(status)) r.exitCode = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
    return r;
}

// "eval,attribute" -> {"eval", "attribute"}.
std::vector<std::string> split(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        if (!item.empty()) out.push_back(item);
    }
    return out;
}

// "--rows-per-pass 64 --dtype bfloat16" -> its words, as a shell would split them (no quoting).
std::vector<std::string> words(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string word; in >> word;) out.push_back(word);
    return out;
}

}  // namespace

int benchMemory(const Argv& argv) {
    ArgParser parser("prunescope-cli bench memory --config CONFIG.json --tokenizer DIR --data FILE [options]",
                     "The memory plan against the measured peak: makes a random-weight model (bfloat16) from a real\n"
                     "config.json, then runs each case as a child process and prints the plan's estimate, the\n"
                     "measured peak resident memory and their ratio, with the time. Cases: eval, attribute,\n"
                     "attribute-per-layer, finetune-lora, finetune-ffn, finetune-all (each may be refused by the\n"
                     "plan; that is reported, never a kill). Fine-tuning cases train on the first (steps, at most\n"
                     "8) batches' worth of questions, over and over, so the longest prompt the plan sizes them by\n"
                     "is reached. The model folder is kept in --work for later runs.");
    parser.option("config", "FILE", "A Hugging Face config.json (real shapes)")
        .required("config")
        .option("tokenizer", "DIR", "Folder with tokenizer.json whose ids fit the config's vocabulary")
        .required("tokenizer")
        .option("data", "FILE", "Multiple-choice dataset file")
        .required("data")
        .option("work", "DIR", "Folder for the model and the logs (reused when the model is there)", "bench-memory")
        .option("cases", "LIST", "Comma-separated cases", "eval,attribute,finetune-lora,finetune-ffn,finetune-all")
        .option("questions", "N", "Questions per eval / attribute case", "4")
        .option("ig-steps", "M", "Integration steps (attribute)", "16")
        .option("per-layer-steps", "M", "Integration steps (attribute-per-layer)", "4")
        .option("finetune-steps", "N", "Optimizer steps per fine-tuning case", "20")
        .option("batch-size", "B", "Questions per fine-tuning step", "8")
        .option("lora", "RANK", "LoRA rank of finetune-lora", "16")
        .option("weights", "W", "How the children hold the weights: auto, float32 or stored", "auto")
        .option("extra", "ARGS", "Extra arguments for every child, space-separated (e.g. --checkpoint-activations)",
                "");
    return guarded("bench memory", [&] {
        auto args = parser.parse(argv);
        if (!args) return int(kOk);
        startCommand({true, false}, false);
        const fs::path work = args->get("work");
        fs::create_directories(work);
        const fs::path model = work / "model";
        if (!fs::exists(model / "config.json")) {
            const fs::path source = work / "source";
            fs::create_directories(source);
            fs::copy_file(args->get("config"), source / "config.json", fs::copy_options::overwrite_existing);
            Tokenizer::fromDirectory(args->get("tokenizer"));  // one the children can read, or its error now
            for (const auto& name : tokenizerFileNames()) {
                const fs::path from = fs::path(args->get("tokenizer")) / name;
                if (fs::exists(from)) fs::copy_file(from, source / name, fs::copy_options::overwrite_existing);
            }
            std::cerr << "making " << model.string() << " (random bfloat16 weights) ...\n";
            auto made = runChild({"init-model", "--config", (source / "config.json").string(), "--out", model.string(),
                                  "--dtype", "bfloat16"},
                                 work / "init-model.log", work / "init-model.plan.json");
            if (made.exitCode != 0) {
                throw Error((work / "init-model.log").string(), "", "init-model failed (see the log)");
            }
            std::printf("init-model: %.0f s, peak %s\n", made.seconds, formatBytes(made.peakBytes).c_str());
        }
        int64_t weightBytes = 0;
        for (const auto& entry : fs::directory_iterator(model)) {
            if (entry.path().extension() == ".safetensors")
                weightBytes += static_cast<int64_t>(fs::file_size(entry.path()));
        }
        const std::string questions = args->get("questions");
        std::vector<std::string> common = {"--model",   model.string(),       "--data", args->get("data"),
                                           "--weights", args->get("weights"), "--quiet"};
        for (const auto& e : words(args->get("extra"))) common.push_back(e);
        std::printf("model: %s, weights %s (bfloat16 files), free memory %s\n", args->get("config").c_str(),
                    formatBytes(weightBytes).c_str(), formatBytes(availableMemoryBytes()).c_str());
        std::printf("%-22s %-8s %10s %10s %7s %9s %8s  %s\n", "case", "outcome", "estimate", "peak", "ratio",
                    "peak/wts", "seconds", "per unit");
        for (const auto& name : split(args->get("cases"))) {
            std::vector<std::string> a;
            double units = 1;
            std::string unit = "question";
            if (name == "eval") {
                a = {"eval", "--limit", questions, "--batch-size", "4"};
                units = std::stod(questions);
            } else if (name == "attribute" || name == "attribute-per-layer") {
                const bool perLayer = name == "attribute-per-layer";
                a = {"attribute",
                     "--score-first",
                     questions,
                     "--min-confidence",
                     "0",
                     "--steps",
                     args->get(perLayer ? "per-layer-steps" : "ig-steps"),
                     "--scope",
                     perLayer ? "per-layer" : "joint",
                     "--out",
                     (work / (name + ".safetensors")).string()};
                units = std::stod(questions);
            } else if (name.rfind("finetune-", 0) == 0) {
                // A batch's worth of questions per step (at most 8 batches), many epochs: every
                // question, the longest prompt too (which the plan sizes the activations by), is in a
                // batch within the run.
                const int64_t first =
                    std::stoll(args->get("batch-size")) * std::min<int64_t>(8, std::stoll(args->get("finetune-steps")));
                a = {"finetune",
                     "--max-steps",
                     args->get("finetune-steps"),
                     "--batch-size",
                     args->get("batch-size"),
                     "--train-first",
                     std::to_string(first),
                     "--epochs",
                     "1000",
                     "--validation-split",
                     "none",
                     "--out",
                     (work / (name + "-out")).string()};
                if (name == "finetune-lora") {
                    a.insert(a.end(), {"--lora", args->get("lora")});
                } else if (name == "finetune-ffn") {
                    a.insert(a.end(), {"--trainable", "ffn"});
                } else if (name != "finetune-all") {
                    throw UsageError("unknown case '" + name + "'");
                }
                units = std::stod(args->get("finetune-steps"));
                unit = "step";
            } else {
                throw UsageError("unknown case '" + name + "'");
            }
            a.insert(a.end(), common.begin(), common.end());
            const fs::path planOut = work / (name + ".plan.json");
            fs::remove(planOut);
            auto r = runChild(a, work / (name + ".log"), planOut);
            int64_t estimate = -1;
            bool fits = true;
            if (fs::exists(planOut)) {
                const auto plan = readJsonFile(planOut);
                estimate = plan.value("needed_bytes", int64_t(-1));
                fits = plan.value("fits", true);
            }
            // Exit 2 is a refusal by the plan only when the plan said it does not fit; else an error.
            std::string outcome = r.signal != 0              ? "KILLED"
                                  : r.exitCode == 0          ? "ran"
                                  : r.exitCode == 2 && !fits ? "refused"
                                                             : "failed";
            char ratio[16] = "-", perWeights[16] = "-", perUnit[32] = "-";
            if (estimate > 0 && r.exitCode == 0)
                std::snprintf(ratio, sizeof ratio, "%.2f", double(estimate) / double(r.peakBytes));
            if (weightBytes > 0)
                std::snprintf(perWeights, sizeof perWeights, "%.2f", double(r.peakBytes) / double(weightBytes));
            if (r.exitCode == 0) std::snprintf(perUnit, sizeof perUnit, "%.1f s/%s", r.seconds / units, unit.c_str());
            std::printf("%-22s %-8s %10s %10s %7s %9s %8.0f  %s\n", name.c_str(), outcome.c_str(),
                        formatBytes(estimate).c_str(), formatBytes(r.peakBytes).c_str(), ratio, perWeights, r.seconds,
                        perUnit);
            std::fflush(stdout);
            if (r.exitCode != 0) {
                std::string last;  // the child's error (the refusal's or the failure's), or its last line
                std::ifstream log(work / (name + ".log"));
                for (std::string line; std::getline(log, line);) {
                    if (!line.empty() && (last.rfind("error:", 0) != 0 || line.rfind("error:", 0) == 0)) last = line;
                }
                std::printf("  %s\n  (see %s)\n", last.c_str(), (work / (name + ".log")).string().c_str());
            }
        }
        return int(kOk);
    });
}

}  // namespace prunescope::cli
