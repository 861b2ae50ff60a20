// The settings of an attribution run, declared once (core/settings/setting.h): Integrated Gradients'
// target, scope, quadrature and batching, and which questions are attributed. No LibTorch here:
// the GUI's request types and panels include it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "core/settings/setting.h"

namespace prunescope {

enum class IgTarget { PredictedLogProb, GoldProb, MaxLogit, AnswerLogit, AnswerProb };
enum class IgRule { GaussLegendre, Left, Right, Midpoint, Trapezoid };  // core/attribution/quadrature.h
// Where FFN neurons are read and scaled (core/model/neuron_hook.h).
enum class HookPositions { All, Last };
enum class NeuronSite { Activation, Gate };  // Gate: SwiGLU models' gate_proj output
enum class IgScope { Joint, PerLayer };
// How the per-question IG of a run becomes one score per neuron (IgAggregate::score).
enum class NeuronScore { Mean, MeanAbs, PositiveMean, LayerNormalized, Std, TopKFrequency };

namespace settings {

inline constexpr ChoiceSetting<IgTarget, 5> kIgTarget{
    "target",
    "Target",
    "What IG attributes",
    IgTarget::PredictedLogProb,
    {{{IgTarget::PredictedLogProb, "predicted", "log-probability of the predicted option (over the options)"},
      {IgTarget::GoldProb, "gold", "probability of the correct option (over the options)"},
      {IgTarget::MaxLogit, "max-logit", "the largest logit over the whole vocabulary"},
      {IgTarget::AnswerLogit, "answer-logit", "the logit of the predicted option's token"},
      {IgTarget::AnswerProb, "answer-prob", "probability of the predicted option's token (over the vocabulary)"}}}};
inline constexpr ChoiceSetting<IgScope, 2> kIgScope{
    "scope",
    "Scope",
    "Which neurons are scaled together along the path",
    IgScope::Joint,
    {{{IgScope::Joint, "joint", "all layers together (completeness over all neurons)"},
      {IgScope::PerLayer, "per-layer", "one layer at a time (Knowledge Neurons)"}}}};
inline constexpr ChoiceSetting<HookPositions, 2> kIgPositions{
    "positions",
    "Positions",
    "Where the neurons are scaled",
    HookPositions::Last,
    {{{HookPositions::Last, "last", "the answer position"}, {HookPositions::All, "all", "every position (summed)"}}}};
inline constexpr ChoiceSetting<IgRule, 5> kIgRule{
    "rule",
    "Rule",
    "Quadrature rule of the path integral",
    IgRule::GaussLegendre,
    {{{IgRule::GaussLegendre, "gauss-legendre", "exact for polynomials of degree 2*steps - 1"},
      {IgRule::Left, "left", "left Riemann sum"},
      {IgRule::Right, "right", "right Riemann sum"},
      {IgRule::Midpoint, "midpoint", "midpoint Riemann sum"},
      {IgRule::Trapezoid, "trapezoid", "trapezoid rule (steps + 1 points)"}}}};
inline constexpr ChoiceSetting<NeuronSite, 2> kNeuronSite{
    "site",
    "Site",
    "Which activation is a neuron",
    NeuronSite::Activation,
    {{{NeuronSite::Activation, "activation", "the FFN's intermediate activation"},
      {NeuronSite::Gate, "gate", "SwiGLU models' gate_proj output"}}}};
inline constexpr ChoiceSetting<NeuronScore, 6> kNeuronScore{
    "score",
    "Score",
    "How the questions' IG becomes one score per neuron",
    NeuronScore::Mean,
    {{{NeuronScore::Mean, "mean", "mean IG over the questions (signed)"},
      {NeuronScore::MeanAbs, "mean-abs", "mean |IG|"},
      {NeuronScore::PositiveMean, "positive-mean", "mean of max(IG, 0)"},
      {NeuronScore::LayerNormalized, "layer-normalized", "mean / the layer's largest |mean| (= mean+per-layer)"},
      {NeuronScore::Std, "std", "standard deviation over the questions"},
      {NeuronScore::TopKFrequency, "topk", "how often the neuron is among a question's top k"}}}};
inline constexpr IntSetting kIgSteps{"steps", "Steps", "Integration steps per question", 20, 1, 4096};
inline constexpr IntSetting kQuestionsPerPass{
    "questions_per_pass", "Questions per pass", "Questions attributed together (fewer: less memory)", 8, 1, 4096};
inline constexpr IntSetting kRowsPerPass{"rows_per_pass",
                                         "Rows per pass",
                                         "Scaled copies per forward/backward pass (0: all; set to fit the memory plan)",
                                         0,
                                         0,
                                         1 << 20};
inline constexpr IntSetting kTopK{"top_k", "Top k", "Neurons kept per question in the per-question records",
                                  20,      0,       1 << 20};
inline constexpr RealSetting kMinConfidence{"min_confidence",
                                            "Min. confidence",
                                            "Attribute the questions answered with at least this confidence",
                                            0.9,
                                            0.0,
                                            1.0};
inline constexpr BoolSetting kCorrectOnly{"correct_only", "Correct only", "Only questions answered correctly", false};
inline constexpr RealSetting kCompletenessTolerance{
    "completeness_tolerance",
    "Completeness tolerance",
    "Count and warn about questions whose sum of IG misses F(x) - F(0) by more than this share of it",
    0.01,
    0.0,
    1e9};
inline constexpr IntSetting kAttributeLimit{"limit",
                                            "Limit",
                                            "Attribute the first N selected questions (0: all); scoring stops once N "
                                            "are found",
                                            0,
                                            0,
                                            INT64_MAX};

}  // namespace settings

inline IgRule parseIgRule(const std::string& name) {
    return name == "gauss" ? IgRule::GaussLegendre : settings::kIgRule.parse(name);
}
inline const char* igRuleName(IgRule rule) {
    return settings::kIgRule.nameOf(rule);
}
inline IgTarget parseIgTarget(const std::string& name) {
    return settings::kIgTarget.parse(name);
}
inline const char* igTargetName(IgTarget target) {
    return settings::kIgTarget.nameOf(target);
}
inline IgScope parseIgScope(const std::string& name) {
    return settings::kIgScope.parse(name);
}
inline const char* igScopeName(IgScope scope) {
    return settings::kIgScope.nameOf(scope);
}
inline HookPositions parseIgPositions(const std::string& name) {
    return settings::kIgPositions.parse(name);
}
inline const char* igPositionsName(HookPositions positions) {
    return settings::kIgPositions.nameOf(positions);
}
inline NeuronScore parseNeuronScore(const std::string& name) {
    return settings::kNeuronScore.parse(name);
}
inline const char* neuronScoreName(NeuronScore score) {
    return settings::kNeuronScore.nameOf(score);
}
inline NeuronSite parseNeuronSite(const std::string& name) {
    return settings::kNeuronSite.parse(name);
}
inline const char* neuronSiteName(NeuronSite site) {
    return settings::kNeuronSite.nameOf(site);
}

// Whether the target reads the logits of the whole vocabulary (else only the options' letters).
inline bool targetNeedsVocabulary(IgTarget t) {
    return t == IgTarget::MaxLogit || t == IgTarget::AnswerLogit || t == IgTarget::AnswerProb;
}

// A neuron score as chosen after the run: an aggregation over the questions, optionally of each
// question's IG divided by its largest |IG| ("+per-question"), optionally divided by the layer's
// largest |score| ("+per-layer"). Written "mean", "mean+per-question+per-layer", ...
struct ScoreSpec {
    NeuronScore score = settings::kNeuronScore.value;
    bool perQuestion = false;
    bool perLayer = false;

