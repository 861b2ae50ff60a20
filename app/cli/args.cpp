#include "app/cli/args.h"

#include <algorithm>
#include <cctype>
#include <iostream>
#include <sstream>

#include "app/roff.h"

namespace prunescope::cli {
namespace {

HelpFormat g_helpFormat = HelpFormat::Text;

}  // namespace

void setHelpFormat(HelpFormat format) {
    g_helpFormat = format;
}

HelpFormat helpFormat() {
    return g_helpFormat;
}

bool Args::has(const std::string& name) const {
    return m_values.count(name) > 0;
}

std::optional<std::string> Args::maybe(const std::string& name) const {
    auto it = m_values.find(name);
    if (it != m_values.end()) return it->second.back();
    auto d = m_defaults.find(name);
    if (d != m_defaults.end() && !d->second.empty()) return d->second;
    return std::nullopt;
}

std::string Args::get(const std::string& name) const {
    return maybe(name).value_or("");
}

std::vector<std::string> Args::getAll(const std::string& name) const {
    auto it = m_values.find(name);
    return it == m_values.end() ? std::vector<std::string>{} : it->second;
}

namespace {

// 0.9 -> "0.9", 1e-05 -> "1e-05": the shortest form that reads back the same.
}  // namespace

int64_t Args::getInt(const std::string& name) const {
    std::string text = get(name);
    try {
        size_t used = 0;
        int64_t value = std::stoll(text, &used);
        if (used == text.size()) return value;
    } catch (const std::exception&) {
    }
    throw UsageError("--" + name + " expects an integer, got '" + text + "'");
}

double Args::getDouble(const std::string& name) const {
    std::string text = get(name);
    try {
        size_t used = 0;
        double value = std::stod(text, &used);
        if (used == text.size()) return value;
    } catch (const std::exception&) {
    }
    throw UsageError("--" + name + " expects a number, got '" + text + "'");
}

int64_t Args::get(const IntSetting& setting) const {
    const std::string name = optionName(setting.key);
    const int64_t v = getInt(name);
    if (auto problem = outOfRange(setting, v); !problem.empty()) throw UsageError("--" + name + " " + problem);
    return v;
}

double Args::get(const RealSetting& setting) const {
    const std::string name = optionName(setting.key);
    const double v = getDouble(name);
    if (auto problem = outOfRange(setting, v); !problem.empty()) throw UsageError("--" + name + " " + problem);
    return v;
}

ArgParser& ArgParser::option(const IntSetting& setting) {
    return option(optionName(setting.key), "N", setting.help, std::to_string(setting.value));
}

ArgParser& ArgParser::option(const RealSetting& setting) {
    return option(optionName(setting.key), "X", setting.help, formatSettingNumber(setting.value));
}

ArgParser& ArgParser::flag(const BoolSetting& setting) {
    return flag(optionName(setting.key), setting.help);
}

ArgParser::ArgParser(std::string usage, std::string summary)
    : m_usage(std::move(usage)), m_summary(std::move(summary)) {}

ArgParser& ArgParser::option(const std::string& name, const std::string& valueName, const std::string& help,
                             const std::string& defaultValue) {
    m_specs.push_back({name, valueName, help, defaultValue, false, false, {}});
    return *this;
}

ArgParser& ArgParser::flag(const std::string& name, const std::string& help) {
    m_specs.push_back({name, "", help, "", true, false, {}});
    return *this;
}

ArgParser& ArgParser::alias(const std::string& name, const std::string& other) {
    for (auto& s : m_specs) {
        if (s.name == name) s.aliases.push_back(other);
    }
    return *this;
}

ArgParser& ArgParser::required(const std::string& name) {
    for (auto& s : m_specs) {
        if (s.name == name) s.isRequired = true;
    }
    return *this;
}

ArgParser& ArgParser::positionals(const std::string& name, const std::string& help) {
    m_positionalName = name;
    m_positionalHelp = help;
    return *this;
}

ArgParser& ArgParser::epilog(const std::string& text) {
    m_epilog = text;
    return *this;
}

const ArgParser::Spec* ArgParser::find(const std::string& name) const {
    for (const auto& s : m_specs) {
        if (s.name == name || std::find(s.aliases.begin(), s.aliases.end(), name) != s.aliases.end()) return &s;
    }
    return nullptr;
}

std::optional<Args> ArgParser::parse(const std::vector<std::string>& argv) const {
    Args args;
    for (const auto& s : m_specs) args.m_defaults[s.name] = s.defaultValue;
    for (size_t i = 0; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (a == "--help" || a == "-h") {
            std::cout << (g_helpFormat == HelpFormat::Roff ? manSection() : help());
            return std::nullopt;
        }
        if (a.rfind("--", 0) == 0 && a.size() > 2) {
            std::string name = a.substr(2);
            std::optional<std::string> inlineValue;
            if (auto eq = name.find('='); eq != std::string::npos) {
                inlineValue = name.substr(eq + 1);
                name = name.substr(0, eq);
            }
            const Spec* spec = find(name);
            if (spec == nullptr) throw UsageError("unknown option --" + name);
            name = spec->name;  // an alias counts as the option itself
            if (spec->isFlag) {
                if (inlineValue) throw UsageError("--" + name + " takes no value");
                args.m_values[name].push_back("1");
            } else if (inlineValue) {
                args.m_values[name].push_back(*inlineValue);
            } else {
                if (i + 1 >= argv.size()) {
                    throw UsageError("--" + name + " needs a value (" + spec->valueName + ")");
                }
                args.m_values[name].push_back(argv[++i]);
            }
        } else {
            if (m_positionalName.empty()) throw UsageError("unexpected argument '" + a + "'");
            args.m_positionals.push_back(a);
        }
    }
    for (const auto& s : m_specs) {
        if (s.isRequired && !args.has(s.name)) throw UsageError("--" + s.name + " is required");
    }
    return args;
}

std::string ArgParser::help() const {
    std::ostringstream out;
    out << "Usage: " << m_usage << "\n\n" << m_summary << "\n";
    if (!m_positionalName.empty()) {
        out << "\nArguments:\n  " << m_positionalName << "\n      " << m_positionalHelp << "\n";
    }
    out << "\nOptions:\n";
    for (const auto& s : m_specs) {
        std::string head = "  --" + s.name + (s.isFlag ? "" : " " + s.valueName);
        for (const auto& a : s.aliases) head += ", --" + a;
        out << head << "\n      " << s.help;
        if (s.isRequired) out << " (required)";
        if (!s.defaultValue.empty()) out << " [default: " << s.defaultValue << "]";
        out << "\n";
    }
    out << "  --help\n      Show this help.\n";
    if (!m_epilog.empty()) out << "\n" << m_epilog << "\n";
    return out.str();
}

std::string ArgParser::manSection() const {
    // The command's words: the usage's words up to the first option or placeholder.
    std::istringstream words(m_usage);
    std::string title, word;
    auto isWordChar = [](unsigned char c) { return std::islower(c) || std::isdigit(c) || c == '-'; };
    while (words >> word && std::islower(static_cast<unsigned char>(word[0])) &&
           std::all_of(word.begin(), word.end(), isWordChar))
        title += (title.empty() ? "" : " ") + word;
    std::ostringstream out;
    out << ".SS \"" << roff::escape(title) << "\"\n.nf\n"
        << roff::escape(m_usage) << "\n.fi\n.PP\n"
        << roff::escape(m_summary) << "\n";
    if (!m_positionalName.empty()) {
        out << ".PP\nArguments:\n.TP\n"
            << roff::italic(m_positionalName) << "\n"
            << roff::escape(m_positionalHelp) << "\n";
    }
    out << ".PP\nOptions:\n";
    for (const auto& s : m_specs) {
        out << ".TP\n" << roff::bold("--" + s.name) << (s.isFlag ? "" : " " + roff::italic(s.valueName));
        for (const auto& a : s.aliases) out << ", " << roff::bold("--" + a);
        out << "\n" << roff::escape(s.help);
        if (s.isRequired) out << " (required)";
        if (!s.defaultValue.empty()) out << " [default: " << roff::escape(s.defaultValue) << "]";
        out << "\n";
    }
    out << ".TP\n" << roff::bold("--help") << "\nShow this help.\n";
    if (!m_epilog.empty()) out << ".PP\n" << roff::escape(m_epilog) << "\n";
    return out.str();
}

}  // namespace prunescope::cli
