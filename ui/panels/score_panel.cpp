#include "ui/panels/score_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <algorithm>

#include "core/data/task_preset.h"
#include "ui/common/export_actions.h"
#include "ui/common/format.h"
#include "ui/common/memory_plan_ui.h"
#include "ui/common/token_html.h"
#include "ui/panels/prompt_dialog.h"
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
    m_editPrompt = new QPushButton(tr("Edit…"), this);
    m_editPrompt->setObjectName(QStringLiteral("editPrompt"));
    m_editPrompt->setToolTip(
        tr("The prompt template, the option line and the scoring mode, with a preview of the "
           "exact tokens the model reads."));
    top->addWidget(m_editPrompt);
    m_sample = new QSpinBox(this);
    m_sample->setObjectName(QStringLiteral("scoreSample"));
    m_sample->setRange(0, 10000000);
    m_sample->setSingleStep(50);
    m_sample->setSpecialValueText(tr("all questions"));
    m_sample->setPrefix(tr("first "));
    m_sample->setToolTip(
        tr("Score only the first N questions (a quick look at a large set); 0: all. Scoring goes on from where "
           "an earlier run (a sample, a cancel) stopped."));
    top->addWidget(m_sample);
    m_score = new QPushButton(tr("Score (F5)"), this);
    top->addWidget(m_score);
    m_summary = new QLabel(tr("Not scored yet."), this);
    top->addWidget(m_summary, 1);
    m_plan = new QLabel(this);
    m_plan->setObjectName(QStringLiteral("scorePlan"));
    top->addWidget(m_plan);
    layout->addLayout(top);
    m_promptProblem = new QLabel(this);
    m_promptProblem->setObjectName(QStringLiteral("promptProblem"));
    m_promptProblem->setWordWrap(true);
    m_promptProblem->setStyleSheet(QStringLiteral("color: #b00020"));
    m_promptProblem->hide();
    layout->addWidget(m_promptProblem);

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
    // The numbers and letters as wide as they need, the question all the rest (at 1600 px it had
    // been squeezed to "…" by wide number columns).
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(QuestionTableModel::Question, QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(QuestionTableModel::Options, QHeaderView::Interactive);
    m_table->setColumnWidth(QuestionTableModel::Options, 220);
    addTableExportMenu(m_table, QStringLiteral("questions"));
    leftLayout->addWidget(m_table, 3);
    m_detail = new QTextBrowser(left);
    m_detail->setObjectName(QStringLiteral("questionDetail"));
    m_detail->setPlaceholderText(tr("Select a question to see the exact prompt and each option's probability."));
    m_detail->setMaximumHeight(190);
    leftLayout->addWidget(m_detail, 1);
    splitter->addWidget(left);

    auto* right = new QWidget(splitter);
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    m_histogram = new HistogramView(right);
    m_histogram->setMinimumSize(360, 260);
    m_histogram->setEmptyText(
        tr("Not scored yet: pick a dataset and press Score (F5).\nThe confidence of every "
           "answer appears here, right answers green, wrong ones red."));
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
    m_logCounts = new QCheckBox(tr("Log counts"), right);
    m_logCounts->setObjectName(QStringLiteral("logCounts"));
    m_logCounts->setToolTip(
        tr("Counts on a log axis: small bins show beside the one that holds most answers. "
           "The mouse wheel zooms the confidence axis; a double click shows 0 to 1 again."));
    thresholdRow->addWidget(m_logCounts);
    rightLayout->addLayout(thresholdRow);
    rightLayout->addWidget(m_selection);
    rightLayout->addWidget(hint);
    splitter->addWidget(right);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    layout->addWidget(splitter, 1);

    connect(m_score, &QPushButton::clicked, this, &ScorePanel::scoreCurrent);
    connect(m_preset, &QComboBox::currentIndexChanged, this, [this] {
        PromptChoice prompt = m_engine.prompt();
        prompt.preset = m_preset->currentData().toString();
        applyPrompt(prompt);
    });
    connect(m_editPrompt, &QPushButton::clicked, this, &ScorePanel::editPrompt);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &ScorePanel::showQuestionDetail);
    connect(m_dataset, &QComboBox::currentTextChanged, this, &ScorePanel::checkPrompt);
    connect(&m_engine, &Engine::modelChanged, this, &ScorePanel::checkPrompt);
    connect(m_dataset, &QComboBox::currentTextChanged, this, &ScorePanel::showDataset);
    connect(m_dataset, &QComboBox::currentTextChanged, this, &ScorePanel::updatePlan);
    connect(m_search, &QLineEdit::textChanged, m_filter, &QuestionFilterModel::setText);
    connect(m_show, &QComboBox::currentIndexChanged, this, [this](int i) {
        m_filter->setShow(QuestionFilterModel::Show(i));
        emit settingsChanged();
    });
    connect(m_thresholdBox, &QDoubleSpinBox::valueChanged, m_histogram, &HistogramView::setThreshold);
    connect(m_logCounts, &QCheckBox::toggled, this, [this](bool on) {
        m_histogram->setLogScale(on);
        emit settingsChanged();
    });
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
    connect(&m_engine, &Engine::scoringProgressed, this, &ScorePanel::onScored);  // rows stream in
    connect(&m_engine, &Engine::scoringFinished, this, &ScorePanel::onScored);
    connect(&m_engine, &Engine::datasetsChanged, this, &ScorePanel::updateDatasets);
    connect(&m_engine, &Engine::modelChanged, this, [this] {
        m_results.clear();
        showDataset();
    });
    connect(&m_engine, &Engine::modelChanged, this, &ScorePanel::updatePlan);
    connect(&m_engine, &Engine::promptLengthsChanged, this, &ScorePanel::updatePlan);
    connect(&m_engine, &Engine::taskFinished, this, &ScorePanel::updatePlan);
    updateDatasets();  // those the engine already has
    updateSelectionLabel();
    updatePlan();
}

