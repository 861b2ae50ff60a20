// prunescope: the desktop application.
//   prunescope [SESSION.prunescope]
//   prunescope --screenshots DIR [SESSION.prunescope]   (one PNG per panel, then quit)
#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

#include <spdlog/sinks/stdout_color_sinks.h>

#include "core/util/log.h"
#include "core/util/system_info.h"
#include "ui/common/log_bridge.h"
#include "ui/main/main_window.h"
#include "ui/main/screenshot_runner.h"

int main(int argc, char** argv) {
    Q_INIT_RESOURCE(resources);  // the resources live in the static prunescope_ui library
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Prunescope"));
    QApplication::setOrganizationName(QStringLiteral("Prunescope"));
    QApplication::setApplicationVersion(QStringLiteral(PRUNESCOPE_VERSION));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/prunescope/icons/prunescope.svg")));

    QCommandLineParser parser;
    parser.setApplicationDescription(QApplication::translate("main",
                                                             "Explore confidence and neurons, tune "
                                                             "thresholds by eye, launch fine-tuning."));
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption screenshots(
        QStringLiteral("screenshots"),
        QApplication::translate("main", "Write a screenshot of each panel into DIR and quit."), QStringLiteral("DIR"));
    parser.addOption(screenshots);
    parser.addPositionalArgument(QStringLiteral("session"),
                                 QApplication::translate("main", "A .prunescope session to open."));
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