    bool operator==(const ScoreSpec& o) const {
        return score == o.score && perQuestion == o.perQuestion && perLayer == o.perLayer;
    }
    bool operator!=(const ScoreSpec& o) const { return !(*this == o); }
};

// "mean", "mean-abs+per-question", "mean+per-layer", ... ("layer-normalized" reads as itself).
inline ScoreSpec parseScoreSpec(const std::string& text) {
    ScoreSpec spec;
    size_t start = 0, plus = text.find('+');
    spec.score = settings::kNeuronScore.parse(text.substr(0, plus));
    while (plus != std::string::npos) {
        start = plus + 1;
        plus = text.find('+', start);
        const auto part = text.substr(start, plus == std::string::npos ? std::string::npos : plus - start);
        if (part == "per-question") {
            spec.perQuestion = true;
        } else if (part == "per-layer") {
            spec.perLayer = true;
        } else {
            throw Error("", "setting 'score'", "unknown normalisation '" + part + "' in '" + text + "'",
                        "write a score, then +per-question and/or +per-layer (e.g. mean+per-layer)");
        }
    }
    return spec;
}
inline std::string scoreSpecName(const ScoreSpec& spec) {
    std::string out = settings::kNeuronScore.nameOf(spec.score);
    if (spec.perQuestion) out += "+per-question";
    if (spec.perLayer) out += "+per-layer";
    return out;
}

struct IgSettings {
    IgTarget target = settings::kIgTarget.value;
    IgScope scope = settings::kIgScope.value;
    HookPositions positions = settings::kIgPositions.value;
    IgRule rule = settings::kIgRule.value;
    int steps = static_cast<int>(settings::kIgSteps.value);
    NeuronSite site = settings::kNeuronSite.value;
    bool naive = false;  // re-run the whole sequence for every α (the reference path)
    // 0: a question's rows in the fast path (joint scope; per layer, layerBandRows), 8 naive
    int64_t rowsPerPass = settings::kRowsPerPass.value;
    int questionsPerPass = static_cast<int>(settings::kQuestionsPerPass.value);  // the fast path, in runs
};

// Integrated Gradients one layer at a time, rows per pass left at 0: a pass takes the rows of as
// many consecutive layers as make at least this many rows. Each pass starts at the lowest layer its
// rows scale (below it every row equals the unscaled pass), so the blocks run fall to a little over
// half of one pass over all rows, and the activations kept for the gradient to a fraction. Fewer
// rows make each pass dearer: its products run further from the machine's peak, and weights held
// narrower than the computation (bfloat16 kept as stored) are widened again for every pass, which
// costs as much as some 50 rows through the layer on a 7B model. Measured (docs/attribution.md):
// SmolLM2-135M (float32) runs as fast with 64 to 256 rows per pass, and 32 is 30 % slower;
// Mistral-7B's shape (bfloat16 kept) at 4 steps runs as fast at 128 as in one pass, and 24 %
// slower at 64.
inline constexpr int64_t kLayerBandRows = 128;

// The rows of one such pass, for `rowsPerLayer` rows per layer (quadrature points and F(0)) in a
// model of `nLayer` layers; a pass over every layer holds F(x)'s row too.
inline int64_t layerBandRows(int64_t rowsPerLayer, int64_t nLayer) {
    const int64_t layers = std::clamp<int64_t>((kLayerBandRows + rowsPerLayer - 1) / rowsPerLayer, 1, nLayer);
    return layers * rowsPerLayer + (layers == nLayer ? 1 : 0);
}

struct QuestionFilter {
    double minConfidence = settings::kMinConfidence.value;
    bool correctOnly = settings::kCorrectOnly.value;
    int64_t limit = settings::kAttributeLimit.value;  // the first this many in dataset order; 0: no limit
};

}  // namespace prunescope
