// exportPlot / exportTo: PNG, SVG and PDF files with the right headers, PNGs with the data drawn
// (a blank image of the right size fails), and clear failures; a full disk leaves the previous file
// as it was and no temporary file behind.
// Set PRUNESCOPE_VIEWS_EXPORT_DIR to keep the files for a look.
#include "tests/ui/plot_content.h"
#include "ui/views/bar_chart_view.h"
#include "ui/views/heatmap_view.h"
#include "ui/views/histogram_view.h"
#include "ui/views/line_chart_view.h"
#include "ui/views/plot_export.h"

#include <QDir>
#include <QFile>
#include <QLabel>
#include <QTemporaryDir>
#include <QTest>

#include <sys/resource.h>

#include <cmath>
#include <csignal>
#include <map>
#include <memory>

using namespace prunescope::ui;

namespace {

QByteArray head(const QString& path, int n) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return f.read(n);
}

std::unique_ptr<PlotView> makeView(const QString& kind) {
    if (kind == QLatin1String("heatmap")) {
        auto view = std::make_unique<HeatmapView>();
        std::vector<float> s(8 * 300);
        for (size_t i = 0; i < s.size(); ++i) s[i] = float(std::sin(0.37 * double(i)));
        view->setScores(8, 300, s);
        view->setColorScale(HeatmapScale::Signed);
        std::vector<uint8_t> mask(s.size(), 0);
        for (size_t i = 0; i < mask.size(); i += 41) mask[i] = 1;
        view->setSelection(mask);
        return view;
    }
    if (kind == QLatin1String("histogram")) {
        auto view = std::make_unique<HistogramView>();
        std::vector<float> c;
        std::vector<uint8_t> ok;
        for (int i = 0; i < 400; ++i) {
            c.push_back(float(std::fmod(i * 0.618, 1.0)));
            ok.push_back(c.back() > 0.4f ? 1 : 0);
        }
        view->setData(c, ok);
        view->setThreshold(0.6);
        return view;
    }
    if (kind == QLatin1String("bars")) {
        auto view = std::make_unique<BarChartView>();
        view->setData({"base", "pruned", "random"}, {"MMLU", "ARC"}, {{0.61, 0.55}, {0.64, 0.57}, {0.58, 0.51}},
                      {{0.01, 0.02}, {0.015, 0.01}, {0.02, 0.03}});
        return view;
    }
    auto view = std::make_unique<LineChartView>();
    view->addSeries(QStringLiteral("val acc"), LineAxis::Right);
    for (int i = 0; i < 100; ++i) {
        view->addPoint(QStringLiteral("loss"), i, 3.0 * std::exp(-0.03 * i));
        view->addPoint(QStringLiteral("val acc"), i, 0.5 + 0.003 * i);
    }
    return view;
}

}  // namespace

class TestPlotExport : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void writesEachFormat_data();
    void writesEachFormat();
    void plainWidget();
    void failures();
    void fullDiskKeepsThePreviousFile_data();
    void fullDiskKeepsThePreviousFile();

private:
    QTemporaryDir m_tmp;
    QString m_dir;
};

void TestPlotExport::initTestCase() {
    QVERIFY(m_tmp.isValid());
    m_dir = qEnvironmentVariable("PRUNESCOPE_VIEWS_EXPORT_DIR", m_tmp.path());
}

void TestPlotExport::writesEachFormat_data() {
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("suffix");
    QTest::addColumn<QByteArray>("magic");
    for (const char* kind : {"heatmap", "histogram", "bars", "lines"}) {
        QTest::addRow("%s png", kind) << kind << "png" << QByteArray("\x89PNG\r\n\x1a\n");
        QTest::addRow("%s svg", kind) << kind << "svg" << QByteArray("<?xml");
        QTest::addRow("%s pdf", kind) << kind << "pdf" << QByteArray("%PDF-");
    }
}

