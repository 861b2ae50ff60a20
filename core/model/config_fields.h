// Typed access to config.json fields with errors that name the file and the field.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "core/util/error.h"

namespace prunescope {

class ConfigFields {
public:
    ConfigFields(const nlohmann::json& json, std::string file) : m_json(json), m_file(std::move(file)) {}

    bool has(const std::string& key) const { return m_json.contains(key) && !m_json[key].is_null(); }

    int64_t integer(const std::string& key) const {
        require(key);
        return integerOr(key, 0);
    }
    int64_t integerOr(const std::string& key, int64_t fallback) const {
        if (!has(key)) return fallback;
        const auto& v = m_json[key];
        // A whole float (2.0, as some exporters write) counts; its range is checked before the
        // conversion, which is undefined outside int64 (1e30, 2^64).
        const bool wholeFloat = v.is_number_float() && v.get<double>() >= -0x1p63 && v.get<double>() < 0x1p63 &&
                                v.get<double>() == std::trunc(v.get<double>());
        if (!(v.is_number_integer() || wholeFloat)) {
            throw Error(m_file, "field '" + key + "'", "expected an integer, found " + v.dump());
        }
        if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())) {
            throw Error(m_file, "field '" + key + "'", "value " + v.dump() + " does not fit in int64");
        }
        return v.is_number_integer() ? v.get<int64_t>() : int64_t(v.get<double>());
    }
    int64_t positive(const std::string& key) const {
        int64_t v = integer(key);
        if (v <= 0) throw Error(m_file, "field '" + key + "'", "must be positive, found " + std::to_string(v));
        return v;
    }
    double number(const std::string& key) const {
        require(key);
        return numberOr(key, 0);
    }
    double numberOr(const std::string& key, double fallback) const {
        if (!has(key)) return fallback;
        const auto& v = m_json[key];
        if (!v.is_number()) throw Error(m_file, "field '" + key + "'", "expected a number, found " + v.dump());
        return v.get<double>();
    }
    bool booleanOr(const std::string& key, bool fallback) const {
        if (!has(key)) return fallback;
        const auto& v = m_json[key];
        if (!v.is_boolean()) throw Error(m_file, "field '" + key + "'", "expected true or false, found " + v.dump());
        return v.get<bool>();
    }
    std::string stringOr(const std::string& key, const std::string& fallback) const {
        if (!has(key)) return fallback;
        const auto& v = m_json[key];
        if (!v.is_string()) throw Error(m_file, "field '" + key + "'", "expected a string, found " + v.dump());
        return v.get<std::string>();
    }
    const nlohmann::json& json() const { return m_json; }
    const std::string& file() const { return m_file; }

private:
    void require(const std::string& key) const {
        if (!has(key)) throw Error(m_file, "field '" + key + "'", "missing");
    }
    const nlohmann::json& m_json;
    std::string m_file;
};

}  // namespace prunescope
