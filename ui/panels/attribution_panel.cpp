#include "ui/panels/attribution_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <array>

#include "ui/common/export_actions.h"
#include "ui/common/memory_plan_ui.h"
#include "ui/common/setting_widgets.h"
#include "ui/panels/neuron_panel.h"
#include "ui/panels/neuron_table.h"
#include "ui/views/heatmap_view.h"
#include "ui/worker/engine.h"

namespace prunescope::ui {
namespace {

// The Range combo's choices (quantile of |score| where the colour scale ends).
constexpr std::array<double, 4> kColorRanges = {1.0, 0.999, 0.99, 0.95};
constexpr int kDefaultColorRangeIndex = 2;
static_assert(kColorRanges[kDefaultColorRangeIndex] == HeatmapView::kDefaultColorRange);

}  // namespace

AttributionPanel::AttributionPanel(Engine& engine, QWidget* parent) : QWidget(parent), m_engine(engine) {
    auto* layout = new QVBoxLayout(this);
    auto* run = new QHBoxLayout;
    m_dataset = new QComboBox(this);
    m_minConfidence = settingSpinBox(settings::kMinConfidence, this);
    m_minConfidence->setToolTip(m_minConfidence->toolTip() + tr(" (the Score panel's threshold line)"));
    m_correctOnly = settingCheckBox(settings::kCorrectOnly, this);
    m_limit = settingSpinBox(settings::kAttributeLimit, this);
    m_limit->setSpecialValueText(tr("all"));
    m_steps = settingSpinBox(settings::kIgSteps, this);
    m_scope = settingComboBox(settings::kIgScope, this);
    m_target = settingComboBox(settings::kIgTarget, this);
    m_preset = settingComboBox(settings::kPreset, this);
    m_run = new QPushButton(tr("Attribute (F6)"), this);
    auto* open = new QPushButton(tr("Open…"), this);
    run->addWidget(new QLabel(tr("Dataset:"), this));
    run->addWidget(m_dataset);
    run->addWidget(new QLabel(tr("preset"), this));
    run->addWidget(m_preset);
    run->addWidget(new QLabel(tr("confidence ≥"), this));
    run->addWidget(m_minConfidence);
    run->addWidget(m_correctOnly);
    run->addWidget(new QLabel(tr("limit"), this));
    run->addWidget(m_limit);
    run->addWidget(new QLabel(tr("steps"), this));
    run->addWidget(m_steps);
    run->addWidget(new QLabel(tr("scope"), this));
    run->addWidget(m_scope);
    run->addWidget(new QLabel(tr("target"), this));
    run->addWidget(m_target);
    run->addStretch(1);
    run->addWidget(m_run);
    run->addWidget(open);
    layout->addLayout(run);
    m_plan = new QLabel(this);
    m_plan->setObjectName(QStringLiteral("attributionPlan"));
    m_plan->setAlignment(Qt::AlignRight);
    layout->addWidget(m_plan);

    auto* view = new QHBoxLayout;
    m_score = settingComboBox(settings::kNeuronScore, this);
    m_score->setToolTip(m_score->toolTip() +
                        tr("\nThe Select panel ranks neurons by this score too: changing it changes the selection."));
    m_perQuestion = new QCheckBox(tr("per question"), this);
    m_perQuestion->setObjectName(QStringLiteral("perQuestion"));
    m_perQuestion->setToolTip(tr("Divide each question's IG by its largest |IG| before aggregating (+per-question)"));
    m_perLayer = new QCheckBox(tr("per layer"), this);
    m_perLayer->setObjectName(QStringLiteral("perLayer"));
    m_perLayer->setToolTip(tr("Divide the scores by their layer's largest |score| (+per-layer)"));
    m_scale = new QComboBox(this);
    m_scale->addItems({tr("Linear"), tr("Log"), tr("Signed")});
    m_scale->setCurrentIndex(2);
    m_range = new QComboBox(this);
    m_range->setObjectName(QStringLiteral("colourRange"));
    for (const double q : kColorRanges) {
        m_range->addItem(q >= 1.0 ? tr("All") : tr("%1 %").arg(q * 100.0, 0, 'g', 3), q);
    }
    m_range->setCurrentIndex(kDefaultColorRangeIndex);
    m_range->setToolTip(
        tr("Where the colour scale ends, as a quantile of |score|: with 99 %, the 1 % of neurons "
           "with the largest |score| take the end colours and the rest spread over the scale. "
           "All: the scale ends at the largest |score|, which one strong neuron can set."));
    m_order = new QComboBox(this);
    m_order->addItems({tr("By index"), tr("By score")});
    auto* reset = new QPushButton(tr("Reset Zoom"), this);
    m_status = new QLabel(this);
    view->addWidget(new QLabel(tr("Score:"), this));
    view->addWidget(m_score);
    view->addWidget(new QLabel(tr("normalised"), this));
    view->addWidget(m_perQuestion);
    view->addWidget(m_perLayer);
    view->addWidget(new QLabel(tr("Colour scale:"), this));
    view->addWidget(m_scale);
    view->addWidget(new QLabel(tr("Range:"), this));
    view->addWidget(m_range);
    view->addWidget(new QLabel(tr("Neuron order:"), this));
    view->addWidget(m_order);
    view->addWidget(reset);
    view->addWidget(m_status, 1);
    layout->addLayout(view);

    auto* splitter = new QSplitter(Qt::Vertical, this);
    m_heatmap = new HeatmapView(splitter);
    m_heatmap->setColorScale(HeatmapScale::Signed);
    m_heatmap->setMinimumHeight(220);
    m_heatmap->setEmptyText(
        tr("No neuron scores yet.\nScore a dataset, then press Attribute (or Open… an "
           "attributions file): the neurons of every layer appear here as they are attributed."));
    addPlotExportMenu(m_heatmap, QStringLiteral("heatmap"));
    m_details = new QTabWidget(splitter);
    m_neuron = new NeuronPanel(m_details);
    m_table = new NeuronTable(m_details);
    m_details->addTab(m_neuron, tr("Neuron"));
    m_details->addTab(m_table, tr("All neurons, ranked"));
    splitter->addWidget(m_heatmap);
    splitter->addWidget(m_details);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    layout->addWidget(splitter, 1);

    connect(m_run, &QPushButton::clicked, this, &AttributionPanel::startAttribution);
    connect(open, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getOpenFileName(this, tr("Open Attributions"), m_resultsDir,
                                                          tr("Attributions (*.safetensors)"));
        if (!file.isEmpty()) openFile(file);
    });
    auto scoreChanged = [this] {
        m_engine.setNeuronScore(QString::fromStdString(scoreSpecName(scoreSpec())));
        emit settingsChanged();
    };
    connect(m_score, &QComboBox::currentTextChanged, this, scoreChanged);
    connect(m_perQuestion, &QCheckBox::toggled, this, scoreChanged);
    connect(m_perLayer, &QCheckBox::toggled, this, scoreChanged);
    // Only a choice the user makes applies the preset (a session restores the widgets themselves).
    connect(m_preset, &QComboBox::activated, this, [this] { applyPreset(settingValue(settings::kPreset, m_preset)); });
    connect(m_scale, &QComboBox::currentIndexChanged, this, [this](int i) {
        m_heatmap->setColorScale(HeatmapScale(i));
        emit settingsChanged();
    });
    connect(m_range, &QComboBox::currentIndexChanged, this, [this](int i) {
        m_heatmap->setColorRange(kColorRanges[size_t(i)]);
        emit settingsChanged();
    });
    connect(m_order, &QComboBox::currentIndexChanged, this, [this](int i) {
        m_heatmap->setOrder(HeatmapOrder(i));
        emit settingsChanged();
    });
    connect(reset, &QPushButton::clicked, m_heatmap, &HeatmapView::resetZoom);
    connect(m_heatmap, &HeatmapView::neuronClicked, this, [this](int layer, int neuron) { openNeuron(layer, neuron); });
    connect(m_table, &NeuronTable::neuronActivated, this, [this](int layer, int neuron) {
        openNeuron(layer, neuron, false);  // the table stays in front; its Neuron tab shows the detail
    });
    connect(&m_engine, &Engine::neuronDetailFinished, m_neuron, &NeuronPanel::setDetail);
    connect(m_neuron, &NeuronPanel::questionActivated, this, &AttributionPanel::questionActivated);
    connect(&m_engine, &Engine::neuronScoresChanged, this, &AttributionPanel::onScores);
    connect(&m_engine, &Engine::datasetsChanged, this, &AttributionPanel::updateDatasets);
    connect(&m_engine, &Engine::modelChanged, this, [this](const ModelCard& card) {
        // The same model opened again (another dtype or device): its scores still hold; read them back.
        const QString file = m_scores.file;
        const bool sameModel = !file.isEmpty() && !m_modelDir.isEmpty() &&
                               QFileInfo(card.dir).canonicalFilePath() == QFileInfo(m_modelDir).canonicalFilePath() &&
                               card.nLayer == m_scores.nLayer && card.nNeuron == m_scores.nNeuron;
        m_modelDir = card.dir;
        m_scores = NeuronScores{};
        m_heatmap->setScores(0, 0, {});
        m_neuron->clear();
        m_table->clear();
        updateStatus();
        if (sameModel) openFile(file);
    });
    connect(m_steps, &QSpinBox::valueChanged, this, &AttributionPanel::updatePlan);
    connect(m_scope, &QComboBox::currentTextChanged, this, &AttributionPanel::updatePlan);
    connect(m_dataset, &QComboBox::currentTextChanged, this, &AttributionPanel::updatePlan);
    connect(&m_engine, &Engine::modelChanged, this, &AttributionPanel::updatePlan);
    connect(&m_engine, &Engine::promptLengthsChanged, this, &AttributionPanel::updatePlan);
    connect(&m_engine, &Engine::taskFinished, this, &AttributionPanel::updatePlan);
    updatePlan();
    for (auto* box : {m_steps, m_limit}) {
        connect(box, &QSpinBox::valueChanged, this, &AttributionPanel::settingsChanged);
    }
    connect(m_minConfidence, &QDoubleSpinBox::valueChanged, this, &AttributionPanel::settingsChanged);
    updateStatus();
}

