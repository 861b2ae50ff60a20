#include "ui/panels/compare_panel.h"

#include <algorithm>

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSaveFile>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <cmath>

#include "ui/common/export_actions.h"
#include "ui/common/format.h"
#include "ui/report/report_model.h"
#include "ui/session/session_settings.h"
#include "ui/views/bar_chart_view.h"
#include "ui/worker/engine.h"

namespace prunescope::ui {
namespace {

QTableWidget* makeTable(QWidget* parent) {
    auto* t = new QTableWidget(parent);
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->horizontalHeader()->setStretchLastSection(true);
    return t;
}

QString cell(double mean, double sd, int n) {
    if (std::isnan(mean)) return QStringLiteral("—");
    return QStringLiteral("%1 ± %2 (n=%3)")
        .arg(formatPercent(mean))
        .arg(std::isnan(sd) ? 0.0 : sd * 100.0, 0, 'f', 1)
        .arg(n);
}

}  // namespace

ComparePanel::ComparePanel(Engine& engine, QWidget* parent) : QWidget(parent), m_engine(engine) {
    auto* layout = new QVBoxLayout(this);
    auto* controls = new QHBoxLayout;
    auto* runBox = new QGroupBox(tr("Runs from this window"), this);
    auto* runLayout = new QHBoxLayout(runBox);
    for (const char* arm : {"plain", "ig", "random", "magnitude"}) {
        auto* check = new QCheckBox(QString::fromLatin1(arm), runBox);
        check->setChecked(true);
        m_arms.push_back(check);
        runLayout->addWidget(check);
    }
    m_seeds = new QSpinBox(runBox);
    m_seeds->setRange(1, 50);
    m_seeds->setValue(3);
    m_seeds->setPrefix(tr("seeds: "));
    auto* run = new QPushButton(tr("Run Arms"), runBox);
    run->setToolTip(tr("Fine-tune each checked arm once per seed with the Fine-tune panel's settings"));
    runLayout->addWidget(m_seeds);
    runLayout->addWidget(run);
    controls->addWidget(runBox);
    auto* experiment = new QPushButton(tr("Run Full Experiment"), this);
    experiment->setToolTip(
        tr("The pipeline's experiment (score, attribute, select, every arm and seed) on this "
           "session's model and datasets; writes report.json"));
    auto* open = new QPushButton(tr("Open Report…"), this);
    auto* save = new QPushButton(tr("Save Report…"), this);
    auto* clearButton = new QPushButton(tr("Clear"), this);
    controls->addWidget(experiment);
    controls->addWidget(open);
    controls->addWidget(save);
    controls->addWidget(clearButton);
    controls->addStretch(1);
    layout->addLayout(controls);
    auto* showingRow = new QHBoxLayout;
    m_showing = new QComboBox(this);
    m_showing->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_showing->setToolTip(tr("Every report given to this panel stays here; choose the one to show"));
    showingRow->addWidget(new QLabel(tr("Showing:"), this));
    showingRow->addWidget(m_showing);
    m_source = new QLabel(this);
    m_source->setWordWrap(true);
    showingRow->addWidget(m_source, 1);
    layout->addLayout(showingRow);

    auto* splitter = new QSplitter(Qt::Horizontal, this);
    auto* tables = new QWidget(splitter);
    auto* tablesLayout = new QVBoxLayout(tables);
    tablesLayout->setContentsMargins(0, 0, 0, 0);
    m_table = makeTable(tables);
    m_paired = makeTable(tables);
    m_paired->setColumnCount(6);
    m_paired->setHorizontalHeaderLabels(
        {tr("Arm"), tr("Versus"), tr("Dataset"), tr("Mean difference"), tr("Std. error"), tr("Wins")});
    m_paired->verticalHeader()->hide();
    addTableExportMenu(m_table, QStringLiteral("accuracy"));
    addTableExportMenu(m_paired, QStringLiteral("paired"));
    tablesLayout->addWidget(new QLabel(tr("Accuracy (mean ± std over seeds):"), tables));
    tablesLayout->addWidget(m_table, 3);
    tablesLayout->addWidget(new QLabel(tr("Paired differences against plain fine-tuning (same seeds):"), tables));
    tablesLayout->addWidget(m_paired, 2);
    m_chart = new BarChartView(splitter);
    m_chart->setValueLabel(tr("accuracy"));
    m_chart->setCategoryLabel(tr("dataset"));
    m_chart->setEmptyText(
        tr("No report yet: run the arms (plain fine-tuning, IG pruning, random pruning), "
           "fine-tune in the Fine-tune panel, or open a report."));
    addPlotExportMenu(m_chart, QStringLiteral("accuracy"));
    splitter->addWidget(tables);
    splitter->addWidget(m_chart);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 1);
    m_chart->setMinimumWidth(520);  // room for the dataset groups and the legend
    layout->addWidget(splitter, 1);

