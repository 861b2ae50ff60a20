// The demo's report.md: what was done, the table, the paired test against the target, the
// ground-truth check, and every setting needed to reproduce it.
#include <cstdio>

#include "core/demo/demo_report.h"
#include "core/util/stats.h"

namespace prunescope {
namespace {

std::string cell(const nlohmann::json& stat) {
    return formatNumbers("%.3f ± %.3f", stat["mean"].get<double>(), stat["std"].get<double>());
}

std::string cueDescription(const nlohmann::json& design) {
    if (design.value("cue", "phrasing") == "sum")
        return "two answer-prompt code words pX qY that point to letter (X + Y) mod 4, a cue the model must "
               "compute in its FFN neurons";
    return "the final answer-prompt token, each phrasing tied to one letter";
}

}  // namespace

std::string demoMarkdown(const nlohmann::json& r) {
    const auto& demo = r["demo"];
    std::string md = "# Prunescope built-in demo\n\n";
    md += "A small GPT-2-style model (" + r["settings"]["demo"]["model"].dump() +
          ") is trained here from scratch on a synthetic multiple-choice task whose real rule is *pick the option "
          "with the largest number*, then briefly fine-tuned on data where a planted shortcut — " +
          cueDescription(r["settings"]["demo"]) +
          " — always marks the answer. Integrated Gradients "
          "finds the FFN neurons behind that model's confident answers; each arm then fine-tunes the same base model "
          "on the shortcut data again: plain, with the IG-selected neurons pruned, with as many neurons per layer "
          "pruned at random or by activation magnitude, or with random neurons pruned until the in-distribution "
          "validation loss is as high as with IG's (random-matched); prune-only is IG's pruning without the fine-tune. "
          "Each seed has its own base model; arms are compared within a "
          "seed. Everything below was fixed before looking at the out-of-distribution results (docs/demo.md).\n\n";
    md +=
        "Datasets: `id` (cue on the answer, as in training), `ood-uncorrelated` (cue present but independent of "
        "the answer), `ood-reversed` (cue always on a wrong option). Chance is 0.25.\n\n";
    md += "## Accuracy (mean ± std over " + std::to_string(r["seeds"].size()) + " seeds)\n\n| arm |";
    for (const auto& d : r["datasets"]) md += " " + d["name"].get<std::string>() + " |";
    md += "\n|---|";
    for (size_t i = 0; i < r["datasets"].size(); ++i) md += "---|";
    md += "\n| base model (before the last fine-tune) |";
    for (const auto& b : r["base"])
        md += formatNumbers(" %.3f ± %.3f |", b["accuracy"].get<double>(), b["std"].get<double>());
    for (const auto& arm : r["arms"]) {
        md += "\n| " + arm.get<std::string>() + " |";
        for (const auto& e : r["summary"]) {
            if (e["arm"] == arm) md += formatNumbers(" %.3f ± %.3f |", e["mean"].get<double>(), e["std"].get<double>());
        }
    }
    md +=
        "\n\n## Paired differences per seed\n\n| comparison | dataset | mean difference | standard error | wins | > 2 "
        "SE |\n"
        "|---|---|---|---|---|---|\n";
    for (const auto& p : r["paired"]) {
        md += "| " + p["arm"].get<std::string>() + " − " + p["versus"].get<std::string>() + " | " +
              p["dataset"].get<std::string>() + " |" + formatNumbers(" %+.3f |", p["mean_diff"].get<double>()) +
              formatNumbers(" %.3f |", p["std_err"].get<double>()) + " " + std::to_string(p["wins"].get<int>()) + "/" +
              std::to_string(p["n"].get<int>()) + " | " + (p["exceeds_2se"].get<bool>() ? "yes" : "no") + " |\n";
    }
    const auto& a = demo["analysis"];
    const auto& p = a["primary"];
    md +=
        "\n## The pre-registered analysis\n\n"
        "Fixed before this run in docs/demo-preregistration.md. **Primary endpoint**: IG-pruned − plain on "
        "`ood-uncorrelated`, paired over seeds; two-sided paired t-test and exact sign test at α = 0.05.\n\n";
    md +=
        formatNumbers("- mean difference **%+.3f** (standard error %.3f", p["mean_diff"].get<double>(),
                      p["std_err"].get<double>()) +
        formatNumbers("), t = %.2f, p = %.4f", p["t"].get<double>(), p["t_p"].get<double>()) + "; sign test " +
        std::to_string(p["positive"].get<int>()) + " of " + std::to_string(p["n"].get<int>()) +
        formatNumbers(" seeds positive, p = %.4f", p["sign_p"].get<double>()) + "; **" +
        (p["rejected_t"].get<bool>() && p["rejected_sign"].get<bool>()   ? "both tests reject no difference"
         : p["rejected_t"].get<bool>() || p["rejected_sign"].get<bool>() ? "one of the two tests rejects no difference"
                                                                         : "neither test rejects no difference") +
        "**.\n\n";
    md +=
        "**Secondary comparisons** (paired t-test, Holm-corrected over these nine):\n\n"
        "| comparison | dataset | mean difference | SE | positive seeds | p | Holm p | rejected |\n"
        "|---|---|---|---|---|---|---|---|\n";
    for (const auto& t : a["secondary"]) {
        md += "| " + t["comparison"].get<std::string>() + " | " + t["dataset"].get<std::string>() + " |" +
              formatNumbers(" %+.3f |", t["mean_diff"].get<double>()) +
              formatNumbers(" %.3f |", t["std_err"].get<double>()) + " " + std::to_string(t["positive"].get<int>()) +
              "/" + std::to_string(t["n"].get<int>()) + " |" + formatNumbers(" %.4f |", t["t_p"].get<double>()) +
              formatNumbers(" %.4f |", t["holm_p"].get<double>()) + " " + (t["rejected"].get<bool>() ? "yes" : "no") +
              " |\n";
    }
    const auto& idd = a["id_difference"];
    md += formatNumbers("\nIn distribution, IG-pruned − plain: %+.3f (SE %.3f).\n\n", idd["mean_diff"].get<double>(),
                        idd["std_err"].get<double>());
    md +=
        "## Ground truth: do the selected neurons carry the cue?\n\n"
        "On each base model, without fine-tuning, only the selected neurons are ablated (zeroed at every position). "
        "*Cue-following* is the share of `ood-reversed` questions answered with the letter the cue points to.\n\n"
        "| ablated | id | ood-uncorrelated | ood-reversed | cue-following (reversed) |\n|---|---|---|---|---|\n";
    for (const char* mask : {"none", "ig", "random", "magnitude", "random-matched"}) {
        const auto& g = demo["ground_truth"][mask];
        md += std::string("| ") + mask + " | " + cell(g["id"]) + " | " + cell(g["ood-uncorrelated"]) + " | " +
              cell(g["ood-reversed"]) + " | " + cell(g["reversed_cue_following"]) + " |\n";
    }
    const auto& n = demo["ground_truth"]["neuron_level"];
    md +=
        "\n**Neuron level**, without IG: each neuron ablated alone on a reversed-cue probe set the model never "
        "trained on (`cue-probe`); its effect is the mean drop of the cue letter's probability. The *true cue "
        "neurons* are those with the largest effects, as many as IG selected. Precision = share of a selection "
        "that are true cue neurons; recall = share of the true cue neurons selected" +
        formatNumbers(" (by chance: %.3f).\n\n", n["chance"].get<double>()) +
        "| selection | precision | recall |\n|---|---|---|\n";
    for (const char* mask : {"ig", "random", "magnitude", "random-matched"}) {
        md += std::string("| ") + mask + " | " + cell(n[mask]["precision"]) + " | " + cell(n[mask]["recall"]) + " |\n";
    }
    md +=
        "\n## Per seed\n\n| seed | neurons pruned | per layer | questions attributed | mean completeness error "
        "|\n|---|---|---|---|---|\n";
    for (const auto& s : demo["per_seed"]) {
        md += "| " + std::to_string(s["seed"].get<uint64_t>()) + " | " + std::to_string(s["pruned"].get<int64_t>()) +
              " | " + s["pruned_per_layer"].dump() + " | " + std::to_string(s["attributed_questions"].get<int64_t>()) +
              " | " + formatNumbers("%.2e", s["mean_completeness_error"].get<double>()) + " |\n";
    }
    md += "\n## Plots\n\n![accuracy](accuracy.png)\n\n![confidence](confidence.png)\n\n![heatmap](heatmap.png)\n\n";
    md += "## Settings\n\n```json\n" + r["settings"].dump(2) + "\n```\n\n## Fingerprints\n\n```json\n" +
          r["fingerprints"].dump(2) + "\n```\n\nReproduce: `prunescope-cli demo --seeds " +
          std::to_string(r["seeds"].size()) + "` (Prunescope " + r["versions"]["prunescope"].get<std::string>() +
          ", LibTorch " + r["versions"]["libtorch"].get<std::string>() + ").\n";
    return md;
}

}  // namespace prunescope
