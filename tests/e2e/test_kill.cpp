// SIGKILL at random points, many times: prunescope-cli attribute, finetune and run never damage a
// previous finished output (each output file is untouched or wholly replaced by the finished new
// one; a model folder and an attributions file as a whole), never leave a half-written file under
// an output's name (what a kill leaves is named as a temporary), and --resume (run: its cache)
// ends with the uninterrupted run's files, byte for byte: on the CPU with one thread the
// computation is deterministic, so no tolerance is needed. The kill points are drawn from a seeded
// RNG over the uninterrupted run's duration; the seed (PRUNESCOPE_KILL_SEED repeats it), every
// kill, stage and resume are printed. PRUNESCOPE_KILLS sets the kills per command (default 10).
#include <QtTest>

#include <sys/stat.h>

#include <cstdlib>
#include <random>

#include "tests/e2e/kill_support.h"
#include "tests/support/test_support.h"

using namespace prunescope;
namespace fs = std::filesystem;
using test::Snapshot;

namespace {

// The inode of `path` (0 when it does not exist): a new one means the output was replaced.
ino_t inodeOf(const fs::path& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

}  // namespace

class TestKill : public QObject {
    Q_OBJECT
    test::TempDir m_tmp;
    fs::path m_model;
    fs::path m_data;
    uint64_t m_seed = 0;
    std::mt19937_64 m_rng;
    int m_kills = 10;
    // Kills per round from P and from R; then the round's last start runs to the end.
    static constexpr int kKillsFromP = 4, kKillsFromR = 2;