ScoreSpec AttributionPanel::scoreSpec() const {
    return {settingValue(settings::kNeuronScore, m_score), m_perQuestion->isChecked(), m_perLayer->isChecked()};
}

void AttributionPanel::applyPreset(Preset preset) {
    using namespace settings;
    const auto p = methodSettings(preset);
    m_preset->setCurrentText(QString::fromLatin1(presetName(preset)));
    m_steps->setValue(p.ig.steps);
    m_scope->setCurrentText(QString::fromLatin1(kIgScope.nameOf(p.ig.scope)));
    m_target->setCurrentText(QString::fromLatin1(kIgTarget.nameOf(p.ig.target)));
    m_minConfidence->setValue(p.filter.minConfidence);
    m_correctOnly->setChecked(p.filter.correctOnly);
    {
        const QSignalBlocker a(m_score), b(m_perQuestion), c(m_perLayer);
        m_score->setCurrentText(QString::fromLatin1(kNeuronScore.nameOf(p.score.score)));
        m_perQuestion->setChecked(p.score.perQuestion);
        m_perLayer->setChecked(p.score.perLayer);
    }
    m_engine.setNeuronScore(QString::fromStdString(scoreSpecName(scoreSpec())));
    emit presetChosen(preset);
    emit settingsChanged();
}

