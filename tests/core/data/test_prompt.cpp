// Prompt formatting: golden strings for the letter prompt, the question-only prompt and
// few-shot prefixes; template errors that name the bad placeholder.
#include <QtTest>

#include "core/data/prompt.h"
#include "core/util/error.h"

using namespace prunescope;

namespace {

McqQuestion question(const std::string& text, std::vector<std::string> options, int answer) {
    McqQuestion q;
    q.id = "t";
    q.question = text;
    q.options = std::move(options);
    for (size_t i = 0; i < q.options.size(); ++i) q.labels.push_back(std::to_string(i + 1));
    q.answer = answer;
    return q;
}

}  // namespace

class TestPrompt : public QObject {
    Q_OBJECT
private slots:
    void letters() {
        QCOMPARE(letterFor(0), std::string("A"));
        QCOMPARE(letterFor(3), std::string("D"));
        QCOMPARE(letterFor(25), std::string("Z"));
        QVERIFY_THROWS_EXCEPTION(Error, letterFor(26));
        QVERIFY_THROWS_EXCEPTION(Error, letterFor(-1));
    }

    void defaultLetterPrompt() {
        // The file's labels are "1".."3"; prompts always show A, B, C.
        McqQuestion q = question("What is 2 + 2?", {"3", "4", "5"}, 1);
        QCOMPARE(formatLetterPrompt(q, {}), std::string("Question: What is 2 + 2?\nA. 3\nB. 4\nC. 5\nAnswer:"));
        QCOMPARE(formatQuestionOnly(q, {}), std::string("Question: What is 2 + 2?\nAnswer:"));
    }

    void extraFieldPlaceholders() {
        McqQuestion q = question("What is 2 + 2?", {"3", "4"}, 1);
        q.extra["subject"] = "arithmetic";
        PromptTemplate t;
        t.text = "About {extra.subject}: {question}\n{options}\nAnswer:";
        QCOMPARE(formatLetterPrompt(q, t), std::string("About arithmetic: What is 2 + 2?\nA. 3\nB. 4\nAnswer:"));
        QCOMPARE(formatQuestionOnly(q, t), std::string("About arithmetic: What is 2 + 2?\nAnswer:"));
        q.extra.clear();
        try {
            formatLetterPrompt(q, t);
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(e.place(), std::string("question 't'"));
            QVERIFY(e.message().find("'subject'") != std::string::npos);
        }
    }

