// A JSON value together with the file it came from and its path in it ("model.merges[12]"), so
// that every complaint about it is an Error naming both; internal to core/tokenizer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/util/error.h"

namespace prunescope {

class JsonField {
public:
    JsonField(const nlohmann::json& value, const std::string& file, std::string path)
        : m_value(&value), m_file(&file), m_path(std::move(path)) {}

    const nlohmann::json& json() const { return *m_value; }
    const std::string& file() const { return *m_file; }
    const std::string& path() const { return m_path; }
    std::string place() const { return "field '" + m_path + "'"; }

    [[noreturn]] void fail(const std::string& message, const std::string& hint = {}) const {
        throw Error(*m_file, place(), message, hint);
    }

    bool isNull() const { return m_value->is_null(); }
    // Present and not null.
    bool has(const std::string& key) const {
        return m_value->is_object() && m_value->contains(key) && !(*m_value)[key].is_null();
    }
    // The member `key`, which must be present (null is allowed; check has() first if not).
    JsonField operator[](const std::string& key) const {
        requireObject();
        auto it = m_value->find(key);
        if (it == m_value->end()) child(key, *m_value).fail("missing");
        return child(key, *it);
    }
    JsonField at(size_t index) const {
        return JsonField((*m_value)[index], *m_file, m_path + "[" + std::to_string(index) + "]");
    }
    size_t arraySize() const {
        if (!m_value->is_array()) fail("expected an array, found " + typeName());
        return m_value->size();
    }
    void requireObject() const {
        if (!m_value->is_object()) fail("expected an object, found " + typeName());
    }

    std::string str() const {
        if (!m_value->is_string()) fail("expected a string, found " + typeName());
        return m_value->get<std::string>();
    }
    bool boolean() const {
        if (!m_value->is_boolean()) fail("expected true or false, found " + typeName());
        return m_value->get<bool>();
    }
    int64_t integer() const {
        if (!m_value->is_number_integer()) fail("expected an integer, found " + typeName());
        return m_value->get<int64_t>();
    }
    std::string strOr(const std::string& key, const std::string& fallback) const {
        return has(key) ? (*this)[key].str() : fallback;
    }
    bool boolOr(const std::string& key, bool fallback) const { return has(key) ? (*this)[key].boolean() : fallback; }
    int64_t intOr(const std::string& key, int64_t fallback) const {
        return has(key) ? (*this)[key].integer() : fallback;
    }
    std::optional<std::string> optionalStr(const std::string& key) const {
        if (!has(key)) return std::nullopt;
        return (*this)[key].str();
    }

    std::string typeName() const { return m_value->is_null() ? "null" : std::string(m_value->type_name()); }

private:
    JsonField child(const std::string& key, const nlohmann::json& value) const {
        return JsonField(value, *m_file, m_path.empty() ? key : m_path + "." + key);
    }

    const nlohmann::json* m_value;
    const std::string* m_file;
    std::string m_path;
};

}  // namespace prunescope
