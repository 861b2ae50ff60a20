// The disk fills while writing: attribute, finetune and run exit with 2 (the code of every error
// that names a file), name the output file on stderr (as the user knows it, not its temporary
// name) with "disk full", and leave the previous output at OUT byte-identical and no temporary
// file behind; run again with room, --resume finishes with the uninterrupted run's files. The disk
// is "full" in two ways: RLIMIT_FSIZE a few KB below the file being written (SIGXFSZ ignored, so
// write() fails with EFBIG), always; and a small tmpfs (ENOSPC), where this process may mount one.
// Plots are optional in the report: a full disk while drawing them is a warning naming the file,
// and the previous plots stay whole.
#include <QtTest>

#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>

#include "tests/e2e/kill_support.h"
#include "tests/support/test_support.h"

using namespace prunescope;
namespace fs = std::filesystem;
using test::Snapshot;

namespace {

// Unmounts at the end of the scope (lazily: nothing may be open there by then).
struct Mounted {
    fs::path point;
    ~Mounted() { ::umount2(point.c_str(), MNT_DETACH); }
};

uintmax_t usedBytes(const fs::path& mountPoint) {
    struct statvfs s {};
    ::statvfs(mountPoint.c_str(), &s);
    return static_cast<uintmax_t>(s.f_blocks - s.f_bfree) * s.f_frsize;
}

}  // namespace

class TestDiskFull : public QObject {
    Q_OBJECT
    test::TempDir m_tmp;
    fs::path m_model;
    fs::path m_data;
    std::map<std::string, test::Prepared> m_prepared;

    test::KillCase makeCase(const std::string& command, const fs::path& dir) {
        if (command == "attribute") return test::attributeCase(dir, m_model, m_data, 40, 0);
        if (command == "checkpoint") return test::finetuneCase(dir, m_model, m_data, 8, 4);
        if (command == "finetune") return test::finetuneCase(dir, m_model, m_data, 8, 0);
        return test::runCase(dir, m_model, dir.parent_path() / "run-reference");
    }

    // Runs the command with the disk full, then checks the exit code, the message, OUT and the
    // folder; then, after makeRoom(), --resume must finish with R's files.
    void expectCleanFailure(const test::KillCase& c, const test::Prepared& prepared, const test::ChildOptions& full,
                            const std::string& file, const std::function<void()>& makeRoom = {}) {
        const bool plots = file.find(".png") != std::string::npos;
        const Snapshot before = test::snapshot(c.out);
        auto run = test::runChild(c.args, full);
        std::printf("  exit %d: %s", run.exitCode, run.err.c_str());
        QCOMPARE(run.exitCode, plots ? 0 : 2);  // plots are optional: a warning
        QVERIFY2(run.err.find(file + ": ") != std::string::npos, ("the message does not name " + file).c_str());
        bool saysFull = false;
        for (const char* words : {"disk full", "No space left on device", "File too large"})
            saysFull = saysFull || run.err.find(words) != std::string::npos;
        QVERIFY2(saysFull, "the message does not say the disk is full");
        QVERIFY2(test::tempPaths(test::snapshot(c.dir)).empty(), "a temporary file was left behind");
        const Snapshot after = test::snapshot(c.out);
        if (c.wholeOutput) {
            QVERIFY2(after == before, "the previous output changed");
        } else {
            // run: every file P's or R's; the report P's unless only the plots failed, the plots P's.
            const auto error = test::checkAfterKill(c, before, prepared.p, prepared.r);
            QVERIFY2(error.empty(), error.c_str());
            for (const char* name : {"report.json", "report.md"}) {
                QVERIFY2(after.at(name) == (plots ? prepared.r : before).at(name), name);
            }
            for (const char* name : {"accuracy.png", "confidence.png", "heatmap.png"}) {
                if (!before.count(name)) continue;  // a build without the GUI draws no plots
                QVERIFY2(after.count(name) && after.at(name) == before.at(name),
                         (std::string(name) + " changed").c_str());
            }
        }
        try {
            c.inspect();  // the project's readers on what is there
        } catch (const std::exception& e) {
            QFAIL(e.what());
        }
        if (makeRoom) makeRoom();
        auto again = test::runChild(c.args);
        QVERIFY2(again.exitCode == 0, again.err.c_str());
        const auto error = test::checkFinished(c, prepared.r);
        QVERIFY2(error.empty(), error.c_str());
    }

    // OUT for the run rows: P's report with R's whole cache, so that only masks, report and plots
    // are written.
    void resetRun(const test::KillCase& c, const fs::path& previous, const fs::path& reference) {
        test::copyOver(previous, c.out);
        for (const auto& e : fs::directory_iterator(reference / "cache")) {
            const auto to = c.out / "cache" / e.path().filename();
            if (!fs::exists(to)) fs::copy(e.path(), to, fs::copy_options::recursive);
        }
    }

private slots:
    void initTestCase() {
        m_model = test::makeTinyModel(m_tmp / "model", "gpt2", 9, 0.3);
        m_data = test::sharedDataDir() / "mcq/arc-hf-jsonl/ARC-Easy-validation.jsonl";
    }

