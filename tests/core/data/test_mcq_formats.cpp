// Loading every MCQ format from the committed fixtures (tests/data/mcq), and auto-detection.
// The full real files in ../shared/data/mcq are tested in test_mcq_shared.cpp.
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

fs::path fixture(const std::string& name) {
    return test::dataDir() / "mcq" / name;
}

McqDataset load(const fs::path& file, McqFormat format = McqFormat::Auto) {
    return test::loadValid(file, format);
}
using test::startsWith;
using test::strings;

std::set<std::string> idsOf(const McqDataset& data) {
    std::set<std::string> ids;
    for (const auto& q : data.questions)
        ids.insert(q.id);
    return ids;
}

}  // namespace

class TestMcqFormats : public QObject {
    Q_OBJECT
private slots:
    void arcAi2Excerpt() {
        McqDataset d = load(fixture("arc-ai2-challenge-dev-head40.jsonl"));
        QCOMPARE(d.format, McqFormat::ArcJsonl);
        QCOMPARE(d.name, std::string("arc-ai2-challenge-dev-head40"));
        QCOMPARE(d.questions.size(), size_t(40));
        QVERIFY(d.skipped.empty());
        const McqQuestion& q = d.questions[0];
        QCOMPARE(q.id, std::string("Mercury_SC_407695"));
        QVERIFY(startsWith(q.question, "Juan and LaKeisha roll a few objects down a ramp."));
        QCOMPARE(q.options, strings({"Put the objects in groups.", "Change the height of the ramp.",
                                     "Choose different objects to roll.",
                                     "Record the details of the investigation."}));
        QCOMPARE(q.labels, strings({"A", "B", "C", "D"}));
        QCOMPARE(q.answer, 3);
        QCOMPARE(q.line, 1);
        const McqQuestion& three = d.questions[35];  // 3 options
        QCOMPARE(three.id, std::string("NYSEDREGENTS_2014_4_4"));
        QCOMPARE(three.options, strings({"gas", "liquid", "solid"}));
        QCOMPARE(three.answer, 0);
        QCOMPARE(three.line, 36);
    }

    void arcHfExcerpts() {
        McqDataset d = load(fixture("arc-hf-challenge-validation-head40.jsonl"));
        QCOMPARE(d.format, McqFormat::ArcHfJsonl);
        QCOMPARE(d.questions.size(), size_t(40));
        QCOMPARE(d.questions[1].id, std::string("Mercury_7103565"));
        QCOMPARE(d.questions[1].options[2], std::string("drought"));
        QCOMPARE(d.questions[1].answer, 2);

        // Numeric labels "1".."3" (source lines 380-390 of ARC-Challenge-test.jsonl).
        McqDataset t = load(fixture("arc-hf-challenge-test-lines380-390.jsonl"));
        QCOMPARE(t.questions.size(), size_t(11));
        const McqQuestion& q = t.questions[6];
        QCOMPARE(q.id, std::string("NYSEDREGENTS_2012_8_42"));
        QCOMPARE(q.labels, strings({"1", "2", "3"}));
        QCOMPARE(q.options, strings({"decrease", "increase", "remain the same"}));
        QCOMPARE(q.answer, 1);
        QCOMPARE(q.line, 7);
    }

    void arcAi2AndHfExcerptsHaveOneFingerprint() {
        McqDataset ai2 = load(fixture("arc-ai2-challenge-dev-head40.jsonl"));
        McqDataset hf = load(fixture("arc-hf-challenge-validation-head40.jsonl"));
        QCOMPARE(idsOf(ai2), idsOf(hf));
        QCOMPARE(ai2.fingerprint(), hf.fingerprint());
    }

    void openBookQaTsvAndJsonl() {
        McqDataset tsv = load(fixture("openbookqa-dev-head20.tsv"));
        QCOMPARE(tsv.format, McqFormat::OpenBookQaTsv);
        QCOMPARE(tsv.questions.size(), size_t(20));
        const McqQuestion& q = tsv.questions[0];
        QCOMPARE(q.id, std::string("8-376"));
        QVERIFY(startsWith(q.question, "Frilled sharks and angler fish live far beneath"));
        QCOMPARE(q.options,
                 strings({"Deep sea animals", "fish", "Long Sea Fish", "Far Sea Animals"}));
        QCOMPARE(q.answer, 0);
        QCOMPARE(q.line, 2);  // line 1 is the header
        QCOMPARE(tsv.questions[1].id, std::string("7-57"));
        QCOMPARE(tsv.questions[1].answer, 3);

        McqDataset jsonl = load(fixture("openbookqa-dev-head20.jsonl"));
        QCOMPARE(jsonl.format, McqFormat::OpenBookQaJsonl);
        QCOMPARE(jsonl.questions.size(), size_t(20));
        QCOMPARE(jsonl.questions[0].id, std::string("8-376"));
        QCOMPARE(jsonl.fingerprint(), tsv.fingerprint());
    }

