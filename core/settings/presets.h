// Named sets of method settings, declared once for the CLI (--preset), experiment files ("preset")
// and the GUI (the Attribution panel's Preset box). "paper" is the method of Ali, Katz, Wolf and
// Titov (COLM 2025) as far as the paper states it, with Knowledge Neurons' choice (Dai et al., ACL
// 2022) where it leaves one open; docs/method.md lists every entry with its source.
#pragma once

#include <string>
#include <vector>

#include "core/settings/ig_settings.h"
#include "core/settings/selection_settings.h"

namespace prunescope {

enum class Preset { Default, Paper };

namespace settings {

inline constexpr ChoiceSetting<Preset, 2> kPreset{
    "preset",
    "Preset",
    "A named set of attribution, score and selection settings (options given beside it still apply)",
    Preset::Default,
    {{{Preset::Default, "default", "Prunescope's defaults (joint scope, predicted log-probability, global top p %)"},
      {Preset::Paper, "paper",
       "the paper's method: per-layer IG of the answer's probability, the mean normalised per layer, the top p % "
       "of one layer"}}}};

}  // namespace settings

// Everything a preset sets.
struct MethodSettings {
    IgSettings ig;
    QuestionFilter filter;
    ScoreSpec score;
    SelectRule rule = settings::kSelectRule.value;
    double percent = settings::kPrunePercent.value;
};

inline MethodSettings methodSettings(Preset preset) {
    MethodSettings m;
    if (preset == Preset::Paper) {
        m.ig.target = IgTarget::AnswerProb;    // the predicted answer's probability (KN: of the answer token)
        m.ig.scope = IgScope::PerLayer;        // KN: each layer's activations scaled on their own
        m.ig.positions = HookPositions::Last;  // the answer position
        m.ig.rule = IgRule::Right;             // KN's Riemann sum: α = k/m, k = 1 .. m
        m.ig.steps = 20;                       // KN's m
        m.ig.site = NeuronSite::Activation;
        m.score = {NeuronScore::Mean, false, true};   // mean over the confident questions, / the layer's maximum
        m.rule = SelectRule::LargestLayerTopPercent;  // one layer; the paper's is a per-model choice
    }
    return m;
}

// The keys of the settings in which `ig`, `filter`, `score` differ from `preset`'s (recorded beside
// the preset's name, so a file says "paper, with 64 steps" rather than claiming the paper's).
inline std::vector<std::string> presetChanges(Preset preset, const IgSettings& ig, const QuestionFilter& filter) {
    using namespace settings;
    const auto p = methodSettings(preset);
    std::vector<std::string> changed;
    auto note = [&](bool differs, const char* key) {
        if (differs) changed.emplace_back(key);
    };
    note(ig.target != p.ig.target, kIgTarget.key);
    note(ig.scope != p.ig.scope, kIgScope.key);
    note(ig.positions != p.ig.positions, kIgPositions.key);
    note(ig.rule != p.ig.rule, kIgRule.key);
    note(ig.steps != p.ig.steps, kIgSteps.key);
    note(ig.site != p.ig.site, kNeuronSite.key);
    note(filter.minConfidence != p.filter.minConfidence, kMinConfidence.key);
    note(filter.correctOnly != p.filter.correctOnly, kCorrectOnly.key);
    return changed;
}

inline Preset parsePreset(const std::string& name) {
    return settings::kPreset.parse(name);
}
inline const char* presetName(Preset preset) {
    return settings::kPreset.nameOf(preset);
}

}  // namespace prunescope
