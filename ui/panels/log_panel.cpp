#include "ui/panels/log_panel.h"

#include <QComboBox>
#include <QDateTime>
#include <QHBoxLayout>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSaveFile>
#include <QScrollBar>
#include <QVBoxLayout>

#include "ui/common/export_actions.h"

namespace prunescope::ui {
namespace {

const char* const kLevelNames[] = {"trace", "debug", "info", "warning", "error", "critical", "off"};

}  // namespace

LogPanel::LogPanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    auto* bar = new QHBoxLayout;
    m_level = new QComboBox(this);
    m_level->addItems({tr("Debug and above"), tr("Info and above"), tr("Warnings and errors"), tr("Errors only")});
    m_level->setCurrentIndex(1);
    auto* clear = new QPushButton(tr("Clear"), this);
    auto* save = new QPushButton(tr("Save…"), this);
    bar->addWidget(m_level);
    bar->addStretch(1);
    bar->addWidget(clear);
    bar->addWidget(save);
    layout->addLayout(bar);
    m_view = new QPlainTextEdit(this);
    m_view->setReadOnly(true);
    m_view->setMaximumBlockCount(kMaxMessages);
    m_view->setLineWrapMode(QPlainTextEdit::NoWrap);
    QFont mono(QStringLiteral("monospace"));
    mono.setStyleHint(QFont::Monospace);
    m_view->setFont(mono);
    layout->addWidget(m_view);
    connect(m_level, &QComboBox::currentIndexChanged, this, [this](int i) { setMinimumLevel(i + 1); });
    connect(clear, &QPushButton::clicked, this, [this] {
        m_messages.clear();
        m_view->clear();
    });
    connect(save, &QPushButton::clicked, this, [this] {
        const QString file = askSavePath(this, tr("Save Log"), QStringLiteral("prunescope.log"));
        if (file.isEmpty()) return;
        QSaveFile out(file);
        if (out.open(QIODevice::WriteOnly)) {
            out.write(text().toUtf8());
            out.commit();
        }
    });
}

void LogPanel::appendMessage(int level, const QString& logger, const QString& text) {
    level = std::clamp(level, 0, 6);
    const QString line = QStringLiteral("%1 [%2] %3: %4")
                             .arg(QTime::currentTime().toString(QStringLiteral("HH:mm:ss")),
                                  QLatin1String(kLevelNames[level]), logger, text);
    m_messages.push_back({level, line});
    while (int(m_messages.size()) > kMaxMessages) m_messages.pop_front();
    if (level >= m_minLevel) m_view->appendPlainText(line);
}

void LogPanel::setMinimumLevel(int level) {
    m_minLevel = level;
    rerender();
}

QString LogPanel::text() const {
    return m_view->toPlainText();
}

void LogPanel::rerender() {
    m_view->clear();
    QStringList lines;
    for (const auto& m : m_messages)
        if (m.level >= m_minLevel) lines << m.line;
    m_view->setPlainText(lines.join(QLatin1Char('\n')));
    // setPlainText shows the top; the newest lines are what matters, and new ones keep the view
    // following only while it is at the bottom.
    m_view->verticalScrollBar()->setValue(m_view->verticalScrollBar()->maximum());
}

}  // namespace prunescope::ui