    connect(run, &QPushButton::clicked, this, [this] {
        QStringList arms;
        for (auto* c : m_arms)
            if (c->isChecked()) arms << c->text();
        runArms(arms, m_seeds->value());
    });
    connect(experiment, &QPushButton::clicked, this, &ComparePanel::runFullExperiment);
    connect(open, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getOpenFileName(this, tr("Open Report"), startFolder(kLastExportFolder),
                                                          tr("Report (*.json)"));
        QString error;
        if (!file.isEmpty() && !openReport(file, &error)) QMessageBox::warning(this, tr("Open failed"), error);
    });
    connect(save, &QPushButton::clicked, this, [this] {
        const QString file = askSavePath(this, tr("Save Report"), QStringLiteral("report.json"), tr("Report (*.json)"));
        QString error;
        if (!file.isEmpty() && !saveReport(file, &error)) QMessageBox::warning(this, tr("Save failed"), error);
    });
    connect(clearButton, &QPushButton::clicked, this, &ComparePanel::askClear);
    connect(m_showing, &QComboBox::activated, this, &ComparePanel::showReport);
    connect(&m_engine, &Engine::finetuneFinished, this, &ComparePanel::addRun);
    connect(&m_engine, &Engine::experimentFinished, this, [this](const nlohmann::json& report) {
        const QString time = QDateTime::currentDateTime().toString(QStringLiteral("HH:mm"));
        QString error;
        if (!addReport(report, tr("Experiment (%1)").arg(time),
                       tr("From the pipeline's experiment, finished at %1.").arg(time), &error)) {
            m_source->setText(tr("The experiment's report could not be shown: %1").arg(error));
        }
    });
    clear();
}

void ComparePanel::runArms(const QStringList& arms, int seeds) {
    if (!m_requests) return;
    for (int seed = 0; seed < seeds; ++seed)
        for (const auto& arm : arms) m_engine.finetune(m_requests(arm, seed));
}

void ComparePanel::runFullExperiment() {
    if (!m_experiment) return;
    if (auto config = m_experiment()) m_engine.runExperiment(config->first, config->second);
}

void ComparePanel::addRun(const RunResult& run) {
    m_runs.push_back(run);
    QString text = tr("Built from %n fine-tuning run(s) made in this window.", nullptr, int(m_runs.size()));
    const bool nothingToCompare =
        std::all_of(m_runs.begin(), m_runs.end(), [](const RunResult& r) { return r.results.empty(); });
    if (nothingToCompare) {
        text +=
            QLatin1Char(' ') + tr("They have no accuracies to compare: no dataset with the role test or ood was open "
                                  "(add one on Model & Data, then run the arms again).");
    }
    if (m_runsEntry < 0) {
        m_entries.push_back({});
        m_runsEntry = int(m_entries.size()) - 1;
    }
    auto& entry = m_entries[size_t(m_runsEntry)];
    entry.label = tr("Runs in this window (%1)").arg(m_runs.size());
    entry.source = text;
    entry.report = buildReport(m_runs);
    showReport(m_runsEntry);
}

QString ComparePanel::sourceText() const {
    return m_source->text();
}

const nlohmann::json& ComparePanel::report() const {
    static const nlohmann::json none;
    return m_current >= 0 ? m_entries[size_t(m_current)].report : none;
}

void ComparePanel::clear() {
    m_runs.clear();
    m_entries.clear();
    m_current = m_runsEntry = -1;
    refreshShowing();
    display();
}

