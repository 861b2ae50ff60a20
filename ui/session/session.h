// The GUI's view of a .prunescope session file: the file's format is core's
// (core/session/session_file.h); here its paths are QStrings for the widgets.
#pragma once

#include <QString>
#include <QStringList>

#include <vector>

#include <nlohmann/json.hpp>

#include "core/session/session_file.h"

namespace prunescope::ui {

struct SessionDataset {
    QString path;                            // absolute once read
    QString role = QStringLiteral("train");  // train, test, ood
    QString format = QStringLiteral("auto");
    QString name;  // empty: the file stem
};

struct Session {
    QString model;  // absolute once read; empty: none
    std::vector<SessionDataset> datasets;
    QString attributions;
    QString mask;
    QString report;            // the report the Compare panel shows
    QStringList otherReports;  // the other reports it holds
    QString reference;         // reference neurons marked on the heatmaps (core's SessionFile::reference)
    nlohmann::json settings = nlohmann::json::object();  // one object per panel

    bool operator==(const Session& other) const;
};

// As core's readSessionFile, sessionFromJson, writeSessionFile and sessionToJson. Throw
// prunescope::Error naming the file and the field.
Session readSession(const QString& file);
Session sessionFromJson(const nlohmann::json& json, const QString& file);
void writeSession(const QString& file, const Session& session);
nlohmann::json sessionToJson(const Session& session, const QString& file);

}  // namespace prunescope::ui
