#include "ui/panels/finetune_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include "ui/common/export_actions.h"
#include "ui/common/format.h"
#include "ui/common/memory_plan_ui.h"
#include "ui/common/setting_widgets.h"
#include "ui/session/session_settings.h"
#include "ui/views/line_chart_view.h"
#include "ui/worker/engine.h"

namespace prunescope::ui {

FinetunePanel::FinetunePanel(Engine& engine, QWidget* parent) : QWidget(parent), m_engine(engine) {
    auto* layout = new QHBoxLayout(this);
    auto* left = new QVBoxLayout;
    auto* box = new QGroupBox(tr("Settings"), this);
    auto* form = new QFormLayout(box);
    m_arm = new QComboBox(box);
    m_arm->addItems(
        {QStringLiteral("plain"), QStringLiteral("ig"), QStringLiteral("random"), QStringLiteral("magnitude")});
    using namespace settings;
    m_seed = settingSpinBox(kTrainSeed, box);
    m_epochs = settingSpinBox(kEpochs, box);
    m_maxSteps = settingSpinBox(kMaxSteps, box);
    m_maxSteps->setSpecialValueText(tr("no limit"));
    m_lr = settingSpinBox(kLearningRate, box, 7, 1e-5);
    m_batch = settingSpinBox(kTrainBatchSize, box);
    m_gradAccum = settingSpinBox(kGradAccum, box);
    m_trainable = new QComboBox(box);
    m_trainable->setEditable(true);
    m_trainable->addItems(
        {QStringLiteral("all"), QStringLiteral("ffn"), QStringLiteral("last:1"), QStringLiteral("last:2")});
    m_lora = settingSpinBox(kLoraRank, box);
    m_lora->setSpecialValueText(tr("off (full fine-tuning)"));
    m_lora->setToolTip(
        tr("Train rank-R LoRA adapters on the frozen model (16 is usual for 7B models); "
           "pruned neurons stay pruned, the adapters are merged at the end"));
    m_checkpoint = new QCheckBox(tr("Recompute activations (less memory, ~1.3x the time)"), box);
    m_schedule = new QComboBox(box);
    m_schedule->addItems({QStringLiteral("cosine"), QStringLiteral("linear"), QStringLiteral("constant")});
    m_warmup = settingSpinBox(kWarmupFraction, box, 2, 0.05);
    m_weightDecay = settingSpinBox(kWeightDecay, box, 4, 0.01);
    m_evalEvery = settingSpinBox(kEvalEvery, box);
    m_evalEvery->setSpecialValueText(tr("at the end"));
    form->addRow(tr("Arm:"), m_arm);
    m_armHint = new QLabel(box);
    m_armHint->setWordWrap(true);
    form->addRow(QString(), m_armHint);
    form->addRow(tr("Seed:"), m_seed);
    form->addRow(tr("Epochs:"), m_epochs);
    form->addRow(tr("Max steps:"), m_maxSteps);
    form->addRow(tr("Learning rate:"), m_lr);
    form->addRow(tr("Batch size:"), m_batch);
    form->addRow(tr("Gradient accumulation:"), m_gradAccum);
    form->addRow(tr("Trainable:"), m_trainable);
    form->addRow(tr("LoRA rank:"), m_lora);
    form->addRow(QString(), m_checkpoint);
    form->addRow(tr("Schedule:"), m_schedule);
    form->addRow(tr("Warm-up fraction:"), m_warmup);
    form->addRow(tr("Weight decay:"), m_weightDecay);
    form->addRow(tr("Validate every (steps):"), m_evalEvery);
    m_saveTo = new QLineEdit(box);
    m_saveTo->setPlaceholderText(tr("not saved"));
    m_saveTo->setToolTip(
        tr("A folder to write the fine-tuned model to, pruning baked in, as a Hugging Face model folder "
           "(the CLI and Transformers load it). Runs queued on Compare are never saved."));
    auto* browse = new QPushButton(tr("Browse…"), box);
    auto* saveRow = new QHBoxLayout;
    saveRow->addWidget(m_saveTo, 1);
    saveRow->addWidget(browse);
    form->addRow(tr("Save model to:"), saveRow);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString dir =
            QFileDialog::getSaveFileName(this, tr("Save the Fine-tuned Model As (a new folder)"),
                                         startPath(kLastModelFolder, QStringLiteral("finetuned-model")));
        if (dir.isEmpty()) return;
        kLastModelFolder.set(QFileInfo(dir).absolutePath());
        m_saveTo->setText(dir);
    });
    left->addWidget(box);
    auto* buttons = new QHBoxLayout;
    m_start = new QPushButton(tr("Start (F8)"), this);
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setEnabled(false);
    buttons->addWidget(m_start);
    buttons->addWidget(m_cancel);
    m_plan = new QLabel(this);
    m_plan->setObjectName(QStringLiteral("finetunePlan"));
    buttons->addWidget(m_plan, 1);
    left->addLayout(buttons);
    m_eta = new QLabel(this);
    m_result = new QLabel(this);
    m_result->setWordWrap(true);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);
    left->addWidget(m_eta);
    left->addWidget(m_result);
    left->addStretch(1);
    layout->addLayout(left, 1);

    m_chart = new LineChartView(this);
    m_chart->addSeries(tr("loss"), LineAxis::Left);
    m_chart->addSeries(tr("validation accuracy"), LineAxis::Right);
    m_chart->setAxisLabels(tr("step"), tr("training loss"), tr("validation accuracy"));
    m_chart->setEmptyText(
        tr("No training yet: the loss and the validation accuracy appear here, step by step, "
           "when a run starts."));
    addPlotExportMenu(m_chart, QStringLiteral("training-curves"));
    layout->addWidget(m_chart, 3);

    connect(m_start, &QPushButton::clicked, this, &FinetunePanel::start);
    connect(m_cancel, &QPushButton::clicked, &m_engine, &Engine::cancel);
    connect(m_arm, &QComboBox::currentTextChanged, this, &FinetunePanel::updateArmHint);
    connect(&m_engine, &Engine::trainPointChanged, this, &FinetunePanel::onPoint);
    connect(&m_engine, &Engine::finetuneFinished, this, &FinetunePanel::onFinished);
    connect(&m_engine, &Engine::taskStarted, this, [this](Task t) {
        if (t == Task::Finetune) m_cancel->setEnabled(true);
    });
    connect(&m_engine, &Engine::taskFinished, this, [this](Task t) {
        if (t == Task::Finetune) m_cancel->setEnabled(false);
    });
    for (auto* s : {m_seed, m_epochs, m_maxSteps, m_batch, m_gradAccum, m_evalEvery, m_lora})
        connect(s, &QSpinBox::valueChanged, this, &FinetunePanel::settingsChanged);
    connect(m_checkpoint, &QCheckBox::toggled, this, &FinetunePanel::settingsChanged);
    for (auto* s : {m_batch, m_lora}) connect(s, &QSpinBox::valueChanged, this, &FinetunePanel::updatePlan);
    connect(m_checkpoint, &QCheckBox::toggled, this, &FinetunePanel::updatePlan);
    connect(m_trainable, &QComboBox::currentTextChanged, this, &FinetunePanel::updatePlan);
    connect(&m_engine, &Engine::modelChanged, this, &FinetunePanel::updatePlan);
    connect(&m_engine, &Engine::promptLengthsChanged, this, &FinetunePanel::updatePlan);
    connect(&m_engine, &Engine::taskFinished, this, &FinetunePanel::updatePlan);  // free memory moved
    updateArmHint();
    updatePlan();
}

