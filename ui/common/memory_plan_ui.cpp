#include "ui/common/memory_plan_ui.h"

#include <QLabel>
#include <QMessageBox>
#include <QPushButton>

#include "ui/common/format.h"

namespace prunescope::ui {

QString planSummary(const MemoryPlan& plan) {
    const QString needed = QObject::tr("needs ≈ %1").arg(formatBytes(plan.total));
    if (plan.available < 0) return needed;
    return QObject::tr("%1 · %2 free%3")
        .arg(needed, formatBytes(plan.available), plan.fits() ? QString() : QObject::tr(": does not fit"));
}

void showPlan(QLabel* label, const MemoryPlan& plan, const QString& note) {
    label->setText(planSummary(plan));
    const QString lines = QStringLiteral("<pre>%1</pre>").arg(QString::fromStdString(plan.text()).toHtmlEscaped());
    label->setToolTip(note.isEmpty() ? lines : QStringLiteral("<p>%1</p>%2").arg(note.toHtmlEscaped(), lines));
    label->setStyleSheet(plan.fits() ? QString() : QStringLiteral("color: #c0392b; font-weight: bold;"));
}

bool confirmPlan(QWidget* parent, const MemoryPlan& plan, const QString& job) {
    if (plan.fits()) return true;
    QMessageBox box(
        QMessageBox::Warning, QObject::tr("Not enough memory"),
        QObject::tr("%1 needs about %2, but %3 has %4 free.")
            .arg(job, formatBytes(plan.total), QString::fromStdString(plan.device), formatBytes(plan.available)),
        QMessageBox::NoButton, parent);
    box.setObjectName(QStringLiteral("memoryPlanDialog"));
    QString hint;
    if (plan.suggestions.empty()) {
        hint = QObject::tr("No setting of this job fits; it needs a machine with more memory.");
    } else {
        hint = QObject::tr("These settings would fit (command-line names; the panel has the same settings):");
        for (const auto& s : plan.suggestions) hint += QStringLiteral("\n• ") + QString::fromStdString(s);
    }
    box.setInformativeText(hint + QObject::tr("\n\nRunning anyway may make the system swap or stop the program."));
    box.setDetailedText(QString::fromStdString(plan.text()));
    auto* run = box.addButton(QObject::tr("Run anyway"), QMessageBox::AcceptRole);
    box.addButton(QMessageBox::Cancel);
    box.setDefaultButton(QMessageBox::Cancel);
    box.exec();
    return box.clickedButton() == run;
}

}  // namespace prunescope::ui
