#include "ui/report/report_plots.h"

#include <QApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

#include <cmath>
#include <memory>

#include "core/util/log.h"
#include "ui/report/report_model.h"
#include "ui/views/bar_chart_view.h"
#include "ui/views/heatmap_view.h"
#include "ui/views/histogram_view.h"
#include "ui/views/plot_export.h"

namespace prunescope::ui {
namespace {

struct ReportPlots {
    Q_DECLARE_TR_FUNCTIONS(ReportPlots)
};

// A QApplication for the call when the caller (the CLI) has none.
std::unique_ptr<QApplication> ensureApplication(std::string* error) {
    if (QCoreApplication::instance() != nullptr) {
        if (qobject_cast<QApplication*>(QCoreApplication::instance()) == nullptr && error) {
            *error = "renderReportPlots needs a QApplication, but a QCoreApplication exists";
        }
        return nullptr;
    }
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    // The offscreen platform's notes (no runtime dir, no size hints) are not the CLI user's concern:
    // they go to the log at debug level.
    qInstallMessageHandler([](QtMsgType, const QMessageLogContext&, const QString& message) {
        log::get("qt")->debug("{}", message.toStdString());
    });
    static int argc = 1;
    static char name[] = "prunescope-report";
    static char* argv[] = {name, nullptr};
    return std::make_unique<QApplication>(argc, argv);
}

bool fail(std::string* error, const QString& message) {
    if (error) *error = message.toStdString();
    return false;
}

bool renderAccuracy(const nlohmann::json& report, const QString& path, std::string* error) {
    ReportTable table;
    try {
        table = reportTable(report);
    } catch (const std::exception& e) {
        return fail(error, QString::fromUtf8(e.what()));
    }
    if (table.empty()) return true;
    auto bars = accuracyBars(table);
    BarChartView view;
    view.resize(900, 520);
    if (!view.setData(bars.categories, bars.series, bars.values, bars.errors, bars.colors))
        return fail(error, ReportPlots::tr("accuracy plot: bad shapes"));
    view.setValueLabel(ReportPlots::tr("accuracy (mean ± std over seeds)"));
    view.setCategoryLabel(ReportPlots::tr("dataset"));
    QString message;
    if (!exportPlot(&view, path, &message)) return fail(error, message);
    return true;
}

bool renderConfidence(const ReportPlotInput& input, const QString& path, std::string* error) {
    QWidget container;
    container.setAttribute(Qt::WA_DontShowOnScreen);
    auto* layout = new QHBoxLayout(&container);
    auto addHistogram = [&](const QString& title, const std::vector<float>& confidence,
                            const std::vector<uint8_t>& correct) {
        auto* column = new QVBoxLayout;
        auto* label = new QLabel(title, &container);
        label->setAlignment(Qt::AlignCenter);
        auto* view = new HistogramView(&container);
        view->setData(confidence, correct);
        view->setThreshold(0.0);
        column->addWidget(label);
        column->addWidget(view, 1);
        layout->addLayout(column);
    };
    addHistogram(ReportPlots::tr("Before (base model)"), input.confidenceBefore, input.correctBefore);
    if (!input.confidenceAfter.empty()) {
        addHistogram(ReportPlots::tr("After (pruned + fine-tuned)"), input.confidenceAfter, input.correctAfter);
    }
    container.resize(input.confidenceAfter.empty() ? 600 : 1100, 480);
    container.show();
    QCoreApplication::processEvents();
    for (auto* view : container.findChildren<HistogramView*>()) view->replotNow();
    const QImage image = container.grab().toImage();
    if (image.isNull() || !image.save(path, "png")) {
        return fail(error, ReportPlots::tr("%1: cannot write the PNG file").arg(path));
    }
    return true;
}

bool renderHeatmap(const ReportPlotInput& input, const QString& path, std::string* error) {
    HeatmapView view;
    view.resize(1200, std::max(300, int(std::min<int64_t>(input.nLayer, 48)) * 18 + 120));
    view.setScores(int(input.nLayer), int(input.nNeuron), input.scores);
    view.setColorScale(HeatmapScale::Signed);
    if (input.pruned.size() == input.scores.size()) view.setSelection(input.pruned);
    QString message;
    if (!exportPlot(&view, path, &message)) return fail(error, message);
    return true;
}

}  // namespace

bool renderReportPlots(const ReportPlotInput& input, const std::filesystem::path& dir, std::string* error) {
    std::string appError;
    auto app = ensureApplication(&appError);
    if (!appError.empty()) return fail(error, QString::fromStdString(appError));
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
        return fail(error, ReportPlots::tr("%1: cannot create the folder (%2)")
                               .arg(QString::fromStdString(dir.string()), QString::fromStdString(ec.message())));
    auto file = [&](const char* name) { return QString::fromStdString((dir / name).string()); };
    if (input.report.is_object() && input.report.contains("summary")) {
        if (!renderAccuracy(input.report, file("accuracy.png"), error)) return false;
    }
    if (!input.confidenceBefore.empty()) {
        if (!renderConfidence(input, file("confidence.png"), error)) return false;
    }
    if (input.nLayer > 0 && input.nNeuron > 0 && input.scores.size() == size_t(input.nLayer * input.nNeuron)) {
        if (!renderHeatmap(input, file("heatmap.png"), error)) return false;
    }
    return true;
}

}  // namespace prunescope::ui
