#include "ui/panels/selection_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

#include "core/util/error.h"
#include "ui/common/export_actions.h"
#include "ui/common/format.h"
#include "ui/common/neuron_selection.h"
#include "ui/session/session_settings.h"
#include "ui/views/bar_chart_view.h"
#include "ui/views/heatmap_view.h"
#include "ui/worker/engine.h"

namespace prunescope::ui {
namespace {

static_assert(settings::kSelectRule.choices.size() == 6, "one Rule item per core rule");

bool isPercentRule(SelectRule r) {
    return r == SelectRule::GlobalTopPercent || r == SelectRule::PerLayerTopPercent ||
           r == SelectRule::LayerTopPercent || r == SelectRule::LargestLayerTopPercent;
}

}  // namespace

SelectionPanel::SelectionPanel(Engine& engine, QWidget* parent) : QWidget(parent), m_engine(engine) {
    auto* layout = new QHBoxLayout(this);
    auto* controls = new QVBoxLayout;
    auto* ruleBox = new QGroupBox(tr("Rule"), this);
    auto* form = new QFormLayout(ruleBox);
    m_rule = new QComboBox(ruleBox);
    // One item per core rule, in settings::kSelectRule's order (the session stores the name).
    m_rule->addItems({tr("Global top-p %"), tr("Per-layer top-p %"), tr("Single-layer top-p %"),
                      tr("Absolute threshold"), tr("Fraction of the maximum"), tr("Top-p % of the largest layer")});
    for (int i = 0; i < m_rule->count(); ++i)
        m_rule->setItemData(i, QString::fromUtf8(settings::kSelectRule.choices[size_t(i)].help), Qt::ToolTipRole);
    m_slider = new QSlider(Qt::Horizontal, ruleBox);
    m_slider->setRange(0, kSliderSteps);
    m_value = new QDoubleSpinBox(ruleBox);
    m_layer = new QSpinBox(ruleBox);
    m_cap = new QSpinBox(ruleBox);
    m_cap->setRange(0, 1000000);
    m_cap->setSpecialValueText(tr("no cap"));
    // One item per settings::kPrunePositions choice, in its order (the session stores the name).
    m_positions = new QComboBox(ruleBox);
    m_positions->addItems({tr("Every position"), tr("The answer position only")});
    static_assert(settings::kPrunePositions.choices.size() == 2, "one Prune-at item per core choice");
    for (int i = 0; i < m_positions->count(); ++i) {
        m_positions->setItemData(i, QString::fromUtf8(settings::kPrunePositions.choices[size_t(i)].help),
                                 Qt::ToolTipRole);
    }
    m_positions->setToolTip(QString::fromUtf8(settings::kPrunePositions.help));
    form->addRow(tr("Rule:"), m_rule);
    form->addRow(tr("Value:"), m_value);
    form->addRow(QString(), m_slider);
    form->addRow(tr("Layer:"), m_layer);
    form->addRow(tr("At most per layer:"), m_cap);
    form->addRow(tr("Prune at:"), m_positions);
    controls->addWidget(ruleBox);
    m_info = new QLabel(this);
    m_info->setWordWrap(true);
    controls->addWidget(m_info);

    auto* previewBox = new QGroupBox(tr("Ablation preview"), this);
    auto* previewLayout = new QVBoxLayout(previewBox);
    m_autoPreview = new QCheckBox(tr("Recompute after each change"), previewBox);
    m_autoPreview->setChecked(true);
    m_previewAll = new QCheckBox(tr("Also the test and OOD sets"), previewBox);
    m_previewAll->setObjectName(QStringLiteral("previewAllSets"));
    m_previewAll->setToolTip(
        tr("Score the test and OOD sets with the mask too (each also once without it, unless "
           "it is scored): a look at what pruning alone does out of distribution."));
    m_previewLabel = new QLabel(previewBox);
    m_previewLabel->setWordWrap(true);
    auto* previewButton = new QPushButton(tr("Preview Now (F7)"), previewBox);
    previewLayout->addWidget(m_autoPreview);
    previewLayout->addWidget(m_previewAll);
    previewLayout->addWidget(m_previewLabel);
    previewLayout->addWidget(previewButton);
    controls->addWidget(previewBox);

    auto* fileButtons = new QHBoxLayout;
    auto* save = new QPushButton(tr("Save Mask…"), this);
    auto* open = new QPushButton(tr("Open Mask…"), this);
    fileButtons->addWidget(save);
    fileButtons->addWidget(open);
    controls->addLayout(fileButtons);
    controls->addStretch(1);
    layout->addLayout(controls, 1);

    auto* splitter = new QSplitter(Qt::Vertical, this);
    m_counts = new BarChartView(splitter);
    m_counts->setValueLabel(tr("neurons to prune"));
    m_counts->setCategoryLabel(tr("layer"));
    m_counts->setEmptyText(
        tr("No selection yet: the neurons to prune per layer appear here once there are "
           "neuron scores (Attribute, or open an attributions file)."));
    addPlotExportMenu(m_counts, QStringLiteral("pruned-per-layer"));
    m_heatmap = new HeatmapView(splitter);
    m_heatmap->setColorScale(HeatmapScale::Signed);
    m_heatmap->setEmptyText(tr("No neuron scores yet."));
    addPlotExportMenu(m_heatmap, QStringLiteral("selection-heatmap"));
    splitter->addWidget(m_counts);
    splitter->addWidget(m_heatmap);
    layout->addWidget(splitter, 3);

    m_recomputeTimer.setSingleShot(true);
    m_recomputeTimer.setInterval(0);  // coalesce a burst of slider moves into one selection
    m_previewTimer.setSingleShot(true);
    m_previewTimer.setInterval(kPreviewDelayMs);
    connect(&m_recomputeTimer, &QTimer::timeout, this, &SelectionPanel::recompute);
    connect(&m_previewTimer, &QTimer::timeout, this, &SelectionPanel::previewNow);
    connect(m_rule, &QComboBox::currentIndexChanged, this, &SelectionPanel::onRuleChanged);
    connect(m_value, &QDoubleSpinBox::valueChanged, this, &SelectionPanel::onSpinChanged);
    connect(m_slider, &QSlider::valueChanged, this, &SelectionPanel::onSliderMoved);
    connect(m_layer, &QSpinBox::valueChanged, this, [this] {
        m_loaded.reset();
        scheduleRecompute();
    });
    connect(m_cap, &QSpinBox::valueChanged, this, [this] {
        m_loaded.reset();
        scheduleRecompute();
    });
    connect(m_positions, &QComboBox::currentIndexChanged, this, &SelectionPanel::scheduleRecompute);
    connect(m_autoPreview, &QCheckBox::toggled, this, &SelectionPanel::setAutoPreview);
    connect(previewButton, &QPushButton::clicked, this, &SelectionPanel::previewNow);
    connect(save, &QPushButton::clicked, this, [this] {
        const QString file = askSavePath(this, tr("Save Mask"), QStringLiteral("mask.json"), tr("Mask (*.json)"));
        QString error;
        if (!file.isEmpty() && !saveMask(file, &error)) QMessageBox::warning(this, tr("Save failed"), error);
    });
    connect(open, &QPushButton::clicked, this, [this] {
        const QString file =
            QFileDialog::getOpenFileName(this, tr("Open Mask"), startFolder(kLastExportFolder), tr("Mask (*.json)"));
        QString error;
        if (!file.isEmpty() && !openMask(file, &error)) QMessageBox::warning(this, tr("Open failed"), error);
    });
    connect(&m_engine, &Engine::neuronScoresChanged, this, &SelectionPanel::onScores);
    connect(&m_engine, &Engine::taskStarted, this, [this](Task task) {
        if (task == Task::Preview) {
            m_previewRunning = true;
            showPreviewState();
        }
    });
    connect(&m_engine, &Engine::taskFinished, this, [this](Task task) {
        if (task == Task::Preview) {
            m_previewRunning = false;
            showPreviewState();
        }
    });
    connect(&m_engine, &Engine::previewFinished, this, [this](const PreviewResult& r) {
        if (r.generation != m_previewGeneration) return;  // a newer preview was asked for
        m_preview = r;
        if (m_autoPreview->isChecked() && r.seconds > kAutoPreviewMaxSeconds) {
            setAutoPreview(false);
            m_autoOffReason = tr("The last preview took %1, so it is no longer recomputed after each change.")
                                  .arg(formatDuration(r.seconds));
        }
        showPreviewState();
    });
    connect(&m_engine, &Engine::modelChanged, this, [this](const ModelCard& card) {
        if (m_autoPreview->isChecked() && card.parameters > kAutoPreviewMaxParameters) {
            setAutoPreview(false);
            m_autoOffReason = tr("Not recomputed after each change for a model of %1 parameters (each preview "
                                 "scores the validation split).")
                                  .arg(formatCount(card.parameters));
        }
        showPreviewState();
    });
    connect(m_autoPreview, &QCheckBox::toggled, this, [this] {
        m_autoOffReason.clear();  // the user's own choice now
        showPreviewState();
    });
    onRuleChanged();
}

SelectionSpec SelectionPanel::spec() const {
    SelectionSpec s;
    s.rule = SelectRule(m_rule->currentIndex());
    s.layer = m_layer->value();
    s.perLayerCap = m_cap->value();
    s.positions = settings::kPrunePositions.choices[size_t(m_positions->currentIndex())].value;
    if (isPercentRule(s.rule)) s.percent = m_value->value();
    if (s.rule == SelectRule::Absolute) s.threshold = m_value->value();
    if (s.rule == SelectRule::FractionOfMax) s.fraction = m_value->value();
    return s;
}

void SelectionPanel::setRule(SelectRule rule) {
    m_rule->setCurrentIndex(int(rule));
}
void SelectionPanel::setValue(double value) {
    m_value->setValue(value);
}
double SelectionPanel::value() const {
    return m_value->value();
}
void SelectionPanel::setSliderPosition(int position) {
    m_slider->setValue(position);
}

double SelectionPanel::sliderToValue(int position) const {
    const double t = double(position) / kSliderSteps;
    const auto rule = SelectRule(m_rule->currentIndex());
    if (isPercentRule(rule)) return 100.0 * t * t;  // finer steps at the small percentages used
    if (rule == SelectRule::Absolute) return m_minScore + t * (m_maxScore - m_minScore);
    return t;
}

int SelectionPanel::valueToSlider(double value) const {
    const auto rule = SelectRule(m_rule->currentIndex());
    double t = value;
    if (isPercentRule(rule)) t = std::sqrt(std::max(0.0, value) / 100.0);
    if (rule == SelectRule::Absolute) {
        t = m_maxScore > m_minScore ? (value - m_minScore) / double(m_maxScore - m_minScore) : 0.0;
    }
    return int(std::lround(std::clamp(t, 0.0, 1.0) * kSliderSteps));
}

void SelectionPanel::updateRanges() {
    const QSignalBlocker block(m_value);
    const auto rule = SelectRule(m_rule->currentIndex());
    if (isPercentRule(rule)) {
        m_value->setRange(0.0, 100.0);
        m_value->setDecimals(2);
        m_value->setSingleStep(0.1);
        m_value->setSuffix(tr(" %"));
    } else if (rule == SelectRule::Absolute) {
        // Enough decimals to resolve 1/10 000 of the score range (IG scores are often ~1e-3).
        const double span = std::max(1e-12, double(m_maxScore - m_minScore));
        m_value->setDecimals(std::clamp(int(std::ceil(-std::log10(span))) + 4, 2, 12));
        m_value->setRange(m_minScore, m_maxScore);
        m_value->setSingleStep(double(m_maxScore - m_minScore) / 100.0);
        m_value->setSuffix(QString());
    } else {
        m_value->setRange(0.0, 1.0);
        m_value->setDecimals(3);
        m_value->setSingleStep(0.01);
        m_value->setSuffix(QString());
    }
    m_layer->setEnabled(rule == SelectRule::LayerTopPercent);
    m_layer->setRange(0, std::max(0, m_scores.nLayer - 1));
}

void SelectionPanel::onRuleChanged() {
    m_loaded.reset();
    updateRanges();
    const auto rule = SelectRule(m_rule->currentIndex());
    m_updating = true;
    if (isPercentRule(rule))
        m_value->setValue(settings::kPrunePercent.value);
    else if (rule == SelectRule::Absolute)
        m_value->setValue(m_minScore + 0.9 * (m_maxScore - m_minScore));
    else
        m_value->setValue(settings::kFractionOfMax.value);
    m_slider->setValue(valueToSlider(m_value->value()));
    m_updating = false;
    scheduleRecompute();
    emit settingsChanged();
}

void SelectionPanel::onSpinChanged(double value) {
    if (m_updating) return;
    m_loaded.reset();
    m_updating = true;
    m_slider->setValue(valueToSlider(value));
    m_updating = false;
    scheduleRecompute();
    emit settingsChanged();
}

void SelectionPanel::onSliderMoved(int position) {
    if (m_updating) return;
    m_loaded.reset();
    m_updating = true;
    m_value->setValue(sliderToValue(position));
    m_updating = false;
    scheduleRecompute();
    emit settingsChanged();
}

void SelectionPanel::onScores(const NeuronScores& scores) {
    const bool newShape = scores.nLayer != m_scores.nLayer || scores.nNeuron != m_scores.nNeuron;
    m_scores = scores;
    if (!scores.values.empty()) {
        auto [lo, hi] = std::minmax_element(scores.values.begin(), scores.values.end());
        m_minScore = *lo;
        m_maxScore = *hi;
    }
    if (newShape || !m_heatmap->updateScores(scores.values)) {
        m_heatmap->setScores(scores.nLayer, scores.nNeuron, scores.values);
    }
    const double keep = m_value->value();
    updateRanges();
    m_updating = true;
    m_value->setValue(keep);
    m_slider->setValue(valueToSlider(m_value->value()));
    m_updating = false;
    if (scores.final) m_preview.reset();
    scheduleRecompute();
}

void SelectionPanel::scheduleRecompute() {
    m_recomputeTimer.start();
}

void SelectionPanel::recompute() {
    if (m_scores.values.empty() && !m_loaded) {
        m_mask = NeuronMask();
        m_info->setText(tr("No scores yet: attribute first (or open attributions)."));
        showPreviewState();
        return;
    }
    try {
        m_mask = m_loaded ? *m_loaded
                          : selectFromScores(m_scores.values, m_scores.nLayer, m_scores.nNeuron, spec(),
                                             m_scores.layerTotals);
        m_mask.positions = spec().positions;  // (a mask opened from a file sets the combo box when opened)
    } catch (const std::exception& e) {
        m_mask = NeuronMask(m_scores.nLayer, m_scores.nNeuron);
        m_info->setText(tr("Cannot select: %1").arg(QString::fromUtf8(e.what())));
        return;
    }
    const auto counts = m_mask.perLayerCounts();
    QStringList layers;
    std::vector<std::vector<double>> values;
    for (size_t l = 0; l < counts.size(); ++l) {
        layers << QString::number(l);
        values.push_back({double(counts[l])});
    }
    m_counts->setData(layers, {tr("neurons")}, values);
    const auto flat = m_mask.flat();
    if (flat.size() == m_scores.values.size()) m_heatmap->setSelection(flat);
    const int64_t total = m_mask.nLayer * m_mask.nNeuron;
    const auto& selection = m_mask.meta.value("selection", nlohmann::json::object());
    const QString chosen = selection.contains("chosen_layer")
                               ? tr(" in layer %1, the largest total").arg(selection["chosen_layer"].get<int>())
                               : QString();
    // Which statistic ranks the neurons: the Attribute panel's Score (a mask from a file keeps its own).
    const QString rankedBy = m_loaded || m_scores.scoreName.isEmpty()
                                 ? QString()
                                 : tr(", ranked by %1 (the Attribute panel's Score)").arg(m_scores.scoreName);
    m_info->setText(tr("<b>%1</b> neuron(s) selected of %2 (%3)%4%5%6%7")
                        .arg(m_mask.count())
                        .arg(total)
                        .arg(formatPercent(total > 0 ? double(m_mask.count()) / double(total) : 0.0, 2))
                        .arg(chosen)
                        .arg(rankedBy)
                        .arg(m_mask.bakeable() ? QString() : tr(", pruned at the answer position only"))
                        .arg(m_loaded ? tr(" — from %1").arg(QFileInfo(m_loadedFile).fileName()) : QString()));
    emit selectionChanged(m_mask);
    if (m_autoPreview->isChecked() && m_scores.final && m_engine.hasModel()) m_previewTimer.start();
    showPreviewState();
}

void SelectionPanel::previewNow() {
    m_previewTimer.stop();
    if (m_mask.nLayer == 0) return;
    m_previewGeneration = m_engine.requestPreview(m_mask, m_previewAll->isChecked());
    showPreviewState();
}

bool SelectionPanel::autoPreview() const {
    return m_autoPreview->isChecked();
}

void SelectionPanel::setAutoPreview(bool on) {
    m_autoPreview->setChecked(on);
    if (!on) m_previewTimer.stop();
}

QString SelectionPanel::previewText() const {
    return m_previewLabel->text();
}

void SelectionPanel::showPreviewState() {
    QString text;
    if (m_preview) {
        const auto& p = *m_preview;
        text = tr("Validation accuracy on %1 (%2 questions):<br>without the mask <b>%3</b>, with %4 neuron(s) "
                  "pruned <b>%5</b> (%6%7 points)")
                   .arg(p.dataset)
                   .arg(p.questions)
                   .arg(formatPercent(p.baseAccuracy))
                   .arg(p.pruned)
                   .arg(formatPercent(p.maskedAccuracy))
                   .arg(p.maskedAccuracy >= p.baseAccuracy ? QStringLiteral("+") : QString())
                   .arg((p.maskedAccuracy - p.baseAccuracy) * 100.0, 0, 'f', 1);
        for (const auto& o : p.others) {
            text += tr("<br>%1 (%2, %3 questions): <b>%4</b> → <b>%5</b> (%6%7 points)")
                        .arg(o.dataset, o.role)
                        .arg(o.questions)
                        .arg(formatPercent(o.baseAccuracy), formatPercent(o.maskedAccuracy))
                        .arg(o.maskedAccuracy >= o.baseAccuracy ? QStringLiteral("+") : QString())
                        .arg((o.maskedAccuracy - o.baseAccuracy) * 100.0, 0, 'f', 1);
        }
        if (p.generation != m_previewGeneration) text += tr("<br><i>(for an earlier selection)</i>");
    } else {
        text = tr("<i>No preview yet.</i>");
    }
    if (m_previewRunning || m_previewTimer.isActive()) text += tr("<br><i>Recomputing…</i>");
    if (!m_autoOffReason.isEmpty())
        text += QStringLiteral("<br><i>%1 Press Preview Now (F7).</i>").arg(m_autoOffReason);
    m_previewLabel->setText(text);
}

bool SelectionPanel::saveMask(const QString& file, QString* error) const {
    try {
        writeMask(file.toStdString(), m_mask);
        return true;
    } catch (const std::exception& e) {
        if (error) *error = QString::fromUtf8(e.what());
        return false;
    }
}

bool SelectionPanel::openMask(const QString& file, QString* error) {
    try {
        auto mask = readMask(file.toStdString());
        if (!m_scores.values.empty()) checkMaskFits(mask, m_scores.nLayer, m_scores.nNeuron, file.toStdString());
        m_positions->setCurrentIndex(mask.positions == HookPositions::Last ? 1 : 0);
        m_loaded = std::move(mask);
        m_loadedFile = file;
        recompute();
        return true;
    } catch (const std::exception& e) {
        if (error) *error = QString::fromUtf8(e.what());
        return false;
    }
}

nlohmann::json SelectionPanel::settings() const {
    auto s = spec().toJson();
    s["auto_preview"] = m_autoPreview->isChecked();
    s["preview_all_sets"] = m_previewAll->isChecked();
    s["value"] = m_value->value();
    return s;
}

void SelectionPanel::applySettings(const nlohmann::json& s) {
    if (!s.is_object()) return;
    // The rule by name (spec().toJson()); sessions written before named it by the combo's index.
    int rule = std::clamp(s.value("rule_index", 0), 0, m_rule->count() - 1);
    if (s.contains("rule") && s["rule"].is_string()) {
        try {
            rule = int(parseSelectRule(s["rule"].get<std::string>()));
        } catch (const Error&) {
        }
    }
    m_rule->setCurrentIndex(rule);
    m_layer->setValue(int(s.value("layer", 0)));
    m_cap->setValue(int(s.value("per_layer_cap", 0)));
    int positions = 0;
    const char* positionsKey = settings::kPrunePositions.key;
    if (s.contains(positionsKey) && s[positionsKey].is_string()) {
        try {
            positions = settings::kPrunePositions.parse(s[positionsKey].get<std::string>()) == HookPositions::Last;
        } catch (const Error&) {
        }
    }
    m_positions->setCurrentIndex(positions);
    if (s.contains("value") && s["value"].is_number()) setValue(s["value"].get<double>());
    m_autoPreview->setChecked(s.value("auto_preview", true));
    if (s.contains("preview_all_sets") && s["preview_all_sets"].is_boolean())
        m_previewAll->setChecked(s["preview_all_sets"].get<bool>());
}

}  // namespace prunescope::ui
