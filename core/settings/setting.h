// A setting declared once: its key (the JSON key of experiment and session files, the CLI option
// with '_' written '-', the field core errors name), a label and help text for the GUI and --help,
// its default and range. Structs take their defaults from here, the CLI makes its options from
// here, the GUI fills its spin boxes and combo boxes from here; none repeats a value.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "core/util/error.h"

namespace prunescope {

struct IntSetting {
    const char* key;
    const char* label;
    const char* help;
    int64_t value;
    int64_t min;
    int64_t max;
};

struct RealSetting {
    const char* key;
    const char* label;
    const char* help;
    double value;
    double min;
    double max;
};

struct BoolSetting {
    const char* key;
    const char* label;
    const char* help;
    bool value;
};

template <class E>
struct Choice {
    E value;
    const char* name;  // in files and on the command line
    const char* help;
};

template <class E, size_t N>
struct ChoiceSetting {
    const char* key;
    const char* label;
    const char* help;
    E value;
    std::array<Choice<E>, N> choices;

    const char* nameOf(E v) const {
        for (const auto& c : choices)
            if (c.value == v) return c.name;
        return "?";
    }
    std::string names(const char* separator = ", ") const {
        std::string out;
        for (size_t i = 0; i < N; ++i) out += (i ? separator : "") + std::string(choices[i].name);
        return out;
    }
    // An Error naming the setting when `name` is not one of the choices.
    E parse(const std::string& name) const {
        for (const auto& c : choices)
            if (name == c.name) return c.value;
        throw Error("", std::string("setting '") + key + "'", "unknown value '" + name + "'", "use one of " + names());
    }
};

// The CLI option name of a key: "min_confidence" -> "min-confidence".
inline std::string optionName(const char* key) {
    std::string out = key;
    for (auto& c : out)
        if (c == '_') c = '-';
    return out;
}

// A number as a person writes it: 0.5, 1e-05, 100.
inline std::string formatSettingNumber(double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.15g", v);
    return text;
}

// What is wrong with `v` for `s` ("must be between 1 and 512, got 0"), or empty when it is in
// range: the one range check behind every front end (CLI options, experiment.json, the fine-tuning
// settings JSON, the core's own calls), each naming the place its way.
inline std::string outOfRange(const IntSetting& s, int64_t v) {
    if (v >= s.min && v <= s.max) return {};
    return "must be between " + std::to_string(s.min) + " and " + std::to_string(s.max) + ", got " + std::to_string(v);
}
inline std::string outOfRange(const RealSetting& s, double v) {
    if (v >= s.min && v <= s.max) return {};  // false for NaN
    return "must be between " + formatSettingNumber(s.min) + " and " + formatSettingNumber(s.max) + ", got " +
           formatSettingNumber(v);
}

// An Error naming the setting when `v` is outside its range.
inline int64_t checked(const IntSetting& s, int64_t v) {
    if (auto problem = outOfRange(s, v); !problem.empty())
        throw Error("", std::string("setting '") + s.key + "'", problem);
    return v;
}
inline double checked(const RealSetting& s, double v) {
    if (auto problem = outOfRange(s, v); !problem.empty())
        throw Error("", std::string("setting '") + s.key + "'", problem);
    return v;
}

}  // namespace prunescope