void ScorePanel::showPreset(const QString& preset) {
    const int i = m_preset->findData(preset == QLatin1String("none") ? QString() : preset);
    const QSignalBlocker block(m_preset);
    m_preset->setCurrentIndex(std::max(0, i));
}

MemoryPlan ScorePanel::plan(QString* note) const {
    PlanSettings s;
    s.job = PlanJob::Eval;
    s.batchSize = ScoringOptions{}.batchSize;  // the worker's
    const QString sized = m_engine.sizeFromDatasets(s, {currentDataset()});
    if (note) *note = sized;
    return m_engine.plan(s);
}

void ScorePanel::updatePlan() {
    if (!m_engine.hasModel()) {
        m_plan->clear();
        m_plan->setToolTip({});
        return;
    }
    QString note;
    const auto p = plan(&note);
    showPlan(m_plan, p, note);
}

QString ScorePanel::planText() const {
    return m_plan->text();
}

void ScorePanel::scoreCurrent() {
    if (currentDataset().isEmpty()) return;
    if (m_engine.hasModel() && !confirmPlan(this, plan(), tr("Scoring"))) return;
    m_engine.score(currentDataset(), m_sample->value());
}

void ScorePanel::applyPrompt(const PromptChoice& prompt) {
    // New prompt, new scores: the old ones no longer describe what the model is asked.
    m_engine.setPrompt(prompt);
    m_results.clear();
    showDataset();
    checkPrompt();
    emit settingsChanged();
}

std::vector<McqQuestion> ScorePanel::sampleQuestions() const {
    for (const auto& d : m_engine.datasets())
        if (d.name == currentDataset()) return d.sample;
    return {};
}

void ScorePanel::editPrompt() {
    PromptDialog dialog(m_engine.prompt(), m_engine.model().tokenizer, sampleQuestions(), this);
    if (dialog.exec() != QDialog::Accepted) return;
    if (dialog.choice() != m_engine.prompt()) applyPrompt(dialog.choice());
}

void ScorePanel::checkPrompt() {
    const auto& tokenizer = m_engine.model().tokenizer;
    const QString problem = tokenizer ? ui::promptProblem(m_engine.prompt(), sampleQuestions(), *tokenizer) : QString();
    m_promptProblem->setVisible(!problem.isEmpty());
    m_promptProblem->setText(problem.isEmpty() ? QString()
                                               : tr("This prompt cannot score %1: %2. Press Edit… beside the Prompt "
                                                    "box to score the options' text or change the template.")
                                                     .arg(currentDataset(), problem));
}

