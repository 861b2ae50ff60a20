// AttributionPanel + NeuronPanel on a tiny real model: a run fills the heatmap (live frames, then
// the final scores), the score / scale / order controls change what is drawn, and a click on a
// cell opens that neuron's details.
#include <QComboBox>
#include <QFile>
#include <QFileInfo>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTest>

#include "core/model/safetensors.h"
#include "tests/ui/ui_test_support.h"
#include "ui/common/export_actions.h"
#include "ui/panels/attribution_panel.h"
#include "ui/panels/neuron_panel.h"
#include "ui/panels/neuron_table.h"
#include "ui/views/bar_chart_view.h"
#include "ui/views/heatmap_view.h"

using namespace prunescope;
using namespace prunescope::ui;

class TestAttributionPanel : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void runFillsHeatmap();
    void scoreScaleAndOrder();
    void clickOpensNeuron();
    void neuronTableRanksEveryNeuron();
    void binValuesCountsEverything();
    void paperPreset();

private:
    test::TempDir m_dir;
    test::GuiFixture m_fixture;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<AttributionPanel> m_panel;
};

void TestAttributionPanel::initTestCase() {
    m_fixture = test::makeGuiFixture(m_dir.path(), 60, 10);
    m_engine = std::make_unique<Engine>();
    m_panel = std::make_unique<AttributionPanel>(*m_engine);
    m_panel->resize(1300, 800);
    m_panel->show();
    m_engine->loadModel(test::qs(m_fixture.model));
    m_engine->loadDataset(test::qs(m_fixture.train), QStringLiteral("train"));
    QVERIFY(test::waitIdle(*m_engine));
}

void TestAttributionPanel::runFillsHeatmap() {
    m_panel->setResultsDir(test::qs(m_dir / "results"));
    m_panel->setMinConfidence(0.0);
    auto request = m_panel->request();
    QCOMPARE(request.dataset, QStringLiteral("arc-easy-train"));
    QCOMPARE(request.filter.minConfidence, 0.0);
    QVERIFY(request.outFile.endsWith(QStringLiteral("attributions.safetensors")));
    // Ten questions attributed eight at a time: the first group arrives as a live frame (the
    // running mean over 8 of 10), then the final one.
    m_panel->applySettings({{"limit", 10}, {"steps", 4}});
    QCOMPARE(m_panel->request().filter.limit, 10);
    QCOMPARE(m_panel->request().filter.minConfidence, 0.0);  // kept: the settings did not name it
    QCOMPARE(m_panel->request().ig.questionsPerPass, 8);
    QSignalSpy frames(m_engine.get(), &Engine::neuronScoresChanged);
    m_panel->startAttribution();
    QVERIFY(test::waitIdle(*m_engine));
    QCOMPARE(frames.count(), 2);
    const auto live = frames.at(0).at(0).value<NeuronScores>();
    QVERIFY(!live.final);
    QCOMPARE(live.questions, 8);
    QCOMPARE(live.total, 10);
    QCOMPARE(m_panel->liveUpdates(), 1);
    const auto& s = m_panel->scores();
    QVERIFY(s.final);
    QCOMPARE(s.questions, 10);
    QCOMPARE(s.nLayer, 2);
    QCOMPARE(s.nNeuron, 128);
    QVERIFY(QFileInfo::exists(s.file));
    m_panel->heatmap()->replotNow();
    QCOMPARE(m_panel->heatmap()->raster().nLayer(), 2);
    QCOMPARE(m_panel->heatmap()->raster().nNeuron(), 128);
    // The heatmap holds exactly the scores received.
    for (int n = 0; n < 128; n += 17) QCOMPARE(m_panel->heatmap()->raster().score(1, n), s.values[size_t(128 + n)]);

    // A second run writes a new file: the first one (a saved session may point at it) is kept as it was.
    const QString first = s.file;
    QFile in(first);
    QVERIFY(in.open(QIODevice::ReadOnly));
    const QByteArray before = in.readAll();
    in.close();
    QVERIFY(m_panel->request().outFile.endsWith(QStringLiteral("attributions-2.safetensors")));
    m_panel->startAttribution();
    QVERIFY(test::waitIdle(*m_engine));
    QVERIFY(m_panel->scores().file.endsWith(QStringLiteral("attributions-2.safetensors")));
    QCOMPARE(m_panel->scores().questions, 10);
    QVERIFY(in.open(QIODevice::ReadOnly));
    QCOMPARE(in.readAll(), before);
}

