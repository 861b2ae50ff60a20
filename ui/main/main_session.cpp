// MainWindow: sessions (what is saved, how a session is reopened) and the built-in demo.
#include <QDir>
#include <QFileInfo>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>

#include <memory>

#include "core/attribution/attribution_run.h"
#include "core/demo/demo.h"
#include "core/prune/neuron_mask.h"
#include "ui/main/main_window.h"

#include "core/attribution/attribution_run.h"
#include "ui/panels/attribution_panel.h"
#include "ui/panels/compare_panel.h"
#include "ui/panels/finetune_panel.h"
#include "ui/panels/model_panel.h"
#include "ui/panels/score_panel.h"
#include "ui/panels/selection_panel.h"
#include "ui/session/session_controller.h"
#include "ui/session/session_settings.h"
#include "ui/views/heatmap_view.h"
#include "ui/worker/engine.h"

namespace prunescope::ui {

Session MainWindow::collectSession(const QString& resultsDir) {
    Session s;
    s.model = m_engine->model().dir;
    for (const auto& d : m_engine->datasets()) {
        if (d.role == QLatin1String("validation")) continue;  // the train file's split, re-made on load
        s.datasets.push_back({d.path, d.role, QStringLiteral("auto"), d.name});
    }
    s.attributions = m_attributionPanel->attributionFile();
    s.reference = m_referenceFile;
    const QDir dir(resultsDir);
    if (m_selectionPanel->mask().count() > 0) {
        const QString mask = dir.filePath(QStringLiteral("mask.json"));
        QString error;
        if (m_selectionPanel->saveMask(mask, &error)) s.mask = mask;
    }
    // Every report the Compare panel holds: the one shown as report.json, the others as
    // report-2.json, report-3.json, ... in the panel's order.
    for (int i = 0, other = 2; i < m_comparePanel->reportCount(); ++i) {
        const bool shown = i == m_comparePanel->currentReport();
        const QString report =
            dir.filePath(shown ? QStringLiteral("report.json") : QStringLiteral("report-%1.json").arg(other++));
        if (!m_comparePanel->saveReport(i, report)) continue;
        if (shown) {
            s.report = report;
        } else {
            s.otherReports << report;
        }
    }
    s.settings = {
        {"score", m_scorePanel->settings()},         {"attribution", m_attributionPanel->settings()},
        {"selection", m_selectionPanel->settings()}, {"finetune", m_finetunePanel->settings()},
        {"split_seed", m_engine->splitSeed()},       {"tokenizer_sample", m_modelPanel->tokenizerText().toStdString()}};
    const PromptChoice& prompt = m_engine->prompt();
    if (prompt != PromptChoice{}) {
        s.settings["prompt"] = {{"template", prompt.text.toStdString()},
                                {"option_template", prompt.option.toStdString()}};
        if (!prompt.preset.isEmpty()) s.settings["prompt"]["task_preset"] = prompt.preset.toStdString();
        if (!prompt.scoring.isEmpty()) s.settings["prompt"]["scoring"] = prompt.scoring.toStdString();
    }
    return s;
}

// The pipeline's experiment config for this session. Key names follow ExperimentConfig's fields;
// they must match parseExperimentConfig (docs/experiments.md) once it is implemented.
std::optional<std::pair<nlohmann::json, QString>> MainWindow::experimentConfig() {
    const Session s = collectSession(m_session->resultsDir());
    if (s.model.isEmpty()) {
        showError(tr("Run Full Experiment"), tr("Open a model first."), {});
        return std::nullopt;
    }
    auto ref = [](const SessionDataset& d, const char* split) {
        return nlohmann::json{
            {"name", (d.name.isEmpty() ? QFileInfo(d.path).completeBaseName() : d.name).toStdString()},
            {"file", d.path.toStdString()},
            {"format", d.format.toStdString()},
            {"split", split}};
    };
    nlohmann::json config = {{"model", s.model.toStdString()}, {"ood", nlohmann::json::array()}};
    for (const auto& d : s.datasets) {
        if (d.role == QLatin1String("train")) {
            config["train"] = ref(d, "train");
            config["validation"] = ref(d, "validation");
            if (!config.contains("test")) config["test"] = ref(d, "test");
        } else if (d.role == QLatin1String("test")) {
            config["test"] = ref(d, "all");
        } else {
            config["ood"].push_back(ref(d, "all"));
        }
    }
    if (!config.contains("train")) {
        showError(tr("Run Full Experiment"), tr("Add a training dataset first."), {});
        return std::nullopt;
    }
    const auto attribution = m_attributionPanel->request();
    const auto finetune = m_finetunePanel->request();
    config["split_seed"] = m_engine->splitSeed();
    config["scoring"] = nlohmann::json::object();
    if (!m_engine->promptPreset().isEmpty()) {
        config["scoring"]["task_preset"] = m_engine->promptPreset().toStdString();  // it sets the mode
    } else {
        config["scoring"]["mode"] =
            m_engine->prompt().scoring.isEmpty() ? "letter" : m_engine->prompt().scoring.toStdString();
    }
    if (!m_engine->promptText().isEmpty()) config["scoring"]["template"] = m_engine->promptText().toStdString();
    if (!m_engine->promptOption().isEmpty())
        config["scoring"]["option_template"] = m_engine->promptOption().toStdString();
    config["attribution"] = attributionSettingsJson(attribution.ig, attribution.filter, attribution.topK);
    config["selection"] = m_selectionPanel->spec().toJson();
    config["selection"]["score"] = scoreSpecName(attribution.score);
    config[settings::kPreset.key] = presetName(attribution.preset);
    config["finetune"] = finetune.settings.toJson();
    config["arms"] = {"plain", "ig", "random", "magnitude"};
    config["seeds"] = {0, 1, 2, 3, 4};
    config["out"] = QDir(m_session->resultsDir()).filePath(QStringLiteral("experiment")).toStdString();
    return std::make_pair(config, m_session->resultsDir());
}

void MainWindow::applySession(const Session& s) {
    // The worker runs requests in order: model, datasets, then the attributions that need them.
    m_engine->setSplitSeed(s.settings.value("split_seed", 0));
    const auto prompt = s.settings.value("prompt", nlohmann::json::object());
    const QString preset = QString::fromStdString(prompt.value("task_preset", std::string()));
    m_engine->setPrompt({QString::fromStdString(prompt.value("template", std::string())),
                         QString::fromStdString(prompt.value("option_template", std::string())), preset,
                         QString::fromStdString(prompt.value("scoring", std::string()))});
    m_scorePanel->showPreset(preset);
    for (const auto& name : m_engine->datasetNames()) m_engine->removeDataset(name);
    if (!s.model.isEmpty()) m_engine->loadModel(s.model);
    for (const auto& d : s.datasets) m_engine->loadDataset(d.path, d.role, d.format, d.name);
    const auto panel = [&](const char* key) { return s.settings.value(key, nlohmann::json::object()); };
    m_scorePanel->applySettings(panel("score"));
    m_attributionPanel->applySettings(panel("attribution"));
    m_selectionPanel->applySettings(panel("selection"));
    m_finetunePanel->applySettings(panel("finetune"));
    if (s.settings.contains("tokenizer_sample") && s.settings["tokenizer_sample"].is_string()) {
        m_modelPanel->setTokenizerText(QString::fromStdString(s.settings["tokenizer_sample"].get<std::string>()));
    }
    if (!s.attributions.isEmpty()) m_attributionPanel->openFile(s.attributions);
    QString error;
    if (!s.mask.isEmpty() && !m_selectionPanel->openMask(s.mask, &error)) {
        showError(tr("The session's mask could not be read"), error, {});
    }
    m_comparePanel->clear();
    for (const auto& report : s.otherReports) {  // the shown one last, so that it is shown
        if (!m_comparePanel->openReport(report, &error))
            showError(tr("A session's report could not be read"), error, {});
    }
    if (!s.report.isEmpty() && !m_comparePanel->openReport(s.report, &error)) {
        showError(tr("The session's report could not be read"), error, {});
    }
    if (!setReferenceNeurons(s.reference, &error)) {
        showError(tr("The session's reference neurons could not be read"), error, {});
    }
}

bool MainWindow::setReferenceNeurons(const QString& file, QString* error) {
    m_referenceFile.clear();
    m_reference.clear();
    m_referenceLabel.clear();
    if (!file.isEmpty()) {
        try {
            const auto mask = readMask(file.toStdString());
            m_reference = mask.flat();
            m_referenceFile = file;
            // The demo's truth masks say what they are; any other mask is named by its file.
            m_referenceLabel = mask.meta.contains("truth")
                                   ? tr("true cue neuron (the demo's ground truth)")
                                   : tr("reference neuron (%1)").arg(QFileInfo(file).fileName());
        } catch (const std::exception& e) {
            if (error != nullptr) *error = QString::fromUtf8(e.what());
            applyReference();
            return false;
        }
    }
    applyReference();
    return true;
}

void MainWindow::applyReference() {
    for (auto* heatmap : {m_attributionPanel->heatmap(), m_selectionPanel->heatmap()}) {
        const auto& r = heatmap->raster();
        const bool fits = !m_reference.empty() && m_reference.size() == size_t(r.nLayer()) * size_t(r.nNeuron());
        heatmap->setReference(fits ? m_reference : std::vector<uint8_t>{}, m_referenceLabel);
    }
}

RecoveryChoice MainWindow::askRecovery(const QString& session, const QString& recovery) {
    if (m_options.recoveryPrompt) return m_options.recoveryPrompt(session, recovery);
    if (!m_options.interactive) return RecoveryChoice::Ignore;
    const QString when = QLocale().toString(QFileInfo(recovery).lastModified(), QLocale::ShortFormat);
    QMessageBox box(QMessageBox::Question, tr("Unsaved Changes Found"),
                    session.isEmpty()
                        ? tr("An unsaved session from %1 was kept when Prunescope last closed. Restore it?").arg(when)
                        : tr("%1 has changes from %2 that were never saved to it. Restore them?")
                              .arg(QFileInfo(session).fileName(), when),
                    QMessageBox::NoButton, this);
    box.setInformativeText(tr("Restored changes stay unsaved until you save. The recovery copy is %1.").arg(recovery));
    QPushButton* restore = box.addButton(tr("Restore"), QMessageBox::AcceptRole);
    box.addButton(session.isEmpty() ? tr("Not Now") : tr("Open Saved Version"), QMessageBox::RejectRole);
    QPushButton* discard = box.addButton(tr("Delete the Changes"), QMessageBox::DestructiveRole);
    box.setDefaultButton(restore);
    box.exec();
    const QAbstractButton* clicked = box.clickedButton();
    if (clicked == restore) return RecoveryChoice::Restore;
    if (clicked == discard) return RecoveryChoice::Discard;
    return RecoveryChoice::Ignore;
}

void MainWindow::showSession(const Session& session, bool unsaved) {
    showPanels();
    applySession(session);
    rebuildRecentMenus();
    // The queued loads mark the session changed; when they are done it is as saved (or, restored
    // from a recovery file, unsaved) until the user edits it.
    const auto settle = [this, unsaved] {
        if (unsaved) {
            m_session->markDirty();
        } else {
            m_session->markClean();
        }
    };
    if (!m_engine->busy()) {  // nothing to load (a session without a model or data)
        settle();
        return;
    }
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = connect(m_engine.get(), &Engine::busyChanged, this, [connection, settle](bool busy) {
        if (busy) return;
        disconnect(*connection);
        settle();
    });
}

bool MainWindow::openSession(const QString& file, QString* error) {
    const QString absolute = QFileInfo(file).absoluteFilePath();
    if (const QString recovery = SessionController::pendingRecovery(absolute); !recovery.isEmpty()) {
        switch (askRecovery(absolute, recovery)) {
            case RecoveryChoice::Restore:
                if (auto session = m_session->openRecovered(absolute, error)) {
                    showSession(*session, true);
                    return true;
                }
                return false;
            case RecoveryChoice::Discard: SessionController::discardRecovery(absolute); break;
            case RecoveryChoice::Ignore: break;
        }
    }
    auto session = m_session->open(file, error);
    if (!session) return false;
    showSession(*session, false);
    return true;
}

bool MainWindow::saveSession(const QString& file, QString* error) {
    QString message;
    const bool ok = m_session->save(file, &message);
    if (!ok) {
        if (error)
            *error = message;
        else
            showError(tr("Saving the session failed"), message, {});
    }
    rebuildRecentMenus();
    return ok;
}

void MainWindow::firstStart() {
    if (const QString recovery = SessionController::pendingRecovery({}); !recovery.isEmpty()) {
        const auto choice = askRecovery({}, recovery);
        if (choice == RecoveryChoice::Restore) {
            QString error;
            if (auto session = m_session->openRecovered({}, &error)) {
                showSession(*session, true);
            } else {
                showError(tr("Restoring the unsaved session failed"), error, {});
            }
            return;
        }
        if (choice == RecoveryChoice::Discard) SessionController::discardRecovery({});
    }
}

void MainWindow::tryDemo() {
    const QString session = QString::fromStdString((defaultDemoDir() / "demo.prunescope").string());
    if (QFileInfo::exists(session)) {
        QString error;
        if (!openSession(session, &error)) showError(tr("Opening the demo failed"), error, {});
        return;
    }
    if (m_options.interactive) {
        const auto answer = QMessageBox::question(
            this, tr("Try the Built-in Demo"),
            tr("The demo is not built yet. Build it now? It trains a small model on a synthetic task with a planted "
               "shortcut and runs the whole experiment on it (a few minutes on the CPU; nothing is downloaded). "
               "It will be written to %1.")
                .arg(QString::fromStdString(defaultDemoDir().string())));
        if (answer != QMessageBox::Yes) return;
    }
    m_pendingDemo = session;
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = connect(m_engine.get(), &Engine::demoFinished, this, [this, connection](const QString& built) {
        disconnect(*connection);
        QString error;
        const QString file = built.isEmpty() ? m_pendingDemo : built;
        if (!openSession(file, &error)) showError(tr("Opening the demo failed"), error, {});
    });
    m_engine->buildDemo();
}

}  // namespace prunescope::ui
