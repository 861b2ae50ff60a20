#include "tests/e2e/kill_support.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QStringList>

#include <signal.h>
#include <sys/resource.h>

#include <torch/serialize.h>

#include <fstream>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/attribution/attribution_file.h"
#include "core/model/model_io.h"
#include "core/model/safetensors.h"
#include "core/prune/neuron_mask.h"
#include "core/util/files.h"
#include "tests/support/test_support.h"

namespace fs = std::filesystem;

namespace prunescope::test {
namespace {

void require(bool ok, const std::string& what) {
    if (!ok) throw std::runtime_error(what);
}

void openSafetensors(const fs::path& path) {
    SafetensorsFile file(path);
}

std::string shown(const std::string& relative) {
    return relative.empty() ? std::string("OUT") : relative;
}

}  // namespace

ChildRun runChild(const std::vector<std::string>& args, const ChildOptions& options) {
    QProcess process;
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert("OMP_NUM_THREADS", "1");
    process.setProcessEnvironment(env);
    if (const uint64_t limit = options.fileSizeLimit; limit > 0) {
        // In the child between fork and exec: only async-signal-safe calls.
        process.setChildProcessModifier([limit] {
            ::signal(SIGXFSZ, SIG_IGN);
            const rlimit rl{static_cast<rlim_t>(limit), static_cast<rlim_t>(limit)};
            ::setrlimit(RLIMIT_FSIZE, &rl);
        });
    }
    QStringList list;
    for (size_t i = 1; i < options.wrapper.size(); ++i) list << QString::fromStdString(options.wrapper[i]);
    if (!options.wrapper.empty()) list << QString::fromStdString(cliPath().string());
    for (const auto& a : args) list << QString::fromStdString(a);
    const std::string program = options.wrapper.empty() ? cliPath().string() : options.wrapper.front();
    QElapsedTimer clock;
    clock.start();
    process.start(QString::fromStdString(program), list);
    ChildRun run;
    if (!process.waitForStarted()) {
        run.err = "cannot start " + program;
        return run;
    }
    constexpr int kLongest = 600000;
    if (!process.waitForFinished(options.killAfterMs >= 0 ? options.killAfterMs : kLongest)) {
        process.kill();  // SIGKILL
        process.waitForFinished(kLongest);
    }
    run.seconds = static_cast<double>(clock.elapsed()) / 1000.0;
    run.killed = process.exitStatus() == QProcess::CrashExit;
    run.exitCode = run.killed ? -1 : process.exitCode();
    run.out = process.readAllStandardOutput().toStdString();
    run.err = process.readAllStandardError().toStdString();
    return run;
}

Snapshot snapshot(const fs::path& root) {
    Snapshot s;
    auto add = [&](const fs::path& file, const std::string& name) {
        std::ifstream in(file, std::ios::binary);
        std::ostringstream bytes;
        bytes << in.rdbuf();
        const std::string data = bytes.str();
        s[name] = {data.size(), std::hash<std::string>{}(data)};
    };
    if (fs::is_regular_file(root)) {
        add(root, "");
    } else if (fs::is_directory(root)) {
        for (const auto& e : fs::recursive_directory_iterator(root)) {
            if (e.is_regular_file()) add(e.path(), fs::relative(e.path(), root).string());
        }
    }
    return s;
}

bool isTempPath(const std::string& relative) {
    static const std::regex temp(R"((^|/)[^/]+\.tmp\.[0-9]+\.[0-9]+\.[0-9]+(/|$))");
    return std::regex_search(relative, temp);
}

std::vector<std::string> tempPaths(const Snapshot& s) {
    std::vector<std::string> out;
    for (const auto& [name, state] : s) {
        if (isTempPath(name)) out.push_back(name);
    }
    return out;
}

Snapshot outputs(const Snapshot& s) {
    Snapshot out;
    for (const auto& [name, state] : s) {
        if (!isTempPath(name)) out[name] = state;
    }
    return out;
}

void copyOver(const fs::path& from, const fs::path& to) {
    fs::remove_all(to);
    fs::copy(from, to, fs::copy_options::recursive);
}

KillCase attributeCase(const fs::path& dir, const fs::path& model, const fs::path& data, int limit, int every) {
    KillCase c;
    c.name = "attribute";
    c.dir = dir;
    c.out = dir / "ig.safetensors";
    c.checkpoint = dir / "ig.safetensors.checkpoint";
    const std::vector<std::string> common = {"attribute",
                                             "--model",
                                             model.string(),
                                             "--data",
                                             data.string(),
                                             "--limit",
                                             std::to_string(limit),
                                             "--min-confidence",
                                             "0",
                                             "--questions-per-pass",
                                             "4",
                                             "--out",
                                             c.out.string(),
                                             "--device",
                                             "cpu",
                                             "--quiet"};
    c.args = common;
    c.args.insert(c.args.end(), {"--steps", "8", "--checkpoint-every", std::to_string(every), "--resume"});
    c.otherArgs = common;
    c.otherArgs.insert(c.otherArgs.end(), {"--steps", "4"});
    c.inspect = [c] {
        if (fs::exists(c.out)) require(readAttributionFile(c.out).meta.value("complete", false), "OUT incomplete");
        if (!fs::exists(c.checkpoint)) return Progress{-1, "no checkpoint (loading, scoring, first questions)"};
        const auto saved = readAttributionFile(c.checkpoint);
        require(!saved.meta.value("complete", true), "the checkpoint says complete");
        return Progress{saved.aggregate.count(), "attributing, checkpoint present"};
    };
    return c;
}

KillCase finetuneCase(const fs::path& dir, const fs::path& model, const fs::path& data, int steps, int every) {
    KillCase c;
    c.name = "finetune";
    c.dir = dir;
    c.out = dir / "tuned";
    c.checkpoint = dir / "tuned.checkpoint";
    const std::vector<std::string> common = {"finetune",
                                             "--model",
                                             model.string(),
                                             "--data",
                                             data.string(),
                                             "--validation-split",
                                             "validation",
                                             "--eval-every",
                                             "10",
                                             "--max-steps",
                                             std::to_string(steps),
                                             "--batch-size",
                                             "4",
                                             "--out",
                                             c.out.string(),
                                             "--device",
                                             "cpu",
                                             "--quiet"};
    c.args = common;
    c.args.insert(c.args.end(), {"--lr", "1e-3", "--checkpoint-every", std::to_string(every), "--resume"});
    c.otherArgs = common;
    c.otherArgs.insert(c.otherArgs.end(), {"--lr", "3e-3"});
    c.inspect = [c] {
        if (fs::exists(c.out)) {
            loadModel(c.out, {"cpu"});  // the Hugging Face folder loader
            require(readJsonFile(c.out / "prunescope.json").contains("metrics"), "prunescope.json: no metrics");
        }
        if (!fs::exists(c.checkpoint)) return Progress{-1, "no checkpoint (loading, first steps)"};
        const auto state = readJsonFile(c.checkpoint / "state.json");
        openSafetensors(c.checkpoint / "model.safetensors");
        if (fs::exists(c.checkpoint / "best.safetensors")) openSafetensors(c.checkpoint / "best.safetensors");
        torch::serialize::InputArchive optimizer;
        optimizer.load_from((c.checkpoint / "optimizer.pt").string());
        return Progress{state.at("step").get<int64_t>(), "training, checkpoint present"};
    };
    return c;
}

KillCase runCase(const fs::path& dir, const fs::path& model, const fs::path& reference) {
    KillCase c;
    c.name = "run";
    c.dir = dir;
    c.out = dir / "out";
    c.wholeOutput = false;
    const auto arc = sharedDataDir() / "mcq/arc-hf-jsonl";
    nlohmann::json config = {
        {"model", model.string()},
        {"data", {{"file", (arc / "ARC-Easy-validation.jsonl").string()}, {"limit", 120}}},
        {"ood", {{{"name", "challenge"}, {"file", (arc / "ARC-Challenge-validation.jsonl").string()}, {"limit", 40}}}},
        {"attribution", {{"min_confidence", 0.0}, {"steps", 4}, {"limit", 20}}},
        {"selection", {{"rule", "per-layer"}, {"percent", 10}}},
        {"finetune", {{"lr", 1e-3}, {"max_steps", 6}, {"batch_size", 8}}},
        {"device", "cpu"},
        {"seeds", {0}},
        {"out", c.out.string()}};
    const fs::path configs = dir.parent_path();
    fs::create_directories(dir);
    writeJsonAtomic(configs / "experiment.json", config);
    config["data"]["limit"] = 100;
    writeJsonAtomic(configs / "experiment-other.json", config);
    c.args = {"run", "--config", (configs / "experiment.json").string(), "--quiet"};
    c.otherArgs = {"run", "--config", (configs / "experiment-other.json").string(), "--quiet"};
    c.inspect = [c, reference] {
        if (fs::exists(c.out / "report.json")) {
            require(readJsonFile(c.out / "report.json").value("format", "") == "prunescope.report", "report.json");
        }
        for (const auto& e : fs::directory_iterator(c.out)) {
            const std::string name = e.path().filename().string();
            if (name.rfind("mask-", 0) == 0 && !isTempPath(name)) readMask(e.path());
        }
        int64_t cached = 0, total = 0;
        bool attributed = false;
        for (const auto& e : fs::directory_iterator(c.out / "cache")) {
            const std::string name = e.path().filename().string();
            if (isTempPath(name)) continue;
            if (e.path().extension() == ".json") readJsonFile(e.path());
            if (name.rfind("attributions-", 0) == 0) readAttributionFile(e.path());
            if (name.rfind("magnitude-", 0) == 0) openSafetensors(e.path());
            if (name.rfind("run-", 0) == 0) {
                readJsonFile(e.path() / "result.json");
                openSafetensors(e.path() / "model.safetensors");
            }
            if (fs::exists(reference / "cache" / name)) {
                ++cached;
                attributed = attributed || name.rfind("attributions-", 0) == 0;
            }
        }
        for ([[maybe_unused]] const auto& e : fs::directory_iterator(reference / "cache")) ++total;
        if (cached == 0) return Progress{-1, "nothing of R cached (loading, scoring, attribution)"};
        if (cached == total) return Progress{cached, "all of R cached (masks, report, plots)", true};
        return Progress{cached, attributed ? "fine-tuning and evaluating" : "scoring and attribution"};
    };
    return c;
}

Prepared prepare(const KillCase& c, const fs::path& previous, const fs::path& reference) {
    Prepared out;
    fs::create_directories(c.dir);
    auto p = runChild(c.otherArgs);
    if (p.exitCode != 0) {
        out.error = c.name + " (P): " + p.err;
        return out;
    }
    copyOver(c.out, previous);
    fs::remove_all(c.out);
    auto r = runChild(c.args);
    if (r.exitCode != 0) {
        out.error = c.name + " (R): " + r.err;
        return out;
    }
    copyOver(c.out, reference);
    out.p = snapshot(previous);
    out.r = snapshot(reference);
    out.seconds = r.seconds;
    if (out.p == out.r) out.error = c.name + ": P and R are the same";
    if (!tempPaths(out.r).empty()) out.error = c.name + ": R has temporary files";
    return out;
}

std::string checkAfterKill(const KillCase& c, const Snapshot& start, const Snapshot& p, const Snapshot& r) {
    const Snapshot now = outputs(snapshot(c.out));
    for (const auto& [name, state] : now) {
        const bool isP = p.count(name) && p.at(name) == state, isR = r.count(name) && r.at(name) == state;
        if (!isP && !isR) return shown(name) + " is neither the previous file nor the finished new one (half-written?)";
    }
    if (c.wholeOutput && now != p && now != r) {
        std::string missing;
        for (const auto& [name, state] : r) {
            if (!now.count(name)) missing += " " + shown(name);
        }
        return "OUT is neither the previous output nor the new one as a whole; missing of the new one:" + missing;
    }
    for (const auto& [name, state] : outputs(start)) {
        if (!now.count(name)) return shown(name) + " vanished";
    }
    for (const auto& e : fs::directory_iterator(c.dir)) {
        const bool known = e.path() == c.out || (!c.checkpoint.empty() && e.path() == c.checkpoint);
        if (!known && !isTempPath(e.path().filename().string())) return "unexpected " + e.path().string();
    }
    return {};
}

std::string checkFinished(const KillCase& c, const Snapshot& r) {
    const Snapshot now = snapshot(c.out);
    for (const auto& [name, state] : r) {
        if (!now.count(name)) return shown(name) + " is missing";
        if (now.at(name) != state) return shown(name) + " differs from the uninterrupted run's";
    }
    if (!c.checkpoint.empty() && fs::exists(c.checkpoint)) return "the checkpoint is still there";
    return {};
}

}  // namespace prunescope::test