    void customTemplates_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("option");
        QTest::addColumn<QString>("letterPrompt");
        QTest::addColumn<QString>("questionOnly");
        QTest::newRow("parenthesised letters") << "Q: {question}\n{options}\nA:"
                                               << "({letter}) {text}"
                                               << "Q: Sky?\n(A) blue\n(B) green\nA:"
                                               << "Q: Sky?\nA:";
        QTest::newRow("options first line") << "{options}\n{question}"
                                            << "{letter}={text}"
                                            << "A=blue\nB=green\nSky?"
                                            << "Sky?";
        QTest::newRow("options last line") << "{question}\n{options}"
                                           << "{letter}: {text}"
                                           << "Sky?\nA: blue\nB: green"
                                           << "Sky?";
        QTest::newRow("blank lines around options") << "{question}\n\n{options}\n\nAnswer:"
                                                    << "{letter}. {text}"
                                                    << "Sky?\n\nA. blue\nB. green\n\nAnswer:"
                                                    << "Sky?\n\n\nAnswer:";
        QTest::newRow("options inline") << "{question} Choices: {options}. Answer:"
                                        << "{letter}) {text}"
                                        << "Sky? Choices: A) blue\nB) green. Answer:"
                                        << "Sky? Choices: . Answer:";
        QTest::newRow("literal braces") << "{{json}} {question}\n{options}\n}"
                                        << "{{{letter}}} {text}"
                                        << "{json} Sky?\n{A} blue\n{B} green\n}"
                                        << "{json} Sky?\n}";
    }
    void customTemplates() {
        QFETCH(QString, text);
        QFETCH(QString, option);
        QFETCH(QString, letterPrompt);
        QFETCH(QString, questionOnly);
        PromptTemplate t;
        t.text = text.toStdString();
        t.option = option.toStdString();
        McqQuestion q = question("Sky?", {"blue", "green"}, 0);
        QCOMPARE(QString::fromStdString(formatLetterPrompt(q, t)), letterPrompt);
        QCOMPARE(QString::fromStdString(formatQuestionOnly(q, t)), questionOnly);
    }

    void placeholdersInTheDataAreNotExpanded() {
        McqQuestion q = question("Is {options} a placeholder?", {"{letter}", "no {{"}, 0);
        QCOMPARE(formatLetterPrompt(q, {}), std::string("Question: Is {options} a placeholder?\nA. {letter}\nB. no {{\n"
                                                        "Answer:"));
    }

    void fewShot() {
        std::vector<McqQuestion> examples = {question("Sky?", {"blue", "green"}, 0),
                                             question("Grass?", {"blue", "green", "red"}, 1)};
        PromptTemplate t;
        const std::string prefix = fewShotExamples(examples, t);
        QCOMPARE(prefix, std::string("Question: Sky?\nA. blue\nB. green\nAnswer: A\n\n"
                                     "Question: Grass?\nA. blue\nB. green\nC. red\nAnswer: B\n\n"));
        t.fewShotPrefix = prefix;
        McqQuestion q = question("Snow?", {"white", "black"}, 0);
        QCOMPARE(formatLetterPrompt(q, t), prefix + "Question: Snow?\nA. white\nB. black\nAnswer:");
        // A template that already has a prefix does not nest it into the examples.
        QCOMPARE(fewShotExamples(examples, t), prefix);

        PromptTemplate c;
        c.fewShotPrefix = fewShotContinuationExamples(examples, c);
        QCOMPARE(c.fewShotPrefix, std::string("Question: Sky?\nAnswer: blue\n\nQuestion: Grass?\nAnswer: green\n\n"));
        QCOMPARE(formatQuestionOnly(q, c), c.fewShotPrefix + "Question: Snow?\nAnswer:");

        McqQuestion unanswered = question("?", {"a", "b"}, -1);
        QVERIFY_THROWS_EXCEPTION(Error, fewShotExamples({unanswered}, PromptTemplate{}));
    }

    void badTemplates_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("option");
        QTest::addColumn<QString>("place");
        QTest::addColumn<QString>("fragment");
        const QString text = "Question: {question}\n{options}\nAnswer:";
        QTest::newRow("unknown in text") << "{question}\n{options}\n{answer}"
                                         << "{letter}. {text}"
                                         << "template field 'text'"
                                         << "unknown placeholder '{answer}'";
        QTest::newRow("wrong case") << "{Question}\n{options}"
                                    << "{letter}. {text}"
                                    << "template field 'text'"
                                    << "unknown placeholder '{Question}'";
        QTest::newRow("option placeholder in text") << "{question} {letter}\n{options}"
                                                    << "{letter}. {text}"
                                                    << "template field 'text'"
                                                    << "unknown placeholder '{letter}'";
        QTest::newRow("missing options") << "Question: {question}\nAnswer:"
                                         << "{letter}. {text}"
                                         << "template field 'text'"
                                         << "missing placeholder '{options}'";
        QTest::newRow("unclosed") << "Question: {question\n{options}"
                                  << "{letter}. {text}"
                                  << "template field 'text'"
                                  << "unclosed placeholder '{question'";
        QTest::newRow("unknown in option") << text << "{letter}. {txt}"
                                           << "template field 'option'"
                                           << "unknown placeholder '{txt}'";
        QTest::newRow("option without text") << text << "{letter}."
                                             << "template field 'option'"
                                             << "missing placeholder '{text}'";
        QTest::newRow("empty placeholder") << text << "{letter}. {text} {}"
                                           << "template field 'option'"
                                           << "unknown placeholder '{}'";
    }
    void badTemplates() {
        QFETCH(QString, text);
        QFETCH(QString, option);
        QFETCH(QString, place);
        QFETCH(QString, fragment);
        PromptTemplate t;
        t.text = text.toStdString();
        t.option = option.toStdString();
        try {
            validateTemplate(t);
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(QString::fromStdString(e.place()), place);
            QVERIFY2(e.message().find(fragment.toStdString()) != std::string::npos, e.what());
        }
        // Formatting checks the template too.
        QVERIFY_THROWS_EXCEPTION(Error, formatLetterPrompt(question("Q", {"a", "b"}, 0), t));
    }
};

QTEST_GUILESS_MAIN(TestPrompt)
#include "test_prompt.moc"
