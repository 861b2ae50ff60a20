// The .prunescope session file, one module for every writer (the GUI, the demo): which model and
// datasets are open, the result files (attributions, mask, report) and one settings object per
// panel, keyed with the settings' keys (core/settings/). JSON, documented in docs/gui.md:
//   {"format": "prunescope.session", "version": 1, "model": "path",
//    "datasets": [{"path": "...", "role": "train|test|ood", "format": "auto", "name": "..."}],
//    "attributions": "path or empty", "mask": "path or empty", "report": "path or empty" (the report
//    the Compare panel shows), "other_reports": ["path", ...] (the others it holds; optional),
//    "reference": "path or empty" (a mask of reference neurons marked on the heatmaps, e.g. the
//    demo's true cue neurons), "settings": {...}}
// Paths may be relative to the session file's folder; they are written relative when they lie
// under it, absolute otherwise.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace prunescope {

struct SessionDataset {
    std::filesystem::path path;  // absolute once read
    std::string role = "train";  // train, test, ood
    std::string format = "auto";
    std::string name;  // empty: the file stem

    bool operator==(const SessionDataset& other) const;
};

struct SessionFile {
    std::filesystem::path model;  // absolute once read; empty: none
    std::vector<SessionDataset> datasets;
    std::filesystem::path attributions;
    std::filesystem::path mask;
    std::filesystem::path report;                        // the report shown
    std::vector<std::filesystem::path> otherReports;     // the other reports held beside it
    std::filesystem::path reference;                     // a mask.json marked on the heatmaps (empty: none)
    nlohmann::json settings = nlohmann::json::object();  // one object per panel

    bool operator==(const SessionFile& other) const;
};

inline constexpr const char* kSessionFormat = "prunescope.session";
inline constexpr int kSessionVersion = 1;

// Reads `file`; relative paths become absolute (against the file's folder). Throws
// prunescope::Error naming the file and the field.
SessionFile readSessionFile(const std::filesystem::path& file);
SessionFile sessionFromJson(const nlohmann::json& json, const std::filesystem::path& file);
// Writes atomically; paths under the file's folder are written relative to it.
void writeSessionFile(const std::filesystem::path& file, const SessionFile& session);
nlohmann::json sessionToJson(const SessionFile& session, const std::filesystem::path& file);

}  // namespace prunescope
