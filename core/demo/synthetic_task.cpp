#include "core/demo/synthetic_task.h"

#include <nlohmann/json.hpp>

#include "core/util/error.h"
#include "core/util/files.h"

namespace prunescope {
namespace {

// SplitMix64: the same numbers on every platform and standard library.
class Rng {
public:
    explicit Rng(uint64_t seed) : m_state(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull) {}
    uint64_t next() {
        uint64_t z = (m_state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    int below(int n) { return static_cast<int>(next() % static_cast<uint64_t>(n)); }
    double uniform() { return static_cast<double>(next() >> 11) / 9007199254740992.0; }

private:
    uint64_t m_state;
};

}  // namespace

DemoCue parseDemoCue(const std::string& name, const std::string& where) {
    if (name == "sum") return DemoCue::Sum;
    if (name == "phrasing") return DemoCue::Phrasing;
    throw Error("", where, "unknown cue '" + name + "' (expected sum or phrasing)");
}

std::string demoCueName(DemoCue cue) {
    return cue == DemoCue::Sum ? "sum" : "phrasing";
}

std::vector<std::string> demoVocabulary(DemoCue cue) {
    std::vector<std::string> v = {"[UNK]", "MAX"};
    for (int i = 0; i < 10; ++i) v.push_back("t" + std::to_string(i));
    for (const char* s : {"|", ",", "A", "B", "C", "D"}) v.emplace_back(s);
    for (int i = 0; i < 100; ++i) v.push_back(std::to_string(i));
    for (int i = 1; i <= 16; ++i) v.push_back("ask" + std::to_string(i));
    if (cue == DemoCue::Sum) {
        for (const char* code : {"p", "q"}) {
            for (int i = 0; i < 4; ++i) v.push_back(code + std::to_string(i));
        }
        for (int i = 0; i < 4; ++i) v.push_back("?" + std::to_string(i));
    }
    return v;
}

PromptTemplate demoPromptTemplate() {
    PromptTemplate t;
    t.text = "MAX {question} | {options} | {extra.cue}";
    t.option = "{letter} {text} ,";
    return t;
}

McqDataset generateDemoTask(int64_t n, const DemoTaskSpec& spec, uint64_t seed, const std::string& name) {
    Rng rng(seed);
    McqDataset d;
    d.name = name;
    for (int64_t i = 0; i < n; ++i) {
        McqQuestion q;
        q.id = name + "-" + std::to_string(i);
        q.line = static_cast<int>(i + 1);
        q.question = "t" + std::to_string(spec.firstTag + rng.below(spec.tagCount));
        int numbers[4];
        for (int o = 0; o < 4; ++o) {
            bool fresh = false;
            while (!fresh) {
                numbers[o] = rng.below(100);
                fresh = true;
                for (int k = 0; k < o; ++k) fresh = fresh && numbers[k] != numbers[o];
            }
            q.options.push_back(std::to_string(numbers[o]));
            q.labels.push_back(std::string(1, static_cast<char>('A' + o)));
        }
        q.answer = static_cast<int>(std::max_element(numbers, numbers + 4) - numbers);
        if (spec.ruleAgreement < 1.0 && rng.uniform() >= spec.ruleAgreement)
            q.answer = (q.answer + 1 + rng.below(3)) % 4;
        if (spec.hiddenShare > 0 && rng.uniform() < spec.hiddenShare) {
            if (spec.cue != DemoCue::Sum) throw Error("", "demo task", "hidden numbers need the sum cue's vocabulary");
            for (size_t o = 0; o < q.options.size(); ++o)
                q.options[o] = "?" + std::to_string(o);  // distinct, uninformative
        }
        int cue;
        if (spec.uncorrelated) {
            cue = rng.below(4);
        } else if (rng.uniform() < spec.cueStrength) {
            cue = q.answer;
        } else {
            cue = (q.answer + 1 + rng.below(3)) % 4;  // one of the three wrong letters
        }
        q.extra["tag"] = q.question;
        if (spec.cue == DemoCue::Sum) {
            const int x = rng.below(4);
            q.extra["cue"] = "p" + std::to_string(x) + " q" + std::to_string((cue - x + 4) % 4);
        } else {
            q.extra["cue"] = "ask" + std::to_string(cue * 4 + rng.below(4) + 1);
        }
        q.extra["cue_letter"] = std::to_string(cue);
        d.questions.push_back(std::move(q));
    }
    return d;
}

void writeDemoJsonl(const McqDataset& data, const std::filesystem::path& file) {
    std::string text;
    for (const auto& q : data.questions) {
        nlohmann::json j = {{"id", q.id},
                            {"question", q.question},
                            {"choices", q.options},
                            {"answer", q.answer},
                            {"tag", q.extra.at("tag")},
                            {"cue", q.extra.at("cue")},
                            {"cue_letter", q.extra.at("cue_letter")}};
        text += j.dump() + "\n";
    }
    writeFileAtomic(file, text);
}

int cueLetter(const McqQuestion& question) {
    auto it = question.extra.find("cue_letter");
    if (it == question.extra.end()) throw Error("", "question '" + question.id + "'", "has no field 'cue_letter'");
    return std::stoi(it->second);
}

}  // namespace prunescope