AttributionRequest AttributionPanel::request() const {
    AttributionRequest r;
    r.dataset = m_dataset->currentText();
    // The preset's settings (rule, positions, site: not on this panel), then the panel's own.
    r.preset = settingValue(settings::kPreset, m_preset);
    r.ig = methodSettings(r.preset).ig;
    r.ig.steps = m_steps->value();
    r.ig.scope = settingValue(settings::kIgScope, m_scope);
    r.ig.target = settingValue(settings::kIgTarget, m_target);
    r.filter.minConfidence = m_minConfidence->value();
    r.filter.correctOnly = m_correctOnly->isChecked();
    r.filter.limit = m_limit->value();
    r.score = scoreSpec();
    if (!m_resultsDir.isEmpty()) r.outFile = freshOutFile();
    return r;
}

QString AttributionPanel::freshOutFile() const {
    // attributions.safetensors, then attributions-2.safetensors, ...: a new run never replaces the
    // file of an earlier one (a saved session may point at it), nor one still being written.
    const QDir dir(m_resultsDir);
    for (int n = 1;; ++n) {
        const QString name =
            n == 1 ? QStringLiteral("attributions.safetensors") : QStringLiteral("attributions-%1.safetensors").arg(n);
        const QString path = dir.filePath(name);
        if (!QFileInfo::exists(path) && !m_startedFiles.contains(path)) return path;
    }
}

