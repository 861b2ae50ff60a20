#include "ui/session/session.h"

namespace prunescope::ui {
namespace {

QString qs(const std::filesystem::path& path) {
    return QString::fromStdString(path.string());
}
std::filesystem::path fsPath(const QString& path) {
    return path.toStdString();
}

Session fromCore(const SessionFile& f) {
    Session s;
    s.model = qs(f.model);
    for (const auto& d : f.datasets) {
        s.datasets.push_back({qs(d.path), QString::fromStdString(d.role), QString::fromStdString(d.format),
                              QString::fromStdString(d.name)});
    }
    s.attributions = qs(f.attributions);
    s.mask = qs(f.mask);
    s.report = qs(f.report);
    for (const auto& r : f.otherReports) s.otherReports << qs(r);
    s.reference = qs(f.reference);
    s.settings = f.settings;
    return s;
}

SessionFile toCore(const Session& s) {
    SessionFile f;
    f.model = fsPath(s.model);
    for (const auto& d : s.datasets) {
        f.datasets.push_back({fsPath(d.path), d.role.toStdString(), d.format.toStdString(), d.name.toStdString()});
    }
    f.attributions = fsPath(s.attributions);
    f.mask = fsPath(s.mask);
    f.report = fsPath(s.report);
    for (const auto& r : s.otherReports) f.otherReports.push_back(fsPath(r));
    f.reference = fsPath(s.reference);
    f.settings = s.settings;
    return f;
}

}  // namespace

bool Session::operator==(const Session& o) const {
    return toCore(*this) == toCore(o);
}

Session sessionFromJson(const nlohmann::json& json, const QString& file) {
    return fromCore(prunescope::sessionFromJson(json, fsPath(file)));
}

Session readSession(const QString& file) {
    return fromCore(readSessionFile(fsPath(file)));
}

nlohmann::json sessionToJson(const Session& session, const QString& file) {
    return prunescope::sessionToJson(toCore(session), fsPath(file));
}

void writeSession(const QString& file, const Session& session) {
    writeSessionFile(fsPath(file), toCore(session));
}

}  // namespace prunescope::ui
