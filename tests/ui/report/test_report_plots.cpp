// renderReportPlots as the CLI calls it: no QApplication exists, so it makes its own on the
// offscreen platform for each call. Writes accuracy.png, confidence.png and heatmap.png only
// when their data is given, each with its data drawn (a blank image of the right size fails); a
// bad report or an unwritable destination is an error, not a crash.
#include <QCoreApplication>
#include <QImage>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <unistd.h>

#include "tests/ui/plot_content.h"
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
    r.base = {{QStringLiteral("test"), QStringLiteral("id"), 0.4, 0.5},
              {QStringLiteral("ood"), QStringLiteral("ood"), 0.3, 0.5}};
    r.results = {{QStringLiteral("test"), QStringLiteral("id"), a, 0.6},
                 {QStringLiteral("ood"), QStringLiteral("ood"), b, 0.6}};
    return r;
}

QImage image(const fs::path& file) {
    return QImage(QString::fromStdString(file.string()));
}

// The data of each plot are drawn in colours; axes, text and background are not. The heatmap's
// cells (random scores) must also vary in colour inside the axes, not be one flat fill.
void checkDrawn(const char* name, const QImage& img) {
    using namespace prunescope::test;
    const std::string what = name;
    const auto c = plotContent(img);
    printPlotContent(name, c);
    check(c.data > (what == "heatmap.png" ? 0.3 : 0.1) && c.dataColours >= 2, (what + " has its data drawn").c_str());
    if (what == "heatmap.png") {
        const auto middle = plotContent(plotMiddle(img));
        printPlotContent("its middle", middle);
        check(middle.data > 0.5 && middle.dataColours >= 50, "the heatmap's cells vary in colour");
    }
}

}  // namespace

int main() {
    const fs::path dir = fs::temp_directory_path() / ("prunescope-report-plots-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    check(QCoreApplication::instance() == nullptr, "no application before the call");

    ReportPlotInput input;
    input.report = buildReport(
        {run("plain", 0, 0.6, 0.3), run("ig", 0, 0.62, 0.4), run("plain", 1, 0.64, 0.32), run("ig", 1, 0.6, 0.38)});
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
        checkDrawn(name, img);
    }
    check(QCoreApplication::instance() == nullptr, "the call's application is gone afterwards");

    // Only the heatmap: no report, no confidences.
    ReportPlotInput heatmapOnly;
    heatmapOnly.nLayer = input.nLayer;
    heatmapOnly.nNeuron = input.nNeuron;
    heatmapOnly.scores = input.scores;
    check(renderReportPlots(heatmapOnly, dir / "heatmap", &error), "renders a second time in the same process");
    check(fs::exists(dir / "heatmap" / "heatmap.png"), "heatmap.png written");
    checkDrawn("heatmap.png", image(dir / "heatmap" / "heatmap.png"));
    check(!fs::exists(dir / "heatmap" / "accuracy.png") && !fs::exists(dir / "heatmap" / "confidence.png"),
          "no plot without its data");
    // Confidence before only: one histogram.
    ReportPlotInput before;
    before.confidenceBefore = input.confidenceBefore;
    before.correctBefore = input.correctBefore;
    check(renderReportPlots(before, dir / "before", &error), "confidence before only");
    check(image(dir / "before" / "confidence.png").width() < image(dir / "all" / "confidence.png").width(),
          "one histogram is narrower than two");
    checkDrawn("confidence.png", image(dir / "before" / "confidence.png"));
    // Errors.
    ReportPlotInput bad;
    bad.report = {{"format", "prunescope.report"}, {"summary", "not an array"}};
    error.clear();
    check(!renderReportPlots(bad, dir / "bad", &error) && !error.empty(), "a malformed report is an error");
    std::printf("  error: %s\n", error.c_str());
    // Destinations no user can write, root included: below a regular file, a regular file itself,
    // and a plot file whose name is taken by a folder.
    std::ofstream(dir / "file") << "not a folder\n";
    fs::create_directories(dir / "taken" / "heatmap.png");
    for (const fs::path& to : {dir / "file" / "plots", dir / "file", dir / "taken"}) {
        error.clear();
        const bool wrote = renderReportPlots(heatmapOnly, to, &error);
        check(!wrote && !error.empty(), ("an unwritable destination is an error: " + to.filename().string()).c_str());
        std::printf("  error: %s\n", error.c_str());
    }
    // Permissions do not bind root: the read-only folder says so instead of passing silently.
    if (::geteuid() == 0) {
        std::printf("SKIP: a read-only folder (running as root, which may write there)\n");
    } else {
        fs::create_directories(dir / "ro");
        fs::permissions(dir / "ro", fs::perms::owner_read | fs::perms::owner_exec);
        error.clear();
        const bool wrote = renderReportPlots(heatmapOnly, dir / "ro", &error);
        check(!wrote && !error.empty(), "a read-only folder is an error");
        std::printf("  error: %s\n", error.c_str());
        fs::permissions(dir / "ro", fs::perms::owner_all);
    }
    fs::remove_all(dir);
    std::printf("%s\n", failures == 0 ? "ALL PASSED" : "FAILURES");
    return failures == 0 ? 0 : 1;
}