void TestAttributionPanel::scoreScaleAndOrder() {
    auto* score = m_panel->findChildren<QComboBox*>().at(0);
    for (auto* box : m_panel->findChildren<QComboBox*>())
        if (box->findText(QStringLiteral("mean-abs")) >= 0) score = box;
    QSignalSpy frames(m_engine.get(), &Engine::neuronScoresChanged);
    score->setCurrentText(QStringLiteral("mean-abs"));
    QVERIFY(test::waitIdle(*m_engine));
    QCOMPARE(frames.count(), 1);
    QCOMPARE(m_panel->scores().scoreName, QStringLiteral("mean-abs"));
    for (float v : m_panel->scores().values) QVERIFY(v >= 0.0f);
    m_panel->applySettings({{"scale", 1}, {"order", 1}});
    QCOMPARE(m_panel->heatmap()->colorScale(), HeatmapScale::Log);
    QCOMPARE(m_panel->heatmap()->order(), HeatmapOrder::ByScore);
    m_panel->applySettings({{"scale", 2}, {"order", 0}});
    QCOMPARE(m_panel->heatmap()->colorScale(), HeatmapScale::Signed);
    QCOMPARE(m_panel->heatmap()->order(), HeatmapOrder::ByIndex);
}

void TestAttributionPanel::clickOpensNeuron() {
    auto* heatmap = m_panel->heatmap();
    heatmap->replotNow();
    const QPoint cell = heatmap->cellCenter(1, 40);
    const auto [layer, neuron] = heatmap->neuronAt(cell);
    QCOMPARE(layer, 1);
    QSignalSpy details(m_engine.get(), &Engine::neuronDetailFinished);
    QTest::mouseClick(heatmap->plotWidget(), Qt::LeftButton, {}, cell);
    QVERIFY(test::waitIdle(*m_engine));
    QCOMPARE(details.count(), 1);
    auto* panel = m_panel->neuronPanel();
    QVERIFY(panel->hasDetail());
    QCOMPARE(panel->detail().layer, 1);
    QCOMPARE(panel->detail().neuron, neuron);
    QVERIFY2(panel->title().contains(QStringLiteral("neuron %1").arg(neuron)), qPrintable(panel->title()));
    QCOMPARE(panel->tokenTable()->rowCount(), 15);
    QVERIFY(panel->questionTable()->rowCount() == 10);
    QCOMPARE(panel->igChart()->seriesCount(), 1);
    double total = 0;
    for (int c = 0; c < panel->igChart()->categoryCount(); ++c) total += panel->igChart()->value(c, 0);
    QCOMPARE(total, 10.0);  // one count per attributed question
    // Each question's own IG (from the batched run's live updates) averages to the neuron's mean.
    const auto& d = panel->detail();
    QCOMPARE(d.igPerQuestion.size(), size_t(10));
    double sum = 0;
    for (float v : d.igPerQuestion) sum += v;
    QVERIFY2(std::abs(sum / 10.0 - d.igMean) <= 1e-5 * std::max(1.0, std::abs(d.igMean)),
             qPrintable(QStringLiteral("mean of per-question IG %1, neuron mean %2").arg(sum / 10.0).arg(d.igMean)));
}

