#include "core/attribution/attribution_file.h"

#include <set>

#include <torch/torch.h>

#include "core/model/safetensors.h"
#include "core/util/error.h"

namespace prunescope {
namespace {

constexpr int kFormatVersion = 1;
constexpr const char* kMetaKey = "prunescope.attributions";

template <typename T>
at::Tensor column(const std::vector<QuestionRecord>& records, T (*get)(const QuestionRecord&), torch::ScalarType type) {
    std::vector<T> values;
    for (const auto& r : records) values.push_back(get(r));
    return torch::tensor(values).to(type);
}

}  // namespace

int64_t countOverTolerance(const IgAggregate& aggregate, double tolerance) {
    int64_t over = 0;
    for (const auto& r : aggregate.records()) over += r.completenessError > tolerance ? 1 : 0;
    return over;
}

void writeAttributionFile(const std::filesystem::path& path, const IgAggregate& a, nlohmann::json meta) {
    const auto& records = a.records();
    const auto q = static_cast<int64_t>(records.size());
    const int64_t k = a.topK();
    auto topLayer = torch::zeros({q, k}, torch::kInt);
    auto topNeuron = torch::zeros({q, k}, torch::kInt);
    auto topValue = torch::zeros({q, k}, torch::kFloat);
    std::vector<int64_t> index;
    std::vector<double> confidence, fx, f0, error;
    std::vector<int32_t> predicted, gold;
    nlohmann::json ids = nlohmann::json::array();
    for (int64_t i = 0; i < q; ++i) {
        const auto& r = records[static_cast<size_t>(i)];
        for (size_t j = 0; j < r.top.size() && static_cast<int64_t>(j) < k; ++j) {
            topLayer[i][static_cast<int64_t>(j)] = r.top[j].layer;
            topNeuron[i][static_cast<int64_t>(j)] = r.top[j].neuron;
            topValue[i][static_cast<int64_t>(j)] = r.top[j].value;
        }
        index.push_back(r.index);
        confidence.push_back(r.confidence);
        fx.push_back(r.fx);
        f0.push_back(r.f0);
        error.push_back(r.completenessError);
        predicted.push_back(r.predicted);
        gold.push_back(r.gold);
        ids.push_back(r.id);
    }
    auto vec = [](const auto& v, torch::ScalarType t) {
        return torch::from_blob(const_cast<void*>(static_cast<const void*>(v.data())), {static_cast<int64_t>(v.size())},
                                torch::TensorOptions().dtype(t))
            .clone();
    };
    // How many questions' Σ IG misses F(x) − F(0) by more than the run's tolerance (recounted
    // here, so merged shards and checkpoints count all their questions).
    double tolerance = settings::kCompletenessTolerance.value;
    if (meta.contains("completeness") && meta["completeness"].contains("tolerance")) {
        tolerance = meta["completeness"]["tolerance"].get<double>();
    }
    double errorSum = 0;
    for (double e : error) errorSum += e;
    meta["completeness"] = {{"tolerance", tolerance},
                            {"over_tolerance", countOverTolerance(a, tolerance)},
                            {"mean_error", q > 0 ? errorSum / static_cast<double>(q) : 0.0}};
    meta["format_version"] = kFormatVersion;
    meta["count"] = q;
    meta["top_k"] = k;
    meta["question_ids"] = ids;
    meta["layers"] = a.nLayer();
    meta["neurons"] = a.nNeuron();
    const auto& raw = a.sums();
    std::vector<std::pair<std::string, at::Tensor>> tensors = {{"sum", raw.sum},
                                                               {"sum_squares", raw.sumSquares},
                                                               {"sum_abs", raw.sumAbs},
                                                               {"sum_positive", raw.sumPositive},
                                                               {"topk_count", a.topKCount()},
                                                               {"question_index", vec(index, torch::kLong)},
                                                               {"confidence", vec(confidence, torch::kDouble)},
                                                               {"predicted", vec(predicted, torch::kInt)},
                                                               {"gold", vec(gold, torch::kInt)},
                                                               {"fx", vec(fx, torch::kDouble)},
                                                               {"f0", vec(f0, torch::kDouble)},
                                                               {"completeness_error", vec(error, torch::kDouble)},
                                                               {"top_layer", topLayer},
                                                               {"top_neuron", topNeuron},
                                                               {"top_value", topValue}};
    if (const auto& n = a.normalizedSums(); n.defined()) {
        tensors.insert(tensors.end(), {{"normalized_sum", n.sum},
                                       {"normalized_sum_squares", n.sumSquares},
                                       {"normalized_sum_abs", n.sumAbs},
                                       {"normalized_sum_positive", n.sumPositive}});
    }
    writeSafetensors(path, tensors, {{kMetaKey, meta.dump()}});
}

AttributionFile readAttributionFile(const std::filesystem::path& path) {
    SafetensorsFile st(path);
    const std::string file = path.string();
    auto it = st.metadata().find(kMetaKey);
    if (it == st.metadata().end()) {
        throw Error(file, "field '__metadata__." + std::string(kMetaKey) + "'", "missing",
                    "is this a Prunescope attributions file?");
    }
    AttributionFile out;
    out.meta = nlohmann::json::parse(it->second, nullptr, false);
    if (out.meta.is_discarded() || !out.meta.is_object()) {
        throw Error(file, "field '__metadata__." + std::string(kMetaKey) + "'", "is not a JSON object");
    }
    if (out.meta.value("format_version", 0) != kFormatVersion) {
        throw Error(file, "field 'format_version'", "unsupported attributions format version");
    }
    auto get = [&](const char* name) {
        if (st.find(name) == nullptr) throw Error(file, std::string("tensor '") + name + "'", "missing");
        return st.tensor(name).clone();
    };
    auto sum = get("sum");
    if (sum.dim() != 2) throw Error(file, "tensor 'sum'", "must be (layers, neurons)");
    auto sameShape = [&](const char* name) {
        auto t = get(name);
        if (t.sizes() != sum.sizes())
            throw Error(file, std::string("tensor '") + name + "'", "shape differs from 'sum'");
        return t;
    };
    IgSums raw{sum, sameShape("sum_squares"), sameShape("sum_abs"), sameShape("sum_positive")};
    auto topCount = sameShape("topk_count");
    // The per-question normalised sums: all four, or none (files written before they were stored).
    IgSums normalized;
    if (st.find("normalized_sum") != nullptr) {
        normalized = {sameShape("normalized_sum"), sameShape("normalized_sum_squares"), sameShape("normalized_sum_abs"),
                      sameShape("normalized_sum_positive")};
    }
    auto index = get("question_index").to(torch::kLong);
    const int64_t q = index.size(0);
    auto confidence = get("confidence").to(torch::kDouble), fx = get("fx").to(torch::kDouble);
    auto f0 = get("f0").to(torch::kDouble), error = get("completeness_error").to(torch::kDouble);
    auto predicted = get("predicted").to(torch::kLong), gold = get("gold").to(torch::kLong);
    auto topLayer = get("top_layer").to(torch::kLong), topNeuron = get("top_neuron").to(torch::kLong);
    auto topValue = get("top_value").to(torch::kFloat);
    const auto& ids = out.meta.value("question_ids", nlohmann::json::array());
    if (static_cast<int64_t>(ids.size()) != q || confidence.size(0) != q || topLayer.size(0) != q) {
        throw Error(file, "tensor 'question_index'", "per-question tensors and question_ids disagree in length");
    }
    std::vector<QuestionRecord> records;
    for (int64_t i = 0; i < q; ++i) {
        QuestionRecord r;
        r.index = index[i].item<int64_t>();
        r.id = ids[static_cast<size_t>(i)].get<std::string>();
        r.confidence = confidence[i].item<double>();
        r.predicted = static_cast<int>(predicted[i].item<int64_t>());
        r.gold = static_cast<int>(gold[i].item<int64_t>());
        r.fx = fx[i].item<double>();
        r.f0 = f0[i].item<double>();
        r.completenessError = error[i].item<double>();
        for (int64_t j = 0; j < topLayer.size(1); ++j) {
            r.top.push_back({static_cast<int32_t>(topLayer[i][j].item<int64_t>()),
                             static_cast<int32_t>(topNeuron[i][j].item<int64_t>()), topValue[i][j].item<float>()});
        }
        records.push_back(std::move(r));
    }
    out.aggregate = IgAggregate::fromSums(std::move(raw), std::move(normalized), topCount, std::move(records),
                                          out.meta.value("top_k", 0));
    return out;
}

AttributionFile mergeAttributionFiles(const std::vector<std::filesystem::path>& paths) {
    if (paths.empty()) throw Error("", "merge", "no files given");
    AttributionFile merged = readAttributionFile(paths[0]);
    std::set<int> shards = {merged.meta["shard"].value("index", 0)};
    for (const char* key : {"model", "dataset", "settings", "selection"}) {
        if (!merged.meta.contains(key)) throw Error(paths[0].string(), std::string("field '") + key + "'", "missing");
    }
    for (size_t i = 1; i < paths.size(); ++i) {
        auto next = readAttributionFile(paths[i]);
        for (const char* key : {"model", "dataset", "settings", "selection"}) {
            if (next.meta[key] != merged.meta[key]) {
                throw Error(paths[i].string(), std::string("field '") + key + "'",
                            "differs from " + paths[0].filename().string() + ": the files come from different runs",
                            "merge only shards of one run (same model, data, settings and selection)");
            }
        }
        int shard = next.meta["shard"].value("index", 0);
        if (next.meta["shard"].value("count", 1) != merged.meta["shard"].value("count", 1) ||
            !shards.insert(shard).second) {
            throw Error(paths[i].string(), "field 'shard'",
                        "shard " + std::to_string(shard + 1) + " given twice or of another split");
        }
        if (!next.meta.value("complete", false))
            throw Error(paths[i].string(), "field 'complete'", "is an unfinished checkpoint");
        merged.aggregate.merge(next.aggregate);
    }
    int count = merged.meta["shard"].value("count", 1);
    merged.meta["shard"] = {{"index", 0},
                            {"count", 1},
                            {"merged_from", static_cast<int>(paths.size())},
                            {"complete_shards", static_cast<int>(shards.size()) == count}};
    return merged;
}

}  // namespace prunescope
