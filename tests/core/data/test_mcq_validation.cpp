// Validation of MCQ records: every malformed record names file, line and field; skipInvalid
// skips and reports; the RFC 4180 reader underneath.
#include <QtTest>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <spdlog/sinks/ostream_sink.h>

#include "core/data/csv_reader.h"
#include "core/data/mcq.h"
#include "core/util/error.h"
#include "core/util/log.h"
#include "tests/support/test_support.h"

using namespace prunescope;
namespace fs = std::filesystem;

namespace {

const char* const kArcGood =
    R"({"id":"ok","question":{"stem":"Q?","choices":[{"text":"a","label":"A"},{"text":"b","label":"B"}]},"answerKey":"A"})"
    "\n";
const char* const kHfGood =
    R"({"id":"ok","question":"Q?","choices":{"text":["a","b"],"label":["A","B"]},"answerKey":"B"})"
    "\n";
const char* const kPlainGood = R"({"question":"Q?","choices":["a","b","c"],"answer":0})"
                               "\n";
const char* const kObqaHeader = "ID\tQuestion Stem\tChoices\tComplete Question\tAnswer Key\n";
const char* const kObqaGood = "1-1\tQ?\t(A) a (B) b (C) c (D) d\tQ? (A) a (B) b (C) c (D) d\tA\n";
const char* const kMmluGood = "Q?,a,b,c,d,A\r\n";
const char* const kSciqGood =
    R"({"question":"Q?","distractor3":"d3","distractor1":"d1","distractor2":"d2","correct_answer":"ok","support":""})";

fs::path writeFile(const test::TempDir& dir, const std::string& name, const QByteArray& content) {
    const fs::path path = dir / name;
    std::ofstream out(path, std::ios::binary);
    out.write(content.constData(), content.size());
    return path;
}

std::string arcLine(const std::string& choices, const std::string& answerKey = R"("answerKey":"A")") {
    return R"({"id":"x","question":{"stem":"Q?","choices":)" + choices + "}," + answerKey + "}\n";
}

// The process's peak resident memory in KiB (VmHWM), or -1 where /proc does not tell it.
long peakMemoryKib() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
}

// Starts the peak over from the memory in use now, where Linux allows it.
bool resetPeakMemory() {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
    clear.flush();
    return clear.good();
}

std::string options(int n) {
    std::string out = "[";
    for (int i = 0; i < n; ++i) out += (i ? ",\"o" : "\"o") + std::to_string(i) + "\"";
    return out + "]";
}

}  // namespace

