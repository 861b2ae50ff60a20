// The log: messages of the core's spdlog loggers (through LogBridge) and of the GUI, filtered by
// level, kept up to kMaxMessages.
#pragma once

#include <QWidget>

#include <deque>

class QComboBox;
class QPlainTextEdit;

namespace prunescope::ui {

class LogPanel : public QWidget {
    Q_OBJECT
public:
    static constexpr int kMaxMessages = 5000;

    explicit LogPanel(QWidget* parent = nullptr);

    // level: spdlog's numbering (0 trace, 1 debug, 2 info, 3 warn, 4 error, 5 critical).
    void appendMessage(int level, const QString& logger, const QString& text);
    void setMinimumLevel(int level);
    int messageCount() const { return int(m_messages.size()); }
    QString text() const;

private:
    struct Message {
        int level;
        QString line;
    };
    void rerender();

    std::deque<Message> m_messages;
    int m_minLevel = 2;
    QComboBox* m_level = nullptr;
    QPlainTextEdit* m_view = nullptr;
};

}  // namespace prunescope::ui
