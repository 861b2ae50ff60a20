// A small command-line parser: options with values, flags, positionals, generated --help.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/settings/setting.h"

namespace prunescope::cli {

// Bad command-line usage: the CLI prints it with a pointer to --help and exits with code 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Args {
public:
    bool has(const std::string& name) const;
    std::string get(const std::string& name) const;  // the value or the declared default
    std::optional<std::string> maybe(const std::string& name) const;
    int64_t getInt(const std::string& name) const;
    double getDouble(const std::string& name) const;
    std::vector<std::string> getAll(const std::string& name) const;  // repeatable options

    // A setting's option (ArgParser::option(setting)), range-checked: a UsageError names the option.
    int64_t get(const IntSetting& setting) const;
    double get(const RealSetting& setting) const;
    bool get(const BoolSetting& setting) const { return has(optionName(setting.key)); }
    template <class E, size_t N>
    E get(const ChoiceSetting<E, N>& setting) const {
        const std::string text = get(optionName(setting.key));
        for (const auto& c : setting.choices)
            if (text == c.name) return c.value;
        throw UsageError("--" + optionName(setting.key) + ": unknown value '" + text + "' (use one of " +
                         setting.names() + ")");
    }
    // The option's value when it was given, else `fallback` (a preset's value rather than the default).
    int64_t getOr(const IntSetting& setting, int64_t fallback) const {
        return has(optionName(setting.key)) ? get(setting) : fallback;
    }
    double getOr(const RealSetting& setting, double fallback) const {
        return has(optionName(setting.key)) ? get(setting) : fallback;
    }
    bool getOr(const BoolSetting& setting, bool fallback) const { return has(optionName(setting.key)) || fallback; }
    template <class E, size_t N>
    E getOr(const ChoiceSetting<E, N>& setting, E fallback) const {
        return has(optionName(setting.key)) ? get(setting) : fallback;
    }
    const std::vector<std::string>& positionals() const { return m_positionals; }

private:
    friend class ArgParser;
    std::map<std::string, std::vector<std::string>> m_values;
    std::map<std::string, std::string> m_defaults;
    std::vector<std::string> m_positionals;
};

// What --help prints: the text below, or the same declarations as a man page section (roff), which
// `prunescope-cli --man` collects by asking every command for its --help.
enum class HelpFormat { Text, Roff };
void setHelpFormat(HelpFormat format);
HelpFormat helpFormat();

class ArgParser {
public:
    ArgParser(std::string usage, std::string summary);

    // --name VALUE; `defaultValue` empty means "no default".
    ArgParser& option(const std::string& name, const std::string& valueName, const std::string& help,
                      const std::string& defaultValue = {});
    ArgParser& flag(const std::string& name, const std::string& help);
    // --key-with-dashes, its help and default from the setting declared in core.
    ArgParser& option(const IntSetting& setting);
    ArgParser& option(const RealSetting& setting);
    ArgParser& flag(const BoolSetting& setting);
    template <class E, size_t N>
    ArgParser& option(const ChoiceSetting<E, N>& setting) {
        std::string help = std::string(setting.help) + ":";
        for (size_t i = 0; i < N; ++i)
            help += std::string(i ? "," : "") + " " + setting.choices[i].name + " (" + setting.choices[i].help + ")";
        return option(optionName(setting.key), "NAME", help, setting.nameOf(setting.value));
    }
    // Another name for option `name` (a name it had before it took its setting's key).
    ArgParser& alias(const std::string& name, const std::string& other);
    ArgParser& required(const std::string& name);
    ArgParser& positionals(const std::string& name, const std::string& help);
    ArgParser& epilog(const std::string& text);

    // Throws UsageError; returns std::nullopt when --help was asked (the help is printed).
    std::optional<Args> parse(const std::vector<std::string>& argv) const;
    std::string help() const;
    // help() in roff: a subsection named after the usage's command words ("prunescope-cli bench eval").
    std::string manSection() const;

private:
    struct Spec {
        std::string name, valueName, help, defaultValue;
        bool isFlag = false;
        bool isRequired = false;
        std::vector<std::string> aliases;
    };
    const Spec* find(const std::string& name) const;

    std::string m_usage, m_summary, m_epilog;
    std::vector<Spec> m_specs;
    std::string m_positionalName, m_positionalHelp;
};

}  // namespace prunescope::cli
