#include "ui/panels/neuron_panel.h"

#include <QGridLayout>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

#include "ui/common/export_actions.h"
#include "ui/views/bar_chart_view.h"

namespace prunescope::ui {
namespace {

constexpr int kBins = 16;

QTableWidget* makeTable(QWidget* parent, const QStringList& headers) {
    auto* t = new QTableWidget(0, int(headers.size()), parent);
    t->setHorizontalHeaderLabels(headers);
    t->horizontalHeader()->setStretchLastSection(true);
    t->verticalHeader()->hide();
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->setWordWrap(false);
    return t;
}

void setChart(BarChartView* chart, const std::vector<float>& values, const QString& series) {
    const auto bins = binValues(values, kBins);
    std::vector<std::vector<double>> v;
    for (double c : bins.counts) v.push_back({c});
    chart->setData(bins.labels, {series}, v);
}

}  // namespace

ValueBins binValues(const std::vector<float>& values, int nBin) {
    ValueBins out;
    if (values.empty() || nBin < 1) return out;
    auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    double min = *lo, max = *hi;
    if (max - min < 1e-12) {
        min -= 0.5;
        max += 0.5;
    }
    const double width = (max - min) / nBin;
    out.counts.assign(size_t(nBin), 0.0);
    for (float v : values) {
        int b = int((double(v) - min) / width);
        out.counts[size_t(std::clamp(b, 0, nBin - 1))] += 1;
    }
    for (int b = 0; b < nBin; ++b) out.labels << QString::number(min + (b + 0.5) * width, 'g', 3);
    return out;
}

NeuronPanel::NeuronPanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_title = new QLabel(this);
    m_title->setTextFormat(Qt::RichText);
    layout->addWidget(m_title);
    auto* grid = new QGridLayout;
    m_ig = new BarChartView(this);
    m_ig->setValueLabel(tr("questions"));
    m_ig->setCategoryLabel(tr("IG of this neuron"));

    m_activation = new BarChartView(this);
    m_activation->setValueLabel(tr("questions"));
    m_activation->setCategoryLabel(tr("activation at the answer position"));
    m_activation->setEmptyText(tr("Click a neuron in the heatmap."));
    addPlotExportMenu(m_ig, QStringLiteral("neuron-ig"));
    addPlotExportMenu(m_activation, QStringLiteral("neuron-activation"));
    m_questions = makeTable(this, {tr("Activation"), tr("#"), tr("Question that excites it most")});
    connect(m_questions, &QTableWidget::cellDoubleClicked, this, [this](int row, int) {
        if (m_hasDetail && row >= 0 && row < int(m_detail.exciting.size()))
            emit questionActivated(m_detail.dataset, m_detail.exciting[size_t(row)].index);
    });
    m_tokens = makeTable(this, {tr("Promoted token"), tr("Logit"), tr("Suppressed token"), tr("Logit")});
    addTableExportMenu(m_questions, QStringLiteral("neuron-questions"));
    addTableExportMenu(m_tokens, QStringLiteral("neuron-tokens"));
    grid->addWidget(m_ig, 0, 0);
    grid->addWidget(m_activation, 0, 1);
    grid->addWidget(m_questions, 0, 2);
    grid->addWidget(m_tokens, 0, 3);
    grid->setColumnStretch(0, 2);
    grid->setColumnStretch(1, 2);
    grid->setColumnStretch(2, 3);
    grid->setColumnStretch(3, 2);
    layout->addLayout(grid, 1);
    clear();
}

QString NeuronPanel::title() const {
    return m_title->text();
}

void NeuronPanel::clear() {
    m_hasDetail = false;
    m_title->setText(tr("<i>Click a cell of the heatmap to inspect that neuron.</i>"));
    m_ig->setEmptyText(tr("Click a neuron in the heatmap."));
    m_ig->setData({}, {}, {});
    m_activation->setData({}, {}, {});
    m_questions->setRowCount(0);
    m_tokens->setRowCount(0);
}

void NeuronPanel::setLoading(int layer, int neuron) {
    m_title->setText(tr("<b>Layer %1, neuron %2</b> — computing…").arg(layer).arg(neuron));
}

void NeuronPanel::setDetail(const NeuronDetail& d) {
    m_detail = d;
    m_hasDetail = true;
    QString igNote = d.igPerQuestion.empty()
                         ? tr("per-question IG not kept (attributions read from a file, or over the memory budget)")
                         : tr("IG over %n question(s)", nullptr, int(d.igPerQuestion.size()));
    m_title->setText(tr("<b>Layer %1, neuron %2</b> — score %3, rank %4 in its layer; IG mean %5 ± %6; %7")
                         .arg(d.layer)
                         .arg(d.neuron)
                         .arg(d.score, 0, 'g', 4)
                         .arg(d.rank)
                         .arg(d.igMean, 0, 'g', 3)
                         .arg(d.igStd, 0, 'g', 3)
                         .arg(igNote));
    m_ig->setEmptyText(d.igPerQuestion.empty()
                           ? tr("Each question's IG is kept\nfor runs made in this window.\nA file holds "
                                "the mean ± std\n(in the title above).")
                           : QString());
    setChart(m_ig, d.igPerQuestion, tr("IG"));
    setChart(m_activation, d.activations, tr("activation"));
    m_questions->setRowCount(int(d.exciting.size()));
    for (int r = 0; r < int(d.exciting.size()); ++r) {
        const auto& q = d.exciting[size_t(r)];
        m_questions->setItem(r, 0, new QTableWidgetItem(QString::number(q.value, 'f', 3)));
        m_questions->setItem(r, 1, new QTableWidgetItem(QString::number(q.index)));
        auto* text = new QTableWidgetItem(q.question);
        text->setToolTip(tr("What the model read (double-click: the question in the Score panel):\n\n%1")
                             .arg(q.prompt.isEmpty() ? q.question : q.prompt));
        m_questions->setItem(r, 2, text);
    }
    m_questions->resizeColumnToContents(0);
    m_questions->resizeColumnToContents(1);
    const int rows = int(std::max(d.promoted.size(), d.suppressed.size()));
    m_tokens->setRowCount(rows);
    auto tokenItem = [](const TokenScore& t) {
        auto* item = new QTableWidgetItem(t.token);
        item->setToolTip(NeuronPanel::tr("token %1, in the vocabulary: %2").arg(t.id).arg(t.vocab));
        return item;
    };
    for (int r = 0; r < rows; ++r) {
        if (r < int(d.promoted.size())) {
            m_tokens->setItem(r, 0, tokenItem(d.promoted[size_t(r)]));
            m_tokens->setItem(r, 1, new QTableWidgetItem(QString::number(d.promoted[size_t(r)].value, 'f', 3)));
        }
        if (r < int(d.suppressed.size())) {
            m_tokens->setItem(r, 2, tokenItem(d.suppressed[size_t(r)]));
            m_tokens->setItem(r, 3, new QTableWidgetItem(QString::number(d.suppressed[size_t(r)].value, 'f', 3)));
        }
    }
    m_tokens->resizeColumnsToContents();
}

}  // namespace prunescope::ui
