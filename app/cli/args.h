// A small command-line parser: options with values, flags, positionals, generated --help.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

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
    const std::vector<std::string>& positionals() const { return m_positionals; }

private:
    friend class ArgParser;
    std::map<std::string, std::vector<std::string>> m_values;
    std::map<std::string, std::string> m_defaults;
    std::vector<std::string> m_positionals;
};

class ArgParser {
public:
    ArgParser(std::string usage, std::string summary);

    // --name VALUE; `defaultValue` empty means "no default".
    ArgParser& option(const std::string& name, const std::string& valueName, const std::string& help,
                      const std::string& defaultValue = {});
    ArgParser& flag(const std::string& name, const std::string& help);
    ArgParser& required(const std::string& name);
    ArgParser& positionals(const std::string& name, const std::string& help);
    ArgParser& epilog(const std::string& text);

    // Throws UsageError; returns std::nullopt when --help was asked (the help is printed).
    std::optional<Args> parse(const std::vector<std::string>& argv) const;
    std::string help() const;

private:
    struct Spec {
        std::string name, valueName, help, defaultValue;
        bool isFlag = false;
        bool isRequired = false;
    };
    const Spec* find(const std::string& name) const;

    std::string m_usage, m_summary, m_epilog;
    std::vector<Spec> m_specs;
    std::string m_positionalName, m_positionalHelp;
};

}  // namespace prunescope::cli
