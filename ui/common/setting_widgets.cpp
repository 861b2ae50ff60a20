#include "ui/common/setting_widgets.h"

namespace prunescope::ui {
namespace {

int clampToInt(int64_t v) {
    return int(std::clamp<int64_t>(v, INT_MIN, INT_MAX));
}

}  // namespace

QSpinBox* settingSpinBox(const IntSetting& setting, QWidget* parent) {
    auto* box = new QSpinBox(parent);
    box->setObjectName(QString::fromLatin1(setting.key));
    box->setToolTip(QString::fromUtf8(setting.help));
    box->setRange(clampToInt(setting.min), clampToInt(setting.max));
    box->setValue(clampToInt(setting.value));
    return box;
}

QDoubleSpinBox* settingSpinBox(const RealSetting& setting, QWidget* parent, int decimals, double step) {
    auto* box = new QDoubleSpinBox(parent);
    box->setObjectName(QString::fromLatin1(setting.key));
    box->setToolTip(QString::fromUtf8(setting.help));
    box->setDecimals(decimals);
    box->setSingleStep(step);
    box->setRange(setting.min, setting.max);
    box->setValue(setting.value);
    return box;
}

QCheckBox* settingCheckBox(const BoolSetting& setting, QWidget* parent) {
    auto* box = new QCheckBox(QString::fromUtf8(setting.label), parent);
    box->setObjectName(QString::fromLatin1(setting.key));
    box->setToolTip(QString::fromUtf8(setting.help));
    box->setChecked(setting.value);
    return box;
}

}  // namespace prunescope::ui