// The table holds every neuron: ranked by the shown score, searchable, filtered by layer and by
// the selection, exported with every digit; a row opens its neuron as a click on the heatmap does.
void TestAttributionPanel::neuronTableRanksEveryNeuron() {
    auto* table = m_panel->neuronTable();
    auto* model = table->tableModel();
    auto* filter = table->filterModel();
    const auto& s = m_panel->scores();
    QCOMPARE(model->rowCount(), 2 * 128);
    QCOMPARE(s.igMean.size(), size_t(256));
    // Sorted by rank: the scores descend.
    filter->sort(NeuronTableModel::Rank, Qt::AscendingOrder);
    double previous = INFINITY;
    for (int r = 0; r < filter->rowCount(); ++r) {
        const double v = filter->index(r, NeuronTableModel::Score).data(kExportRole).toDouble();
        QVERIFY(v <= previous);
        previous = v;
    }
    const int top = filter->mapToSource(filter->index(0, 0)).row();
    QCOMPARE(double(s.values[size_t(top)]), double(*std::max_element(s.values.begin(), s.values.end())));
    // The statistics are the aggregate's: mean |IG| >= |mean IG|.
    for (int r = 0; r < 256; ++r) QVERIFY(s.igMeanAbs[size_t(r)] + 1e-7f >= std::abs(s.igMean[size_t(r)]));
    filter->setSearch(QStringLiteral("1:40"));
    QCOMPARE(filter->rowCount(), 1);
    QCOMPARE(filter->index(0, NeuronTableModel::Layer).data().toInt(), 1);
    QCOMPARE(filter->index(0, NeuronTableModel::Neuron).data().toInt(), 40);
    filter->setSearch(QStringLiteral("40"));
    QCOMPARE(filter->rowCount(), 2);
    filter->setSearch(QStringLiteral("0:"));
    QCOMPARE(filter->rowCount(), 128);
    filter->setSearch(QStringLiteral("x"));
    QCOMPARE(filter->rowCount(), 0);
    filter->setSearch({});
    std::vector<uint8_t> mask(256, 0);
    mask[3] = mask[130] = 1;
    m_panel->setSelection(mask);
    filter->setSelectedOnly(true);
    QCOMPARE(filter->rowCount(), 2);
    filter->setSelectedOnly(false);
    filter->setLayer(1);
    QCOMPARE(filter->rowCount(), 128);
    filter->setLayer(-1);
    // CSV: a header and 256 rows, the scores with every digit.
    test::TempDir dir;
    const QString csv = test::qs(dir / "neurons.csv");
    QString error;
    QVERIFY2(writeCsv(*filter, csv, &error), qPrintable(error));
    QFile in(csv);
    QVERIFY(in.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(in.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 257);
    const QStringList first = lines[1].split(QLatin1Char(','));
    QCOMPARE(first[0], QStringLiteral("1"));
    QCOMPARE(first[3].toFloat(), s.values[size_t(top)]);
    // A row opens its neuron and outlines it in the heatmap.
    QSignalSpy details(m_engine.get(), &Engine::neuronDetailFinished);
    filter->setSearch(QStringLiteral("1:77"));
    table->view()->clicked(filter->index(0, 0));
    QVERIFY(test::waitIdle(*m_engine));
    QCOMPARE(details.count(), 1);
    QCOMPARE(m_panel->heatmap()->highlighted(), std::make_pair(1, 77));
    QCOMPARE(m_panel->neuronPanel()->detail().neuron, 77);
    filter->setSearch({});
    m_panel->setSelection(std::vector<uint8_t>(256, 0));
}

void TestAttributionPanel::binValuesCountsEverything() {
    const auto bins = binValues({-1.0f, 0.0f, 0.0f, 1.0f, 3.0f}, 4);
    QCOMPARE(int(bins.counts.size()), 4);
    QCOMPARE(bins.counts[0], 1.0);  // [-1, 0)
    QCOMPARE(bins.counts[1], 2.0);  // [0, 1)
    QCOMPARE(bins.counts[2], 1.0);  // [1, 2)
    QCOMPARE(bins.counts[3], 1.0);  // [2, 3] (the maximum in the last bin)
    const auto flat = binValues({2.0f, 2.0f}, 3);
    QCOMPARE(flat.counts[1], 2.0);
}

// The Preset box sets the run's widgets to the paper's values and announces the preset; the run
// records them and the preset's name in its file, and the heatmap shows the mean normalised per
// layer (every layer's largest |score| is 1).
void TestAttributionPanel::paperPreset() {
    QSignalSpy chosen(m_panel.get(), &AttributionPanel::presetChosen);
    m_panel->applyPreset(Preset::Paper);
    QCOMPARE(chosen.count(), 1);
    auto r = m_panel->request();
    QCOMPARE(r.preset, Preset::Paper);
    QCOMPARE(r.ig.target, IgTarget::AnswerProb);
    QCOMPARE(r.ig.scope, IgScope::PerLayer);
    QCOMPARE(r.ig.rule, IgRule::Right);
    QCOMPARE(r.ig.steps, 20);
    QVERIFY(r.score == (ScoreSpec{NeuronScore::Mean, false, true}));
    QCOMPARE(r.filter.minConfidence, 0.9);
    m_panel->setMinConfidence(0.0);  // the tiny model is never confident: a recorded change
    m_panel->applySettings({{"limit", 4}});
    m_panel->startAttribution();
    QVERIFY(test::waitIdle(*m_engine));
    const auto& s = m_panel->scores();
    QVERIFY(s.final);
    QCOMPARE(s.preset, QStringLiteral("paper"));
    QCOMPARE(s.scoreName, QStringLiteral("mean+per-layer"));
    QCOMPARE(s.layerTotals.size(), size_t(2));
    for (int l = 0; l < 2; ++l) {
        float peak = 0;
        for (int n = 0; n < 128; ++n) peak = std::max(peak, std::abs(s.values[size_t(l * 128 + n)]));
        QVERIFY(std::abs(peak - 1.0f) < 1e-6f);
    }
    SafetensorsFile st(s.file.toStdString());
    auto meta = nlohmann::json::parse(st.metadata().at("prunescope.attributions"));
    QCOMPARE(meta["settings"]["target"].get<std::string>(), std::string("answer-prob"));
    QCOMPARE(meta["settings"]["scope"].get<std::string>(), std::string("per-layer"));
    QCOMPARE(meta["settings"]["rule"].get<std::string>(), std::string("right"));
    QCOMPARE(meta["preset"]["name"].get<std::string>(), std::string("paper"));
    QVERIFY(meta["preset"]["changed"] == nlohmann::json::array({"min_confidence"}));
    QVERIFY2(m_panel->statusText().contains(QStringLiteral("preset paper")), qPrintable(m_panel->statusText()));
    // The session keeps the preset and the score with its normalisation.
    const auto saved = m_panel->settings();
    QCOMPARE(saved["preset"].get<std::string>(), std::string("paper"));
    QCOMPARE(saved["score"].get<std::string>(), std::string("mean+per-layer"));
}

QTEST_MAIN(TestAttributionPanel)
#include "test_attribution_panel.moc"
