// The prompt: the template each question is written into, one option line, and whether the
// model is scored on the answer letter or on each option's text. A live preview shows the exact
// tokens the model reads for a question of the chosen dataset, the tokens each option is scored
// on, and why the prompt cannot score it (" A" two tokens for this tokenizer, a placeholder
// the template does not know).
#pragma once

#include <QDialog>
#include <QTimer>

#include <memory>
#include <vector>

#include "ui/worker/prompt_check.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QTextBrowser;

namespace prunescope {
class Tokenizer;
}

namespace prunescope::ui {

class PromptDialog : public QDialog {
    Q_OBJECT
public:
    // `questions`: what the preview can show (a dataset's first ones; empty: an example question).
    PromptDialog(const PromptChoice& choice, std::shared_ptr<const Tokenizer> tokenizer,
                 std::vector<McqQuestion> questions, QWidget* parent = nullptr);

    PromptChoice choice() const;
    void setChoice(const PromptChoice& choice);
    void setPreviewQuestion(int index);
    // Recomputes the preview now (typing schedules it after a short pause).
    void updatePreview();
    const PromptPreview& preview() const { return m_preview; }
    QString previewHtml() const;

private:
    void resetToDefaults();
    void updateEnabled();

    std::shared_ptr<const Tokenizer> m_tokenizer;
    std::vector<McqQuestion> m_questions;
    PromptChoice m_given;  // as setChoice() gave it
    QString m_preset;      // the Score panel's choice; it replaces the template
    QPlainTextEdit* m_text = nullptr;
    QLineEdit* m_option = nullptr;
    QComboBox* m_scoring = nullptr;
    QComboBox* m_question = nullptr;
    QLabel* m_presetNote = nullptr;
    QTextBrowser* m_view = nullptr;
    QTimer m_timer;
    PromptPreview m_preview;
};

}  // namespace prunescope::ui