FinetuneRequest FinetunePanel::request(const QString& arm, int seed) const {
    FinetuneRequest r;
    r.arm = arm.isEmpty() ? m_arm->currentText() : arm;
    r.seed = seed < 0 ? m_seed->value() : seed;
    r.selection = m_selection;
    auto& s = r.settings;
    s.epochs = m_epochs->value();
    s.maxSteps = m_maxSteps->value();
    s.lr = m_lr->value();
    s.batchSize = m_batch->value();
    s.gradAccum = m_gradAccum->value();
    s.trainable = m_trainable->currentText().toStdString();
    s.lora.rank = m_lora->value();
    s.checkpointActivations = m_checkpoint->isChecked();
    s.schedule = m_schedule->currentText().toStdString();
    s.warmupFraction = m_warmup->value();
    s.weightDecay = m_weightDecay->value();
    s.evalEvery = m_evalEvery->value();
    s.seed = uint64_t(r.seed);
    return r;
}

namespace {

// The plan of `s` on the open model (without LoRA when its targets do not fit the model), its
// prompts sized by the sets the worker trains and validates on (the first of each role); `note`:
// how they were sized.
PlanSettings finetunePlan(const Engine& engine, const FinetuneSettings& s, QString* note = nullptr) {
    PlanSettings plan;
    try {
        plan = finetunePlanSettings(s, engine.model().modelType.toStdString(), true);
    } catch (const std::exception&) {  // targets that do not fit the model: finetune() says so
        auto plain = s;
        plain.lora = {};
        plan = finetunePlanSettings(plain, engine.model().modelType.toStdString(), true);
    }
    QStringList sets;
    for (const QString& role : {QStringLiteral("train"), QStringLiteral("validation")}) {
        const QStringList named = engine.datasetNames({role});
        if (!named.isEmpty()) sets << named.first();
    }
    const QString sized = engine.sizeFromDatasets(plan, sets);
    if (note) *note = sized;
    return plan;
}

}  // namespace

