// A typed, named preference stored with QSettings. Each feature declares its own settings next to
// its code (e.g. `inline const Setting<QByteArray> kWindowGeometry{"window/geometry", {}};`), so
// no widget spells a raw key and every value has one type and one default.
#pragma once

#include <QSettings>
#include <QString>
#include <QStringList>
#include <QVariant>

namespace prunescope::ui {

template <typename T>
class Setting {
public:
    Setting(const char* key, T defaultValue) : m_key(key), m_default(std::move(defaultValue)) {}

    T get() const {
        QSettings settings;
        const QVariant value = settings.value(m_key);
        if (!value.isValid() || !value.canConvert<T>()) return m_default;
        return value.value<T>();
    }
    void set(const T& value) const { QSettings().setValue(m_key, QVariant::fromValue(value)); }
    void reset() const { QSettings().remove(m_key); }
    const char* key() const { return m_key; }
    const T& defaultValue() const { return m_default; }

private:
    const char* m_key;
    T m_default;
};

// A most-recently-used list of paths kept in one Setting<QStringList>, newest first.
class RecentList {
public:
    RecentList(const char* key, int capacity) : m_setting(key, {}), m_capacity(capacity) {}

    QStringList paths() const { return m_setting.get(); }
    void add(const QString& path) const {
        QStringList list = m_setting.get();
        list.removeAll(path);
        list.prepend(path);
        while (list.size() > m_capacity) list.removeLast();
        m_setting.set(list);
    }
    void remove(const QString& path) const {
        QStringList list = m_setting.get();
        list.removeAll(path);
        m_setting.set(list);
    }
    void clear() const { m_setting.reset(); }

private:
    Setting<QStringList> m_setting;
    int m_capacity;
};

}  // namespace prunescope::ui
