// experiment.json: parsing with errors that name the field, and back to JSON for the report.
#include <algorithm>
#include <limits>
#include <set>

#include "core/eval/mcq_items.h"
#include "core/pipeline/experiment.h"
#include "core/util/error.h"
#include "core/util/files.h"

namespace fs = std::filesystem;

namespace prunescope {
namespace {

class Reader {
public:
    Reader(const nlohmann::json& j, std::string file, std::string path)
        : m_j(j), m_file(std::move(file)), m_path(std::move(path)) {
        if (!j.is_object()) throw Error(m_file, where(""), "expected an object");
    }
    void allow(std::initializer_list<const char*> keys) const {
        std::set<std::string> ok(keys.begin(), keys.end());
        for (auto it = m_j.begin(); it != m_j.end(); ++it) {
            if (!ok.count(it.key())) throw Error(m_file, where(it.key()), "unknown field");
        }
    }
    bool has(const char* key) const { return m_j.contains(key) && !m_j[key].is_null(); }
    const nlohmann::json& raw(const char* key) const { return m_j[key]; }
    std::string string(const char* key, const std::string& fallback) const {
        if (!has(key)) return fallback;
        if (!m_j[key].is_string()) throw Error(m_file, where(key), "expected a string");
        return m_j[key].get<std::string>();
    }
    double number(const char* key, double fallback) const {
        if (!has(key)) return fallback;
        if (!m_j[key].is_number()) throw Error(m_file, where(key), "expected a number");
        return m_j[key].get<double>();
    }
    int64_t integer(const char* key, int64_t fallback, int64_t minimum = 0) const {
        if (!has(key)) return fallback;
        if (!m_j[key].is_number_integer()) throw Error(m_file, where(key), "expected an integer");
        auto v = m_j[key].get<int64_t>();
        if (v < minimum) throw Error(m_file, where(key), "must be >= " + std::to_string(minimum));
        return v;
    }
    bool boolean(const char* key, bool fallback) const {
        if (!has(key)) return fallback;
        if (!m_j[key].is_boolean()) throw Error(m_file, where(key), "expected true or false");
        return m_j[key].get<bool>();
    }
    // A setting declared in core (core/settings/setting.h), range-checked.
    int64_t get(const IntSetting& s, int64_t fallback) const {
        const auto v = integer(s.key, fallback, std::numeric_limits<int64_t>::min());
        if (auto problem = outOfRange(s, v); !problem.empty()) throw Error(m_file, where(s.key), problem);
        return v;
    }
    double get(const RealSetting& s, double fallback) const {
        const double v = number(s.key, fallback);
        if (auto problem = outOfRange(s, v); !problem.empty()) throw Error(m_file, where(s.key), problem);
        return v;
    }
    bool get(const BoolSetting& s, bool fallback) const { return boolean(s.key, fallback); }
    template <class E, size_t N>
    E get(const ChoiceSetting<E, N>& s, E fallback) const {
        if (!has(s.key)) return fallback;
        return field(s.key, [&](const std::string& v) { return s.parse(v); });
    }
    Reader child(const char* key) const { return Reader(m_j[key], m_file, pathOf(key)); }
    std::string pathOf(const std::string& key) const {
        return m_path.empty() ? key : key.empty() ? m_path : m_path + "." + key;
    }
    std::string where(const std::string& key) const {
        std::string p = pathOf(key);
        return p.empty() ? "" : "field '" + p + "'";
    }
    const std::string& file() const { return m_file; }
    // Converts an Error thrown by an engine parser into one naming this field.
    template <typename F>
    auto field(const char* key, F parse) const {
        try {
            return parse(string(key, ""));
        } catch (const Error& e) {
            throw Error(m_file, where(key), e.message(), e.hint());
        }
    }

private:
    const nlohmann::json& m_j;
    std::string m_file;
    std::string m_path;
};

DatasetRef readDataset(const Reader& r, const fs::path& base, const std::string& defaultName) {
    r.allow({"name", "file", "format", "split", "limit"});
    DatasetRef d;
    d.name = r.string("name", defaultName);
    if (!r.has("file")) throw Error(r.file(), r.where("file"), "missing");
    d.file = r.string("file", "");
    if (d.file.is_relative()) d.file = base / d.file;
    d.format = r.string("format", "auto");
    parseMcqFormat(d.format);
    d.split = r.string("split", "all");
    if (d.split != "all" && d.split != "train" && d.split != "validation" && d.split != "test") {
        throw Error(r.file(), r.where("split"), "unknown split '" + d.split + "'",
                    "use all, train, validation or test");
    }
    d.limit = r.integer("limit", 0);
    return d;
}

}  // namespace

ExperimentConfig parseExperimentConfig(const nlohmann::json& json, const std::string& file, const fs::path& base) {
    Reader r(json, file, "");
    r.allow({"model", "data", "train", "validation", "test", "ood", "scoring", "attribution", "selection", "finetune",
             "arms", "seeds", "device", "dtype", "out", "split_seed", settings::kPreset.key});
    ExperimentConfig c;
    // A preset first: the attribution and selection blocks below change its values field by field.
    c.preset = r.get(settings::kPreset, c.preset);
    const auto preset = methodSettings(c.preset);
    c.attribution.preset = c.preset;
    c.attribution.ig = preset.ig;
    c.attribution.filter = preset.filter;
    c.score = preset.score;
    c.selection.rule = preset.rule;
    c.selection.percent = preset.percent;
    if (!r.has("model")) throw Error(file, "field 'model'", "missing");
    c.model = r.string("model", "");
    if (c.model.is_relative()) c.model = base / c.model;
    c.splitSeed = static_cast<uint64_t>(r.get(settings::kSplitSeed, settings::kSplitSeed.value));
    if (r.has("data")) {
        // One file, split 80/10/10 with a seed.
        auto d = r.child("data");
        d.allow({"file", "format", "split_seed", "limit"});
        nlohmann::json one = {{"file", d.string("file", "")}, {"format", d.string("format", "auto")}};
        if (!d.has("file")) throw Error(file, "field 'data.file'", "missing");
        c.splitSeed = static_cast<uint64_t>(d.integer("split_seed", static_cast<int64_t>(c.splitSeed)));
        int64_t limit = d.integer("limit", 0);
        for (auto [ref, split] : {std::pair{&c.train, "train"}, {&c.validation, "validation"}, {&c.test, "test"}}) {
            auto j = one;
            j["split"] = split;
            j["limit"] = limit;
            *ref = readDataset(Reader(j, file, std::string("data")), base, split);
        }
    } else {
        for (auto [ref, key] : {std::pair{&c.train, "train"}, {&c.validation, "validation"}, {&c.test, "test"}}) {
            if (!r.has(key))
                throw Error(file, std::string("field '") + key + "'", "missing",
                            "give \"data\" or train, validation and test");
            *ref = readDataset(r.child(key), base, key);
        }
    }
    if (r.has("ood")) {
        if (!r.raw("ood").is_array()) throw Error(file, "field 'ood'", "expected an array");
        for (size_t i = 0; i < r.raw("ood").size(); ++i) {
            Reader o(r.raw("ood")[i], file, "ood[" + std::to_string(i) + "]");
            c.ood.push_back(readDataset(o, base, "ood-" + std::to_string(i + 1)));
        }
    }
    if (r.has("scoring")) {
        auto s = r.child("scoring");
        s.allow({"mode", "template", "option_template", "task_preset", "batch_size"});
        c.prompt.task = s.field("task_preset", [](const std::string& v) {
            return parseTaskPreset(v.empty() ? "none" : v, "scoring.task_preset");
        });
        const ScoringMode presetMode = presetScoringMode(c.prompt.task);
        c.scoring = s.field("mode", [&](const std::string& v) { return v.empty() ? presetMode : parseScoringMode(v); });
        if (c.prompt.task != TaskPreset::None && c.scoring != presetMode) {
            throw Error(file, "field 'scoring.mode'",
                        "the task preset " + taskPresetName(c.prompt.task) + " scores " +
                            (presetMode == ScoringMode::Letter ? "letters" : "continuations"));
        }
        c.prompt.text = s.string("template", c.prompt.text);
        c.prompt.option = s.string("option_template", c.prompt.option);
        c.batchSize = s.get(settings::kScoringBatchSize, c.batchSize);
        try {
            validateTemplate(c.prompt);
        } catch (const Error& e) {
            throw Error(file, "field 'scoring.template'", e.message(), e.hint());
        }
    }
    if (r.has("attribution")) {
        auto a = r.child("attribution");
        using namespace settings;
        a.allow({"on", kMinConfidence.key, kCorrectOnly.key, kAttributeLimit.key, kIgSteps.key, kIgRule.key,
                 kIgScope.key, kIgPositions.key, kIgTarget.key, kNeuronSite.key, kTopK.key,
                 kCompletenessTolerance.key});
        c.attributeOn = a.string("on", c.attributeOn);
        if (c.attributeOn != "train" && c.attributeOn != "validation") {
            throw Error(file, "field 'attribution.on'", "must be train or validation");
        }
        auto& job = c.attribution;
        using namespace settings;
        job.filter.minConfidence = a.get(kMinConfidence, job.filter.minConfidence);
        job.filter.correctOnly = a.get(kCorrectOnly, job.filter.correctOnly);
        job.filter.limit = a.get(kAttributeLimit, job.filter.limit);
        job.ig.steps = static_cast<int>(a.get(kIgSteps, job.ig.steps));
        job.ig.rule = a.get(kIgRule, job.ig.rule);
        job.ig.scope = a.get(kIgScope, job.ig.scope);
        job.ig.positions = a.get(kIgPositions, job.ig.positions);
        job.ig.target = a.get(kIgTarget, job.ig.target);
        job.ig.site = a.get(kNeuronSite, job.ig.site);
        job.topK = static_cast<int>(a.get(kTopK, job.topK));
        job.completenessTolerance = a.get(kCompletenessTolerance, job.completenessTolerance);
    }
    if (r.has("selection")) {
        auto s = r.child("selection");
        s.allow({"score", "rule", "percent", "layer", "threshold", "fraction", "exclude_layers", "per_layer_cap",
                 "prune_positions"});
        if (s.has("score")) c.score = s.field("score", parseScoreSpec);
        c.selection.rule = s.get(settings::kSelectRule, c.selection.rule);
        using namespace settings;
        c.selection.percent = s.get(kPrunePercent, c.selection.percent);
        c.selection.layer = s.get(kSelectLayer, c.selection.layer);
        c.selection.threshold = s.get(kSelectThreshold, c.selection.threshold);
        c.selection.fraction = s.get(kFractionOfMax, c.selection.fraction);
        if (s.has("exclude_layers")) {
            for (const auto& l : s.raw("exclude_layers")) {
                if (!l.is_number_integer())
                    throw Error(file, "field 'selection.exclude_layers'", "expected layer numbers");
                c.selection.excludeLayers.push_back(l.get<int64_t>());
            }
        }
        c.selection.perLayerCap = s.get(kPerLayerCap, c.selection.perLayerCap);
        c.selection.positions = s.get(kPrunePositions, c.selection.positions);
        if (c.selection.positions == HookPositions::Last && c.scoring != ScoringMode::Letter) {
            throw Error(file, "field 'selection.prune_positions'",
                        "pruning at the last position needs letter scoring (a continuation's last position is not "
                        "the answer position)");
        }
    }
    if (r.has("finetune")) {
        try {
            c.finetune = FinetuneSettings::fromJson(r.raw("finetune"), file);
        } catch (const Error& e) {
            std::string place =
                e.place().rfind("field '", 0) == 0 ? "field 'finetune." + e.place().substr(7) : e.place();
            throw Error(file, place, e.message(), e.hint());
        }
        c.finetune.mode = c.scoring;
    }
    if (r.has("arms")) {
        c.arms.clear();
        for (const auto& a : r.raw("arms")) {
            std::string arm = a.is_string() ? a.get<std::string>() : "";
            if (std::find(kExperimentArms.begin(), kExperimentArms.end(), arm) == kExperimentArms.end()) {
                throw Error(file, "field 'arms'", "unknown arm " + a.dump(),
                            "use plain, ig, random, magnitude, random-matched, prune-only");
            }
            c.arms.push_back(arm);
        }
        if (c.arms.empty()) throw Error(file, "field 'arms'", "is empty");
    }
    if (r.has("seeds")) {
        c.seeds.clear();
        for (const auto& s : r.raw("seeds")) {
            if (!s.is_number_integer() || s.get<int64_t>() < 0) {
                throw Error(file, "field 'seeds'", "expected non-negative integers");
            }
            c.seeds.push_back(s.get<uint64_t>());
        }
        if (c.seeds.empty()) throw Error(file, "field 'seeds'", "is empty");
    }
    c.device = r.string("device", c.device);
    c.dtype = r.string("dtype", c.dtype);
    if (c.dtype != "float32" && c.dtype != "bfloat16" && c.dtype != "float16") {
        throw Error(file, "field 'dtype'", "unknown compute dtype '" + c.dtype + "'",
                    "use float32, bfloat16 or float16");
    }
    if (!r.has("out")) throw Error(file, "field 'out'", "missing");
    c.out = r.string("out", "");
    if (c.out.is_relative()) c.out = base / c.out;
    return c;
}

ExperimentConfig readExperimentConfig(const fs::path& file) {
    auto base = fs::absolute(file).parent_path();
    return parseExperimentConfig(readJsonFile(file), file.string(), base);
}

nlohmann::json ExperimentConfig::toJson() const {
    auto ds = [](const DatasetRef& d) {
        return nlohmann::json{
            {"name", d.name}, {"file", d.file.string()}, {"format", d.format}, {"split", d.split}, {"limit", d.limit}};
    };
    nlohmann::json ood = nlohmann::json::array();
    for (const auto& d : this->ood) ood.push_back(ds(d));
    auto sel = selection.toJson();
    sel["score"] = scoreSpecName(score);
    auto attr = attributionSettingsJson(attribution.ig, attribution.filter, attribution.topK);
    attr["on"] = attributeOn;
    attr[settings::kCompletenessTolerance.key] = attribution.completenessTolerance;
    return {{"model", model.string()},
            {settings::kPreset.key, presetName(preset)},
            {"train", ds(train)},
            {"validation", ds(validation)},
            {"test", ds(test)},
            {"split_seed", splitSeed},
            {"ood", ood},
            {"scoring",
             {{"mode", scoringModeName(scoring)},
              {"template", prompt.text},
              {"option_template", prompt.option},
              {"task_preset", taskPresetName(prompt.task)},
              {"batch_size", batchSize}}},
            {"attribution", attr},
            {"selection", sel},
            {"finetune", finetune.toJson()},
            {"arms", arms},
            {"seeds", seeds},
            {"device", device},
            {"dtype", dtype},
            {"out", out.string()}};
}

}  // namespace prunescope
