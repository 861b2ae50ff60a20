// What the window shows when it starts with nothing open: open a model (folder or GGUF), a
// session, the built-in demo, or one of the recent sessions and models. Any of them, or a panel
// chosen from the menu, puts the panels in its place.
#pragma once

#include <QWidget>

class QListWidget;
class QPushButton;

namespace prunescope::ui {

class StartPage : public QWidget {
    Q_OBJECT
public:
    explicit StartPage(QWidget* parent = nullptr);
    void setRecent(const QStringList& sessions, const QStringList& models);
    QListWidget* recentSessions() const { return m_sessions; }
    QListWidget* recentModels() const { return m_models; }
    QPushButton* button(const QString& objectName) const;

signals:
    void openModelFolder();
    void openGgufFile();
    void openSession();
    void tryDemo();
    void showPanels();
    void recentSessionChosen(const QString& path);
    void recentModelChosen(const QString& path);

private:
    QListWidget* m_sessions = nullptr;
    QListWidget* m_models = nullptr;
};

}  // namespace prunescope::ui
