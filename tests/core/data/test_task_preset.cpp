// Task presets against lm-evaluation-harness's prompts as tests/reference/task_parity_reference.py
// writes them in Python (tests/data/mcq/task-presets-expected.json): every context, continuation
// and choice of every release-format fixture, byte for byte.
#include <QtTest>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/data/mcq.h"
#include "core/data/prompt.h"
#include "core/data/task_preset.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "tests/core/data/mcq_test_util.h"
#include "tests/support/test_support.h"

using namespace prunescope;

namespace {

std::vector<std::string> stringsOf(const nlohmann::json& array) {
    return array.get<std::vector<std::string>>();
}

const nlohmann::json& expected() {
    static const nlohmann::json j =
        nlohmann::json::parse(readTextFile(test::dataDir() / "mcq" / "task-presets-expected.json"));
    return j;
}

McqDataset fixture(const std::string& name) {
    return test::loadValid(test::dataDir() / "mcq" / name);
}

}  // namespace

class TestTaskPreset : public QObject {
    Q_OBJECT

private slots:
    void namesRoundTrip() {
        for (const auto& name : taskPresetNames()) QCOMPARE(taskPresetName(parseTaskPreset(name)), name);
        QCOMPARE(parseTaskPreset("HellaSwag"), TaskPreset::Hellaswag);
        try {
            parseTaskPreset("arc-easy");
            QFAIL("no error");
        } catch (const Error& e) {
            QVERIFY(std::string(e.what()).find("unknown task preset 'arc-easy'") != std::string::npos);
            QVERIFY(std::string(e.what()).find("winogrande") != std::string::npos);  // lists the names
        }
        QVERIFY(taskPresetScoresLetters(TaskPreset::Mmlu));
        QVERIFY(!taskPresetScoresLetters(TaskPreset::Arc));
        QCOMPARE(taskPresetForFormat(McqFormat::HellaswagJsonl), TaskPreset::Hellaswag);
        QCOMPARE(taskPresetForFormat(McqFormat::QascJsonl), TaskPreset::None);  // lm-eval has no QASC task
    }

    void matchesIndependentReference_data() {
        QTest::addColumn<int>("index");
        int i = 0;
        for (const auto& file : expected()["files"]) {
            QTest::newRow(file["preset"].get<std::string>().c_str()) << i++;
        }
    }
    void matchesIndependentReference() {
        QFETCH(int, index);
        const auto& file = expected()["files"][static_cast<size_t>(index)];
        const TaskPreset preset = parseTaskPreset(file["preset"].get<std::string>());
        const McqDataset data = fixture(file["file"].get<std::string>());
        const auto& questions = file["questions"];
        QCOMPARE(data.questions.size(), questions.size());
        for (size_t i = 0; i < questions.size(); ++i) {
            const McqQuestion& q = data.questions[i];
            const auto& want = questions[i];
            const TaskTexts got = taskTexts(q, preset);
            QCOMPARE(got.contexts, stringsOf(want["contexts"]));
            auto wantChoices = stringsOf(want["choices"]);
            auto wantContinuations = stringsOf(want["continuations"]);
            const std::string gold = wantChoices[want["gold"].get<size_t>()];
            QCOMPARE(got.choices[static_cast<size_t>(q.answer)], gold);
            if (preset == TaskPreset::Sciq) {
                // Prunescope shuffles SciQ's options (its release puts the answer last): the same set.
                auto gotChoices = got.choices, gotContinuations = got.continuations;
                std::sort(gotChoices.begin(), gotChoices.end());
                std::sort(wantChoices.begin(), wantChoices.end());
                std::sort(gotContinuations.begin(), gotContinuations.end());
                std::sort(wantContinuations.begin(), wantContinuations.end());
                QCOMPARE(gotChoices, wantChoices);
                QCOMPARE(gotContinuations, wantContinuations);
            } else {
                QCOMPARE(got.choices, wantChoices);
                QCOMPARE(got.continuations, wantContinuations);
            }
        }
    }

    // lm-evaluation-harness's WikiHow clean-up, case by case (Python's results).
    void hellaswagPreprocessing() {
        QCOMPARE(hellaswagPreprocess("  [header] How to x [title] Do y.  "),
                 std::string(" How to x. Do y."));                    // trimmed first
        QCOMPARE(hellaswagPreprocess("a   b"), std::string("a  b"));  // one pass of "  " -> " "
        QCOMPARE(hellaswagPreprocess("keep [open\nline] and [drop]"), std::string("keep [open\nline] and "));
        QCOMPARE(hellaswagPreprocess("[a][b]c"), std::string("c"));
        QCOMPARE(hellaswagPreprocess("no brackets"), std::string("no brackets"));
    }

    void fewShotExamplesAsLmEval() {
        const McqDataset data = fixture("winogrande_dev.jsonl");
        const auto& want = expected()["files"];
        const nlohmann::json* wino = nullptr;
        for (const auto& f : want) {
            if (f["preset"] == "winogrande") wino = &f;
        }
        QVERIFY(wino != nullptr);
        std::string expectedText;
        for (size_t i = 0; i < 2; ++i) {
            const auto& q = (*wino)["questions"][i];
            const auto gold = q["gold"].get<size_t>();
            // WinoGrande: the gold option's context, then the shared continuation.
            expectedText +=
                q["contexts"][gold].get<std::string>() + q["continuations"][gold].get<std::string>() + "\n\n";
        }
        const std::vector<McqQuestion> examples(data.questions.begin(), data.questions.begin() + 2);
        QCOMPARE(taskFewShotExamples(examples, TaskPreset::Winogrande), expectedText);
        PromptTemplate prompt;
        prompt.task = TaskPreset::Winogrande;
        QCOMPARE(fewShotContinuationExamples(examples, prompt), expectedText);
    }

    // MMLU's subject line comes before the few-shot examples, as lm-eval places its description.
    void mmluDescriptionBeforeExamples() {
        const McqDataset data = fixture("college_physics_test.csv");
        const TaskTexts t = taskTexts(data.questions[1], TaskPreset::Mmlu, "EXAMPLES\n\n");
        const std::string head =
            "The following are multiple choice questions (with answers) about college physics.\n\nEXAMPLES\n\n";
        QCOMPARE(t.contexts[0].substr(0, head.size()), head);
        QCOMPARE(t.continuations, test::strings({" A", " B", " C", " D"}));
    }

    void missingFieldsNameTheQuestion() {
        const McqDataset arc = fixture("arc-hf-challenge-validation-head40.jsonl");
        try {
            taskTexts(arc.questions[0], TaskPreset::Hellaswag);
            QFAIL("no error");
        } catch (const Error& e) {
            const std::string m = e.what();
            QVERIFY2(m.find(arc.questions[0].id) != std::string::npos, m.c_str());
            QVERIFY2(m.find("activity_label") != std::string::npos, m.c_str());
        }
        McqQuestion noBlank = fixture("winogrande_dev.jsonl").questions[0];
        noBlank.question = "There is no blank here.";
        QVERIFY_THROWS_EXCEPTION(Error, taskTexts(noBlank, TaskPreset::Winogrande));
    }
};

QTEST_GUILESS_MAIN(TestTaskPreset)
#include "test_task_preset.moc"