class TestMcqValidation : public QObject {
    Q_OBJECT
private slots:
    // Each row: a file (name decides the detected format unless `format` forces one), the place
    // the Error must name ("line 2, field 'answerKey'"; a longer place must start with it and a
    // comma), and a fragment of its message.
    void malformed_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("format");
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("place");
        QTest::addColumn<QString>("fragment");
        auto row = [](const char* tag, const char* name, const char* format, const std::string& content,
                      const char* place, const char* fragment) {
            QTest::newRow(tag) << name << format << QByteArray::fromStdString(content) << place << fragment;
        };
        const std::string arc = kArcGood;
        // ARC, AI2 layout
        row("arc missing answerKey", "a.jsonl", "auto",
            arc +
                R"({"id":"x","question":{"stem":"Q?","choices":[{"text":"a","label":"A"},{"text":"b","label":"B"}]}})",
            "line 2, field 'answerKey'", "missing field");
        row("arc answer not a label", "a.jsonl", "auto",
            arc + arcLine(R"([{"text":"a","label":"A"},{"text":"b","label":"B"}])", R"("answerKey":"E")"),
            "line 2, field 'answerKey'", "answer 'E' is not one of the labels A, B");
        row("arc malformed JSON", "a.jsonl", "auto", arc + "{\"id\": \"x\", \"question\": {\n" + arc, "line 2",
            "malformed JSON at column");
        row("arc choices not a list", "a.jsonl", "auto", arc + arcLine(R"("a b c")"),
            "line 2, field 'question.choices'", "expected an array, found string");
        row("arc choice without text", "a.jsonl", "auto", arc + arcLine(R"([{"text":"a","label":"A"},{"label":"B"}])"),
            "line 2, field 'question.choices[1].text'", "missing field");
        row("arc duplicate label", "a.jsonl", "auto",
            arc + arcLine(R"([{"text":"a","label":"A"},{"text":"b","label":"A"}])"),
            "line 2, field 'question.choices[].label'", "duplicate label 'A'");
        row("arc empty stem", "a.jsonl", "auto",
            arc +
                R"({"question":{"stem":"  ","choices":[{"text":"a","label":"A"},{"text":"b","label":"B"}]},"answerKey":"A"})",
            "line 2, field 'question.stem'", "the question is empty");
        row("arc non-UTF-8 byte", "a.jsonl", "auto",
            arc + arc + arcLine("[{\"text\":\"caf\xE9\",\"label\":\"A\"},{\"text\":\"b\",\"label\":\"B\"}]"), "line 3",
            "invalid UTF-8 byte 0xE9 at column 58");
        row("arc record is an array", "a.jsonl", "auto", arc + "[1, 2]\n", "line 2",
            "expected a JSON object, found array");
        // ARC, Hugging Face layout
        row("hf label count", "h.jsonl", "auto",
            std::string(kHfGood) +
                R"({"question":"Q?","choices":{"text":["a","b","c"],"label":["A","B"]},"answerKey":"A"})",
            "line 2, field 'choices.label'", "2 labels for 3 texts");
        row("hf duplicate option", "h.jsonl", "auto",
            std::string(kHfGood) +
                R"({"question":"Q?","choices":{"text":["a","b","a "],"label":["A","B","C"]},"answerKey":"A"})",
            "line 2, field 'choices.text[2]'", "duplicate option 'a' (same as choices.text[0])");
        row("hf empty option", "h.jsonl", "auto",
            std::string(kHfGood) + R"({"question":"Q?","choices":{"text":["a",""],"label":["A","B"]},"answerKey":"A"})",
            "line 2, field 'choices.text[1]'", "empty option");
        // Plain JSONL
        row("jsonl one option", "p.jsonl", "auto",
            std::string(kPlainGood) + R"({"question":"Q?","choices":["only"],"answer":0})", "line 2, field 'choices'",
            "1 option, need at least 2");
        row("jsonl 27 options", "p.jsonl", "auto",
            std::string(kPlainGood) + "\n" + R"({"question":"Q?","choices":)" + options(27) + R"(,"answer":0})",
            "line 3, field 'choices'", "27 options, at most 26");
        row("jsonl answer index out of range", "p.jsonl", "auto",
            std::string(kPlainGood) + R"({"question":"Q?","choices":["a","b","c"],"answer":5})",
            "line 2, field 'answer'", "answer index 5 is out of range for 3 options");
        row("jsonl fractional answer", "p.jsonl", "auto",
            std::string(kPlainGood) + R"({"question":"Q?","choices":["a","b"],"answer":1.5})", "line 2, field 'answer'",
            "expected an option index (0-based) or a label");
        row("jsonl question not a string", "p.jsonl", "auto",
            std::string(kPlainGood) + R"({"question":42,"choices":["a","b"],"answer":1})", "line 2, field 'question'",
            "expected a string, found number 42");
        row("jsonl choice not a string", "p.jsonl", "auto",
            std::string(kPlainGood) + R"({"question":"Q?","choices":["a",3],"answer":1})", "line 2, field 'choices[1]'",
            "expected a string, found number 3");
        // CommonsenseQA (the test split ships without answers)
        row("commonsenseqa without answerKey", "c.jsonl", "commonsenseqa",
            R"({"id":"c1","question":{"question_concept":"x","choices":[{"label":"A","text":"a"},{"label":"B","text":"b"}],"stem":"Q?"}})",
            "line 1, field 'answerKey'", "missing field");
        // OpenBookQA TSV
        row("openbookqa field count", "o.tsv", "auto",
            std::string(kObqaHeader) + kObqaGood + "1-2\tQ?\t(A) a (B) b\tA\n", "line 3",
            "4 tab-separated fields, the header has 5");
        row("openbookqa choices without (A)", "o.tsv", "auto", std::string(kObqaHeader) + "1-2\tQ?\tA) a B) b\tQ?\tA\n",
            "line 2, field 'Choices'", "expected '(A) text (B) text ...'");
        row("openbookqa answer key F", "o.tsv", "auto",
            std::string(kObqaHeader) + kObqaGood + "1-2\tQ?\t(A) a (B) b (C) c (D) d\tQ?\tF\n",
            "line 3, field 'Answer Key'", "answer 'F' is not one of the labels A, B, C, D");
        row("openbookqa empty option", "o.tsv", "auto",
            std::string(kObqaHeader) + kObqaGood + kObqaGood + "1-2\tQ?\t(A) a (B)  (C) c\tQ?\tA\n",
            "line 4, field 'Choices (B)'", "empty option");
        row("openbookqa header", "o.tsv", "auto", "ID\tQuestion\tChoices\tAnswer Key\n", "line 1",
            "no 'Question Stem' column");
        // MMLU CSV
        row("mmlu five fields", "m_test.csv", "auto", std::string(kMmluGood) + "Q?,a,b,c,A\r\n", "line 2",
            "5 fields, expected 6 (question, A, B, C, D, answer)");
        row("mmlu answer E", "m_test.csv", "auto", std::string(kMmluGood) + "Q?,a,b,c,d,E\r\n",
            "line 2, field 'answer'", "answer 'E' is not one of the labels A, B, C, D");
        row("mmlu text after a closing quote", "m_test.csv", "auto", std::string(kMmluGood) + "\"Q?\"x,a,b,c,d,A\r\n",
            "line 2", "unexpected character 'x' after a closing quote");
        row("mmlu unterminated quote", "m_test.csv", "auto",
            std::string(kMmluGood) + kMmluGood + "\"Q?,a,b,c,d,A\r\nQ?,a,b,c,d,A\r\n", "line 3",
            "unterminated quoted field (the quote opens on line 3)");
        row("mmlu line after a multi-line record", "m_test.csv", "auto",
            "\"line one\r\nline two\r\nline three\",a,b,c,d,A\r\nQ?,a,b,b,d,A\r\n", "line 4, field 'C'",
            "duplicate option 'b' (same as B)");
        // CSV with a header
        row("csv without answer column", "c.csv", "csv", "question,A,B,solution\nQ?,a,b,A\n", "line 1",
            "no 'answer' column");
        row("csv field count", "c.csv", "auto", "question,A,B,answer\nQ?,a,b,A\nQ?,a,b\n", "line 3",
            "3 fields, the header has 4");
        row("csv gap in options", "c.csv", "auto", "question,A,B,C,answer\nQ?,a,,c,A\n", "line 2, field 'B'",
            "empty option");
        row("csv missing option column", "c.csv", "auto", "question,A,C,answer\nQ?,a,c,A\n", "line 1",
            "option column 'B' is missing");
        row("csv non-UTF-8 byte", "c.csv", "auto",
            "question,A,B,answer\nQ?,a,\xFF"
            "b,A\n",
            "line 2, field 'B'", "invalid UTF-8 byte 0xFF at column 1 of the field");
        // SciQ
        row("sciq missing distractor", "s.json", "auto",
            std::string("[") + kSciqGood +
                R"(, {"question":"Q2","distractor1":"a","distractor2":"b","correct_answer":"c"}])",
            "record 2, field 'distractor3'", "missing field");
        row("sciq malformed JSON", "s.json", "auto", std::string("[\n") + kSciqGood + ",\n{\"question\": oops}\n]",
            "line 3, column 14", "malformed JSON");
        row("sciq not an array", "s.json", "sciq", kSciqGood, "",
            "expected a JSON array of questions (the SciQ layout), found object");
        row("sciq distractor equals answer", "s.json", "auto",
            R"([{"question":"Q?","distractor3":"x","distractor1":"ok","distractor2":"y","correct_answer":"ok"}])",
            "record 1", "duplicate option 'ok'");
        // Files as a whole
        row("cannot detect", "u.jsonl", "auto", "{\"prompt\": \"Q?\"}\n", "line 1",
            "cannot tell the format: the record has no 'question' field");
        row("empty file", "e.jsonl", "jsonl", "\n\n", "", "no questions found");
    }

    void malformed() {
        QFETCH(QString, name);
        QFETCH(QString, format);
        QFETCH(QByteArray, content);
        QFETCH(QString, place);
        QFETCH(QString, fragment);
        test::TempDir dir;
        const fs::path path = writeFile(dir, name.toStdString(), content);
        McqLoadOptions options;
        options.format = parseMcqFormat(format.toStdString());
        options.strict = true;  // the duplicate-option rows (see duplicateOptionsLoadAsPublished)
        try {
            McqDataset d = loadMcqDataset(path, options);
            QFAIL(qPrintable("no error; loaded " + QString::number(d.questions.size())));
        } catch (const Error& e) {
            qInfo("%s", e.what());
            QCOMPARE(e.file(), path.string());
            const std::string want = place.toStdString();
            QVERIFY2(e.place() == want || e.place().rfind(want + ",", 0) == 0,
                     qPrintable(QString("place '%1', want '%2'").arg(QString::fromStdString(e.place()), place)));
            QVERIFY2(e.message().find(fragment.toStdString()) != std::string::npos, e.what());
            QVERIFY2(std::string(e.what()).find(path.string()) == 0, e.what());
        }
    }

    void skipInvalidReportsLines() {
        std::string text;
        for (int line = 1; line <= 10; ++line) {
            if (line == 3)
                text += arcLine(R"([{"text":"a","label":"A"}])");  // one option
            else if (line == 6)
                text += "{not json\n";
            else if (line == 9)
                text += arcLine(R"([{"text":"a","label":"A"},{"text":"b","label":"B"}])", R"("answerKey":"C")");
            else
                text += kArcGood;
        }
        test::TempDir dir;
        const fs::path path = writeFile(dir, "skip.jsonl", QByteArray::fromStdString(text));
        McqLoadOptions options;
        options.skipInvalid = true;
        McqDataset d = loadMcqDataset(path, options);
        QCOMPARE(d.questions.size(), size_t(7));
        QCOMPARE(d.skipped.size(), size_t(3));
        QCOMPARE(d.skipped[0].line, 3);
        QCOMPARE(d.skipped[1].line, 6);
        QCOMPARE(d.skipped[2].line, 9);
        QVERIFY2(d.skipped[0].reason.find("field 'question.choices': 1 option") == 0, d.skipped[0].reason.c_str());
        QVERIFY2(d.skipped[1].reason.find("malformed JSON") == 0, d.skipped[1].reason.c_str());
        QVERIFY2(d.skipped[2].reason.find("field 'answerKey': answer 'C'") == 0, d.skipped[2].reason.c_str());
        std::vector<int> lines;
        for (const auto& q : d.questions) lines.push_back(q.line);
        QCOMPARE(lines, (std::vector<int>{1, 2, 4, 5, 7, 8, 10}));
        QCOMPARE(d.questions[2].id, std::string("ok"));

        // Without skipInvalid the first bad record stops the load.
        try {
            loadMcqDataset(path);
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(e.place(), std::string("line 3, field 'question.choices'"));
        }
    }

    void skipInvalidTables() {
        test::TempDir dir;
        McqLoadOptions options;
        options.skipInvalid = true;
        const fs::path mmlu = writeFile(dir, "x_val.csv",
                                        "Q1,a,b,c,d,A\r\n\"Q2\"?,a,b,c,d,A\r\nQ3,a,b,c,d,"
                                        "Z\r\n\"Q4\nmore\",a,b,c,d,D\r\nQ5,a,b\r\n");
        McqDataset d = loadMcqDataset(mmlu, options);
        QCOMPARE(d.questions.size(), size_t(2));
        QCOMPARE(d.questions[1].line, 4);
        QCOMPARE(d.questions[1].question, std::string("Q4\nmore"));
        QCOMPARE(d.questions[1].extra.at("split"), std::string("val"));
        QCOMPARE(d.skipped.size(), size_t(3));
        QCOMPARE(d.skipped[0].line, 2);
        QCOMPARE(d.skipped[1].line, 3);
        QCOMPARE(d.skipped[2].line, 6);

        // Problems with the file as a whole are never skipped.
        const fs::path header = writeFile(dir, "h.csv", "question,A,B\nQ?,a,b\n");
        options.format = McqFormat::Csv;
        QVERIFY_THROWS_EXCEPTION(Error, loadMcqDataset(header, options));
        const fs::path open = writeFile(dir, "o_test.csv", "Q1,a,b,c,d,A\n\"Q2,a,b,c,d,A\n");
        options.format = McqFormat::Auto;
        QVERIFY_THROWS_EXCEPTION(Error, loadMcqDataset(open, options));
    }

    // Records that repeat an option's text load as published (CommonsenseQA's dev file has 24,
    // MMLU's high_school_chemistry_test.csv some), with one warning per file naming the count and
    // the first lines; the answer stays the labelled option, also when its text is the repeated one.
    // --strict (McqLoadOptions::strict) refuses them.
    void duplicateOptionsLoadAsPublished() {
        // CommonsenseQA's release layout (the record at line 23 of its dev file repeats this text).
        const std::string kRepeated =
            R"("question":{"question_concept":"c","choices":[{"label":"A","text":"indestructible"},)"
            R"({"label":"B","text":"x"},{"label":"C","text":"indestructible"}],"stem":"Q?"},"answerKey":"C"})"
            "\n";
        const std::string kPlain = R"("question":{"question_concept":"c","choices":[{"label":"A","text":"a"},)"
                                   R"({"label":"B","text":"b"}],"stem":"Q?"},"answerKey":"A"})"
                                   "\n";
        test::TempDir dir;
        std::string text;
        for (int line = 1; line <= 14; ++line) {
            if (line == 2 || (line >= 4 && line <= 13)) {  // 11 records; the answer is the repeat
                text += "{\"id\":\"d" + std::to_string(line) + "\"," + kRepeated;
            } else {
                text += "{\"id\":\"g" + std::to_string(line) + "\"," + kPlain;
            }
        }
        const fs::path path = writeFile(dir, "dev_rand_split.jsonl", QByteArray::fromStdString(text));
        auto messages = std::make_shared<std::ostringstream>();
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*messages);
        log::addSink(sink);
        McqDataset d = loadMcqDataset(path);
        log::removeSink(sink);
        QCOMPARE(d.questions.size(), size_t(14));
        QCOMPARE(d.duplicateOptionLines, (std::vector<int>{2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}));
        QCOMPARE(d.questions[1].options, (std::vector<std::string>{"indestructible", "x", "indestructible"}));
        QCOMPARE(d.questions[1].answer, 2);  // "C", not the first "indestructible"
        const std::string logged = messages->str();
        qInfo("%s", logged.c_str());
        QVERIFY2(logged.find(path.string() + ": 11 of 14 records repeat an option's text (lines 2, 4, 5, 6, "
                                             "7, 8, 9, 10, 11, 12, ...); kept as published") != std::string::npos,
                 logged.c_str());
        QCOMPARE(logged.find("repeat an option"), logged.rfind("repeat an option"));  // once per file

        McqLoadOptions strict;
        strict.strict = true;
        try {
            loadMcqDataset(path, strict);
            QFAIL("no error with strict");
        } catch (const Error& e) {
            QCOMPARE(e.place(), std::string("line 2, field 'question.choices[2].text'"));
            QVERIFY2(e.message().find("duplicate option 'indestructible' (same as "
                                      "question.choices[0].text)") == 0,
                     e.what());
        }
    }

    void allInvalidIsAnError() {
        test::TempDir dir;
        const fs::path path = writeFile(dir, "bad.jsonl",
                                        "{\"question\":\"Q\",\"choices\":[\"a\"],\"answer\":0}\n{"
                                        "\"question\":\"Q\",\"choices\":[],\"answer\":0}\n");
        McqLoadOptions options;
        options.skipInvalid = true;
        try {
            loadMcqDataset(path, options);
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(e.place(), std::string("line 1"));
            QVERIFY2(e.message().find("all 2 records are invalid") == 0, e.what());
        }
    }

    // A line of more than 100 MiB is refused naming the file and the line, having read only a
    // little past the limit (16 MiB): the line is never held whole.
    void overlongLineIsRefusedEarly() {
        test::TempDir dir;
        const fs::path path = dir / "long.jsonl";
        {
            std::ofstream out(path, std::ios::binary);
            out << kPlainGood << "{\"question\":\"";
            const std::string chunk(size_t(1) << 20, 'x');
            for (int i = 0; i < 101; ++i) out << chunk;
            out << "\",\"choices\":[\"a\",\"b\"],\"answer\":0}"
                << "\n"
                << kPlainGood;
        }
        QVERIFY(fs::file_size(path) > (size_t(100) << 20));
        const bool reset = resetPeakMemory();
        const long before = peakMemoryKib();
        try {
            McqDataset d = loadMcqDataset(path);
            QFAIL(qPrintable("no error; loaded " + QString::number(d.questions.size())));
        } catch (const Error& e) {
            qInfo("%s", e.what());
            QCOMPARE(e.file(), path.string());
            QCOMPARE(e.place(), std::string("line 2"));
            QVERIFY2(e.message().find("longer than 16 MiB") != std::string::npos, e.what());
        }
        const long grown = peakMemoryKib() - before;
        qInfo("peak memory grew by %ld KiB while refusing the line", grown);
        if (!reset || before < 0) QSKIP("cannot reset the peak memory here; the error was checked");
        // The limit and the copies of a growing buffer (about 34 MiB), well under the 101 MiB line.
        QVERIFY2(grown < 64 * 1024, qPrintable(QString("grew by %1 KiB").arg(grown)));
    }

    // A dataset exported as one JSON array on one line may pass the 16 MiB line limit (up to
    // 256 MiB): 20 MiB of SciQ records load.
    void longJsonArrayLineLoads() {
        test::TempDir dir;
        const fs::path path = dir / "big.json";
        size_t records = 0;
        {
            std::ofstream out(path, std::ios::binary);
            out << "[";
            for (size_t written = 0; written < (size_t(20) << 20); ++records) {
                const std::string record = std::string(records ? "," : "") + kSciqGood;
                out << record;
                written += record.size();
            }
            out << "]";
        }
        QVERIFY(fs::file_size(path) > (size_t(20) << 20));
        const McqDataset d = loadMcqDataset(path);
        QCOMPARE(d.questions.size(), records);
    }

    void missingFile() {
        try {
            loadMcqDataset("/nonexistent/arc.jsonl");
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(e.file(), std::string("/nonexistent/arc.jsonl"));
            QCOMPARE(e.message(), std::string("no such file"));
        }
    }

    void byteOrderMarkAndCrlf() {
        test::TempDir dir;
        std::string text = std::string("\xEF\xBB\xBF") + kPlainGood;
        text.insert(text.size() - 1, "\r");
        const fs::path path = writeFile(dir, "bom.jsonl", QByteArray::fromStdString(text + text.substr(3)));
        McqDataset d = loadMcqDataset(path);
        QCOMPARE(d.format, McqFormat::Jsonl);
        QCOMPARE(d.questions.size(), size_t(2));
    }

    // ---- the RFC 4180 reader

    void csvReader() {
        const std::string text =
            "a,\"b,c\",\"d\"\"e\"\r\n"  // line 1: comma and doubled quote inside quotes
            "\"multi\r\nline\",,x\n"    // line 2-3: CRLF inside a field becomes LF; empty field
            "\n"                        // line 4: blank
            "tail,with \"quote\",end";  // line 5: quotes inside an unquoted field, no newline
        prunescope::detail::CsvReader reader(text);
        prunescope::detail::CsvRecord r;
        QVERIFY(reader.next(r));
        QCOMPARE(r.line, 1);
        QCOMPARE(r.fields, (std::vector<std::string>{"a", "b,c", "d\"e"}));
        QVERIFY(reader.next(r));
        QCOMPARE(r.line, 2);
        QCOMPARE(r.fields, (std::vector<std::string>{"multi\nline", "", "x"}));
        QVERIFY(reader.next(r));
        QVERIFY(r.blank());
        QCOMPARE(r.line, 4);
        QVERIFY(reader.next(r));
        QCOMPARE(r.line, 5);
        QCOMPARE(r.fields, (std::vector<std::string>{"tail", "with \"quote\"", "end"}));
        QVERIFY(!reader.next(r));

        prunescope::detail::CsvReader trailing("a,b,\r\n\"\"\r\n");
        QVERIFY(trailing.next(r));
        QCOMPARE(r.fields, (std::vector<std::string>{"a", "b", ""}));
        QVERIFY(trailing.next(r));
        QCOMPARE(r.fields, (std::vector<std::string>{""}));
        QVERIFY(!trailing.next(r));
    }
};

QTEST_GUILESS_MAIN(TestMcqValidation)
#include "test_mcq_validation.moc"