void FinetunePanel::updatePlan() {
    if (!m_engine.hasModel()) {
        m_plan->clear();
        m_plan->setToolTip({});
        return;
    }
    QString note;
    const auto settings = finetunePlan(m_engine, request().settings, &note);
    showPlan(m_plan, m_engine.plan(settings), note);
}

QString FinetunePanel::planText() const {
    return m_plan->text();
}

QString FinetunePanel::planToolTip() const {
    return m_plan->toolTip();
}

void FinetunePanel::start() {
    auto r = request();
    if (m_engine.hasModel() &&
        !confirmPlan(this, m_engine.plan(finetunePlan(m_engine, r.settings)), tr("Fine-tuning"))) {
        return;
    }
    r.saveTo = saveTo();
    if (!r.saveTo.isEmpty() && QFileInfo::exists(r.saveTo) &&
        QMessageBox::question(this, tr("Fine-tuning"),
                              tr("%1 exists. Replace it with the fine-tuned model when the run ends?").arg(r.saveTo),
                              QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel) != QMessageBox::Yes) {
        return;
    }
    m_runLabel = QStringLiteral("%1 seed %2").arg(r.arm).arg(r.seed);
    m_chart->clear();
    m_chart->addSeries(tr("loss"), LineAxis::Left);
    m_chart->addSeries(tr("validation accuracy"), LineAxis::Right);
    m_points = 0;
    m_eta->setText(tr("Waiting for the engine…"));
    m_engine.finetune(r);
}

void FinetunePanel::setArm(const QString& arm) {
    m_arm->setCurrentText(arm);
}
void FinetunePanel::setEpochs(int epochs) {
    m_epochs->setValue(epochs);
}
void FinetunePanel::setMaxSteps(int steps) {
    m_maxSteps->setValue(steps);
}
void FinetunePanel::setEvalEvery(int steps) {
    m_evalEvery->setValue(steps);
}
void FinetunePanel::setSaveTo(const QString& folder) {
    m_saveTo->setText(folder);
}
QString FinetunePanel::saveTo() const {
    return m_saveTo->text().trimmed();
}
QString FinetunePanel::etaText() const {
    return m_eta->text();
}
QString FinetunePanel::resultText() const {
    return m_result->text();
}

void FinetunePanel::onPoint(const TrainPointValue& p) {
    if (p.runLabel != m_runLabel) {  // a run queued from elsewhere (Compare): follow it
        m_runLabel = p.runLabel;
        m_chart->clear();
        m_chart->addSeries(tr("loss"), LineAxis::Left);
        m_chart->addSeries(tr("validation accuracy"), LineAxis::Right);
        m_points = 0;
    }
    ++m_points;
    m_chart->addPoint(tr("loss"), double(p.step), p.loss);
    if (p.validationAccuracy >= 0) m_chart->addPoint(tr("validation accuracy"), double(p.step), p.validationAccuracy);
    m_eta->setText(tr("%1: step %2 of %3, loss %4, learning rate %5 — ETA %6")
                       .arg(p.runLabel)
                       .arg(p.step)
                       .arg(p.totalSteps)
                       .arg(p.loss, 0, 'f', 4)
                       .arg(p.lr, 0, 'g', 3)
                       .arg(formatDuration(p.etaSeconds)));
}

