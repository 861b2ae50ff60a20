// prunescope: the desktop application.
//   prunescope [SESSION.prunescope]
//   prunescope --screenshots DIR [SESSION.prunescope]   (one PNG per panel, then quit)
//   prunescope --help | --version | --man                (no display needed)
#include <QApplication>
#include <QCommandLineParser>
#include <QSysInfo>
#include <QTimer>

#include <iostream>

#include <spdlog/sinks/stdout_color_sinks.h>

#include "app/roff.h"
#include "core/util/log.h"
#include "core/util/system_info.h"
#include "ui/common/log_bridge.h"
#include "ui/main/main_window.h"
#include "ui/main/screenshot_runner.h"

namespace {

// The command line, declared once: QCommandLineParser prints --help from it, manPage() the man page.
struct CommandLine {
    QCommandLineParser parser;
    QCommandLineOption help = parser.addHelpOption();
    QCommandLineOption version = parser.addVersionOption();
    QCommandLineOption screenshots{
        QStringLiteral("screenshots"),
        QApplication::translate("main", "Write a screenshot of each panel into DIR and quit."), QStringLiteral("DIR")};
    // The man page in roff (the build installs it as prunescope.1.gz); not in --help.
    QCommandLineOption man{QStringLiteral("man"), QStringLiteral("Print the man page.")};
    QString sessionName = QStringLiteral("session");
    QString sessionHelp = QApplication::translate("main", "A .prunescope session to open.");

    CommandLine() {
        parser.setApplicationDescription(QApplication::translate("main",
                                                                 "Explore confidence and neurons, tune "
                                                                 "thresholds by eye, launch fine-tuning."));
        parser.addOption(screenshots);
        man.setFlags(QCommandLineOption::HiddenFromHelp);
        parser.addOption(man);
        parser.addPositionalArgument(sessionName, sessionHelp);
    }
};

std::string manPage(const CommandLine& line) {
    namespace roff = prunescope::roff;
    const std::string session = line.sessionName.toStdString();
    std::string page = roff::header("prunescope", PRUNESCOPE_VERSION,
                                    "the Prunescope desktop application: find and prune the neurons behind a "
                                    "language model's dataset shortcuts");
    page += ".SH SYNOPSIS\n" + roff::bold("prunescope") + " [" + roff::italic("options") + "] [" +
            roff::italic(session) + "]\n.SH DESCRIPTION\n" +
            roff::escape(line.parser.applicationDescription().toStdString()) + "\n.PP\nThe window needs a display; " +
            roff::bold("--help") + " and " + roff::bold("--version") + " do not.\n.SH OPTIONS\n";
    for (const QCommandLineOption& option : {line.help, line.version, line.screenshots, line.man}) {
        if (option.flags() & QCommandLineOption::HiddenFromHelp) continue;
        std::string names;
        for (const QString& name : option.names()) {
            names += (names.empty() ? "" : ", ") + roff::bold((name.size() == 1 ? "-" : "--") + name.toStdString());
        }
        if (!option.valueName().isEmpty()) names += " " + roff::italic(option.valueName().toStdString());
        page += ".TP\n" + names + "\n" + roff::escape(option.description().toStdString()) + "\n";
        if (option.names() == line.help.names()) {
            page += ".TP\n" + roff::bold("--help-all") + "\nThe help with Qt's own options (" +
                    roff::bold("-platform") + ", " + roff::bold("-style") + " and others), which needs a display.\n";
        }
    }
    page += ".SH ARGUMENTS\n.TP\n" + roff::italic(session) + "\n" + roff::escape(line.sessionHelp.toStdString()) +
            "\n.SH \"SEE ALSO\"\n" + roff::bold("prunescope-cli") + "(1)\n";
    return page;
}

}  // namespace

int main(int argc, char** argv) {
    Q_INIT_RESOURCE(resources);  // the resources live in the static prunescope_ui library
    QApplication::setApplicationName(QStringLiteral("Prunescope"));
    QApplication::setOrganizationName(QStringLiteral("Prunescope"));
    QApplication::setApplicationVersion(QStringLiteral(PRUNESCOPE_VERSION));
    CommandLine line;
    QCommandLineParser& parser = line.parser;
    const QCommandLineOption& screenshots = line.screenshots;

    // --help, --version and --man need no display: a QCoreApplication answers them. The QApplication,
    // whose platform plugin needs a display, is made only for the window. (Arguments the first parse
    // does not know, such as Qt's -platform, leave everything to the QApplication.)
    QStringList arguments;
    for (int i = 0; i < argc; ++i) arguments << QString::fromLocal8Bit(argv[i]);
    const bool parsed = parser.parse(arguments);
    if (parsed && (parser.isSet(line.help) || parser.isSet(line.version) || parser.isSet(line.man))) {
        QCoreApplication core(argc, argv);
        if (parser.isSet(line.man)) {
            std::cout << manPage(line);
            return 0;
        }
        parser.process(core);  // prints the help or the version and exits
    }
    // On Linux without a display the window cannot open: say so (and what was wrong with the
    // arguments) instead of Qt's platform-plugin abort.
    const bool display = qEnvironmentVariableIsSet("DISPLAY") || qEnvironmentVariableIsSet("WAYLAND_DISPLAY") ||
                         qEnvironmentVariableIsSet("QT_QPA_PLATFORM") ||
                         arguments.contains(QStringLiteral("-platform"));
    if (!display && QSysInfo::kernelType() == QLatin1String("linux")) {
        if (!parsed) std::cerr << "prunescope: " << parser.errorText().toStdString() << "\n";
        std::cerr << "prunescope: no display (DISPLAY and WAYLAND_DISPLAY are not set), so the window cannot open.\n"
                     "Run it in a desktop session or under xvfb-run; prunescope-cli needs no display; "
                     "'prunescope --help' lists the options.\n";
        return 2;
    }

    QApplication app(argc, argv);
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/prunescope/icons/prunescope.svg")));
    parser.process(app);
    const QString session = parser.positionalArguments().value(0);

    // Sinks are decided here: stderr for warnings, and the window's log panel for everything.
    auto stderrSink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    stderrSink->set_level(spdlog::level::warn);
    prunescope::log::addSink(stderrSink);
    prunescope::configureThreads();

    prunescope::ui::MainWindowOptions options;
    options.interactive = !parser.isSet(screenshots);
    options.offerDemo = session.isEmpty() && !parser.isSet(screenshots);
    prunescope::ui::MainWindow window(nullptr, options);
    window.logBridge().install();
    prunescope::logSystemInfo(prunescope::probeSystem(true));
    if (parser.isSet(screenshots)) {
        window.resize(1600, 1000);
        window.move(0, 0);
    }
    window.show();

    if (parser.isSet(screenshots)) {
        auto* runner = new prunescope::ui::ScreenshotRunner(window, parser.value(screenshots), session, &window);
        QObject::connect(runner, &prunescope::ui::ScreenshotRunner::screenshotsFinished, &app,
                         [](int code) { QApplication::exit(code); });
        runner->start();
    } else if (!session.isEmpty()) {
        QTimer::singleShot(0, &window, [&window, session] {
            QString error;
            if (!window.openSession(session, &error)) qWarning("%s", qPrintable(error));
        });
    } else {
        QTimer::singleShot(0, &window, [&window] { window.firstStart(); });
    }
    return QApplication::exec();
}
