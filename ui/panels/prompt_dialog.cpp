#include "ui/panels/prompt_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTextBrowser>
#include <QVBoxLayout>

#include "core/data/prompt.h"
#include "ui/common/token_html.h"

namespace prunescope::ui {
namespace {

constexpr int kPreviewDelayMs = 200;

}  // namespace

PromptDialog::PromptDialog(const PromptChoice& choice, std::shared_ptr<const Tokenizer> tokenizer,
                           std::vector<McqQuestion> questions, QWidget* parent)
    : QDialog(parent), m_tokenizer(std::move(tokenizer)), m_questions(std::move(questions)) {
    setWindowTitle(tr("Prompt"));
    if (m_questions.empty()) m_questions.push_back(examplePromptQuestion());
    auto* layout = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    m_presetNote = new QLabel(this);
    m_presetNote->setWordWrap(true);
    layout->addWidget(m_presetNote);
    m_text = new QPlainTextEdit(this);
    m_text->setObjectName(QStringLiteral("promptTemplate"));
    m_text->setToolTip(
        tr("{question} and {options} are required; {extra.NAME} inserts a field of the dataset "
           "(e.g. {extra.subject} for MMLU); {{ and }} are literal braces."));
    m_text->setFixedHeight(m_text->fontMetrics().lineSpacing() * 5 + 12);
    form->addRow(tr("Template:"), m_text);
    m_option = new QLineEdit(this);
    m_option->setObjectName(QStringLiteral("optionTemplate"));
    m_option->setToolTip(tr("One line per option, with {letter} (A, B, C…) and {text}."));
    form->addRow(tr("Option line:"), m_option);
    m_scoring = new QComboBox(this);
    m_scoring->setObjectName(QStringLiteral("scoringMode"));
    m_scoring->addItem(tr("Answer letter (next token over A, B, …)"), QStringLiteral("letter"));
    m_scoring->addItem(tr("Option text (log-likelihood of each option)"), QStringLiteral("continuation"));
    m_scoring->setToolTip(
        tr("Letter scoring needs each answer letter to be one token, and is what attribution "
           "runs on; option-text scoring works with any tokenizer."));
    form->addRow(tr("Scoring:"), m_scoring);
    m_question = new QComboBox(this);
    m_question->setObjectName(QStringLiteral("previewQuestion"));
    for (size_t i = 0; i < m_questions.size(); ++i) {
        QString text = QString::fromStdString(m_questions[i].question).simplified();
        if (text.size() > 80) text = text.left(77) + QStringLiteral("…");
        m_question->addItem(QStringLiteral("%1. %2").arg(i + 1).arg(text));
    }
    form->addRow(tr("Preview on:"), m_question);
    layout->addLayout(form);
    m_view = new QTextBrowser(this);
    m_view->setObjectName(QStringLiteral("promptPreview"));
    m_view->setMinimumSize(640, 260);
    layout->addWidget(m_view, 1);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    auto* defaults = buttons->addButton(tr("Prunescope's Prompt"), QDialogButtonBox::ResetRole);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(defaults, &QPushButton::clicked, this, &PromptDialog::resetToDefaults);

    m_timer.setSingleShot(true);
    m_timer.setInterval(kPreviewDelayMs);
    connect(&m_timer, &QTimer::timeout, this, &PromptDialog::updatePreview);
    connect(m_text, &QPlainTextEdit::textChanged, &m_timer, qOverload<>(&QTimer::start));
    connect(m_option, &QLineEdit::textChanged, &m_timer, qOverload<>(&QTimer::start));
    connect(m_scoring, &QComboBox::currentIndexChanged, this, &PromptDialog::updatePreview);
    connect(m_question, &QComboBox::currentIndexChanged, this, &PromptDialog::updatePreview);
    setChoice(choice);
}

PromptChoice PromptDialog::choice() const {
    const PromptTemplate defaults;
    if (!m_preset.isEmpty()) return m_given;  // the preset's own prompt and mode: nothing was edited
    PromptChoice c;
    const QString text = m_text->toPlainText();
    const QString option = m_option->text();
    // The defaults are kept as empty strings, as the session writes them.
    c.text = text.toStdString() == defaults.text ? QString() : text;
    c.option = option.toStdString() == defaults.option ? QString() : option;
    c.scoring = m_scoring->currentData().toString() == QLatin1String("letter") ? QString()
                                                                               : m_scoring->currentData().toString();
    return c;
}

void PromptDialog::setChoice(const PromptChoice& choice) {
    const PromptTemplate defaults;
    m_given = choice;
    m_preset = choice.preset;
    m_text->setPlainText(choice.text.isEmpty() ? QString::fromStdString(defaults.text) : choice.text);
    m_option->setText(choice.option.isEmpty() ? QString::fromStdString(defaults.option) : choice.option);
    m_scoring->setCurrentIndex(
        std::max(0, m_scoring->findData(choice.scoring.isEmpty() ? QStringLiteral("letter") : choice.scoring)));
    updateEnabled();
    updatePreview();
}

void PromptDialog::setPreviewQuestion(int index) {
    m_question->setCurrentIndex(index);
    updatePreview();
}

void PromptDialog::resetToDefaults() {
    setChoice({{}, {}, m_preset, {}});
}

void PromptDialog::updateEnabled() {
    const bool own = m_preset.isEmpty();
    m_text->setEnabled(own);
    m_option->setEnabled(own);
    m_scoring->setEnabled(own);
    m_presetNote->setVisible(!own);
    m_presetNote->setText(tr("The task preset <b>%1</b> (the Score panel's Prompt box) writes the prompt and "
                             "chooses the scoring; choose <i>Prunescope (letters)</i> there to write your own.")
                              .arg(m_preset.toHtmlEscaped()));
}

void PromptDialog::updatePreview() {
    m_timer.stop();
    const int index = std::max(0, m_question->currentIndex());
    if (!m_tokenizer) {
        m_preview = {};
        m_preview.problem = tr("Open a model first: the preview needs its tokenizer.");
    } else {
        m_preview = previewPrompt(choice(), m_questions[size_t(index)], *m_tokenizer);
    }
    m_view->setHtml(previewHtml());
}

QString PromptDialog::previewHtml() const {
    const PromptPreview& p = m_preview;
    QString html;
    if (!p.problem.isEmpty()) {
        html += QStringLiteral("<p style=\"color:#b00020\"><b>✗ %1</b></p>").arg(p.problem.toHtmlEscaped());
        if (p.scoring == QLatin1String("letter"))
            html +=
                tr("<p>Choose <i>Option text</i> scoring, or a template whose prompt ends right before the "
                   "answer letter.</p>");
        return html;
    }
    html += tr("<p><b>What the model reads</b> (%n token(s); each coloured box is one token, ␣ a space):</p>", "",
               int(p.tokens.size()));
    html += QStringLiteral("<p style=\"font-family:monospace\">%1</p>").arg(tokenHtml(p.tokens));
    const bool letters = p.scoring == QLatin1String("letter");
    html += letters ? tr("<p><b>Scored on the next token</b>, one per option:</p>")
                    : tr("<p><b>Scored on each option's tokens</b> after the prompt:</p>");
    html += QStringLiteral("<table cellspacing=\"4\">");
    for (int i = 0; i < p.continuations.size(); ++i) {
        html += QStringLiteral("<tr><td>%1</td><td style=\"font-family:monospace\">%2</td><td>%3</td></tr>")
                    .arg(QString::fromStdString(letterFor(i)), tokenHtml(p.continuations[i]),
                         tr("%n token(s)", "", int(p.continuations[i].size())));
    }
    html += QStringLiteral("</table>");
    if (letters) html += tr("<p style=\"color:#1b7a1b\">✓ Every answer letter is one token.</p>");
    return html;
}

}  // namespace prunescope::ui