    // P (other settings) and R (uninterrupted) at OUT, then rounds that each start from P or from
    // R (a re-run over a finished output) and SIGKILL the resumed command up to kKillsFromP or
    // kKillsFromR times at a random point of the uninterrupted duration before letting it finish.
    void killRepeatedly(const test::KillCase& c) {
        const fs::path previous = m_tmp / (c.name + "-previous"), reference = m_tmp / (c.name + "-reference");
        const auto prepared = test::prepare(c, previous, reference);
        QVERIFY2(prepared.error.empty(), prepared.error.c_str());
        const Snapshot& pSnap = prepared.p;
        const Snapshot& rSnap = prepared.r;
        // A re-run over the finished output gives the same files again.
        auto again = test::runChild(c.args);
        QVERIFY2(again.exitCode == 0, again.err.c_str());
        auto error = test::checkFinished(c, rSnap);
        QVERIFY2(error.empty(), (c.name + " re-run: " + error).c_str());
        const int fromP = static_cast<int>(prepared.seconds * 1000), fromR = static_cast<int>(again.seconds * 1000);
        qInfo("%s: uninterrupted run %.2f s, re-run over it %.2f s (the kill ranges); %zu output file(s)",
              c.name.c_str(), prepared.seconds, again.seconds, rSnap.size());

        int kills = 0, resumes = 0, rounds = 0, comparisons = 1, filesCompared = static_cast<int>(rSnap.size());
        std::map<std::string, int> stages;
        while (kills < m_kills || rounds < 2) {
            const bool startFromP = rounds % 2 == 0;
            if (startFromP) {
                test::copyOver(previous, c.out);
                if (!c.checkpoint.empty()) fs::remove_all(c.checkpoint);
            }
            const Snapshot start = test::snapshot(c.out);
            ++rounds;
            std::uniform_int_distribution<int> delay(0, startFromP ? fromP : fromR);
            int64_t last = -1;
            for (int k = 0;; ++k) {
                test::Progress before, after;
                try {
                    before = c.inspect();
                } catch (const std::exception& e) {
                    QFAIL((c.name + ": " + e.what()).c_str());
                }
                const ino_t outBefore = inodeOf(c.out);
                test::ChildOptions options;
                const int ms = options.killAfterMs = k < (startFromP ? kKillsFromP : kKillsFromR) ? delay(m_rng) : -1;
                auto run = test::runChild(c.args, options);
                if (!run.killed) {
                    QVERIFY2(run.exitCode == 0, run.err.c_str());
                    error = test::checkFinished(c, rSnap);
                    QVERIFY2(error.empty(), (c.name + " round " + std::to_string(rounds) + ": " + error).c_str());
                    ++comparisons;
                    filesCompared += static_cast<int>(rSnap.size());
                    qInfo("%s round %d (from %s): finished in %.2f s%s; %zu file(s) equal R's", c.name.c_str(), rounds,
                          startFromP ? "P" : "R", run.seconds,
                          ms >= 0 ? (" before the kill at " + std::to_string(ms) + " ms").c_str() : "", rSnap.size());
                    break;
                }
                ++kills;
                const bool resumed = before.done >= 0 && !before.complete;
                resumes += resumed ? 1 : 0;
                error = test::checkAfterKill(c, start, pSnap, rSnap);
                QVERIFY2(error.empty(), (c.name + " after a kill at " + std::to_string(ms) + " ms: " + error).c_str());
                try {
                    after = c.inspect();
                } catch (const std::exception& e) {
                    QFAIL((c.name + " after a kill at " + std::to_string(ms) + " ms: " + e.what()).c_str());
                }
                // A run killed after it swapped its finished output in has removed its checkpoint:
                // progress starts again from nothing, legitimately (OUT is a new file or folder).
                const bool replaced = inodeOf(c.out) != outBefore;
                QVERIFY2(after.done >= last || replaced, (c.name + ": progress went back").c_str());
                last = after.done;
                const Snapshot now = test::outputs(test::snapshot(c.out));
                if (c.wholeOutput && now == rSnap && test::outputs(start) != rSnap)
                    after.stage = "OUT replaced, not exited";
                ++stages[after.stage];
                qInfo("%s round %d (from %s), kill %d at %d ms%s: %s", c.name.c_str(), rounds, startFromP ? "P" : "R",
                      kills, ms, resumed ? ", resumed" : "", after.stage.c_str());
            }
        }
        const auto temps = test::tempPaths(test::snapshot(c.dir));
        std::string stageList;
        for (const auto& [stage, n] : stages) stageList += "\n    " + std::to_string(n) + " x " + stage;
        qInfo(
            "%s: %d kills in %d rounds (%d resumed from a checkpoint or a partial cache); %d finished run(s) "
            "compared with R, %d files, all equal; %zu temporary file(s) left by kills; kills by stage:%s",
            c.name.c_str(), kills, rounds, resumes, comparisons, filesCompared, temps.size(), stageList.c_str());
        for (size_t i = 0; i < std::min<size_t>(temps.size(), 4); ++i) qInfo("  left: %s", temps[i].c_str());
    }

private slots:
    void initTestCase() {
        m_model = test::makeTinyModel(m_tmp / "model", "gpt2", 9, 0.3);
        m_data = test::sharedDataDir() / "mcq/arc-hf-jsonl/ARC-Easy-validation.jsonl";
        const char* seed = std::getenv("PRUNESCOPE_KILL_SEED");
        m_seed = seed != nullptr && *seed != 0 ? std::strtoull(seed, nullptr, 10) : std::random_device{}();
        m_rng.seed(m_seed);
        if (const char* kills = std::getenv("PRUNESCOPE_KILLS"); kills != nullptr && *kills != 0)
            m_kills = std::max(1, std::atoi(kills));
        qInfo("kill points: seed %llu (PRUNESCOPE_KILL_SEED=%llu repeats them); %d kills per command",
              static_cast<unsigned long long>(m_seed), static_cast<unsigned long long>(m_seed), m_kills);
    }

    // A checkpoint every 8 of 320 questions.
    void killAttribute() { killRepeatedly(test::attributeCase(m_tmp / "attribute", m_model, m_data, 320, 8)); }

    // 40 steps with validation every 10 (keep-best state in the checkpoint), a checkpoint every 4.
    void killFinetune() { killRepeatedly(test::finetuneCase(m_tmp / "finetune", m_model, m_data, 40, 4)); }

    // Score, attribute, select, fine-tune 4 arms, evaluate, report: OUT/cache continues.
    void killRun() { killRepeatedly(test::runCase(m_tmp / "run" / "dir", m_model, m_tmp / "run-reference")); }
};

QTEST_GUILESS_MAIN(TestKill)
#include "test_kill.moc"
