// The memory plan in the GUI: the one-line summary beside a Start button (needed / free, the
// whole plan as its tooltip) and the question asked before a job that will not fit.
#pragma once

#include <QString>

#include "core/model/memory_plan.h"

class QLabel;
class QWidget;

namespace prunescope::ui {

// "needs ≈ 1.2 GiB · 20.3 GiB free" (or "… free: does not fit").
QString planSummary(const MemoryPlan& plan);

// Shows `plan` on `label`: the summary, red when it does not fit, the plan's lines as tooltip
// after `note` (e.g. Engine::sizeFromDatasets's sentence).
void showPlan(QLabel* label, const MemoryPlan& plan, const QString& note = {});

// True when `plan` fits, or when the user chose "Run anyway" in the dialog that names the
// estimate, the free memory and the settings that would fit (object name "memoryPlanDialog").
bool confirmPlan(QWidget* parent, const MemoryPlan& plan, const QString& job);

}  // namespace prunescope::ui
