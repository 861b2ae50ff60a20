// Loading every MCQ format from the committed fixtures (tests/data/mcq), and auto-detection.
// The full real files in ../shared/data/mcq are tested in test_mcq_shared.cpp.
#include <QtTest>

#include <set>

#include "core/data/mcq.h"
#include "core/util/error.h"
#include "core/util/files.h"
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
    for (const auto& q : data.questions) ids.insert(q.id);
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
                                     "Choose different objects to roll.", "Record the details of the investigation."}));
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
        QCOMPARE(q.options, strings({"Deep sea animals", "fish", "Long Sea Fish", "Far Sea Animals"}));
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
        QCOMPARE(q.question, std::string("A ball is thrown upward. At the top of its path, its acceleration is"));
        QCOMPARE(q.options, strings({"zero", "9.8 m/s^2, downward", "9.8 m/s^2, upward", "undefined"}));
        QCOMPARE(q.answer, 1);
        QCOMPARE(q.id, std::string("college_physics_test.csv:1"));
        QCOMPARE(q.extra.at("subject"), std::string("college_physics"));
        QCOMPARE(q.extra.at("split"), std::string("test"));
        QCOMPARE(d.questions[1].question, std::string("Which quantity, in SI units, is measured in \"newtons\"?"));
        const McqQuestion& multi = d.questions[3];  // a quoted field over four lines
        QCOMPARE(multi.line, 4);
        QCOMPARE(multi.question, std::string("Consider the statements:\nI. Light is a wave.\nII. Light is made of "
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
        QTest::newRow("arc hf") << "arc-hf-challenge-validation-head40.jsonl" << McqFormat::ArcHfJsonl;
        QTest::newRow("openbookqa tsv") << "openbookqa-dev-head20.tsv" << McqFormat::OpenBookQaTsv;
        QTest::newRow("openbookqa jsonl") << "openbookqa-dev-head20.jsonl" << McqFormat::OpenBookQaJsonl;
        QTest::newRow("commonsenseqa") << "commonsenseqa-dev.jsonl" << McqFormat::CommonsenseQaJsonl;
        QTest::newRow("commonsenseqa hf") << "commonsenseqa-hf-validation.jsonl" << McqFormat::CommonsenseQaHfJsonl;
        QTest::newRow("sciq") << "sciq-test.json" << McqFormat::SciqJson;
        QTest::newRow("mmlu") << "college_physics_test.csv" << McqFormat::MmluCsv;
        QTest::newRow("jsonl") << "plain.jsonl" << McqFormat::Jsonl;
        QTest::newRow("csv letters") << "plain-letters.csv" << McqFormat::Csv;
        QTest::newRow("csv numbered") << "plain-numbered.csv" << McqFormat::Csv;
        QTest::newRow("piqa") << "piqa/valid.jsonl" << McqFormat::PiqaJsonl;
        QTest::newRow("siqa") << "siqa/dev.jsonl" << McqFormat::SiqaJsonl;
        QTest::newRow("hellaswag") << "hellaswag_val.jsonl" << McqFormat::HellaswagJsonl;
        QTest::newRow("winogrande") << "winogrande_dev.jsonl" << McqFormat::WinograndeJsonl;
        QTest::newRow("truthfulqa release") << "truthfulqa-mc_task.json" << McqFormat::TruthfulQaMc1;
        QTest::newRow("truthfulqa hf") << "truthfulqa-hf-validation.jsonl" << McqFormat::TruthfulQaMc1;
        QTest::newRow("qasc") << "qasc-dev.jsonl" << McqFormat::QascJsonl;
    }
    // PIQA: goal + sol1/sol2, the answers (0/1) in valid-labels.lst beside valid.jsonl.
    void piqaWithLabelsFile() {
        McqDataset d = load(fixture("piqa/valid.jsonl"));
        QCOMPARE(d.format, McqFormat::PiqaJsonl);
        QCOMPARE(d.questions.size(), size_t(3));
        const McqQuestion& q = d.questions[1];
        QCOMPARE(q.id, std::string("hm-2"));
        QCOMPARE(q.question, std::string("How do I loosen a stuck jar lid?"));
        QCOMPARE(q.options.size(), size_t(2));
        QCOMPARE(q.answer, 0);
        QCOMPARE(d.questions[2].answer, 1);
        QCOMPARE(q.labels, strings({"A", "B"}));

        test::TempDir dir;  // a labels file named explicitly; and one answer short
        const fs::path labels = dir / "answers.txt";
        writeFileAtomic(labels, "1\n1\n1\n");
        McqLoadOptions options;
        options.labelsFile = labels;
        QCOMPARE(loadMcqDataset(fixture("piqa/valid.jsonl"), options).questions[0].answer, 1);
        writeFileAtomic(labels, "1\n1\n");
        try {
            loadMcqDataset(fixture("piqa/valid.jsonl"), options);
            QFAIL("no error");
        } catch (const Error& e) {
            qInfo("%s", e.what());
            QCOMPARE(e.file(), fixture("piqa/valid.jsonl").string());
            QVERIFY2(e.message().find("3 records, but 2 answers in " + labels.string()) == 0, e.what());
        }
        writeFileAtomic(labels, "1\n2\n0\n");  // PIQA has two solutions: 2 is out of range
        try {
            loadMcqDataset(fixture("piqa/valid.jsonl"), options);
            QFAIL("no error");
        } catch (const Error& e) {
            qInfo("%s", e.what());
            QCOMPARE(e.place(), std::string("line 2, field 'answers.txt line 2'"));
        }
        // No labels file beside a copy of the data: the error says where it looked.
        const fs::path copy = dir / "train.jsonl";
        writeFileAtomic(copy, readTextFile(fixture("piqa/valid.jsonl")));
        try {
            loadMcqDataset(copy);
            QFAIL("no error");
        } catch (const Error& e) {
            qInfo("%s", e.what());
            QVERIFY2(e.message().find((dir / "train-labels.lst").string()) != std::string::npos, e.what());
            QVERIFY2(e.hint().find("--labels FILE") != std::string::npos, e.what());
        }
    }

    // Social IQa: context + question, answerA..C, the answers (1..3) in dev-labels.lst.
    void siqaWithLabelsFile() {
        McqDataset d = load(fixture("siqa/dev.jsonl"));
        QCOMPARE(d.format, McqFormat::SiqaJsonl);
        QCOMPARE(d.questions.size(), size_t(2));
        const McqQuestion& q = d.questions[0];
        QCOMPARE(q.question, std::string("Jordan forgot the keys at the office and had to wait "
                                         "outside for an hour. How would Jordan feel afterwards?"));
        QCOMPARE(q.options,
                 strings({"annoyed with themselves", "proud of the evening", "eager to go back inside the office"}));
        QCOMPARE(q.answer, 0);               // "1"
        QCOMPARE(d.questions[1].answer, 1);  // "2"
        QCOMPARE(q.extra.at("question"), std::string("How would Jordan feel afterwards?"));
    }

    void hellaswagRelease() {
        McqDataset d = load(fixture("hellaswag_val.jsonl"));
        QCOMPARE(d.format, McqFormat::HellaswagJsonl);
        QCOMPARE(d.questions.size(), size_t(3));
        const McqQuestion& q = d.questions[0];
        QCOMPARE(q.id, std::string("4"));
        QCOMPARE(q.question, std::string("A man lays two slices of bread on a board. he"));
        QCOMPARE(q.options.size(), size_t(4));
        QCOMPARE(q.options[2], std::string("spreads butter on both slices with a knife."));
        QCOMPARE(q.answer, 2);
        QCOMPARE(q.extra.at("activity_label"), std::string("Making a sandwich"));
        QCOMPARE(q.extra.at("ctx_b"), std::string("he"));
        QCOMPARE(d.questions[1].extra.at("split_type"), std::string("zeroshot"));
    }

    void winograndeRelease() {
        McqDataset d = load(fixture("winogrande_dev.jsonl"));
        QCOMPARE(d.format, McqFormat::WinograndeJsonl);
        QCOMPARE(d.questions.size(), size_t(3));
        const McqQuestion& q = d.questions[0];
        QCOMPARE(q.id, std::string("hand-made-1"));
        QVERIFY(q.question.find(" _ ") != std::string::npos);
        QCOMPARE(q.options, strings({"trophy", "suitcase"}));
        QCOMPARE(q.answer, 1);               // "2"
        QCOMPARE(d.questions[2].answer, 0);  // "1"
    }

    // TruthfulQA MC1: the release's mc_task.json (answers as object keys, in order) and the
    // Hugging Face export (choices / labels) give the same records.
    void truthfulQaMc1() {
        McqDataset release = load(fixture("truthfulqa-mc_task.json"));
        QCOMPARE(release.format, McqFormat::TruthfulQaMc1);
        QCOMPARE(release.questions.size(), size_t(2));
        const McqQuestion& q = release.questions[0];
        QCOMPARE(q.question, std::string("What happens if you swallow chewing gum?"));
        QCOMPARE(q.options,
                 strings({"It passes through your digestive system.", "It stays in your stomach for seven years.",
                          "It sticks to your heart.", "You will die."}));
        QCOMPARE(q.answer, 0);
        McqDataset hf = load(fixture("truthfulqa-hf-validation.jsonl"));
        QCOMPARE(hf.format, McqFormat::TruthfulQaMc1);
        QCOMPARE(hf.fingerprint(), release.fingerprint());
    }

    void qascRelease() {
        McqDataset d = load(fixture("qasc-dev.jsonl"));
        QCOMPARE(d.format, McqFormat::QascJsonl);
        const McqQuestion& q = d.questions[0];
        QCOMPARE(q.options.size(), size_t(8));
        QCOMPARE(q.answer, 1);
        QCOMPARE(q.extra.at("combinedfact"), std::string("Plants use sunlight to make food."));
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
        QCOMPARE(mcqFormatNames().size(), size_t(17));
        try {
            parseMcqFormat("race");
            QFAIL("no error");
        } catch (const Error& e) {
            QVERIFY2(e.message().find("unknown dataset format 'race'") != std::string::npos, e.what());
            QVERIFY2(e.hint().find("commonsenseqa-hf") != std::string::npos, e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestMcqFormats)
#include "test_mcq_formats.moc"
