// Widgets made from core's setting declarations (core/settings/setting.h): range, default, tooltip and
// object name (the setting's key) come from core, so a panel repeats no value.
#pragma once

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QSpinBox>
#include <QString>

#include <algorithm>
#include <climits>

#include "core/settings/setting.h"

namespace prunescope::ui {

QSpinBox* settingSpinBox(const IntSetting& setting, QWidget* parent);
QDoubleSpinBox* settingSpinBox(const RealSetting& setting, QWidget* parent, int decimals = 2, double step = 0.05);
QCheckBox* settingCheckBox(const BoolSetting& setting, QWidget* parent);

// The choices' names, each with its help as the tooltip; the default selected.
template <class E, size_t N>
QComboBox* settingComboBox(const ChoiceSetting<E, N>& setting, QWidget* parent) {
    auto* box = new QComboBox(parent);
    box->setObjectName(QString::fromLatin1(setting.key));
    box->setToolTip(QString::fromUtf8(setting.help));
    for (const auto& c : setting.choices) {
        box->addItem(QString::fromLatin1(c.name));
        box->setItemData(box->count() - 1, QString::fromUtf8(c.help), Qt::ToolTipRole);
    }
    box->setCurrentText(QString::fromLatin1(setting.nameOf(setting.value)));
    return box;
}

template <class E, size_t N>
E settingValue(const ChoiceSetting<E, N>& setting, const QComboBox* box) {
    return setting.parse(box->currentText().toStdString());
}

// Selects `name` when it is one of the choices (a session from another version may hold others).
template <class E, size_t N>
void selectSetting(const ChoiceSetting<E, N>& setting, QComboBox* box, const std::string& name) {
    for (const auto& c : setting.choices)
        if (name == c.name) box->setCurrentText(QString::fromLatin1(c.name));
}

}  // namespace prunescope::ui
