// The man pages against --help: `prunescope-cli --man` and `prunescope --man` (what the build installs
// as prunescope-cli.1.gz and prunescope.1.gz) name every command and every option that --help names,
// so they cannot drift apart. And the GUI's --help, --version and --man without a display.
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QtTest>

#include "tests/support/test_support.h"

using namespace prunescope;

namespace {

struct Output {
    int exitCode = -1;
    QString out;
    QString err;
};

// Runs `program` with no display: DISPLAY, WAYLAND_DISPLAY and QT_QPA_PLATFORM unset.
Output runWithoutDisplay(const QString& program, const QStringList& args) {
    QProcess process;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char* name : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}) env.remove(QString::fromLatin1(name));
    process.setProcessEnvironment(env);
    process.start(program, args);
    Output result;
    if (!process.waitForFinished(120000)) {
        process.kill();
        process.waitForFinished();
        result.err = QStringLiteral("timed out");
        return result;
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = QString::fromUtf8(process.readAllStandardOutput());
    result.err = QString::fromUtf8(process.readAllStandardError());
    return result;
}

QString cli() {
    return QString::fromStdString(test::cliPath().string());
}

QString gui() {
    return QString::fromStdString((std::filesystem::path(PRUNESCOPE_BINARY_DIR) / "app" / "prunescope").string());
}

Output runCli(const QStringList& args) {
    return runWithoutDisplay(cli(), args);
}

// Roff as the text it prints: escapes and font changes removed.
QString plain(QString roff) {
    roff.remove(QRegularExpression(QStringLiteral(R"(\\f[BIRP])")));
    return roff.replace(QStringLiteral(R"(\-)"), QStringLiteral("-"))
        .replace(QStringLiteral(R"(\&)"), QString())
        .replace(QStringLiteral(R"(\e)"), QStringLiteral(R"(\)"));
}

// The options a text names: --long and -s.
QSet<QString> optionsIn(const QString& text) {
    static const QRegularExpression option(QStringLiteral(R"((?<![\w-])--?[A-Za-z][\w-]*)"));
    QSet<QString> found;
    for (auto it = option.globalMatch(text); it.hasNext();) found.insert(it.next().captured());
    return found;
}

QString describe(const QSet<QString>& options) {
    QStringList list(options.begin(), options.end());
    list.sort();
    return list.join(QLatin1Char(' '));
}

// The man page's subsections (".SS title"), by title, each with its text up to the next heading.
QMap<QString, QString> subsections(const QString& page) {
    QMap<QString, QString> sections;
    QString title;
    for (const QString& line : page.split(QLatin1Char('\n'))) {
        if (line.startsWith(QStringLiteral(".SH"))) {
            title.clear();
        } else if (line.startsWith(QStringLiteral(".SS "))) {
            title = line.mid(4).remove(QLatin1Char('"'));
            sections[title];
        } else if (!title.isEmpty()) {
            sections[title] += line + QLatin1Char('\n');
        }
    }
    return sections;
}

// The text of section `name` (".SH name").
QString section(const QString& page, const QString& name) {
    const int start = page.indexOf(QStringLiteral(".SH ") + name + QLatin1Char('\n'));
    if (start < 0) return {};
    const int end = page.indexOf(QStringLiteral("\n.SH "), start + 1);
    return page.mid(start, end < 0 ? -1 : end - start);
}

// The commands `prunescope-cli --help` lists: the lines under "Commands:".
QStringList commandsIn(const QString& help) {
    QStringList commands;
    bool inList = false;
    for (const QString& line : help.split(QLatin1Char('\n'))) {
        if (line == QStringLiteral("Commands:")) {
            inList = true;
        } else if (inList && line.startsWith(QStringLiteral("  "))) {
            commands << line.trimmed().section(QLatin1Char(' '), 0, 0);
        } else if (inList) {
            break;
        }
    }
    return commands;
}

// The subcommands a command's --help names: lines that are one lower-case word ("  forward"), and
// lower-case words after the command in its usage ("prunescope-cli attributions show FILE").
QStringList subcommandsIn(const QString& command, const QString& help) {
    static const QRegularExpression word(QStringLiteral("^[a-z][a-z0-9-]*$"));
    QStringList subcommands;
    const QStringList lines = help.split(QLatin1Char('\n'));
    for (const QString& line : lines) {
        if (line.startsWith(QStringLiteral("  ")) && word.match(line.mid(2)).hasMatch()) subcommands << line.mid(2);
    }
    const QString usage = QStringLiteral("Usage: prunescope-cli ") + command + QLatin1Char(' ');
    if (!lines.isEmpty() && lines[0].startsWith(usage)) {
        for (const QString& w : lines[0].mid(usage.size()).split(QLatin1Char(' '))) {
            if (!word.match(w).hasMatch()) break;
            subcommands << w;
        }
    }
    return subcommands;
}

}  // namespace

