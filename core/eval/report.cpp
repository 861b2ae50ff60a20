#include "core/eval/report.h"

#include <cstdio>

namespace prunescope {

nlohmann::json summaryToJson(const ScoreSummary& s, ScoringMode mode) {
    nlohmann::json j = {{"questions", s.questions},
                        {"accuracy", s.accuracy},
                        {"mean_confidence", s.meanConfidence},
                        {"mean_confidence_correct", s.meanConfidenceCorrect},
                        {"mean_confidence_wrong", s.meanConfidenceWrong},
                        {"confidence_at_least", {{"0.5", s.atLeast50}, {"0.7", s.atLeast70}, {"0.9", s.atLeast90}}},
                        {"confidence_histogram", s.histogram}};
    if (mode == ScoringMode::Continuation) j["accuracy_norm"] = s.accuracyNorm;
    return j;
}

nlohmann::json evaluationToJson(const McqDataset& data, const std::vector<QuestionScore>& scores, ScoringMode mode,
                                const nlohmann::json& model, const nlohmann::json& settings) {
    nlohmann::json questions = nlohmann::json::array();
    for (size_t i = 0; i < scores.size(); ++i) {
        const auto& q = data.questions[i];
        const auto& s = scores[i];
        nlohmann::json e = {{"id", q.id},           {"line", q.line},
                            {"gold", s.gold},       {"predicted", s.predicted},
                            {"correct", s.correct}, {"confidence", s.confidence},
                            {"margin", s.margin},   {"log_probs", s.logProbs},
                            {"probs", s.probs}};
        if (mode == ScoringMode::Continuation) {
            e["predicted_norm"] = s.predictedNorm;
            e["correct_norm"] = s.correctNorm;
        }
        questions.push_back(std::move(e));
    }
    return {{"model", model},
            {"dataset",
             {{"file", data.source.string()},
              {"format", mcqFormatName(data.format)},
              {"fingerprint", data.fingerprint()},
              {"questions", data.questions.size()}}},
            {"settings", settings},
            {"summary", summaryToJson(summarize(scores), mode)},
            {"questions", questions}};
}

std::string summaryText(const ScoreSummary& s, ScoringMode mode) {
    char line[256];
    std::string out;
    std::snprintf(line, sizeof line, "questions        %lld\n", static_cast<long long>(s.questions));
    out += line;
    std::snprintf(line, sizeof line, "accuracy         %.4f\n", s.accuracy);
    out += line;
    if (mode == ScoringMode::Continuation) {
        std::snprintf(line, sizeof line, "accuracy (norm)  %.4f\n", s.accuracyNorm);
        out += line;
    }
    std::snprintf(line, sizeof line, "mean confidence  %.4f (correct %.4f, wrong %.4f)\n", s.meanConfidence,
                  s.meanConfidenceCorrect, s.meanConfidenceWrong);
    out += line;
    std::snprintf(line, sizeof line, "confidence >= 0.5: %lld   >= 0.7: %lld   >= 0.9: %lld\n",
                  static_cast<long long>(s.atLeast50), static_cast<long long>(s.atLeast70),
                  static_cast<long long>(s.atLeast90));
    out += line;
    out += "confidence histogram\n";
    int64_t most = 1;
    for (auto c : s.histogram) most = std::max(most, c);
    for (size_t b = 0; b < s.histogram.size(); ++b) {
        int width = static_cast<int>(40.0 * static_cast<double>(s.histogram[b]) / static_cast<double>(most) + 0.5);
        std::snprintf(line, sizeof line, "  %.1f-%.1f %6lld %s\n", static_cast<double>(b) / 10,
                      static_cast<double>(b + 1) / 10, static_cast<long long>(s.histogram[b]),
                      std::string(static_cast<size_t>(width), '#').c_str());
        out += line;
    }
    return out;
}

}  // namespace prunescope