MemoryPlan AttributionPanel::plan(AttributionRequest& r, QString* note) const {
    PlanSettings s;
    s.job = PlanJob::Attribute;
    const QString sized = m_engine.sizeFromDatasets(s, {r.dataset});
    if (note) *note = sized;
    s.igSteps = r.ig.steps;
    s.igPerLayer = r.ig.scope == IgScope::PerLayer;
    s.questionsPerPass = r.ig.questionsPerPass;
    s.rowsPerPass = r.ig.rowsPerPass;
    auto plan = m_engine.plan(s);
    if (!plan.fits() && s.rowsPerPass == 0 && m_engine.model().config) {
        const auto rows = fittingRowsPerPass(*m_engine.model().config, m_engine.onModel(s), m_engine.freeMemory());
        if (rows > 0) {
            r.ig.rowsPerPass = rows;
            s.rowsPerPass = rows;
            plan = m_engine.plan(s);
        }
    }
    return plan;
}

void AttributionPanel::updatePlan() {
    if (!m_engine.hasModel()) {
        m_plan->clear();
        m_plan->setToolTip({});
        return;
    }
    auto r = request();
    QString note;
    const auto p = plan(r, &note);
    showPlan(m_plan, p, note);
    if (r.ig.rowsPerPass > 0) {
        m_plan->setText(m_plan->text() + tr(" (%n scaled copies per pass)", nullptr, int(r.ig.rowsPerPass)));
    }
}

QString AttributionPanel::statusText() const {
    return m_status->text();
}

QString AttributionPanel::planText() const {
    return m_plan->text();
}

void AttributionPanel::startAttribution() {
    auto r = request();
    if (m_engine.hasModel() && !confirmPlan(this, plan(r), tr("Attribution"))) return;
    if (!r.outFile.isEmpty()) m_startedFiles << r.outFile;
    m_liveUpdates = 0;
    m_neuron->clear();
    m_engine.attribute(r);
}

void AttributionPanel::openFile(const QString& file) {
    m_engine.openAttributions(file, QString::fromStdString(scoreSpecName(scoreSpec())));
}

void AttributionPanel::setMinConfidence(double value) {
    m_minConfidence->setValue(value);
}

void AttributionPanel::setSelection(const std::vector<uint8_t>& mask) {
    if (mask.size() != m_scores.values.size()) return;
    m_heatmap->setSelection(mask);
    m_table->setSelection(mask);
}

void AttributionPanel::openNeuron(int layer, int neuron, bool showDetail) {
    m_heatmap->setHighlighted(layer, neuron);
    if (showDetail) m_details->setCurrentWidget(m_neuron);
    m_neuron->setLoading(layer, neuron);
    m_engine.requestNeuron(layer, neuron);
}

void AttributionPanel::onScores(const NeuronScores& s) {
    const bool sameShape = s.nLayer == m_scores.nLayer && s.nNeuron == m_scores.nNeuron && !m_scores.values.empty();
    m_scores = s;
    if (!s.final) ++m_liveUpdates;
    if (!sameShape || !m_heatmap->updateScores(s.values)) m_heatmap->setScores(s.nLayer, s.nNeuron, s.values);
    if (s.final) m_table->setScores(s);  // live frames would re-sort 100k rows four times a second
    updateStatus();
}

void AttributionPanel::updateDatasets() {
    const QString current = m_dataset->currentText();
    m_dataset->clear();
    m_dataset->addItems(
        m_engine.datasetNames({QStringLiteral("train"), QStringLiteral("test"), QStringLiteral("ood")}));
    if (m_dataset->findText(current) >= 0) m_dataset->setCurrentText(current);
}

