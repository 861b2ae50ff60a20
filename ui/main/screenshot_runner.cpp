#include "ui/main/screenshot_runner.h"

#include <QDir>
#include <QGuiApplication>
#include <QScreen>
#include <QWindow>

#include <algorithm>
#include <cmath>

#include "core/demo/demo.h"
#include "ui/main/main_window.h"
#include "ui/panels/attribution_panel.h"
#include "ui/panels/compare_panel.h"
#include "ui/panels/neuron_panel.h"
#include "ui/panels/score_panel.h"
#include "ui/panels/selection_panel.h"
#include "ui/worker/engine.h"

namespace prunescope::ui {
namespace {

constexpr int kSettleMs = 1200;              // replots and repaints before a capture
constexpr int kWatchdogMs = 30 * 60 * 1000;  // give up after half an hour

const char* const kFileNames[] = {"model", "score", "attribute", "select", "finetune", "compare"};

}  // namespace

ScreenshotRunner::ScreenshotRunner(MainWindow& window, QString dir, QString session, QObject* parent)
    : QObject(parent), m_window(window), m_dir(std::move(dir)), m_session(std::move(session)) {
    m_watchdog.setSingleShot(true);
    connect(&m_watchdog, &QTimer::timeout, this, [this] { fail(tr("screenshots: timed out")); });
}

void ScreenshotRunner::start() {
    QDir().mkpath(m_dir);
    m_watchdog.start(kWatchdogMs);
    Engine& engine = m_window.engine();
    m_steps = {
        [this] {
            QString session = m_session;
            if (session.isEmpty()) session = QString::fromStdString((defaultDemoDir() / "demo.prunescope").string());
            QString error;
            if (!m_window.openSession(session, &error)) return fail(error);
            whenIdle([this] { next(); });
        },
        [this, &engine] {
            for (const auto& name : engine.datasetNames()) engine.score(name);
            whenIdle([this] { next(); });
        },
        [this] {
            if (m_window.attributionPanel()->scores().values.empty()) m_window.attributionPanel()->startAttribution();
            whenIdle([this] { next(); });
        },
        [this] {
            // A question's details below the table: its prompt, token by token, and each option's probability.
            ScorePanel* score = m_window.scorePanel();
            score->showQuestion(score->currentDataset(), 0);
            m_window.selectionPanel()->previewNow();
            whenIdle([this] { next(); });
        },
        [this] {
            const auto& s = m_window.attributionPanel()->scores();
            if (!s.values.empty()) {
                auto it = std::max_element(s.values.begin(), s.values.end(),
                                           [](float a, float b) { return std::abs(a) < std::abs(b); });
                const int flat = int(it - s.values.begin());
                m_window.attributionPanel()->openNeuron(flat / s.nNeuron, flat % s.nNeuron);  // outlined too
            }
            whenIdle([this] { next(); });
        },
        [this] {
            if (m_window.comparePanel()->report().is_null()) {
                m_window.comparePanel()->runArms({QStringLiteral("plain"), QStringLiteral("ig"),
                                                  QStringLiteral("random"), QStringLiteral("magnitude")},
                                                 2);
            }
            whenIdle([this] { next(); });
        },
    };
    for (int i = 0; i < 6; ++i) m_steps.push_back([this, i] { capture(i); });
    m_steps.push_back([this] {
        m_watchdog.stop();
        emit screenshotsFinished(m_window.errors().isEmpty() ? 0 : 1);
    });
    m_step = 0;
    QTimer::singleShot(0, this, &ScreenshotRunner::next);
}

void ScreenshotRunner::next() {
    if (m_step >= m_steps.size()) return;
    auto step = m_steps[m_step++];
    step();
}

void ScreenshotRunner::whenIdle(std::function<void()> step) {
    Engine& engine = m_window.engine();
    auto check = std::make_shared<std::function<void()>>();
    *check = [this, &engine, step, check] {
        if (engine.busy()) {
            QTimer::singleShot(100, this, [check] { (*check)(); });
        } else {
            QTimer::singleShot(kSettleMs, this, step);
        }
    };
    QTimer::singleShot(100, this, [check] { (*check)(); });
}

void ScreenshotRunner::capture(int index) {
    m_window.showPanel(MainWindow::Panel(index));
    QTimer::singleShot(kSettleMs, this, [this, index] {
        QPixmap pixmap;
        QScreen* screen = m_window.screen();
        if (QGuiApplication::platformName() == QLatin1String("xcb") && screen != nullptr) {
            const QRect frame = m_window.frameGeometry();
            pixmap = screen->grabWindow(0, frame.x(), frame.y(), frame.width(), frame.height());
        } else {
            pixmap = m_window.grab();
        }
        const QString file =
            QDir(m_dir).filePath(QStringLiteral("%1-%2.png").arg(index + 1).arg(QLatin1String(kFileNames[index])));
        if (pixmap.isNull() || !pixmap.save(file)) return fail(tr("screenshots: cannot write %1").arg(file));
        m_written << file;
        next();
    });
}

void ScreenshotRunner::fail(const QString& message) {
    qWarning("%s", qPrintable(message));
    m_watchdog.stop();
    emit screenshotsFinished(2);
}

}  // namespace prunescope::ui