    void commonsenseQaReleaseAndHf() {
        McqDataset d = load(fixture("commonsenseqa-dev.jsonl"));
        QCOMPARE(d.format, McqFormat::CommonsenseQaJsonl);
        QCOMPARE(d.questions.size(), size_t(6));
        const McqQuestion& q = d.questions[0];
        QCOMPARE(q.id, std::string("3f9a8c1d2e4b5a6978c0d1e2f3a4b5c6"));
        QCOMPARE(q.options.size(), size_t(5));
        QCOMPARE(q.extra.at("question_concept"), std::string("lantern"));
        QCOMPARE(d.questions[4].answer, 4);  // E
        QCOMPARE(d.questions[5].question,
                 std::string("What happens to snow when the sun warms it, \"slowly\" or not?"));

        McqDataset hf = load(fixture("commonsenseqa-hf-validation.jsonl"));
        QCOMPARE(hf.format, McqFormat::CommonsenseQaHfJsonl);
        QCOMPARE(hf.questions.size(), size_t(6));
        QCOMPARE(hf.questions[0].extra.at("question_concept"), std::string("lantern"));
        QCOMPARE(hf.fingerprint(), d.fingerprint());
        QCOMPARE(idsOf(hf), idsOf(d));
    }

    void sciqShufflesDeterministically() {
        McqDataset d = load(fixture("sciq-test.json"));
        QCOMPARE(d.format, McqFormat::SciqJson);
        QCOMPARE(d.questions.size(), size_t(5));
        const char* correct[] = {"gravity", "mitochondrion", "Na", "100", "kinetic energy"};
        std::set<int> answers;
        for (size_t i = 0; i < d.questions.size(); ++i) {
            const McqQuestion& q = d.questions[i];
            QCOMPARE(q.options.size(), size_t(4));
            QCOMPARE(q.options[q.answer], std::string(correct[i]));
            QCOMPARE(q.line, int(i + 1));  // record index
            QCOMPARE(q.id, "sciq-test.json:" + std::to_string(i + 1));
            answers.insert(q.answer);
        }
        QVERIFY2(answers.size() > 1, "the shuffle put every answer at the same position");
        QVERIFY(startsWith(d.questions[0].extra.at("support"), "Gravity is the force"));
        // Order for seed 0 as computed by an independent Python transcription of docs/datasets.md.
        QCOMPARE(d.questions[0].options, strings({"friction", "tension", "magnetism", "gravity"}));

        McqDataset again = load(fixture("sciq-test.json"));
        QCOMPARE(again.fingerprint(), d.fingerprint());
        McqLoadOptions other;
        other.seed = 12345;
        McqDataset reseeded = loadMcqDataset(fixture("sciq-test.json"), other);
        QVERIFY(reseeded.fingerprint() != d.fingerprint());
        for (size_t i = 0; i < d.questions.size(); ++i) {
            const McqQuestion& q = reseeded.questions[i];
            QCOMPARE(q.options[q.answer], std::string(correct[i]));
        }
    }

    void mmluCsv() {
        McqDataset d = load(fixture("college_physics_test.csv"));
        QCOMPARE(d.format, McqFormat::MmluCsv);
        QCOMPARE(d.questions.size(), size_t(5));
        const McqQuestion& q = d.questions[0];
        QCOMPARE(
            q.question,
            std::string("A ball is thrown upward. At the top of its path, its acceleration is"));
        QCOMPARE(q.options,
                 strings({"zero", "9.8 m/s^2, downward", "9.8 m/s^2, upward", "undefined"}));
        QCOMPARE(q.answer, 1);
        QCOMPARE(q.id, std::string("college_physics_test.csv:1"));
        QCOMPARE(q.extra.at("subject"), std::string("college_physics"));
        QCOMPARE(q.extra.at("split"), std::string("test"));
        QCOMPARE(d.questions[1].question,
                 std::string("Which quantity, in SI units, is measured in \"newtons\"?"));
        const McqQuestion& multi = d.questions[3];  // a quoted field over four lines
        QCOMPARE(multi.line, 4);
        QCOMPARE(multi.question,
                 std::string("Consider the statements:\nI. Light is a wave.\nII. Light is made of "
                             "particles.\nWhich is supported by the photoelectric effect?"));
        QCOMPARE(multi.options[3], std::string("neither, \"it depends\""));
        QCOMPARE(d.questions[4].line, 8);
        QCOMPARE(d.questions[4].answer, 3);
    }

