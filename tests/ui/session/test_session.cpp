// Session files: the documented JSON, paths relative to the file's folder, errors that name the
// field; SessionController: save / open / autosave and the recent list; typed settings.
#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

#include "core/util/error.h"
#include "tests/support/test_support.h"
#include "ui/session/session.h"
#include "ui/session/session_controller.h"
#include "ui/session/session_settings.h"

using namespace prunescope;
using namespace prunescope::ui;

namespace {

QString qs(const std::filesystem::path& p) {
    return QString::fromStdString(p.string());
}

void writeText(const QString& file, const char* text) {
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(text);
}

}  // namespace

class TestSession : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void roundTripWithRelativePaths();
    void readsTheDocumentedExample();
    void errorsNameTheField_data();
    void errorsNameTheField();
    void controllerSavesOpensAndAutosaves();
    void typedSettingsAndRecentList();
};

void TestSession::roundTripWithRelativePaths() {
    test::TempDir dir;
    const QString file = qs(dir / "work" / "my.prunescope");
    Session s;
    s.model = qs(dir / "work" / "models" / "tiny");
    s.datasets = {{qs(dir / "work" / "data" / "train.jsonl"), QStringLiteral("train"), QStringLiteral("auto"),
                   QStringLiteral("arc")},
                  {qs(dir / "elsewhere" / "ood.csv"), QStringLiteral("ood"), QStringLiteral("csv"), QString()}};
    s.attributions = qs(dir / "work" / "my-results" / "attributions.safetensors");
    s.report = qs(dir / "work" / "my-results" / "report.json");
    s.otherReports = {qs(dir / "work" / "my-results" / "report-2.json"), qs(dir / "elsewhere" / "report.json")};
    s.settings = {{"score", {{"threshold", 0.7}}}};
    writeSession(file, s);
    // Inside the folder: relative; outside: absolute.
    QFile f(file);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const auto json = nlohmann::json::parse(f.readAll().toStdString());
    QCOMPARE(json["format"].get<std::string>(), std::string("prunescope.session"));
    QCOMPARE(json["version"].get<int>(), 1);
    QCOMPARE(json["model"].get<std::string>(), std::string("models/tiny"));
    QCOMPARE(json["datasets"][0]["path"].get<std::string>(), std::string("data/train.jsonl"));
    QCOMPARE(QString::fromStdString(json["datasets"][1]["path"].get<std::string>()), s.datasets[1].path);
    QCOMPARE(json["mask"].get<std::string>(), std::string());
    QCOMPARE(json["other_reports"][0].get<std::string>(), std::string("my-results/report-2.json"));
    const Session back = readSession(file);
    QVERIFY(back == s);
    // Moving the folder keeps the relative paths valid.
    QVERIFY(QDir().rename(qs(dir / "work"), qs(dir / "moved")));
    const Session moved = readSession(qs(dir / "moved" / "my.prunescope"));
    QCOMPARE(moved.model, qs(dir / "moved" / "models" / "tiny"));
    QCOMPARE(moved.datasets[1].path, s.datasets[1].path);
}

void TestSession::readsTheDocumentedExample() {
    test::TempDir dir;
    const QString file = qs(dir / "demo.prunescope");
    writeText(file, R"({"format": "prunescope.session", "version": 1, "model": "model",
        "datasets": [{"path": "data/train.jsonl", "role": "train", "format": "auto", "name": "synthetic"},
                     {"path": "data/ood.jsonl", "role": "ood"}],
        "attributions": "", "mask": "results/mask.json", "report": "results/report.json",
        "settings": {"finetune": {"arm": "ig"}}})");
    const Session s = readSession(file);
    QCOMPARE(s.model, qs(dir / "model"));
    QCOMPARE(int(s.datasets.size()), 2);
    QCOMPARE(s.datasets[0].name, QStringLiteral("synthetic"));
    QCOMPARE(s.datasets[1].format, QStringLiteral("auto"));
    QCOMPARE(s.datasets[1].name, QString());
    QCOMPARE(s.attributions, QString());
    QCOMPARE(s.mask, qs(dir / "results" / "mask.json"));
    QCOMPARE(s.settings["finetune"]["arm"].get<std::string>(), std::string("ig"));
}

void TestSession::errorsNameTheField_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("place");
    QTest::newRow("not json") << "{"
                              << "line 1";
    QTest::newRow("format") << R"({"format": "other", "version": 1})"
                            << "field 'format'";
    QTest::newRow("version") << R"({"format": "prunescope.session", "version": 9})"
                             << "field 'version'";
    QTest::newRow("role")
        << R"({"format": "prunescope.session", "version": 1, "datasets": [{"path": "a", "role": "dev"}]})"
        << "datasets[0]: field 'role'";
    QTest::newRow("path") << R"({"format": "prunescope.session", "version": 1, "datasets": [{"role": "test"}]})"
                          << "datasets[0]: field 'path'";
    QTest::newRow("settings") << R"({"format": "prunescope.session", "version": 1, "settings": []})"
                              << "field 'settings'";
    QTest::newRow("other reports") << R"({"format": "prunescope.session", "version": 1, "other_reports": "r.json"})"
                                   << "field 'other_reports'";
    QTest::newRow("other report") << R"({"format": "prunescope.session", "version": 1, "other_reports": [3]})"
                                  << "field 'other_reports[0]'";
}

