// SIGKILL at each step that changes the file system: strace's fault injection kills prunescope-cli
// on entering its k-th rename, renameat2, unlink, unlinkat, rmdir or mkdir (one run per k), so every state
// between two steps is left behind once, including the short ones a random kill almost never hits
// (a folder moved aside but the new one not yet in place, a model folder without its
// prunescope.json, a checkpoint half removed). After each: the checks of test_kill (every output
// file the previous one or the finished new one, no half-written file under an output's name),
// then --resume (run: its cache) must finish with the uninterrupted run's files, byte for byte.
// Skipped where strace cannot trace. Long runs have their first 3 and last 5 steps of each kind.
#include <QtTest>

#include <fstream>
#include <regex>

#include "tests/e2e/kill_support.h"
#include "tests/support/test_support.h"

using namespace prunescope;
namespace fs = std::filesystem;
using test::Snapshot;

namespace {

const char* const kSteps[] = {"rename", "renameat2", "unlink", "unlinkat", "rmdir", "mkdir"};

// How many of each step the main thread of a traced run made (strace -f -o: "PID name(...").
std::map<std::string, int> countSteps(const fs::path& log) {
    std::map<int, std::map<std::string, int>> perThread;
    std::ifstream in(log);
    static const std::regex line(R"(^([0-9]+) +([a-z0-9_]+)\()");
    std::smatch m;
    for (std::string text; std::getline(in, text);) {
        if (std::regex_search(text, m, line)) ++perThread[std::stoi(m[1])][m[2]];
    }
    std::map<std::string, int> most;
    for (const auto& [pid, counts] : perThread) {
        int total = 0, best = 0;
        for (const auto& [name, n] : counts) total += n;
        for (const auto& [name, n] : most) best += n;
        if (total > best) most = counts;
    }
    return most;
}

std::vector<int> sample(int count) {
    std::vector<int> out;
    for (int k = 1; k <= count; ++k) {
        if (count <= 8 || k <= 3 || k > count - 5) out.push_back(k);
    }
    return out;
}

}  // namespace

class TestKillSteps : public QObject {
    Q_OBJECT
    test::TempDir m_tmp;
    fs::path m_model;
    fs::path m_data;

    // OUT as the steps start from: P, or for run P's report with R's whole cache (only the masks,
    // the report and the plots are written).
    void reset(const test::KillCase& c, const fs::path& previous, const fs::path& reference) {
        test::copyOver(previous, c.out);
        if (!c.checkpoint.empty()) fs::remove_all(c.checkpoint);
        if (c.name == "run") {
            for (const auto& e : fs::directory_iterator(reference / "cache")) {
                const auto to = c.out / "cache" / e.path().filename();
                if (!fs::exists(to)) fs::copy(e.path(), to, fs::copy_options::recursive);
            }
        }
    }

    void killAtEachStep(const test::KillCase& c) {
        const fs::path previous = m_tmp / (c.name + "-previous"), reference = m_tmp / (c.name + "-reference");
        const auto prepared = test::prepare(c, previous, reference);
        QVERIFY2(prepared.error.empty(), prepared.error.c_str());

        reset(c, previous, reference);
        const fs::path log = m_tmp / (c.name + "-strace.log");
        test::ChildOptions traced;
        traced.wrapper = {
            "strace", "-f", "-qq", "-o", log.string(), "-e", "trace=rename,renameat2,unlink,unlinkat,rmdir,mkdir",
            "--"};
        auto counted = test::runChild(c.args, traced);
        QVERIFY2(counted.exitCode == 0, counted.err.c_str());
        auto error = test::checkFinished(c, prepared.r);
        QVERIFY2(error.empty(), error.c_str());
        const auto counts = countSteps(log);
        std::string countText;
        for (const auto& [name, n] : counts) countText += " " + std::to_string(n) + " " + name;
        qInfo("%s: steps of an uninterrupted run:%s", c.name.c_str(), countText.c_str());

        int kills = 0, resumes = 0;
        for (const char* step : kSteps) {
            const auto it = counts.find(step);
            if (it == counts.end()) continue;
            for (int k : sample(it->second)) {
                reset(c, previous, reference);
                const Snapshot start = test::snapshot(c.out);
                test::ChildOptions options;
                options.wrapper = {"strace",
                                   "-f",
                                   "-qq",
                                   "-o",
                                   "/dev/null",
                                   "-e",
                                   std::string("trace=") + step,
                                   "-e",
                                   std::string("inject=") + step + ":signal=KILL:when=" + std::to_string(k),
                                   "--"};
                auto run = test::runChild(c.args, options);
                const std::string where = c.name + ", killed entering " + step + " " + std::to_string(k) + " of " +
                                          std::to_string(it->second);
                QVERIFY2(run.killed, (where + ": not killed; " + run.err).c_str());
                ++kills;
                error = test::checkAfterKill(c, start, prepared.p, prepared.r);
                QVERIFY2(error.empty(), (where + ": " + error).c_str());
                test::Progress progress;
                try {
                    progress = c.inspect();
                } catch (const std::exception& e) {
                    QFAIL((where + ": " + e.what()).c_str());
                }
                if (c.wholeOutput && test::outputs(test::snapshot(c.out)) == prepared.r)
                    progress.stage = "OUT replaced";
                auto resumed = test::runChild(c.args);
                QVERIFY2(resumed.exitCode == 0, (where + ", then --resume: " + resumed.err).c_str());
                error = test::checkFinished(c, prepared.r);
                QVERIFY2(error.empty(), (where + ", then --resume: " + error).c_str());
                resumes += progress.done >= 0 && !progress.complete ? 1 : 0;
                qInfo("%s: %s; resumed to R's files", where.c_str(), progress.stage.c_str());
            }
        }
        qInfo(
            "%s: %d kills at file system steps, each followed by a run to the end that gave R's files (%d of "
            "them from a checkpoint or a partial cache)",
            c.name.c_str(), kills, resumes);
    }

private slots:
    void initTestCase() {
        auto probe = test::runChild({"--version"}, {-1, 0, {"strace", "-f", "-qq", "-o", "/dev/null", "--"}});
        if (probe.exitCode != 0) QSKIP("strace is not installed or cannot trace here");
        m_model = test::makeTinyModel(m_tmp / "model", "gpt2", 9, 0.3);
        m_data = test::sharedDataDir() / "mcq/arc-hf-jsonl/ARC-Easy-validation.jsonl";
    }

    // 16 questions, a checkpoint every 8: the checkpoint written, replaced and removed.
    void attribute() { killAtEachStep(test::attributeCase(m_tmp / "attribute", m_model, m_data, 16, 8)); }

    // 8 steps, a checkpoint every 4: the checkpoint folder, the model folder replacing P's, its
    // prunescope.json, the checkpoint removed.
    void finetune() { killAtEachStep(test::finetuneCase(m_tmp / "finetune", m_model, m_data, 8, 4)); }

    // The masks, report.json, report.md and the plots replacing P's.
    void run() { killAtEachStep(test::runCase(m_tmp / "run" / "dir", m_model, m_tmp / "run-reference")); }
};

QTEST_GUILESS_MAIN(TestKillSteps)
#include "test_kill_steps.moc"
