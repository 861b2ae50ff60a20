#include "core/pipeline/experiment_cache.h"

#include "core/util/sha256.h"

namespace prunescope {

ExperimentCache::ExperimentCache(std::filesystem::path dir) : m_dir(std::move(dir)) {
    std::filesystem::create_directories(m_dir);
}

std::string ExperimentCache::key(std::initializer_list<std::string> parts) {
    Sha256 h;
    for (const auto& p : parts) {
        h.update(std::to_string(p.size()) + ":");
        h.update(p);
    }
    return h.hexDigest().substr(0, 16);
}

std::filesystem::path ExperimentCache::path(const std::string& kind, const std::string& key,
                                            const std::string& extension) const {
    return m_dir / (kind + "-" + key + extension);
}

bool ExperimentCache::has(const std::string& kind, const std::string& key, const std::string& extension) const {
    return std::filesystem::exists(path(kind, key, extension));
}

EvalResult evalResult(const std::vector<QuestionScore>& scores) {
    EvalResult r;
    auto s = summarize(scores);
    r.accuracy = s.accuracy;
    r.meanConfidence = s.meanConfidence;
    for (const auto& q : scores) {
        r.confidence.push_back(static_cast<float>(q.confidence));
        r.correct.push_back(q.correct ? 1 : 0);
        r.predicted.push_back(q.predicted);
    }
    return r;
}

nlohmann::json evalResultJson(const EvalResult& r) {
    return {{"accuracy", r.accuracy},
            {"mean_confidence", r.meanConfidence},
            {"confidence", r.confidence},
            {"correct", r.correct},
            {"predicted", r.predicted}};
}

EvalResult evalResultFromJson(const nlohmann::json& j) {
    EvalResult r;
    r.accuracy = j.at("accuracy").get<double>();
    r.meanConfidence = j.at("mean_confidence").get<double>();
    r.confidence = j.at("confidence").get<std::vector<float>>();
    r.correct = j.at("correct").get<std::vector<uint8_t>>();
    r.predicted = j.at("predicted").get<std::vector<int>>();
    return r;
}

nlohmann::json scoresJson(const std::vector<QuestionScore>& scores) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : scores) {
        out.push_back({{"log_probs", s.logProbs}, {"gold", s.gold}});
    }
    return out;
}

std::vector<QuestionScore> scoresFromJson(const nlohmann::json& j) {
    std::vector<QuestionScore> out;
    for (const auto& e : j) {
        ScoringItem item;
        item.gold = e.at("gold").get<int>();
        out.push_back(scoreFromLogProbs(e.at("log_probs").get<std::vector<double>>(), item));
    }
    return out;
}

}  // namespace prunescope