    void plainJsonl() {
        McqDataset d = load(fixture("plain.jsonl"));
        QCOMPARE(d.format, McqFormat::Jsonl);
        QCOMPARE(d.questions.size(), size_t(4));  // the blank line is not a record
        QCOMPARE(d.questions[0].id, std::string("plain-1"));
        QCOMPARE(d.questions[0].answer, 1);
        QCOMPARE(d.questions[0].extra.at("subject"), std::string("arithmetic"));
        QCOMPARE(d.questions[1].id, std::string("plain.jsonl:2"));
        QCOMPARE(d.questions[1].answer, 1);  // "B"
        QCOMPARE(d.questions[2].line, 4);
        QCOMPARE(d.questions[2].answer, 2);
        QCOMPARE(d.questions[2].extra.at("difficulty"), std::string("1"));
        QCOMPARE(d.questions[3].labels, strings({"1", "2"}));
        QCOMPARE(d.questions[3].answer, 1);
    }

    void headerCsv() {
        McqDataset d = load(fixture("plain-letters.csv"));
        QCOMPARE(d.format, McqFormat::Csv);
        QCOMPARE(d.questions.size(), size_t(3));
        QCOMPARE(d.questions[0].id, std::string("q1"));
        QCOMPARE(d.questions[0].question, std::string("Which gas do plants take in, mostly?"));
        QCOMPARE(d.questions[0].answer, 1);
        QCOMPARE(d.questions[0].extra.at("subject"), std::string("biology"));
        QCOMPARE(d.questions[1].options, strings({"shark", "trout", "whale"}));  // D left empty
        QCOMPARE(d.questions[1].answer, 2);
        QCOMPARE(d.questions[2].question, std::string("The word \"quick\" is a"));
        QCOMPARE(d.questions[2].line, 4);

        McqDataset n = load(fixture("plain-numbered.csv"));
        QCOMPARE(n.questions.size(), size_t(2));
        QCOMPARE(n.questions[0].labels, strings({"1", "2", "3"}));
        QCOMPARE(n.questions[0].answer, 1);  // "2"
        QCOMPARE(n.questions[1].answer, 0);  // "A"
        QCOMPARE(n.questions[0].id, std::string("plain-numbered.csv:2"));
    }

    void autoDetection_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<McqFormat>("format");
        QTest::newRow("arc ai2") << "arc-ai2-challenge-dev-head40.jsonl" << McqFormat::ArcJsonl;
        QTest::newRow("arc hf") << "arc-hf-challenge-validation-head40.jsonl"
                                << McqFormat::ArcHfJsonl;
        QTest::newRow("openbookqa tsv") << "openbookqa-dev-head20.tsv" << McqFormat::OpenBookQaTsv;
        QTest::newRow("openbookqa jsonl")
            << "openbookqa-dev-head20.jsonl" << McqFormat::OpenBookQaJsonl;
        QTest::newRow("commonsenseqa")
            << "commonsenseqa-dev.jsonl" << McqFormat::CommonsenseQaJsonl;
        QTest::newRow("commonsenseqa hf")
            << "commonsenseqa-hf-validation.jsonl" << McqFormat::CommonsenseQaHfJsonl;
        QTest::newRow("sciq") << "sciq-test.json" << McqFormat::SciqJson;
        QTest::newRow("mmlu") << "college_physics_test.csv" << McqFormat::MmluCsv;
        QTest::newRow("jsonl") << "plain.jsonl" << McqFormat::Jsonl;
        QTest::newRow("csv letters") << "plain-letters.csv" << McqFormat::Csv;
        QTest::newRow("csv numbered") << "plain-numbered.csv" << McqFormat::Csv;
    }
    void autoDetection() {
        QFETCH(QString, file);
        QFETCH(McqFormat, format);
        const fs::path path = fixture(file.toStdString());
        QCOMPARE(mcqFormatName(detectMcqFormat(path)), mcqFormatName(format));
        QCOMPARE(load(path).format, format);
        // Forcing the detected format gives the same records.
        QCOMPARE(load(path, format).fingerprint(), load(path).fingerprint());
    }

    void forcedWrongFormatNamesTheField() {
        McqLoadOptions options;
        options.format = McqFormat::ArcHfJsonl;
        try {
            loadMcqDataset(fixture("arc-ai2-challenge-dev-head40.jsonl"), options);
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(e.place(), std::string("line 1, field 'question'"));
            QVERIFY2(e.message().find("--format arc") != std::string::npos, e.what());
        }
    }

    void formatNames() {
        for (const std::string& name : mcqFormatNames()) {
            QCOMPARE(mcqFormatName(parseMcqFormat(name)), name);
        }
        QCOMPARE(parseMcqFormat("ARC-HF"), McqFormat::ArcHfJsonl);
        QCOMPARE(mcqFormatNames().size(), size_t(11));
        try {
            parseMcqFormat("race");
            QFAIL("no error");
        } catch (const Error& e) {
            QVERIFY2(e.message().find("unknown dataset format 'race'") != std::string::npos,
                     e.what());
            QVERIFY2(e.hint().find("commonsenseqa-hf") != std::string::npos, e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestMcqFormats)
#include "test_mcq_formats.moc"