void TestSession::errorsNameTheField() {
    QFETCH(QString, text);
    QFETCH(QString, place);
    test::TempDir dir;
    const QString file = qs(dir / "bad.prunescope");
    writeText(file, text.toUtf8().constData());
    try {
        readSession(file);
        QFAIL("no error");
    } catch (const Error& e) {
        QCOMPARE(QString::fromStdString(e.file()), file);
        QVERIFY2(QString::fromStdString(e.place()).contains(place), e.what());
    }
}

namespace {
QByteArray readAll(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}
}  // namespace

void TestSession::controllerSavesOpensAndAutosaves() {
    test::TempDir dir;
    SessionController controller;
    int collected = 0;
    controller.setCollector([&](const QString& resultsDir) {
        ++collected;
        Session s;
        s.model = qs(dir / "model");
        s.mask = QDir(resultsDir).filePath(QStringLiteral("mask.json"));
        return s;
    });
    QVERIFY(controller.path().isEmpty());
    QVERIFY(controller.resultsDir().endsWith(QStringLiteral("autosave-results")));
    QSignalSpy dirty(&controller, &SessionController::dirtyChanged);
    controller.markDirty();
    QVERIFY(controller.isDirty());
    QVERIFY(controller.autosave());  // never saved: to the application's autosave file
    QVERIFY(QFile::exists(SessionController::autosavePath()));
    QVERIFY(!controller.isDirty());
    const QString file = qs(dir / "s.prunescope");
    QString error;
    QVERIFY2(controller.save(file, &error), qPrintable(error));
    QCOMPARE(controller.path(), file);
    QCOMPARE(controller.resultsDir(), qs(dir / "s-results"));
    QVERIFY(QFileInfo(controller.resultsDir()).isDir());
    QCOMPARE(kRecentSessions.paths().value(0), file);
    const auto opened = controller.open(file, &error);
    QVERIFY(opened.has_value());
    QCOMPARE(opened->mask, qs(dir / "s-results" / "mask.json"));
    QCOMPARE(collected, 2);
    // Autosave of a saved session: the user's file and results stay as saved; the state goes to a
    // recovery file with its own results folder.
    const QByteArray saved = readAll(file);
    controller.markDirty();
    QString seenResults;
    controller.setCollector([&](const QString& resultsDir) {
        seenResults = resultsDir;
        Session s;
        s.model = qs(dir / "other-model");
        return s;
    });
    QVERIFY(controller.autosave());
    QCOMPARE(readAll(file), saved);
    const QString recovery = SessionController::recoveryPath(file);
    QVERIFY(recovery != file && QFile::exists(recovery));
    QVERIFY(!seenResults.startsWith(controller.resultsDir()));
    QCOMPARE(controller.path(), file);
    QCOMPARE(readSession(recovery).model, qs(dir / "other-model"));
    QVERIFY(!controller.open(qs(dir / "missing.prunescope"), &error).has_value());
    QVERIFY(error.contains(QStringLiteral("missing.prunescope")));
    QCOMPARE(controller.path(), file);  // a failed open changes nothing
}

void TestSession::typedSettingsAndRecentList() {
    const Setting<int> number{"test/number", 42};
    number.reset();
    QCOMPARE(number.get(), 42);
    number.set(7);
    QCOMPARE(number.get(), 7);
    const RecentList recent{"test/recent", 3};
    recent.clear();
    for (const char* p : {"a", "b", "c", "d", "b"}) recent.add(QString::fromLatin1(p));
    QCOMPARE(recent.paths(), QStringList({"b", "d", "c"}));
    // File dialogs start in the last folder used, or home: never the working folder ("/" from a menu).
    const Setting<QString> folder{"test/folder", QString()};
    folder.reset();
    QCOMPARE(startFolder(folder), QDir::homePath());
    test::TempDir dir;
    folder.set(qs(dir.path()));
    QCOMPARE(startFolder(folder), qs(dir.path()));
    QCOMPARE(startPath(folder, QStringLiteral("mask.json")),
             QDir(qs(dir.path())).filePath(QStringLiteral("mask.json")));
    folder.set(qs(dir / "gone"));  // a folder deleted since
    QCOMPARE(startFolder(folder), QDir::homePath());
}

QTEST_MAIN(TestSession)
#include "test_session.moc"
