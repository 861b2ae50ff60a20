// The full real benchmark files in ../shared/data/mcq: record counts from their SOURCES.md, known
// records, and equal fingerprints for the AI2 release and the Hugging Face export of ARC.
#include <QtTest>

#include <set>

#include "core/data/mcq.h"
#include "core/util/error.h"
#include "tests/core/data/mcq_test_util.h"
#include "tests/support/test_support.h"

using namespace prunescope;
namespace fs = std::filesystem;

Q_DECLARE_METATYPE(prunescope::McqFormat)

namespace {

fs::path shared(const std::string& name) {
    return test::sharedDataDir() / "mcq" / name;
}

McqDataset load(const fs::path& file, McqFormat format = McqFormat::Auto) {
    return test::loadValid(file, format);
}
using test::startsWith;
using test::strings;

// The questions of `data` whose id is in `ids`, in the order of `data`.
McqDataset withIds(const McqDataset& data, const std::set<std::string>& ids) {
    std::vector<size_t> indices;
    for (size_t i = 0; i < data.questions.size(); ++i) {
        if (ids.count(data.questions[i].id)) indices.push_back(i);
    }
    return subset(data, indices);
}

std::set<std::string> idsOf(const McqDataset& data) {
    std::set<std::string> ids;
    for (const auto& q : data.questions) ids.insert(q.id);
    return ids;
}

bool haveShared() {
    return fs::exists(shared("SOURCES.md"));
}

}  // namespace

