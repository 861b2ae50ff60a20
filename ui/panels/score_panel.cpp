#include "ui/panels/score_panel.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

#include "core/data/task_preset.h"
#include "ui/common/export_actions.h"
#include "ui/common/format.h"
#include "ui/common/memory_plan_ui.h"
#include "ui/panels/question_table_model.h"
#include "ui/views/histogram_view.h"
#include "ui/worker/engine.h"

namespace prunescope::ui {

ScorePanel::ScorePanel(Engine& engine, QWidget* parent) : QWidget(parent), m_engine(engine) {
    auto* layout = new QVBoxLayout(this);
    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Dataset:"), this));
    m_dataset = new QComboBox(this);
    m_dataset->setMinimumContentsLength(24);
    top->addWidget(m_dataset);
    top->addWidget(new QLabel(tr("Prompt:"), this));
    m_preset = new QComboBox(this);
    m_preset->setObjectName(QStringLiteral("promptPreset"));
    m_preset->addItem(tr("Prunescope (letters)"), QString());
    for (const auto& name : taskPresetNames()) {
        const TaskPreset preset = parseTaskPreset(name);
        if (preset == TaskPreset::None) continue;
        m_preset->addItem(tr("lm-eval %1 (%2)")
                              .arg(QString::fromStdString(name),
                                   taskPresetScoresLetters(preset) ? tr("letters") : tr("continuations")),
                          QString::fromStdString(name));
    }
    m_preset->setToolTip(
        tr("How each question is put to the model. Prunescope's prompt lists the options and "
           "scores the answer letter (what attribution needs). The lm-eval presets use "
           "lm-evaluation-harness's prompt for that benchmark, so accuracies compare with "
           "published ones; most score each option's text, which attribution cannot use."));
    top->addWidget(m_preset);
    m_score = new QPushButton(tr("Score (F5)"), this);
    top->addWidget(m_score);
    m_summary = new QLabel(tr("Not scored yet."), this);
    top->addWidget(m_summary, 1);
    m_plan = new QLabel(this);
    m_plan->setObjectName(QStringLiteral("scorePlan"));
    top->addWidget(m_plan);
    layout->addLayout(top);

    auto* splitter = new QSplitter(Qt::Horizontal, this);
    auto* left = new QWidget(splitter);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    auto* filters = new QHBoxLayout;
    m_search = new QLineEdit(left);
    m_search->setPlaceholderText(tr("Filter questions and options…"));
    m_search->setClearButtonEnabled(true);
    m_show = new QComboBox(left);
    m_show->addItems(
        {tr("All questions"), tr("Correct"), tr("Wrong"), tr("Confidence ≥ threshold"), tr("Confidence < threshold")});
    filters->addWidget(m_search, 1);
    filters->addWidget(m_show);
    leftLayout->addLayout(filters);
    m_model = new QuestionTableModel(this);
    m_filter = new QuestionFilterModel(this);
    m_filter->setSourceModel(m_model);
    m_table = new QTableView(left);
    m_table->setModel(m_filter);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(QuestionTableModel::Index, Qt::AscendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_table->setWordWrap(false);
    m_table->horizontalHeader()->setSectionResizeMode(QuestionTableModel::Question, QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(QuestionTableModel::Options, QHeaderView::Interactive);
    m_table->setColumnWidth(QuestionTableModel::Options, 260);
    addTableExportMenu(m_table, QStringLiteral("questions"));
    leftLayout->addWidget(m_table);
    splitter->addWidget(left);

    auto* right = new QWidget(splitter);
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    m_histogram = new HistogramView(right);
    m_histogram->setMinimumSize(360, 260);
    addPlotExportMenu(m_histogram, QStringLiteral("confidence-histogram"));
    m_selection = new QLabel(right);
    m_selection->setWordWrap(true);
    auto* hint = new QLabel(tr("Drag the threshold line: the questions at or above it are the ones attribution "
                               "runs on."),
                            right);
    hint->setWordWrap(true);
    rightLayout->addWidget(m_histogram, 1);
    auto* thresholdRow = new QHBoxLayout;
    thresholdRow->addWidget(new QLabel(tr("Threshold:"), right));
    m_thresholdBox = new QDoubleSpinBox(right);
    m_thresholdBox->setObjectName(QStringLiteral("confidenceThreshold"));
    m_thresholdBox->setRange(0.0, 1.0);
    m_thresholdBox->setDecimals(3);
    m_thresholdBox->setSingleStep(0.01);
    m_thresholdBox->setValue(m_histogram->threshold());
    m_thresholdBox->setToolTip(
        tr("The minimum confidence of the questions attribution runs on (the line in the plot)."));
    thresholdRow->addWidget(m_thresholdBox);
    thresholdRow->addStretch(1);
    rightLayout->addLayout(thresholdRow);
    rightLayout->addWidget(m_selection);
    rightLayout->addWidget(hint);
    splitter->addWidget(right);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    layout->addWidget(splitter, 1);

    connect(m_score, &QPushButton::clicked, this, &ScorePanel::scoreCurrent);
    connect(m_preset, &QComboBox::currentIndexChanged, this, [this] {
        // New prompt, new scores: the old ones no longer describe what the model is asked.
        m_engine.setPrompt(m_engine.promptText(), m_engine.promptOption(), m_preset->currentData().toString());
        m_results.clear();
        showDataset();
        emit settingsChanged();
    });
    connect(m_dataset, &QComboBox::currentTextChanged, this, &ScorePanel::showDataset);
    connect(m_search, &QLineEdit::textChanged, m_filter, &QuestionFilterModel::setText);
    connect(m_show, &QComboBox::currentIndexChanged, this, [this](int i) {
        m_filter->setShow(QuestionFilterModel::Show(i));
        emit settingsChanged();
    });
    connect(m_thresholdBox, &QDoubleSpinBox::valueChanged, m_histogram, &HistogramView::setThreshold);
    connect(m_histogram, &HistogramView::thresholdChanged, this, [this](double t) {
        {
            const QSignalBlocker block(m_thresholdBox);
            m_thresholdBox->setValue(t);
        }
        m_filter->setThreshold(t);
        updateSelectionLabel();
        emit thresholdChanged(t);
        emit settingsChanged();
    });
    connect(&m_engine, &Engine::scoringFinished, this, &ScorePanel::onScored);
    connect(&m_engine, &Engine::datasetsChanged, this, &ScorePanel::updateDatasets);
    connect(&m_engine, &Engine::modelChanged, this, [this] {
        m_results.clear();
        showDataset();
    });
    connect(&m_engine, &Engine::modelChanged, this, &ScorePanel::updatePlan);
    connect(&m_engine, &Engine::taskFinished, this, &ScorePanel::updatePlan);
    updateSelectionLabel();
    updatePlan();
}

void ScorePanel::showPreset(const QString& preset) {
    const int i = m_preset->findData(preset == QLatin1String("none") ? QString() : preset);
    const QSignalBlocker block(m_preset);
    m_preset->setCurrentIndex(std::max(0, i));
}

MemoryPlan ScorePanel::plan() const {
    PlanSettings s;
    s.job = PlanJob::Eval;
    s.batchSize = ScoringOptions{}.batchSize;  // the worker's
    return m_engine.plan(s);
}

void ScorePanel::updatePlan() {
    if (!m_engine.hasModel()) {
        m_plan->clear();
        m_plan->setToolTip({});
        return;
    }
    showPlan(m_plan, plan());
}

QString ScorePanel::planText() const {
    return m_plan->text();
}

void ScorePanel::scoreCurrent() {
    if (currentDataset().isEmpty()) return;
    if (m_engine.hasModel() && !confirmPlan(this, plan(), tr("Scoring"))) return;
    m_engine.score(currentDataset());
}

QString ScorePanel::currentDataset() const {
    return m_dataset->currentText();
}

void ScorePanel::setCurrentDataset(const QString& name) {
    m_dataset->setCurrentText(name);
}

double ScorePanel::threshold() const {
    return m_histogram->threshold();
}

void ScorePanel::setThreshold(double threshold) {
    m_histogram->setThreshold(threshold);
}

const ScoreResult* ScorePanel::result(const QString& dataset) const {
    auto it = m_results.find(dataset);
    return it == m_results.end() ? nullptr : &it->second;
}

QString ScorePanel::selectionText() const {
    return m_selection->text();
}

void ScorePanel::onScored(const ScoreResult& result) {
    m_results[result.dataset] = result;
    if (currentDataset() == result.dataset || currentDataset().isEmpty()) {
        setCurrentDataset(result.dataset);
        showDataset();
    }
}

void ScorePanel::updateDatasets() {
    const QString current = currentDataset();
    const QSignalBlocker block(m_dataset);
    m_dataset->clear();
    m_dataset->addItems(m_engine.datasetNames());
    if (!current.isEmpty() && m_dataset->findText(current) >= 0) m_dataset->setCurrentText(current);
    if (!m_wantedDataset.isEmpty() && m_dataset->findText(m_wantedDataset) >= 0) {
        m_dataset->setCurrentText(m_wantedDataset);
        m_wantedDataset.clear();
    }
    for (auto it = m_results.begin(); it != m_results.end();) {
        it = m_dataset->findText(it->first) < 0 ? m_results.erase(it) : std::next(it);
    }
    showDataset();
}

void ScorePanel::showDataset() {
    const auto* r = result(currentDataset());
    if (r == nullptr) {
        m_model->setRows({});
        m_histogram->setData({}, {});
        m_summary->setText(currentDataset().isEmpty() ? tr("No dataset yet: File ▸ Add Dataset… (Ctrl+D).")
                                                      : tr("Not scored yet: press Score."));
    } else {
        m_model->setRows(r->rows);
        std::vector<float> confidence;
        std::vector<uint8_t> correct;
        for (const auto& row : r->rows) {
            confidence.push_back(float(row.confidence));
            correct.push_back(row.correct ? 1 : 0);
        }
        m_histogram->setData(confidence, correct);
        QString text = tr("%1 questions, accuracy %2").arg(r->rows.size()).arg(formatPercent(r->accuracy));
        if (r->accuracyNorm) text += tr(" (normalized %1)").arg(formatPercent(*r->accuracyNorm));
        text += tr(", mean confidence %1").arg(formatPercent(r->meanConfidence));
        if (!r->preset.isEmpty() && r->preset != QLatin1String("none"))
            text += tr(" · lm-eval %1 prompt").arg(r->preset);
        m_summary->setText(text);
    }
    updateSelectionLabel();
}

int ScorePanel::selectedCount(int* correct) const {
    // Counted on the exact confidences, as the attribution's filter does (the histogram bins floats).
    int n = 0, right = 0;
    if (const auto* r = result(currentDataset())) {
        for (const auto& row : r->rows) {
            if (row.confidence < threshold()) continue;
            ++n;
            right += row.correct ? 1 : 0;
        }
    }
    if (correct) *correct = right;
    return n;
}

void ScorePanel::updateSelectionLabel() {
    int correct = 0;
    const int n = selectedCount(&correct);
    m_selection->setText(tr("<b>%1</b> question(s) with confidence ≥ %2 (%3 correct)")
                             .arg(n)
                             .arg(m_histogram->threshold(), 0, 'f', 3)
                             .arg(correct));
}

nlohmann::json ScorePanel::settings() const {
    return {{"dataset", currentDataset().toStdString()}, {"threshold", threshold()}, {"show", m_show->currentIndex()}};
}

void ScorePanel::applySettings(const nlohmann::json& s) {
    if (!s.is_object()) return;
    if (s.contains("threshold") && s["threshold"].is_number()) setThreshold(s["threshold"].get<double>());
    if (s.contains("show") && s["show"].is_number_integer()) m_show->setCurrentIndex(s["show"].get<int>());
    if (s.contains("dataset") && s["dataset"].is_string()) {
        m_wantedDataset = QString::fromStdString(s["dataset"].get<std::string>());
        if (m_dataset->findText(m_wantedDataset) >= 0) setCurrentDataset(m_wantedDataset);
    }
}

}  // namespace prunescope::ui