void TestPlotExport::writesEachFormat() {
    QFETCH(QString, kind);
    QFETCH(QString, suffix);
    QFETCH(QByteArray, magic);
    std::unique_ptr<PlotView> view = makeView(kind);
    view->resize(640, 420);
    view->show();
    QVERIFY(QTest::qWaitForWindowExposed(view.get()));
    QTest::qWait(2 * LineChartView::kReplotDelayMs);  // let the line chart's throttled replot run
    const QString path = m_dir + QStringLiteral("/%1.%2").arg(kind, suffix);
    QString error;
    QVERIFY2(view->exportTo(path, &error), qPrintable(error));
    QVERIFY(error.isEmpty());
    QCOMPARE(head(path, magic.size()), magic);
    QVERIFY(QFile(path).size() > 500);
    if (suffix == QLatin1String("svg")) QVERIFY(head(path, 4096).contains("<svg"));
    if (suffix == QLatin1String("png")) {
        const QImage image(path);
        QCOMPARE(image.size(), QSize(640, 420));
        // The data are drawn in colours (axes and text are grey): enough pixels of them, and, in
        // the middle of the heatmap (its cells, not the colour bar), a spread of colours.
        const auto c = prunescope::test::plotContent(image);
        prunescope::test::printPlotContent(qPrintable(kind), c);
        const std::map<QString, double> least = {{"heatmap", 0.3}, {"histogram", 0.2}, {"bars", 0.2}, {"lines", 0.003}};
        QVERIFY2(c.data > least.at(kind) && c.dataColours >= 2, "too few pixels in data colours");
        if (kind == QLatin1String("heatmap")) {
            const auto middle = prunescope::test::plotContent(prunescope::test::plotMiddle(image));
            prunescope::test::printPlotContent("its middle", middle);
            QVERIFY2(middle.data > 0.5 && middle.dataColours >= 50, "the heatmap's cells do not vary in colour");
        }
    }
}

void TestPlotExport::plainWidget() {
    QLabel label(QStringLiteral("not a plot"));
    label.resize(200, 50);
    const QString path = m_dir + QStringLiteral("/label.svg");
    QString error;
    QVERIFY2(exportPlot(&label, path, &error), qPrintable(error));
    QVERIFY(head(path, 4096).contains("<svg"));
}

void TestPlotExport::failures() {
    HistogramView view;
    QString error;
    QVERIFY(!view.exportTo(m_dir + QStringLiteral("/plot.bmpx"), &error));
    QVERIFY2(error.contains(QStringLiteral("bmpx")), qPrintable(error));
    for (const char* suffix : {"png", "svg", "pdf"}) {
        error.clear();
        const QString path = m_dir + QStringLiteral("/no/such/dir/plot.") + suffix;
        QVERIFY(!view.exportTo(path, &error));
        QVERIFY2(error.contains(path), qPrintable(error));
        qInfo("%s", qPrintable(error));
    }
    QVERIFY(!exportPlot(nullptr, m_dir + QStringLiteral("/x.png"), &error));
    QVERIFY(!view.exportTo(m_dir + QStringLiteral("/x.jpg")));  // no error string asked for
}

void TestPlotExport::fullDiskKeepsThePreviousFile_data() {
    QTest::addColumn<QString>("suffix");
    for (const char* suffix : {"png", "svg", "pdf"}) QTest::addRow("%s", suffix) << suffix;
}

void TestPlotExport::fullDiskKeepsThePreviousFile() {
    QFETCH(QString, suffix);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("plot.") + suffix);
    std::unique_ptr<PlotView> view = makeView(QStringLiteral("heatmap"));
    view->resize(640, 420);
    QString error;
    QVERIFY2(view->exportTo(path, &error), qPrintable(error));
    QFile previous(path);
    QVERIFY(previous.open(QIODevice::ReadOnly));
    const QByteArray before = previous.readAll();
    previous.close();
    QVERIFY(before.size() > 1024);

    // Files may not grow past 1 KiB: writes past it fail with EFBIG, as on a full disk.
    rlimit saved{};
    QCOMPARE(::getrlimit(RLIMIT_FSIZE, &saved), 0);
    const auto savedSignal = std::signal(SIGXFSZ, SIG_IGN);
    rlimit limited = saved;
    limited.rlim_cur = 1024;
    QCOMPARE(::setrlimit(RLIMIT_FSIZE, &limited), 0);
    view->resize(700, 460);  // a different drawing: the file would change if it were written
    const bool written = view->exportTo(path, &error);
    ::setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, savedSignal);

    QVERIFY(!written);
    QVERIFY2(error.contains(path) && error.contains(QStringLiteral("write failed")), qPrintable(error));
    qInfo("%s", qPrintable(error));
    QVERIFY(previous.open(QIODevice::ReadOnly));
    QVERIFY(previous.readAll() == before);
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList{QStringLiteral("plot.") + suffix});
}

QTEST_MAIN(TestPlotExport)
#include "test_plot_export.moc"