bool ScorePanel::showQuestion(const QString& dataset, int index) {
    setCurrentDataset(dataset);
    if (currentDataset() != dataset || index < 0 || index >= m_model->rowCount()) return false;
    m_show->setCurrentIndex(0);  // all questions, so that it is in the table
    m_search->clear();
    const QModelIndex at = m_filter->mapFromSource(m_model->index(index, 0));
    if (!at.isValid()) return false;
    m_table->setCurrentIndex(at);
    m_table->scrollTo(at, QAbstractItemView::PositionAtCenter);
    showQuestionDetail();
    return true;
}

void ScorePanel::showQuestionDetail() {
    const QModelIndex at = m_table->currentIndex();
    if (!at.isValid()) {
        m_detail->clear();
        return;
    }
    const QuestionRow& row = m_model->row(m_filter->mapToSource(at).row());
    QString html = tr("<b>Question %1</b> (%2)").arg(row.index).arg(row.id.toHtmlEscaped());
    // The exact prompt, token by token, as scoring built it (the prompt has not changed since:
    // a new prompt clears the scores).
    if (const auto& tokenizer = m_engine.model().tokenizer) {
        McqQuestion q;
        q.id = row.id.toStdString();
        q.question = row.question.toStdString();
        for (const auto& o : row.options) q.options.push_back(o.toStdString());
        q.answer = row.gold;
        q.extra = row.extra;
        const PromptPreview p = previewPrompt(m_engine.prompt(), q, *tokenizer);
        if (p.problem.isEmpty()) {
            html += tr(" — what the model read, %n token(s):", "", int(p.tokens.size()));
            html += QStringLiteral("<p style=\"font-family:monospace\">%1</p>").arg(tokenHtml(p.tokens));
        }
    }
    html += QStringLiteral("<table cellspacing=\"6\">");
    for (int i = 0; i < row.options.size(); ++i) {
        const double prob = size_t(i) < row.probs.size() ? row.probs[size_t(i)] : 0.0;
        QString marks;
        if (i == row.gold) marks += tr(" ✓ correct");
        if (i == row.predicted) marks += tr(" ← predicted");
        html +=
            QStringLiteral("<tr><td><b>%1</b></td><td>%2</td><td align=\"right\">%3</td><td>%4</td></tr>")
                .arg(QString::fromStdString(letterFor(i)), row.options[i].toHtmlEscaped(), formatPercent(prob), marks);
    }
    html += QStringLiteral("</table>");
    m_detail->setHtml(html);
}

QString ScorePanel::questionDetailHtml() const {
    return m_detail->toHtml();
}

QString ScorePanel::promptProblem() const {
    return m_promptProblem->text();
}

void ScorePanel::setSample(int questions) {
    m_sample->setValue(questions);
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

QString ScorePanel::summaryText() const {
    return m_summary->text();
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
    checkPrompt();  // (the box's signals were blocked)
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
        QString text = r->complete() ? tr("%1 questions").arg(r->rows.size())
                                     : tr("%1 of %2 questions scored").arg(r->rows.size()).arg(r->total);
        text += tr(", accuracy %1").arg(formatPercent(r->accuracy));
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
    return {{"dataset", currentDataset().toStdString()},
            {"threshold", threshold()},
            {"show", m_show->currentIndex()},
            {"log_counts", m_logCounts->isChecked()}};
}

void ScorePanel::applySettings(const nlohmann::json& s) {
    if (!s.is_object()) return;
    if (s.contains("threshold") && s["threshold"].is_number()) setThreshold(s["threshold"].get<double>());
    if (s.contains("show") && s["show"].is_number_integer()) m_show->setCurrentIndex(s["show"].get<int>());
    if (s.contains("log_counts") && s["log_counts"].is_boolean()) m_logCounts->setChecked(s["log_counts"].get<bool>());
    if (s.contains("dataset") && s["dataset"].is_string()) {
        m_wantedDataset = QString::fromStdString(s["dataset"].get<std::string>());
        if (m_dataset->findText(m_wantedDataset) >= 0) setCurrentDataset(m_wantedDataset);
    }
}

}  // namespace prunescope::ui
