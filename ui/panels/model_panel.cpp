#include "ui/panels/model_panel.h"

#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

#include "core/tokenizer/token_display.h"
#include "core/tokenizer/tokenizer.h"
#include "ui/common/export_actions.h"
#include "ui/common/format.h"
#include "ui/common/token_html.h"
#include "ui/session/setting.h"
#include "ui/worker/engine.h"

namespace prunescope::ui {
namespace {

// The dtype models are opened to compute in (prunescope-cli --dtype).
const Setting<QString> kComputeDtype{"model/computeDtype", QStringLiteral("float32")};

}  // namespace

ModelPanel::ModelPanel(Engine& engine, QWidget* parent) : QWidget(parent), m_engine(engine) {
    auto* layout = new QHBoxLayout(this);

    auto* cardBox = new QGroupBox(tr("Model"), this);
    auto* cardLayout = new QVBoxLayout(cardBox);
    auto* open = new QPushButton(tr("Open Model Folder…"), cardBox);
    auto* openGguf = new QPushButton(tr("Open GGUF File…"), cardBox);
    auto* openRow = new QHBoxLayout;
    openRow->addWidget(open);
    openRow->addWidget(openGguf);
    cardLayout->addLayout(openRow);
    auto* dtypeRow = new QHBoxLayout;
    m_dtype = new QComboBox(cardBox);
    m_dtype->setObjectName(QStringLiteral("computeDtype"));
    m_dtype->addItems({QStringLiteral("float32"), QStringLiteral("bfloat16"), QStringLiteral("float16")});
    m_dtype->setToolTip(
        tr("What the model computes in. bfloat16 and float16 hold the weights in that dtype (half "
           "the memory of float32) and run faster where the hardware has such units (GPUs, CPUs "
           "with AMX); norms, softmax, losses and Integrated Gradients' gates and sums stay "
           "float32. See docs/precision.md for how far the scores move."));
    const int stored = m_dtype->findText(kComputeDtype.get());
    m_dtype->setCurrentIndex(stored >= 0 ? stored : 0);
    m_engine.setComputeDtype(m_dtype->currentText());
    m_dtypeNote = new QLabel(cardBox);
    m_dtypeNote->setWordWrap(true);
    m_reopen = new QPushButton(tr("Reopen"), cardBox);
    m_reopen->setObjectName(QStringLiteral("reopenInDtype"));
    m_reopen->setToolTip(
        tr("Open the model again in the chosen dtype (its scores and attributions in memory are "
           "cleared, as when opening any model; files are kept)"));
    m_reopen->hide();
    dtypeRow->addWidget(new QLabel(tr("Compute in:"), cardBox));
    dtypeRow->addWidget(m_dtype);
    dtypeRow->addWidget(m_dtypeNote, 1);
    dtypeRow->addWidget(m_reopen);
    cardLayout->addLayout(dtypeRow);
    auto* form = new QFormLayout;
    const QStringList rows = {tr("Folder"),         tr("Architecture"), tr("Layers"),          tr("Neurons per layer"),
                              tr("Neurons in all"), tr("Model width"),  tr("Attention heads"), tr("Vocabulary"),
                              tr("Context"),        tr("Parameters"),   tr("Stored dtype"),    tr("Compute dtype"),
                              tr("Memory"),         tr("Device"),       tr("Activation"),      tr("Tokenizer")};
    for (const auto& row : rows) {
        auto* value = new QLabel(tr("—"), cardBox);
        value->setTextInteractionFlags(Qt::TextSelectableByMouse);
        value->setWordWrap(true);
        form->addRow(row + QLatin1Char(':'), value);
        m_card.emplace_back(row, value);
    }
    cardLayout->addLayout(form);
    cardLayout->addStretch(1);
    layout->addWidget(cardBox, 2);

    auto* right = new QVBoxLayout;
    auto* dataBox = new QGroupBox(tr("Datasets"), this);
    auto* dataLayout = new QVBoxLayout(dataBox);
    m_datasets = new QTableWidget(0, 6, dataBox);
    m_datasets->setHorizontalHeaderLabels(
        {tr("Name"), tr("Role"), tr("Format"), tr("Questions"), tr("Skipped"), tr("File")});
    m_datasets->horizontalHeader()->setStretchLastSection(true);
    m_datasets->verticalHeader()->hide();
    m_datasets->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_datasets->setSelectionBehavior(QAbstractItemView::SelectRows);
    addTableExportMenu(m_datasets, QStringLiteral("datasets"));
    dataLayout->addWidget(m_datasets);
    auto* dataButtons = new QHBoxLayout;
    auto* add = new QPushButton(tr("Add Dataset…"), dataBox);
    auto* remove = new QPushButton(tr("Remove"), dataBox);
    dataButtons->addWidget(add);
    dataButtons->addWidget(remove);
    dataButtons->addStretch(1);
    dataLayout->addLayout(dataButtons);
    auto* hint = new QLabel(tr("A <b>train</b> file is split 90/10 into train and validation. "
                               "<b>test</b> is the in-distribution test set, <b>ood</b> the out-of-distribution "
                               "sets. Drop files or a model folder on the window to open them."),
                            dataBox);
    hint->setWordWrap(true);
    dataLayout->addWidget(hint);
    right->addWidget(dataBox, 3);

    auto* tokBox = new QGroupBox(tr("Tokenizer"), this);
    auto* tokLayout = new QVBoxLayout(tokBox);
    m_text = new QLineEdit(tokBox);
    m_text->setPlaceholderText(tr("Type text to see how the model's tokenizer splits it"));
    m_text->setText(tr("Question: Which gas do plants absorb? Answer: B"));
    m_tokens = new QLabel(tokBox);
    m_tokens->setWordWrap(true);
    m_tokens->setTextFormat(Qt::RichText);
    m_tokens->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_tokenCount = new QLabel(tokBox);
    tokLayout->addWidget(m_text);
    tokLayout->addWidget(m_tokens);
    tokLayout->addWidget(m_tokenCount);
    tokLayout->addStretch(1);
    right->addWidget(tokBox, 2);
    layout->addLayout(right, 3);

    connect(open, &QPushButton::clicked, this, &ModelPanel::openModelRequested);
    connect(openGguf, &QPushButton::clicked, this, &ModelPanel::openGgufRequested);
    connect(add, &QPushButton::clicked, this, &ModelPanel::addDatasetRequested);
    connect(remove, &QPushButton::clicked, this, [this] {
        const int row = m_datasets->currentRow();
        if (row < 0) return;
        QString name = m_datasets->item(row, 0)->text();
        m_engine.removeDataset(name);
    });
    connect(m_dtype, &QComboBox::currentTextChanged, this, [this](const QString& dtype) {
        kComputeDtype.set(dtype);
        m_engine.setComputeDtype(dtype);
        showDtypeNote();
    });
    connect(m_reopen, &QPushButton::clicked, this, [this] {
        if (m_engine.hasModel()) m_engine.loadModel(m_engine.model().dir);
    });
    connect(m_text, &QLineEdit::textChanged, this, &ModelPanel::tokenize);
    connect(&m_engine, &Engine::modelChanged, this, &ModelPanel::showCard);
    connect(&m_engine, &Engine::datasetsChanged, this, &ModelPanel::showDatasets);
    tokenize();
}

QStringList ModelPanel::cardRows() const {
    QStringList rows;
    for (const auto& [row, label] : m_card) rows << row;
    return rows;
}

QString ModelPanel::cardValue(const QString& row) const {
    for (const auto& [name, label] : m_card)
        if (name == row) return label->text();
    return {};
}

void ModelPanel::showCard(const ModelCard& c) {
    const QStringList values = {
        c.dir,
        c.modelType,
        QString::number(c.nLayer),
        QString::number(c.nNeuron),
        formatCount(c.nLayer * c.nNeuron),
        QString::number(c.dModel),
        c.nKvHead > 0 && c.nKvHead != c.nHead ? tr("%1 (%2 key/value)").arg(c.nHead).arg(c.nKvHead)
                                              : QString::number(c.nHead),
        QString::number(c.nVocab),
        QString::number(c.nCtx),
        tr("%1 (%2)").arg(formatCount(c.parameters)).arg(c.parameters),
        c.storedDtype,
        c.computeDtype,
        formatBytes(c.memoryBytes),
        c.device,
        c.activation,
        c.tokenizerKind,
    };
    for (size_t i = 0; i < m_card.size() && i < size_t(values.size()); ++i) m_card[i].second->setText(values[int(i)]);
    m_tokenizer = c.tokenizer;
    showDtypeNote();
    tokenize();
}

void ModelPanel::showDtypeNote() {
    const auto& open = m_engine.model();
    const bool differs = m_engine.hasModel() && open.computeDtype != m_dtype->currentText();
    m_dtypeNote->setText(
        differs ? tr("the open model computes in %1; this applies when a model is opened next").arg(open.computeDtype)
                : QString());
    m_reopen->setVisible(differs);
}

void ModelPanel::showDatasets() {
    const auto& sets = m_engine.datasets();
    m_datasets->setRowCount(int(sets.size()));
    for (int r = 0; r < int(sets.size()); ++r) {
        const auto& d = sets[size_t(r)];
        const QStringList cells = {d.name, d.role, d.format, QString::number(d.questions), QString::number(d.skipped),
                                   d.path};
        for (int c = 0; c < cells.size(); ++c) m_datasets->setItem(r, c, new QTableWidgetItem(cells[c]));
    }
    m_datasets->resizeColumnsToContents();
}

void ModelPanel::setTokenizerText(const QString& text) {
    m_text->setText(text);
}

QString ModelPanel::tokenizerText() const {
    return m_text->text();
}

void ModelPanel::tokenize() {
    m_pieces.clear();
    if (!m_tokenizer) {
        m_tokens->setText(tr("<i>Open a model to see its tokenizer.</i>"));
        m_tokenCount->clear();
        return;
    }
    const auto ids = m_tokenizer->encode(m_text->text().toStdString());
    QStringList shown;
    for (const int32_t id : ids) {
        m_pieces << QString::fromStdString(m_tokenizer->decode({id}));
        shown << QString::fromStdString(tokenDisplayText(*m_tokenizer, id));
    }
    m_tokens->setText(tokenHtml(shown, ids));
    QStringList idText;
    for (auto id : ids) idText << QString::number(id);
    m_tokenCount->setText(tr("%n token(s): %1", nullptr, int(ids.size())).arg(idText.join(QLatin1Char(' '))));
}

}  // namespace prunescope::ui