class TestManPages : public QObject {
    Q_OBJECT

private slots:
    void cliManPageNamesWhatHelpNames() {
        const Output man = runCli({QStringLiteral("--man")});
        QCOMPARE(man.exitCode, 0);
        QVERIFY2(man.out.startsWith(QStringLiteral(".TH PRUNESCOPE\\-CLI 1 ")), qPrintable(man.out.left(200)));
        const QString page = plain(man.out);
        const QMap<QString, QString> sections = subsections(page);

        const Output top = runCli({QStringLiteral("--help")});
        QCOMPARE(top.exitCode, 0);
        const QStringList commands = commandsIn(top.out);
        QVERIFY2(commands.size() >= 10, qPrintable(top.out));
        // The COMMANDS section lists the same commands, in the same order.
        QStringList manCommands;
        const QStringList commandLines = section(page, QStringLiteral("COMMANDS")).split(QLatin1Char('\n'));
        for (int i = 1; i < commandLines.size(); ++i) {
            if (commandLines[i - 1] == QStringLiteral(".TP")) manCommands << commandLines[i];
        }
        QCOMPARE(manCommands, commands);
        QVERIFY2(optionsIn(top.out).subtract(optionsIn(page)).isEmpty(), "prunescope-cli --help");

        QSet<QString> checked;
        for (const QString& c : commands) {
            const Output help = runCli({c, QStringLiteral("--help")});
            QVERIFY2(help.exitCode == 0, qPrintable(c));
            const QString title = QStringLiteral("prunescope-cli ") + c;
            const QStringList subcommands = subcommandsIn(c, help.out);
            // Every option the command's --help names is in its subsections.
            QString text;
            for (auto it = sections.begin(); it != sections.end(); ++it) {
                if (it.key() == title || it.key().startsWith(title + QLatin1Char(' '))) text += it.value();
            }
            QVERIFY2(!text.isEmpty(), qPrintable("no subsection for " + title));
            const QSet<QString> missing = optionsIn(help.out).subtract(optionsIn(text));
            QVERIFY2(missing.isEmpty(), qPrintable(title + " --help: not in the man page: " + describe(missing)));
            // A command's subsection (or each of its subcommands') names exactly the options its --help names.
            QList<QPair<QString, QString>> parts;  // title, --help output
            if (subcommands.isEmpty()) {
                parts.append({title, help.out});
            } else {
                for (const QString& s : subcommands) {
                    const Output subHelp = runCli({c, s, QStringLiteral("--help")});
                    QVERIFY2(subHelp.exitCode == 0, qPrintable(title + " " + s));
                    parts.append({title + QLatin1Char(' ') + s, subHelp.out});
                }
            }
            for (const auto& [name, output] : parts) {
                QVERIFY2(sections.contains(name), qPrintable("no subsection for " + name));
                const QSet<QString> inHelp = optionsIn(output), inMan = optionsIn(sections[name]);
                QVERIFY2(inHelp == inMan, qPrintable(name + ": --help names " + describe(inHelp) +
                                                     "; the man page names " + describe(inMan)));
                checked.insert(name);
            }
        }
        // And no subsection for a command --help does not list.
        const QStringList titles = sections.keys();
        QCOMPARE(QSet<QString>(titles.begin(), titles.end()), checked);
    }

    void guiHelpAndVersionWithoutDisplay() {
        if (!QFileInfo::exists(gui())) QSKIP("this build has no GUI (PRUNESCOPE_BUILD_GUI=OFF)");
        const Output version = runWithoutDisplay(gui(), {QStringLiteral("--version")});
        QVERIFY2(version.exitCode == 0, qPrintable(version.err));
        QCOMPARE(version.out.trimmed(), QStringLiteral("Prunescope " PRUNESCOPE_VERSION));

        const Output help = runWithoutDisplay(gui(), {QStringLiteral("--help")});
        QVERIFY2(help.exitCode == 0, qPrintable(help.err));
        QVERIFY2(help.out.startsWith(QStringLiteral("Usage: ")), qPrintable(help.out));
        for (const char* expected : {"--screenshots <DIR>", "--version", "session"}) {
            QVERIFY2(help.out.contains(QLatin1String(expected)), expected);
        }
        QVERIFY2(!help.out.contains(QStringLiteral("--man")), "--man is not in --help");
        QVERIFY2(help.err.isEmpty(), qPrintable(help.err));

        // The window itself, or a wrong option, without a display: a message and exit 2, not Qt's abort.
        const Output window = runWithoutDisplay(gui(), {});
        QCOMPARE(window.exitCode, 2);
        QVERIFY2(window.err.contains(QStringLiteral("no display")), qPrintable(window.err));
        const Output bogus = runWithoutDisplay(gui(), {QStringLiteral("--bogus")});
        QCOMPARE(bogus.exitCode, 2);
        QVERIFY2(bogus.err.contains(QStringLiteral("Unknown option 'bogus'")), qPrintable(bogus.err));
    }

    void guiManPageNamesWhatHelpNames() {
        if (!QFileInfo::exists(gui())) QSKIP("this build has no GUI (PRUNESCOPE_BUILD_GUI=OFF)");
        const Output help = runWithoutDisplay(gui(), {QStringLiteral("--help")});
        QCOMPARE(help.exitCode, 0);
        const Output man = runWithoutDisplay(gui(), {QStringLiteral("--man")});
        QVERIFY2(man.exitCode == 0, qPrintable(man.err));
        QVERIFY2(man.out.startsWith(QStringLiteral(".TH PRUNESCOPE 1 ")), qPrintable(man.out.left(200)));
        const QString page = plain(man.out);
        const QSet<QString> missing = optionsIn(help.out).subtract(optionsIn(page));
        QVERIFY2(missing.isEmpty(), qPrintable("prunescope --help names, the man page does not: " + describe(missing)));
        // The positional argument too.
        QVERIFY(section(page, QStringLiteral("ARGUMENTS")).contains(QStringLiteral("session")));
    }
};

QTEST_GUILESS_MAIN(TestManPages)
#include "test_man_pages.moc"
