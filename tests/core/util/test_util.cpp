// Tests of the engine's small utilities: SHA-256, atomic files, JSON errors with positions.
#include <QtTest>

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/sha256.h"
#include "tests/support/test_support.h"

using namespace prunescope;

class TestUtil : public QObject {
    Q_OBJECT
private slots:
    void sha256KnownVectors() {
        QCOMPARE(sha256Hex(""), std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        QCOMPARE(sha256Hex("abc"), std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
        QCOMPARE(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                 std::string("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
        std::string million(1000000, 'a');
        QCOMPARE(sha256Hex(million), std::string("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    }

    void sha256Incremental() {
        Sha256 h;
        std::string text = "The quick brown fox jumps over the lazy dog";
        for (char c : text) h.update(&c, 1);
        QCOMPARE(h.hexDigest(), sha256Hex(text));
    }

    void atomicFileCommitAndAbort() {
        test::TempDir dir;
        auto path = dir / "out.txt";
        writeFileAtomic(path, "first");
        QCOMPARE(readTextFile(path), std::string("first"));
        {
            AtomicFile file(path);
            file.stream() << "second, never committed";
        }
        QCOMPARE(readTextFile(path), std::string("first"));
        // Nothing but the committed file is left behind.
        int count = 0;
        for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
            Q_UNUSED(e);
            ++count;
        }
        QCOMPARE(count, 1);
    }

    // What a killed run left while writing an output (its temporary file, its folder being built,
    // its old folder being deleted) is removed by the next write of that output; a live process's
    // temporaries and other outputs' are left alone.
    void staleTemporariesRemoved() {
        test::TempDir dir;
        const pid_t child = ::fork();
        if (child == 0) ::_exit(0);
        QVERIFY(child > 0);
        int status = 0;
        QCOMPARE(::waitpid(child, &status, 0), child);
        const std::string dead = std::to_string(child);
        const std::string alive = std::to_string(::getppid());
        auto touch = [&](const std::string& name) { std::ofstream(dir / name) << "partial"; };
        auto mkdir = [&](const std::string& name) {
            std::filesystem::create_directories(dir / name);
            std::ofstream(dir / name / "model.safetensors") << "partial";
        };
        touch("out.json.tmp." + dead + ".0.123");
        touch("out.json.tmp." + alive + ".0.123");
        touch("other.json.tmp." + dead + ".0.123");
        touch("out.json.tmp." + dead + ".x.123");  // not a name uniqueSuffix makes
        touch("out.json.tmp." + dead + ".0.123.txt");
        mkdir(".tuned.tmp." + dead + ".3.77");
        mkdir(".tuned.old.tmp." + dead + ".4.78");
        mkdir(".tuned.tmp." + alive + ".3.77");

        writeFileAtomic(dir / "out.json", "{}");
        writeDirectoryAtomic(dir / "tuned", [](const std::filesystem::path& staging) {
            writeFileAtomic(staging / "config.json", "{}");
        });
        std::set<std::string> left;
        for (const auto& e : std::filesystem::directory_iterator(dir.path())) left.insert(e.path().filename().string());
        const std::set<std::string> expected = {"out.json",
                                                "tuned",
                                                "out.json.tmp." + alive + ".0.123",
                                                "other.json.tmp." + dead + ".0.123",
                                                "out.json.tmp." + dead + ".x.123",
                                                "out.json.tmp." + dead + ".0.123.txt",
                                                ".tuned.tmp." + alive + ".3.77"};
        QCOMPARE(left, expected);
    }

    void jsonErrorNamesLineAndColumn() {
        try {
            parseJson("{\n  \"a\": 1,\n  \"b\": oops\n}", "config.json");
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(e.file(), std::string("config.json"));
            QVERIFY2(e.place().rfind("line 3", 0) == 0, e.what());
        }
    }

    void missingFileIsNamed() {
        try {
            readTextFile("/nonexistent/prunescope.json");
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(e.file(), std::string("/nonexistent/prunescope.json"));
            QCOMPARE(e.message(), std::string("no such file"));
        }
    }
};

QTEST_GUILESS_MAIN(TestUtil)
#include "test_util.moc"
