// renderReportPlots as the CLI calls it: no QApplication exists, so it makes its own on the
// offscreen platform for each call. Writes accuracy.png, confidence.png and heatmap.png only
// when their data is given; a bad report or an unwritable folder is an error, not a crash.
#include <QCoreApplication>
#include <QImage>

#include <cstdio>
#include <filesystem>
#include <random>

#include <unistd.h>

#include "ui/report/report_model.h"
#include "ui/report/report_plots.h"

namespace fs = std::filesystem;
using namespace prunescope::ui;

namespace {

int failures = 0;

void check(bool ok, const char* what) {
    std::printf("%s: %s\n", ok ? "PASS" : "FAIL", what);
    if (!ok) ++failures;
}

RunResult run(const char* arm, int seed, double a, double b) {
    RunResult r;
    r.arm = QString::fromLatin1(arm);
    r.seed = seed;
    r.base = {{QStringLiteral("test"), QStringLiteral("id"), 0.4, 0.5}, {QStringLiteral("ood"), QStringLiteral("ood"), 0.3, 0.5}};
    r.results = {{QStringLiteral("test"), QStringLiteral("id"), a, 0.6}, {QStringLiteral("ood"), QStringLiteral("ood"), b, 0.6}};
    return r;
}

QImage image(const fs::path& file) { return QImage(QString::fromStdString(file.string())); }

}  // namespace

int main() {
    const fs::path dir = fs::temp_directory_path() / ("prunescope-report-plots-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    check(QCoreApplication::instance() == nullptr, "no application before the call");

    ReportPlotInput input;
    input.report = buildReport({run("plain", 0, 0.6, 0.3), run("ig", 0, 0.62, 0.4), run("plain", 1, 0.64, 0.32),
                                run("ig", 1, 0.6, 0.38)});
    input.nLayer = 6;
    input.nNeuron = 300;
    std::mt19937 rng(1);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (int i = 0; i < 6 * 300; ++i) input.scores.push_back(normal(rng));
    input.pruned.assign(input.scores.size(), 0);
    for (int i = 0; i < 6 * 300; i += 37) input.pruned[size_t(i)] = 1;
    for (int i = 0; i < 200; ++i) {
        const float c = std::uniform_real_distribution<float>(0.25f, 1.0f)(rng);
        input.confidenceBefore.push_back(c);
        input.correctBefore.push_back(std::uniform_real_distribution<float>(0, 1)(rng) < c ? 1 : 0);
        input.confidenceAfter.push_back(std::min(1.0f, c + 0.1f));
        input.correctAfter.push_back(input.correctBefore.back());
    }
    std::string error;
    check(renderReportPlots(input, dir / "all", &error), "renders all three plots");
    if (!error.empty()) std::printf("  error: %s\n", error.c_str());
    for (const char* name : {"accuracy.png", "confidence.png", "heatmap.png"}) {
        const QImage img = image(dir / "all" / name);
        std::printf("  %s: %dx%d\n", name, img.width(), img.height());
        check(!img.isNull() && img.width() >= 400 && img.height() >= 200, name);
    }
    check(QCoreApplication::instance() == nullptr, "the call's application is gone afterwards");

    // Only the heatmap: no report, no confidences.
    ReportPlotInput heatmapOnly;
    heatmapOnly.nLayer = input.nLayer;
    heatmapOnly.nNeuron = input.nNeuron;
    heatmapOnly.scores = input.scores;
    check(renderReportPlots(heatmapOnly, dir / "heatmap", &error), "renders a second time in the same process");
    check(fs::exists(dir / "heatmap" / "heatmap.png"), "heatmap.png written");
    check(!fs::exists(dir / "heatmap" / "accuracy.png") && !fs::exists(dir / "heatmap" / "confidence.png"),
          "no plot without its data");
    // Confidence before only: one histogram.
    ReportPlotInput before;
    before.confidenceBefore = input.confidenceBefore;
    before.correctBefore = input.correctBefore;
    check(renderReportPlots(before, dir / "before", &error), "confidence before only");
    check(image(dir / "before" / "confidence.png").width() < image(dir / "all" / "confidence.png").width(),
          "one histogram is narrower than two");
    // Errors.
    ReportPlotInput bad;
    bad.report = {{"format", "prunescope.report"}, {"summary", "not an array"}};
    error.clear();
    check(!renderReportPlots(bad, dir / "bad", &error) && !error.empty(), "a malformed report is an error");
    std::printf("  error: %s\n", error.c_str());
    fs::create_directories(dir / "ro");
    fs::permissions(dir / "ro", fs::perms::owner_read | fs::perms::owner_exec);
    error.clear();
    const bool wrote = renderReportPlots(heatmapOnly, dir / "ro", &error);
    check(!wrote || ::geteuid() == 0, "an unwritable folder is an error");
    std::printf("  error: %s\n", error.c_str());
    fs::permissions(dir / "ro", fs::perms::owner_all);
    fs::remove_all(dir);
    std::printf("%s\n", failures == 0 ? "ALL PASSED" : "FAILURES");
    return failures == 0 ? 0 : 1;
}
