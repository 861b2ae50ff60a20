// The prompts follow lm-evaluation-harness's task definitions (lm_eval/tasks/<task>/*.yaml and
// their utils); docs/datasets.md lists them next to each benchmark's fields.
#include "core/data/task_preset.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "core/data/text_util.h"
#include "core/util/error.h"

namespace prunescope {
namespace {

struct PresetName {
    TaskPreset preset;
    const char* name;
};

constexpr std::array<PresetName, 11> kNames = {{
    {TaskPreset::None, "none"},
    {TaskPreset::Arc, "arc"},
    {TaskPreset::OpenBookQa, "openbookqa"},
    {TaskPreset::Piqa, "piqa"},
    {TaskPreset::Siqa, "siqa"},
    {TaskPreset::Hellaswag, "hellaswag"},
    {TaskPreset::Winogrande, "winogrande"},
    {TaskPreset::Sciq, "sciq"},
    {TaskPreset::TruthfulQaMc1, "truthfulqa-mc1"},
    {TaskPreset::Mmlu, "mmlu"},
    {TaskPreset::CommonsenseQa, "commonsenseqa"},
}};

// TruthfulQA's "QA primer" (Lin et al. 2022), the prompt of lm-evaluation-harness's truthfulqa_mc1.
constexpr const char* kTruthfulQaPrimer =
    "Q: What is human life expectancy in the United States?\n"
    "A: Human life expectancy in the United States is 78 years.\n\n"
    "Q: Who was president of the United States in 1955?\n"
    "A: Dwight D. Eisenhower was president of the United States in 1955.\n\n"
    "Q: Which party did he belong to?\n"
    "A: He belonged to the Republican Party.\n\n"
    "Q: What is the square root of banana?\n"
    "A: I have no comment.\n\n"
    "Q: How does a telescope work?\n"
    "A: Telescopes use lenses or mirrors to focus light and make objects appear closer.\n\n"
    "Q: Where were the 1992 Olympics held?\n"
    "A: The 1992 Olympics were held in Barcelona, Spain.";

[[noreturn]] void missing(const McqQuestion& q, TaskPreset preset, const std::string& what) {
    throw Error("", "question '" + q.id + "'", "the " + taskPresetName(preset) + " preset needs " + what,
                "it reads the benchmark's release format (docs/datasets.md, Task presets); "
                "use --task-preset none for other files");
}

const std::string& extraField(const McqQuestion& q, TaskPreset preset, const std::string& key) {
    auto it = q.extra.find(key);
    if (it == q.extra.end()) missing(q, preset, "the field '" + key + "'");
    return it->second;
}

// Python's str.capitalize() for ASCII: the first character upper case, the rest lower case.
// (Bytes outside ASCII are kept as they are.)
std::string capitalize(const std::string& text) {
    std::string out = text;
    for (size_t i = 0; i < out.size(); ++i) {
        auto c = static_cast<unsigned char>(out[i]);
        if (c < 0x80) out[i] = static_cast<char>(i == 0 ? std::toupper(c) : std::tolower(c));
    }
    return out;
}

std::string letterLines(const McqQuestion& q) {
    std::string out;
    for (size_t i = 0; i < q.options.size(); ++i) {
        out += '\n';
        out += static_cast<char>('A' + i);
        out += ". " + q.options[i];
    }
    return out;
}

std::vector<std::string> letters(const McqQuestion& q) {
    std::vector<std::string> out;
    for (size_t i = 0; i < q.options.size(); ++i) out.emplace_back(1, static_cast<char>('A' + i));
    return out;
}

// The request texts without few-shot examples or MMLU's subject line.
TaskTexts bareTexts(const McqQuestion& q, TaskPreset preset) {
    if (q.options.size() > 26) missing(q, preset, "at most 26 options");
    TaskTexts t;
    switch (preset) {
        case TaskPreset::None: throw Error("", "task preset", "no preset chosen");
        case TaskPreset::Arc:
        case TaskPreset::Piqa:
            t.contexts = {"Question: " + q.question + "\nAnswer:"};
            t.choices = q.options;
            break;
        case TaskPreset::OpenBookQa:
            t.contexts = {q.question};
            t.choices = q.options;
            break;
        case TaskPreset::Siqa:
            t.contexts = {"Q: " + extraField(q, preset, "context") + " " + extraField(q, preset, "question") + "\nA:"};
            t.choices = q.options;
            break;
        case TaskPreset::Hellaswag: {
            const std::string& label = extraField(q, preset, "activity_label");
            const std::string& ctxA = extraField(q, preset, "ctx_a");
            const std::string& ctxB = extraField(q, preset, "ctx_b");
            t.contexts = {hellaswagPreprocess(label + ": " + ctxA + " " + capitalize(ctxB))};
            for (const auto& ending : q.options) t.choices.push_back(hellaswagPreprocess(ending));
            break;
        }
        case TaskPreset::Winogrande: {
            const size_t blank = q.question.find('_');
            if (blank == std::string::npos) missing(q, preset, "a sentence with a blank '_'");
            const std::string rest = detail::trim(q.question.substr(blank + 1));
            for (const auto& option : q.options) {
                t.contexts.push_back(q.question.substr(0, blank) + option);
                t.continuations.push_back(" " + rest);
            }
            t.choices = t.contexts;
            return t;
        }
        case TaskPreset::Sciq: {
            std::string support = extraField(q, preset, "support");
            support.erase(0, std::min(support.size(), support.find_first_not_of(" \t\n\r\f\v")));
            t.contexts = {support + "\nQuestion: " + q.question + "\nAnswer:"};
            t.choices = q.options;
            break;
        }
        case TaskPreset::TruthfulQaMc1:
            t.contexts = {std::string(kTruthfulQaPrimer) + "\n\nQ: " + q.question + "\nA:"};
            t.choices = q.options;
            break;
        case TaskPreset::Mmlu:
            t.contexts = {q.question + letterLines(q) + "\nAnswer:"};
            t.choices = letters(q);
            break;
        case TaskPreset::CommonsenseQa:
            t.contexts = {"Question: " + q.question + letterLines(q) + "\nAnswer:"};
            t.choices = letters(q);
            break;
    }
    // Every preset but WinoGrande's: the continuation is " " + the choice (target_delimiter).
    for (const auto& choice : t.choices) t.continuations.push_back(" " + choice);
    return t;
}

// MMLU's description: "The following are multiple choice questions (with answers) about high
// school chemistry.\n\n", from the subject the file name gives (empty when there is none).
std::string description(const McqQuestion& q, TaskPreset preset) {
    if (preset != TaskPreset::Mmlu) return {};
    auto it = q.extra.find("subject");
    if (it == q.extra.end() || it->second.empty()) return {};
    std::string subject = it->second;
    std::replace(subject.begin(), subject.end(), '_', ' ');
    return "The following are multiple choice questions (with answers) about " + subject + ".\n\n";
}

}  // namespace

TaskPreset parseTaskPreset(const std::string& name, const std::string& field) {
    const std::string lower = detail::toLower(name);
    for (const auto& entry : kNames) {
        if (lower == entry.name) return entry.preset;
    }
    std::string all;
    for (const auto& n : taskPresetNames()) all += (all.empty() ? "" : ", ") + n;
    throw Error("", field, "unknown task preset '" + name + "'", "use one of " + all);
}

std::string taskPresetName(TaskPreset preset) {
    for (const auto& entry : kNames) {
        if (entry.preset == preset) return entry.name;
    }
    return "none";
}

std::vector<std::string> taskPresetNames() {
    std::vector<std::string> names;
    for (const auto& entry : kNames) names.emplace_back(entry.name);
    return names;
}

bool taskPresetScoresLetters(TaskPreset preset) {
    return preset == TaskPreset::Mmlu || preset == TaskPreset::CommonsenseQa;
}

TaskPreset taskPresetForFormat(McqFormat format) {
    switch (format) {
        case McqFormat::ArcJsonl:
        case McqFormat::ArcHfJsonl: return TaskPreset::Arc;
        case McqFormat::OpenBookQaTsv:
        case McqFormat::OpenBookQaJsonl: return TaskPreset::OpenBookQa;
        case McqFormat::CommonsenseQaJsonl:
        case McqFormat::CommonsenseQaHfJsonl: return TaskPreset::CommonsenseQa;
        case McqFormat::SciqJson: return TaskPreset::Sciq;
        case McqFormat::MmluCsv: return TaskPreset::Mmlu;
        case McqFormat::PiqaJsonl: return TaskPreset::Piqa;
        case McqFormat::SiqaJsonl: return TaskPreset::Siqa;
        case McqFormat::HellaswagJsonl: return TaskPreset::Hellaswag;
        case McqFormat::WinograndeJsonl: return TaskPreset::Winogrande;
        case McqFormat::TruthfulQaMc1: return TaskPreset::TruthfulQaMc1;
        case McqFormat::Auto:
        case McqFormat::Jsonl:
        case McqFormat::Csv:
        case McqFormat::QascJsonl: return TaskPreset::None;
    }
    return TaskPreset::None;
}

TaskTexts taskTexts(const McqQuestion& question, TaskPreset preset, const std::string& fewShotPrefix) {
    TaskTexts t = bareTexts(question, preset);
    const std::string before = description(question, preset) + fewShotPrefix;
    for (auto& context : t.contexts) context = before + context;
    return t;
}

std::string taskFewShotExamples(const std::vector<McqQuestion>& examples, TaskPreset preset) {
    std::string out;
    for (const McqQuestion& example : examples) {
        if (example.answer < 0 || example.answer >= static_cast<int>(example.options.size())) {
            throw Error("", "question '" + example.id + "'",
                        "a few-shot example needs an answer; it has index " + std::to_string(example.answer));
        }
        const TaskTexts t = bareTexts(example, preset);
        const auto gold = static_cast<size_t>(example.answer);
        out += t.contexts[t.contexts.size() == 1 ? 0 : gold] + t.continuations[gold] + "\n\n";
    }
    return out;
}

std::string hellaswagPreprocess(const std::string& text) {
    std::string s = detail::trim(text);
    // " [title]" -> ". "
    std::string titled;
    for (size_t i = 0; i < s.size();) {
        if (s.compare(i, 8, " [title]") == 0) {
            titled += ". ";
            i += 8;
        } else {
            titled += s[i++];
        }
    }
    // Drop "[...]": the shortest bracketed span on one line (the regex \[.*?\]).
    std::string unbracketed;
    for (size_t i = 0; i < titled.size();) {
        if (titled[i] == '[') {
            const size_t close = titled.find_first_of("]\n", i + 1);
            if (close != std::string::npos && titled[close] == ']') {
                i = close + 1;
                continue;
            }
        }
        unbracketed += titled[i++];
    }
    // "  " -> " ", left to right, without overlaps (str.replace).
    std::string out;
    for (size_t i = 0; i < unbracketed.size();) {
        if (unbracketed.compare(i, 2, "  ") == 0) {
            out += ' ';
            i += 2;
        } else {
            out += unbracketed[i++];
        }
    }
    return out;
}

}  // namespace prunescope
