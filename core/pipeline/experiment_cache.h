// The experiment's cache: every intermediate result stored under a key that hashes everything it
// depends on, so a re-run recomputes only what a changed setting touches.
#pragma once

#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/eval/scoring.h"

namespace prunescope {

class ExperimentCache {
public:
    explicit ExperimentCache(std::filesystem::path dir);

    // A key: sha256 over the parts (16 hex digits are enough to tell entries apart).
    static std::string key(std::initializer_list<std::string> parts);

    std::filesystem::path path(const std::string& kind, const std::string& key, const std::string& extension) const;
    bool has(const std::string& kind, const std::string& key, const std::string& extension) const;

    const std::filesystem::path& dir() const { return m_dir; }

private:
    std::filesystem::path m_dir;
};

// Evaluation results as cached and reported.
struct EvalResult {
    double accuracy = 0;
    double meanConfidence = 0;
    std::vector<float> confidence;
    std::vector<uint8_t> correct;
    std::vector<int> predicted;
};

EvalResult evalResult(const std::vector<QuestionScore>& scores);
nlohmann::json evalResultJson(const EvalResult& r);
EvalResult evalResultFromJson(const nlohmann::json& j);

nlohmann::json scoresJson(const std::vector<QuestionScore>& scores);
std::vector<QuestionScore> scoresFromJson(const nlohmann::json& j);

}  // namespace prunescope