void FinetunePanel::onFinished(const RunResult& r) {
    QStringList lines;
    lines << tr("<b>%1 seed %2</b>: %3 step(s), %4 neuron(s) pruned, best validation accuracy %5")
                 .arg(r.arm)
                 .arg(r.seed)
                 .arg(r.steps)
                 .arg(r.pruned)
                 .arg(r.bestValidationAccuracy >= 0 ? formatPercent(r.bestValidationAccuracy) : tr("—"));
    for (size_t i = 0; i < r.results.size(); ++i) {
        const double base = i < r.base.size() ? r.base[i].accuracy : -1;
        lines << tr("%1 (%2): %3 (base %4)")
                     .arg(r.results[i].dataset, r.results[i].kind, formatPercent(r.results[i].accuracy),
                          base >= 0 ? formatPercent(base) : tr("—"));
    }
    if (!r.savedTo.isEmpty()) {
        lines << tr("Saved to %1 (loaded back: largest logit difference %2)")
                     .arg(r.savedTo.toHtmlEscaped())
                     .arg(r.savedLogitDiff, 0, 'g', 3);
        if (!r.maskInWeights) {
            lines << tr(
                "The mask prunes at the answer position only, which weights cannot express: it is in "
                "mask.json beside them (prunescope-cli eval --mask).");
        }
    }
    m_result->setText(lines.join(QStringLiteral("<br>")));
    m_eta->setText(tr("Finished %1 seed %2.").arg(r.arm).arg(r.seed));
}

void FinetunePanel::updateArmHint() {
    const QString arm = m_arm->currentText();
    if (arm == QLatin1String("plain")) {
        m_armHint->setText(tr("Fine-tune the whole model, nothing pruned."));
    } else {
        const QString what = arm == QLatin1String("ig") ? tr("the selected neurons")
                             : arm == QLatin1String("random")
                                 ? tr("random neurons, as many per layer as selected")
                                 : tr("the most active neurons, as many per layer as selected");
        m_armHint->setText(tr("Prune %1 (%2 now), then fine-tune.").arg(what).arg(m_selection.count()));
    }
}

nlohmann::json FinetunePanel::settings() const {
    const auto r = request();
    return {{"arm", r.arm.toStdString()}, {"seed", r.seed}, {"finetune", r.settings.toJson()}};
}

void FinetunePanel::applySettings(const nlohmann::json& s) {
    if (!s.is_object()) return;
    try {
        const auto f =
            FinetuneSettings::fromJson(s.value("finetune", nlohmann::json::object()), "session settings.finetune");
        m_epochs->setValue(int(f.epochs));
        m_maxSteps->setValue(int(f.maxSteps));
        m_lr->setValue(f.lr);
        m_batch->setValue(int(f.batchSize));
        m_gradAccum->setValue(int(f.gradAccum));
        m_trainable->setCurrentText(QString::fromStdString(f.trainable));
        m_schedule->setCurrentText(QString::fromStdString(f.schedule));
        m_warmup->setValue(f.warmupFraction);
        m_weightDecay->setValue(f.weightDecay);
        m_evalEvery->setValue(int(f.evalEvery));
        m_lora->setValue(int(f.lora.rank));
        m_checkpoint->setChecked(f.checkpointActivations);
    } catch (const std::exception&) {
        // keep the form as it is: the session's fine-tuning settings are not usable
    }
    if (s.contains("arm") && s["arm"].is_string())
        m_arm->setCurrentText(QString::fromStdString(s["arm"].get<std::string>()));
    m_seed->setValue(s.value(settings::kTrainSeed.key, m_seed->value()));
}

}  // namespace prunescope::ui
