// The built-in demo: a synthetic multiple-choice task with a documented rule and a planted
// shortcut, a small GPT-2-style model trained here from scratch, and the paper's experiment on it.
// Nothing is downloaded. See docs/demo.md.
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/util/progress.h"

namespace prunescope {

struct DemoOptions {
    std::filesystem::path out;  // empty: defaultDemoDir()
    bool quick = true;          // quick: seeds 0-4; full: seeds 0-9
    int seeds = 0;              // > 0 overrides the number of seeds
    // Design mode: seeds 100, 101, ... and out-of-distribution *validation* sets (other data seeds),
    // written to out/design. This is where the design was chosen; the report never uses it.
    bool design = false;
    int workers = 0;           // seeds trained in parallel (0: one per core, each single-threaded)
    nlohmann::json overrides;  // design mode only: DemoDesign::apply() fields (out/design-<hash>)
};

struct DemoResult {
    std::filesystem::path out;      // the demo folder
    std::filesystem::path report;   // report.md
    std::filesystem::path session;  // demo.prunescope (for the GUI)
    std::filesystem::path model;    // the trained base model (a Hugging Face folder)
};

// Builds data and model if not cached in `out`, runs the experiment, writes the report.
DemoResult runDemo(const DemoOptions& options, const ProgressFn& progress = {}, const CancelFlag* cancel = nullptr);

// ~/.local/share/prunescope/demo (XDG_DATA_HOME respected).
std::filesystem::path defaultDemoDir();

}  // namespace prunescope
