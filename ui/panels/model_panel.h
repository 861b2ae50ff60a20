// Model and data: the model card (architecture, layers, neurons, parameters, dtype, memory,
// device), the open datasets with their roles, and a tokenizer box that shows how typed text is
// split into tokens.
#pragma once

#include <QWidget>

#include <memory>

#include "ui/worker/engine_types.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableWidget;

namespace prunescope::ui {

class Engine;

class ModelPanel : public QWidget {
    Q_OBJECT
public:
    explicit ModelPanel(Engine& engine, QWidget* parent = nullptr);

    // The card's value for a row ("Layers", "Parameters", ...), as shown.
    QString cardValue(const QString& row) const;
    QStringList cardRows() const;
    void setTokenizerText(const QString& text);
    QString tokenizerText() const;
    QStringList tokenPieces() const { return m_pieces; }
    QTableWidget* datasetTable() const { return m_datasets; }

signals:
    void openModelRequested();
    void openGgufRequested();
    void addDatasetRequested();

private:
    void showCard(const ModelCard& card);
    void showDatasets();
    void tokenize();
    void showDtypeNote();

    Engine& m_engine;
    std::shared_ptr<const Tokenizer> m_tokenizer;
    std::vector<std::pair<QString, QLabel*>> m_card;
    QTableWidget* m_datasets = nullptr;
    QComboBox* m_dtype = nullptr;
    QLabel* m_dtypeNote = nullptr;
    QPushButton* m_reopen = nullptr;
    QLineEdit* m_text = nullptr;
    QLabel* m_tokens = nullptr;
    QLabel* m_tokenCount = nullptr;
    QStringList m_pieces;
};

}  // namespace prunescope::ui
