// A .prunescope session file: which model and datasets are open, the result files (attributions,
// mask, report) and the panels' settings. JSON, documented in docs/gui.md:
//   {"format": "prunescope.session", "version": 1, "model": "path",
//    "datasets": [{"path": "...", "role": "train|test|ood", "format": "auto", "name": "..."}],
//    "attributions": "path or empty", "mask": "path or empty", "report": "path or empty",
//    "settings": {...}}
// Paths may be relative to the session file's folder; they are written relative when they lie
// under it, absolute otherwise.
#pragma once

#include <QString>

#include <vector>

#include <nlohmann/json.hpp>

namespace prunescope::ui {

struct SessionDataset {
    QString path;  // absolute once read
    QString role = QStringLiteral("train");  // train, test, ood
    QString format = QStringLiteral("auto");
    QString name;  // empty: the file stem
};

struct Session {
    QString model;  // absolute once read; empty: none
    std::vector<SessionDataset> datasets;
    QString attributions;
    QString mask;
    QString report;
    nlohmann::json settings = nlohmann::json::object();  // one object per panel

    bool operator==(const Session& other) const;
};

inline constexpr const char* kSessionFormat = "prunescope.session";
inline constexpr int kSessionVersion = 1;

// Reads `file`; relative paths become absolute (against the file's folder). Throws
// prunescope::Error naming the file and the field.
Session readSession(const QString& file);
Session sessionFromJson(const nlohmann::json& json, const QString& file);
// Writes atomically; paths under the file's folder are written relative to it. Throws
// prunescope::Error when the file cannot be written.
void writeSession(const QString& file, const Session& session);
nlohmann::json sessionToJson(const Session& session, const QString& file);

}  // namespace prunescope::ui