void AttributionPanel::updateStatus() {
    if (m_scores.values.empty()) {
        m_status->setText(tr("No attributions yet: press Attribute, or open a file."));
    } else if (!m_scores.final) {
        m_status->setText(tr("Running mean over %1 of %2 questions…").arg(m_scores.questions).arg(m_scores.total));
    } else {
        m_status->setText(
            tr("%1 layers × %2 neurons, %3 question(s)%4%5")
                .arg(m_scores.nLayer)
                .arg(m_scores.nNeuron)
                .arg(m_scores.questions)
                .arg(m_scores.preset.isEmpty() || m_scores.preset == QLatin1String("default")
                         ? QString()
                         : tr(", preset %1").arg(m_scores.preset))
                .arg(m_scores.file.isEmpty() ? QString() : tr(" — %1").arg(QFileInfo(m_scores.file).fileName())));
    }
}

nlohmann::json AttributionPanel::settings() const {
    return {{"dataset", m_dataset->currentText().toStdString()},
            {settings::kMinConfidence.key, m_minConfidence->value()},
            {settings::kCorrectOnly.key, m_correctOnly->isChecked()},
            {settings::kAttributeLimit.key, m_limit->value()},
            {settings::kIgSteps.key, m_steps->value()},
            {settings::kIgScope.key, m_scope->currentText().toStdString()},
            {settings::kIgTarget.key, m_target->currentText().toStdString()},
            {settings::kPreset.key, m_preset->currentText().toStdString()},
            {settings::kNeuronScore.key, scoreSpecName(scoreSpec())},
            {"scale", m_scale->currentIndex()},
            {"colour_range", kColorRanges[size_t(m_range->currentIndex())]},
            {"order", m_order->currentIndex()}};
}

void AttributionPanel::applySettings(const nlohmann::json& s) {
    if (!s.is_object()) return;
    auto text = [&](const char* key) { return QString::fromStdString(s.value(key, std::string())); };
    using namespace settings;
    // A setting the session does not name keeps its value.
    m_minConfidence->setValue(s.value(kMinConfidence.key, m_minConfidence->value()));
    m_correctOnly->setChecked(s.value(kCorrectOnly.key, m_correctOnly->isChecked()));
    m_limit->setValue(s.value(kAttributeLimit.key, m_limit->value()));
    m_steps->setValue(s.value(kIgSteps.key, m_steps->value()));
    selectSetting(kIgScope, m_scope, s.value(kIgScope.key, std::string()));
    selectSetting(kIgTarget, m_target, s.value(kIgTarget.key, std::string()));
    selectSetting(kPreset, m_preset, s.value(kPreset.key, std::string()));
    if (s.contains(kNeuronScore.key)) {
        // The scores are read with this score when opened. A session from another version may
        // name one this version does not know: the panel keeps its own.
        const QSignalBlocker a(m_score), b(m_perQuestion), c(m_perLayer);
        try {
            const auto spec = parseScoreSpec(s.value(kNeuronScore.key, std::string()));
            m_score->setCurrentText(QString::fromLatin1(kNeuronScore.nameOf(spec.score)));
            m_perQuestion->setChecked(spec.perQuestion);
            m_perLayer->setChecked(spec.perLayer);
        } catch (const Error&) {
        }
    }
    m_scale->setCurrentIndex(std::clamp(s.value("scale", 2), 0, 2));
    {
        const double range = s.value("colour_range", kColorRanges[kDefaultColorRangeIndex]);
        const auto at = std::find(kColorRanges.begin(), kColorRanges.end(), range);
        m_range->setCurrentIndex(at == kColorRanges.end() ? kDefaultColorRangeIndex : int(at - kColorRanges.begin()));
    }
    m_order->setCurrentIndex(std::clamp(s.value("order", 0), 0, 1));
    if (!text("dataset").isEmpty() && m_dataset->findText(text("dataset")) >= 0) {
        m_dataset->setCurrentText(text("dataset"));
    }
}

}  // namespace prunescope::ui