class TestMcqShared : public QObject {
    Q_OBJECT
private slots:
    void sharedCounts_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<McqFormat>("format");
        QTest::addColumn<int>("count");
        QTest::newRow("ai2 Challenge-Dev") << "arc-ai2-jsonl/ARC-Challenge-Dev.jsonl" << McqFormat::ArcJsonl << 294;
        QTest::newRow("ai2 Challenge-Test") << "arc-ai2-jsonl/ARC-Challenge-Test.jsonl" << McqFormat::ArcJsonl << 1150;
        QTest::newRow("hf Challenge-train")
            << "arc-hf-jsonl/ARC-Challenge-train.jsonl" << McqFormat::ArcHfJsonl << 1119;
        QTest::newRow("hf Challenge-validation")
            << "arc-hf-jsonl/ARC-Challenge-validation.jsonl" << McqFormat::ArcHfJsonl << 299;
        QTest::newRow("hf Challenge-test") << "arc-hf-jsonl/ARC-Challenge-test.jsonl" << McqFormat::ArcHfJsonl << 1172;
        QTest::newRow("hf Easy-train") << "arc-hf-jsonl/ARC-Easy-train.jsonl" << McqFormat::ArcHfJsonl << 2251;
        QTest::newRow("hf Easy-validation") << "arc-hf-jsonl/ARC-Easy-validation.jsonl" << McqFormat::ArcHfJsonl << 570;
        QTest::newRow("hf Easy-test") << "arc-hf-jsonl/ARC-Easy-test.jsonl" << McqFormat::ArcHfJsonl << 2376;
        QTest::newRow("openbookqa dev") << "openbookqa/dev.tsv" << McqFormat::OpenBookQaTsv << 500;
        QTest::newRow("openbookqa test") << "openbookqa/test.tsv" << McqFormat::OpenBookQaTsv << 500;
    }
    void sharedCounts() {
        if (!haveShared()) QSKIP("../shared/data/mcq is not available");
        QFETCH(QString, file);
        QFETCH(McqFormat, format);
        QFETCH(int, count);
        McqDataset d = load(shared(file.toStdString()));  // throws on any invalid record
        QCOMPARE(d.format, format);
        QCOMPARE(int(d.questions.size()), count);
        QVERIFY(d.skipped.empty());
        std::set<std::string> ids;
        for (const auto& q : d.questions) {
            QVERIFY(q.options.size() >= 3 && q.options.size() <= 5);
            QVERIFY(q.answer >= 0 && q.answer < int(q.options.size()));
            ids.insert(q.id);
        }
        QCOMPARE(int(ids.size()), count);  // ids are unique
    }

    void sharedKnownRecords() {
        if (!haveShared()) QSKIP("../shared/data/mcq is not available");
        McqDataset test = load(shared("arc-ai2-jsonl/ARC-Challenge-Test.jsonl"));
        const McqQuestion* five = nullptr;
        for (const auto& q : test.questions) {
            if (q.id == "TIMSS_1995_8_N4") five = &q;
        }
        QVERIFY(five);
        QCOMPARE(five->line, 1019);
        QVERIFY(startsWith(five->question, "Years ago farmers found that corn plants grew better"));
        QCOMPARE(five->options, strings({"energy", "minerals", "protein", "oxygen", "water"}));
        QCOMPARE(five->labels, strings({"A", "B", "C", "D", "E"}));
        QCOMPARE(five->answer, 1);

        McqDataset easy = load(shared("arc-hf-jsonl/ARC-Easy-train.jsonl"));
        const McqQuestion& e = easy.questions[1138];
        QCOMPARE(e.id, std::string("TIMSS_1995_8_Q14"));
        QCOMPARE(e.line, 1139);
        QCOMPARE(e.answer, 4);  // "E"
        QCOMPARE(e.options[4], std::string("a compound"));

        McqDataset hfTest = load(shared("arc-hf-jsonl/ARC-Challenge-test.jsonl"));
        const McqQuestion& n = hfTest.questions[385];
        QCOMPARE(n.id, std::string("NYSEDREGENTS_2012_8_42"));
        QCOMPARE(n.labels, strings({"1", "2", "3"}));
        QCOMPARE(n.answer, 1);
        int numeric = 0;
        for (const auto& q : hfTest.questions) numeric += q.labels[0] == "1";
        QCOMPARE(numeric, 22);  // SOURCES.md: 22 of 1172 test questions have keys 1-4

        McqDataset obqa = load(shared("openbookqa/test.tsv"));
        QCOMPARE(obqa.questions[0].id, std::string("8-343"));
        QCOMPARE(obqa.questions[0].options[1], std::string("quit eating lunch out"));
        QCOMPARE(obqa.questions[0].answer, 1);
        const McqQuestion& last = obqa.questions.back();
        QCOMPARE(last.id, std::string("7-7"));
        QCOMPARE(last.line, 501);
        QCOMPARE(last.question, std::string("Some animals use a liquid coming from their skin to "
                                            "adjust to"));
        QCOMPARE(last.options, strings({"cold", "water", "heat", "humidity"}));
        QCOMPARE(last.answer, 2);
    }

    // SOURCES.md: the AI2 files hold exactly the HF validation / test questions whose answerKey
    // is A-D, in the same order and with identical text, so the fingerprints must agree.
    void sharedAi2AndHfFingerprints_data() {
        QTest::addColumn<QString>("ai2");
        QTest::addColumn<QString>("hf");
        QTest::addColumn<int>("dropped");
        QTest::newRow("dev") << "arc-ai2-jsonl/ARC-Challenge-Dev.jsonl"
                             << "arc-hf-jsonl/ARC-Challenge-validation.jsonl" << 5;
        QTest::newRow("test") << "arc-ai2-jsonl/ARC-Challenge-Test.jsonl"
                              << "arc-hf-jsonl/ARC-Challenge-test.jsonl" << 22;
    }
    void sharedAi2AndHfFingerprints() {
        if (!haveShared()) QSKIP("../shared/data/mcq is not available");
        QFETCH(QString, ai2);
        QFETCH(QString, hf);
        QFETCH(int, dropped);
        McqDataset a = load(shared(ai2.toStdString()));
        McqDataset h = load(shared(hf.toStdString()));
        QCOMPARE(int(h.questions.size() - a.questions.size()), dropped);
        std::vector<size_t> abcd;
        for (size_t i = 0; i < h.questions.size(); ++i) {
            const McqQuestion& q = h.questions[i];
            const std::string& key = q.labels[q.answer];
            if (key == "A" || key == "B" || key == "C" || key == "D") abcd.push_back(i);
        }
        McqDataset filtered = subset(h, abcd);
        QCOMPARE(idsOf(filtered), idsOf(a));
        QCOMPARE(withIds(h, idsOf(a)).fingerprint(), a.fingerprint());
        QCOMPARE(filtered.fingerprint(), a.fingerprint());
        QVERIFY(h.fingerprint() != a.fingerprint());
    }
};

QTEST_GUILESS_MAIN(TestMcqShared)
#include "test_mcq_shared.moc"