    void fileSizeLimit_data() {
        QTest::addColumn<QString>("command");
        QTest::addColumn<QString>("file");  // the file that fills the disk, relative to OUT's folder
        QTest::newRow("attributions file") << "attribute"
                                           << "ig.safetensors";
        QTest::newRow("model folder") << "finetune"
                                      << "tuned/model.safetensors";
        QTest::newRow("fine-tuning checkpoint, weights") << "checkpoint"
                                                         << "tuned.checkpoint/model.safetensors";
        QTest::newRow("fine-tuning checkpoint, optimizer") << "checkpoint"
                                                           << "tuned.checkpoint/optimizer.pt";
        QTest::newRow("run report") << "run"
                                    << "out/report.json";
        QTest::newRow("run plots") << "run"
                                   << "out/confidence.png";
    }

    void fileSizeLimit() {
        QFETCH(QString, command);
        QFETCH(QString, file);
        const std::string tag = QTest::currentDataTag();
        // The rows of one command share their P and R.
        const fs::path root = m_tmp / ("limit " + command.toStdString());
        const auto c = makeCase(command.toStdString(), root / "dir");
        if (!fs::exists(root / "run-reference"))
            m_prepared[root.string()] = test::prepare(c, root / "previous", root / "run-reference");
        const auto& prepared = m_prepared[root.string()];
        QVERIFY2(prepared.error.empty(), prepared.error.c_str());
        // The size of the file the new run writes, from R (the checkpoint's: the final model's
        // weights; its optimizer state: twice the weights).
        const fs::path reference = root / "run-reference";
        uintmax_t size = 0;
        std::string name = file.toStdString();
        const std::string inOut = name.substr(name.find('/') + 1);
        if (command == "run" && name.find(".png") != std::string::npos && !fs::exists(reference / inOut))
            QSKIP("this build draws no plots (PRUNESCOPE_BUILD_GUI=OFF)");
        if (command == "attribute") size = fs::file_size(reference);
        if (command == "finetune" || name.find("checkpoint/model") != std::string::npos)
            size = fs::file_size(reference / "model.safetensors");
        if (name.find("optimizer") != std::string::npos) size = 2 * fs::file_size(reference / "model.safetensors");
        if (command == "run") size = fs::file_size(reference / inOut);
        if (name == "out/confidence.png") QVERIFY(size > fs::file_size(reference / "report.json") + 4096);
        QVERIFY(size > 8192);
        test::ChildOptions full;
        full.fileSizeLimit = size - 4096;
        if (command == "run") {
            resetRun(c, root / "previous", reference);
        } else {
            test::copyOver(root / "previous", c.out);
        }
        qInfo("%s: file size limit %llu bytes (%s is %llu)", tag.c_str(),
              static_cast<unsigned long long>(full.fileSizeLimit), name.c_str(), static_cast<unsigned long long>(size));
        expectCleanFailure(c, prepared, full, (root / "dir" / name).string());
    }

    void tmpfs_data() {
        QTest::addColumn<QString>("command");
        QTest::addColumn<QString>("file");
        QTest::newRow("attributions file") << "attribute"
                                           << "ig.safetensors";
        QTest::newRow("model folder") << "finetune"
                                      << "tuned/model.safetensors";
        QTest::newRow("model folder, tokenizer copy") << "finetune"
                                                      << "tuned/encoder.json";
    }

    // A tmpfs with room for the previous output and half of the new one (the tokenizer copy: and
    // the new weights and config, not the tokenizer).
    void tmpfs() {
        QFETCH(QString, command);
        QFETCH(QString, file);
        const fs::path point = m_tmp / ("tmpfs-" + command.toStdString());
        fs::create_directories(point);
        if (::mount("tmpfs", point.c_str(), "tmpfs", 0, "size=64m") != 0) {
            QSKIP(qPrintable(QString("cannot mount a tmpfs here (%1)").arg(std::strerror(errno))));
        }
        Mounted mounted{point};
        const auto c = makeCase(command.toStdString(), point / "dir");
        const auto prepared = test::prepare(c, m_tmp / ("tmpfs-previous-" + command.toStdString()),
                                            m_tmp / ("tmpfs-reference-" + command.toStdString()));
        QVERIFY2(prepared.error.empty(), prepared.error.c_str());
        test::copyOver(m_tmp / ("tmpfs-previous-" + command.toStdString()), c.out);
        uintmax_t newSize = 0, room = 0;
        for (const auto& [name, state] : prepared.r) newSize += state.size;
        room = newSize / 2;
        if (file == "tuned/encoder.json")
            room = prepared.r.at("model.safetensors").size + prepared.r.at("config.json").size + 65536;
        const uintmax_t size = (usedBytes(point) + room + 4095) / 4096 * 4096;
        const std::string options = "size=" + std::to_string(size);
        QVERIFY2(::mount("tmpfs", point.c_str(), "tmpfs", MS_REMOUNT, options.c_str()) == 0, std::strerror(errno));
        qInfo("%s: tmpfs of %llu bytes, %llu used; the new output needs %llu", command.toLatin1().constData(),
              static_cast<unsigned long long>(size), static_cast<unsigned long long>(usedBytes(point)),
              static_cast<unsigned long long>(newSize));
        expectCleanFailure(c, prepared, {}, (point / "dir" / file.toStdString()).string(),
                           [&] { QVERIFY(::mount("tmpfs", point.c_str(), "tmpfs", MS_REMOUNT, "size=64m") == 0); });
    }
};

QTEST_GUILESS_MAIN(TestDiskFull)
#include "test_disk_full.moc"
