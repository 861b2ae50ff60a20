// Collects an experiment's results and writes report.json and report.md (schema:
// docs/experiments.md). Statistics: mean and sample standard deviation over seeds per arm and
// dataset; paired differences per seed (every arm of a seed starts from the same base model).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/pipeline/experiment.h"
#include "core/pipeline/experiment_cache.h"

namespace prunescope {

struct AttributionFile;

class ExperimentReport {
public:
    ExperimentReport(const ExperimentConfig& config, std::string modelFingerprint);

    void addBase(const std::string& dataset, const std::string& fingerprint, const EvalResult& result);
    void setAttribution(const std::filesystem::path& file, const AttributionFile& attributions,
                        const NeuronMask& igMask);
    void addResult(const std::string& arm, uint64_t seed, const std::string& dataset, const EvalResult& result);
    void addTraining(const std::string& arm, uint64_t seed, const nlohmann::json& history);

    // Writes report.json and report.md into config.out; returns report.json's content.
    nlohmann::json write() const;

private:
    const ExperimentConfig& m_config;
    std::string m_modelFingerprint;
    nlohmann::json m_datasets = nlohmann::json::array();
    nlohmann::json m_base = nlohmann::json::array();
    nlohmann::json m_results = nlohmann::json::array();
    nlohmann::json m_training = nlohmann::json::array();
    nlohmann::json m_attribution;
    nlohmann::json m_confidence = nlohmann::json::object();
};

// Paired statistics of a - b over seeds: mean, standard error, wins.
struct Paired {
    double meanDiff = 0;
    double stdErr = 0;
    int wins = 0;
    int n = 0;
};
Paired pairedDifference(const std::vector<double>& a, const std::vector<double>& b);
// One entry of report.json's "paired": arm, versus, dataset, mean_diff, std_err, wins, n, exceeds_2se.
nlohmann::json pairedEntry(const std::string& arm, const std::string& versus, const std::string& dataset,
                           const Paired& p);

// The Markdown report from report.json's content.
std::string reportMarkdown(const nlohmann::json& report);

}  // namespace prunescope
