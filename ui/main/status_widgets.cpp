#include "ui/main/status_widgets.h"

#include <QFile>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QToolButton>

#include <unistd.h>

#include "ui/common/format.h"
#include "ui/worker/engine.h"

namespace prunescope::ui {

TaskStatus::TaskStatus(Engine& engine, QWidget* parent) : QWidget(parent), m_engine(engine) {
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_stage = new QLabel(tr("Ready"), this);
    m_bar = new QProgressBar(this);
    m_bar->setMaximumWidth(220);
    m_bar->setTextVisible(true);
    m_eta = new QLabel(this);
    m_cancel = new QToolButton(this);
    m_cancel->setText(tr("Cancel"));
    m_cancel->setToolTip(tr("Cancel the running task (Esc)"));
    layout->addWidget(m_stage);
    layout->addWidget(m_bar);
    layout->addWidget(m_eta);
    layout->addWidget(m_cancel);
    connect(m_cancel, &QToolButton::clicked, &m_engine, &Engine::cancel);
    connect(&m_engine, &Engine::progressChanged, this, &TaskStatus::onProgress);
    connect(&m_engine, &Engine::busyChanged, this, &TaskStatus::onBusy);
    connect(&m_engine, &Engine::taskStarted, this, [this](Task task) {
        m_stage->setText(taskName(task));
        m_bar->setRange(0, 0);  // busy until the first progress report
        m_eta->clear();
    });
    onBusy(false);
}

QString TaskStatus::text() const {
    return m_stage->text() + QLatin1Char(' ') + m_eta->text();
}

void TaskStatus::onProgress(const ProgressValue& p) {
    m_stage->setText(p.stage.isEmpty() ? taskName(p.task) : p.stage);
    if (p.total > 0) {
        m_bar->setRange(0, int(std::min<int64_t>(p.total, 1 << 30)));
        m_bar->setValue(int(std::min<int64_t>(p.done, 1 << 30)));
        m_bar->setFormat(QStringLiteral("%1 / %2").arg(p.done).arg(p.total));
    } else {
        m_bar->setRange(0, 0);
    }
    m_eta->setText(p.etaSeconds >= 0 ? tr("ETA %1").arg(formatDuration(p.etaSeconds)) : QString());
}

void TaskStatus::onBusy(bool busy) {
    m_bar->setVisible(busy);
    m_cancel->setVisible(busy);
    if (!busy) {
        m_stage->setText(tr("Ready"));
        m_eta->clear();
    } else if (m_engine.pendingCount() > 1) {
        m_eta->setText(tr("(%1 queued)").arg(m_engine.pendingCount() - 1));
    }
}

SystemStatus::SystemStatus(Engine& engine, QWidget* parent) : QWidget(parent), m_engine(engine) {
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_label = new QLabel(this);
    layout->addWidget(m_label);
    connect(&m_engine, &Engine::systemChanged, this, &SystemStatus::refresh);
    connect(&m_engine, &Engine::modelChanged, this, &SystemStatus::refresh);
    connect(&m_timer, &QTimer::timeout, this, &SystemStatus::refresh);
    m_timer.start(2000);
    refresh();
}

QString SystemStatus::text() const {
    return m_label->text();
}

int64_t SystemStatus::residentBytes() {
    QFile statm(QStringLiteral("/proc/self/statm"));
    if (!statm.open(QIODevice::ReadOnly)) return 0;
    const QList<QByteArray> fields = statm.readAll().split(' ');
    if (fields.size() < 2) return 0;
    return fields[1].toLongLong() * int64_t(sysconf(_SC_PAGESIZE));
}

void SystemStatus::refresh() {
    const auto& s = m_engine.system();
    const QString device =
        m_engine.hasModel() ? m_engine.model().device : (s.device.isEmpty() ? tr("device ?") : s.device);
    const int64_t rss = residentBytes();
    const int64_t free = m_engine.freeMemory();
    QString text = tr("%1 · %n thread(s) · %2 in use", nullptr, s.threads)
                       .arg(device, rss > 0 ? formatBytes(rss) : tr("memory ?"));
    // On a GPU "free" is the GPU's: say what LibTorch holds there too (tensors and its cache).
    if (const int64_t held = m_engine.deviceHeldMemory(); held >= 0)
        text += tr(" · GPU %1 held").arg(formatBytes(held));
    m_label->setText(text + tr(" · %1 free").arg(free >= 0 ? formatBytes(free) : tr("?")));
}

}  // namespace prunescope::ui
