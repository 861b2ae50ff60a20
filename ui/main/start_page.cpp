#include "ui/main/start_page.h"

#include <QFileInfo>
#include <QGridLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

namespace prunescope::ui {
namespace {

QListWidget* recentList(QWidget* parent, const QString& objectName) {
    auto* list = new QListWidget(parent);
    list->setObjectName(objectName);
    list->setMinimumWidth(360);
    list->setMaximumHeight(220);
    return list;
}

void fill(QListWidget* list, const QStringList& paths, const QString& none) {
    list->clear();
    int shown = 0;
    for (const QString& p : paths) {
        if (!QFileInfo::exists(p)) continue;  // moved or deleted since
        ++shown;
        auto* item = new QListWidgetItem(QFileInfo(p).fileName() + QStringLiteral("  —  ") + QFileInfo(p).path(), list);
        item->setData(Qt::UserRole, p);
        item->setToolTip(p);
    }
    if (shown == 0) {
        auto* item = new QListWidgetItem(none, list);
        item->setFlags(Qt::NoItemFlags);
    }
}

}  // namespace

StartPage::StartPage(QWidget* parent) : QWidget(parent) {
    auto* outer = new QVBoxLayout(this);
    outer->addStretch(1);
    auto* title = new QLabel(tr("<h1>Prunescope</h1>"
                                "<p>Find the feed-forward neurons behind a language model's confident answers on "
                                "a multiple-choice benchmark, prune them and fine-tune, and compare in- and "
                                "out-of-distribution accuracy with plain fine-tuning and random pruning.</p>"),
                             this);
    title->setWordWrap(true);
    title->setAlignment(Qt::AlignHCenter);
    title->setFixedWidth(760);  // a wrapped label placed by alignment got one line's width and lost the rest
    auto* titleRow = new QHBoxLayout;
    titleRow->addStretch(1);
    titleRow->addWidget(title);
    titleRow->addStretch(1);
    outer->addLayout(titleRow);

    auto* grid = new QGridLayout;
    grid->setHorizontalSpacing(32);
    auto* start = new QVBoxLayout;
    start->addWidget(new QLabel(tr("<b>Start</b>"), this));
    auto addButton = [&](const QString& name, const QString& text, const QString& tip, auto signal) {
        auto* b = new QPushButton(text, this);
        b->setObjectName(name);
        b->setToolTip(tip);
        b->setMinimumWidth(260);
        connect(b, &QPushButton::clicked, this, signal);
        start->addWidget(b);
    };
    addButton(QStringLiteral("startOpenModel"), tr("Open Model Folder…"),
              tr("A Hugging Face folder: config.json, *.safetensors, tokenizer.json"), &StartPage::openModelFolder);
    addButton(QStringLiteral("startOpenGguf"), tr("Open GGUF File…"), tr("A llama.cpp model file"),
              &StartPage::openGgufFile);
    addButton(QStringLiteral("startOpenSession"), tr("Open Session…"),
              tr("A .prunescope session: model, datasets, settings and results"), &StartPage::openSession);
    addButton(QStringLiteral("startDemo"), tr("Try the Built-in Demo"),
              tr("A small model trained here on a task with a planted shortcut, and the whole experiment on it "
                 "(built on first use, a few minutes on the CPU; nothing is downloaded)"),
              &StartPage::tryDemo);
    addButton(QStringLiteral("startPanels"), tr("Show the Panels"), tr("The six panels, with nothing open yet"),
              &StartPage::showPanels);
    start->addStretch(1);
    grid->addLayout(start, 0, 0, 2, 1);

    grid->addWidget(new QLabel(tr("<b>Recent sessions</b>"), this), 0, 1);
    m_sessions = recentList(this, QStringLiteral("startRecentSessions"));
    grid->addWidget(m_sessions, 1, 1);
    grid->addWidget(new QLabel(tr("<b>Recent models</b>"), this), 0, 2);
    m_models = recentList(this, QStringLiteral("startRecentModels"));
    grid->addWidget(m_models, 1, 2);
    auto* row = new QHBoxLayout;
    row->addStretch(1);
    row->addLayout(grid);
    row->addStretch(1);
    outer->addLayout(row);
    outer->addStretch(2);

    connect(m_sessions, &QListWidget::itemClicked, this, [this](QListWidgetItem* item) {
        const QString path = item->data(Qt::UserRole).toString();
        if (!path.isEmpty()) emit recentSessionChosen(path);
    });
    connect(m_models, &QListWidget::itemClicked, this, [this](QListWidgetItem* item) {
        const QString path = item->data(Qt::UserRole).toString();
        if (!path.isEmpty()) emit recentModelChosen(path);
    });
    setRecent({}, {});
}

void StartPage::setRecent(const QStringList& sessions, const QStringList& models) {
    fill(m_sessions, sessions, tr("(none yet)"));
    fill(m_models, models, tr("(none yet)"));
}

QPushButton* StartPage::button(const QString& objectName) const {
    return findChild<QPushButton*>(objectName);
}

}  // namespace prunescope::ui