void ComparePanel::askClear() {
    if (m_entries.empty()) return;
    const auto answer = QMessageBox::question(
        this, tr("Clear Compare"),
        tr("Remove %n report(s) from this panel? Report files on disk are not changed; runs made in this window "
           "are lost unless saved with Save Report.",
           nullptr, int(m_entries.size())),
        QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
    if (answer == QMessageBox::Yes) clear();
}

bool ComparePanel::addReport(const nlohmann::json& report, const QString& label, const QString& source,
                             QString* error) {
    try {
        reportTable(report);
    } catch (const std::exception& e) {
        if (error) *error = QString::fromUtf8(e.what());
        return false;
    }
    m_entries.push_back({label, source, QString(), report});
    showReport(int(m_entries.size()) - 1);
    return true;
}

void ComparePanel::showReport(int index) {
    if (index < 0 || index >= int(m_entries.size())) return;
    m_current = index;
    refreshShowing();
    display();
}

void ComparePanel::refreshShowing() {
    const QSignalBlocker block(m_showing);
    m_showing->clear();
    for (const auto& e : m_entries) m_showing->addItem(e.label);
    m_showing->setCurrentIndex(m_current);
    m_showing->setEnabled(m_entries.size() > 1);
}

void ComparePanel::display() {
    if (m_current < 0) {
        m_table->clear();
        m_table->setRowCount(0);
        m_table->setColumnCount(0);
        m_paired->setRowCount(0);
        m_chart->setData({}, {}, {});
        m_source->setText(tr("No report yet: run arms here, run the full experiment, or open a report.json."));
        emit reportChanged();
        return;
    }
    const auto& entry = m_entries[size_t(m_current)];
    m_source->setText(entry.source);
    const ReportTable t = reportTable(entry.report);  // (checked when the entry was added)
    QStringList rows;
    bool haveBase = false;
    for (double b : t.base) haveBase = haveBase || !std::isnan(b);
    if (haveBase) rows << tr("base (no fine-tuning)");
    rows << t.arms;
    m_table->clear();
    m_table->setRowCount(int(rows.size()));
    m_table->setColumnCount(int(t.datasets.size()));
    QStringList headers;
    for (int d = 0; d < t.datasets.size(); ++d)
        headers << QStringLiteral("%1 (%2)").arg(t.datasets[d], t.datasetKinds[d]);
    m_table->setHorizontalHeaderLabels(headers);
    m_table->setVerticalHeaderLabels(rows);
    for (int d = 0; d < t.datasets.size(); ++d) {
        int r = 0;
        if (haveBase) {
            const double b = t.base[size_t(d)];
            m_table->setItem(r++, d, new QTableWidgetItem(std::isnan(b) ? QStringLiteral("—") : formatPercent(b)));
        }
        for (int a = 0; a < t.arms.size(); ++a) {
            m_table->setItem(r++, d,
                             new QTableWidgetItem(cell(t.mean[size_t(a)][size_t(d)], t.std[size_t(a)][size_t(d)],
                                                       t.n[size_t(a)][size_t(d)])));
        }
    }
    m_table->resizeColumnsToContents();
    m_paired->setRowCount(int(t.paired.size()));
    for (int i = 0; i < int(t.paired.size()); ++i) {
        const auto& p = t.paired[size_t(i)];
        const QStringList cells = {p.arm,
                                   p.versus,
                                   p.dataset,
                                   QStringLiteral("%1%2 points")
                                       .arg(p.meanDiff >= 0 ? QStringLiteral("+") : QString())
                                       .arg(p.meanDiff * 100.0, 0, 'f', 1),
                                   QStringLiteral("%1").arg(p.stdErr * 100.0, 0, 'f', 1),
                                   QStringLiteral("%1 / %2").arg(p.wins).arg(p.n)};
        for (int c = 0; c < cells.size(); ++c) m_paired->setItem(i, c, new QTableWidgetItem(cells[c]));
    }
    auto bars = accuracyBars(t);
    m_chart->setData(bars.categories, bars.series, bars.values, bars.errors, bars.colors);
    emit reportChanged();
}

bool ComparePanel::openReport(const QString& file, QString* error) {
    QFile in(file);
    if (!in.open(QIODevice::ReadOnly)) {
        if (error) *error = tr("%1: cannot open (%2)").arg(file, in.errorString());
        return false;
    }
    const QByteArray bytes = in.readAll();
    const auto json = nlohmann::json::parse(bytes.constData(), bytes.constData() + bytes.size(), nullptr, false);
    if (json.is_discarded()) {
        if (error) *error = tr("%1: not valid JSON").arg(file);
        return false;
    }
    try {
        reportTable(json);
    } catch (const std::exception& e) {
        if (error) *error = tr("%1: %2").arg(file, QString::fromUtf8(e.what()));
        return false;
    }
    const QString path = QFileInfo(file).absoluteFilePath();
    for (size_t i = 0; i < m_entries.size(); ++i) {
        if (m_entries[i].file == path) {  // open already: read again into its entry
            m_entries[i].report = json;
            showReport(int(i));
            return true;
        }
    }
    m_entries.push_back({QFileInfo(file).fileName(), tr("From %1.").arg(file), path, json});
    showReport(int(m_entries.size()) - 1);
    return true;
}

bool ComparePanel::saveReport(const QString& file, QString* error) const {
    return saveReport(m_current, file, error);
}

bool ComparePanel::saveReport(int index, const QString& file, QString* error) const {
    if (index < 0 || index >= int(m_entries.size())) {
        if (error) *error = tr("There is no report to save.");
        return false;
    }
    QSaveFile out(file);
    const std::string text = m_entries[size_t(index)].report.dump(2) + "\n";
    if (!out.open(QIODevice::WriteOnly) || out.write(text.data(), qint64(text.size())) != qint64(text.size()) ||
        !out.commit()) {
        if (error) *error = tr("%1: cannot write (%2)").arg(file, out.errorString());
        return false;
    }
    return true;
}

}  // namespace prunescope::ui
