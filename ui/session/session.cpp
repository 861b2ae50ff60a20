#include "ui/session/session.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

#include "core/util/error.h"

namespace prunescope::ui {
namespace {

const QStringList kRoles = {QStringLiteral("train"), QStringLiteral("test"), QStringLiteral("ood")};

QString resolve(const QDir& base, const QString& path) {
    if (path.isEmpty()) return {};
    return QDir::cleanPath(base.absoluteFilePath(path));
}

QString relativize(const QDir& base, const QString& path) {
    if (path.isEmpty()) return {};
    const QString absolute = QDir::cleanPath(QFileInfo(path).absoluteFilePath());
    const QString relative = base.relativeFilePath(absolute);
    return relative.startsWith(QLatin1String("..")) ? absolute : relative;
}

QString stringField(const nlohmann::json& json, const char* key, const std::string& file,
                    const std::string& place) {
    if (!json.contains(key) || json[key].is_null()) return {};
    if (!json[key].is_string()) throw Error(file, place + "field '" + key + "'", "must be a string");
    return QString::fromStdString(json[key].get<std::string>());
}

}  // namespace

bool Session::operator==(const Session& o) const {
    if (model != o.model || attributions != o.attributions || mask != o.mask || report != o.report ||
        settings != o.settings || datasets.size() != o.datasets.size()) {
        return false;
    }
    for (size_t i = 0; i < datasets.size(); ++i) {
        const auto& a = datasets[i];
        const auto& b = o.datasets[i];
        if (a.path != b.path || a.role != b.role || a.format != b.format || a.name != b.name) return false;
    }
    return true;
}

Session sessionFromJson(const nlohmann::json& json, const QString& file) {
    const std::string f = file.toStdString();
    if (!json.is_object()) throw Error(f, "", "a session file must hold a JSON object");
    if (json.value("format", std::string()) != kSessionFormat) {
        throw Error(f, "field 'format'", "is not \"prunescope.session\"", "is this a Prunescope session file?");
    }
    if (!json.contains("version") || !json["version"].is_number_integer()) {
        throw Error(f, "field 'version'", "must be an integer");
    }
    if (json["version"].get<int>() > kSessionVersion) {
        throw Error(f, "field 'version'",
                    "version " + std::to_string(json["version"].get<int>()) + " is newer than this Prunescope reads",
                    "update Prunescope");
    }
    const QDir base = QFileInfo(file).absoluteDir();
    Session s;
    s.model = resolve(base, stringField(json, "model", f, ""));
    if (json.contains("datasets")) {
        if (!json["datasets"].is_array()) throw Error(f, "field 'datasets'", "must be an array");
        for (size_t i = 0; i < json["datasets"].size(); ++i) {
            const auto& d = json["datasets"][i];
            const std::string place = "datasets[" + std::to_string(i) + "]: ";
            if (!d.is_object()) throw Error(f, "field 'datasets[" + std::to_string(i) + "]'", "must be an object");
            SessionDataset ds;
            ds.path = resolve(base, stringField(d, "path", f, place));
            if (ds.path.isEmpty()) throw Error(f, place + "field 'path'", "is missing");
            const QString role = stringField(d, "role", f, place);
            if (!role.isEmpty()) ds.role = role;
            if (!kRoles.contains(ds.role)) {
                throw Error(f, place + "field 'role'", "'" + ds.role.toStdString() + "' is not train, test or ood");
            }
            const QString format = stringField(d, "format", f, place);
            if (!format.isEmpty()) ds.format = format;
            ds.name = stringField(d, "name", f, place);
            s.datasets.push_back(ds);
        }
    }
    s.attributions = resolve(base, stringField(json, "attributions", f, ""));
    s.mask = resolve(base, stringField(json, "mask", f, ""));
    s.report = resolve(base, stringField(json, "report", f, ""));
    if (json.contains("settings")) {
        if (!json["settings"].is_object()) throw Error(f, "field 'settings'", "must be an object");
        s.settings = json["settings"];
    }
    return s;
}

Session readSession(const QString& file) {
    QFile in(file);
    if (!in.open(QIODevice::ReadOnly)) {
        throw Error(file.toStdString(), "", "cannot open (" + in.errorString().toStdString() + ")");
    }
    const QByteArray bytes = in.readAll();
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(bytes.constData(), bytes.constData() + bytes.size());
    } catch (const nlohmann::json::parse_error& e) {
        throw Error(file.toStdString(), "byte " + std::to_string(e.byte), "not valid JSON");
    }
    return sessionFromJson(json, file);
}

nlohmann::json sessionToJson(const Session& s, const QString& file) {
    const QDir base = QFileInfo(file).absoluteDir();
    nlohmann::json datasets = nlohmann::json::array();
    for (const auto& d : s.datasets) {
        datasets.push_back({{"path", relativize(base, d.path).toStdString()},
                            {"role", d.role.toStdString()},
                            {"format", d.format.toStdString()},
                            {"name", d.name.toStdString()}});
    }
    return {{"format", kSessionFormat},
            {"version", kSessionVersion},
            {"model", relativize(base, s.model).toStdString()},
            {"datasets", datasets},
            {"attributions", relativize(base, s.attributions).toStdString()},
            {"mask", relativize(base, s.mask).toStdString()},
            {"report", relativize(base, s.report).toStdString()},
            {"settings", s.settings}};
}

void writeSession(const QString& file, const Session& session) {
    QDir().mkpath(QFileInfo(file).absolutePath());
    QSaveFile out(file);
    const std::string text = sessionToJson(session, file).dump(2) + "\n";
    if (!out.open(QIODevice::WriteOnly) || out.write(text.data(), qint64(text.size())) != qint64(text.size()) ||
        !out.commit()) {
        throw Error(file.toStdString(), "", "cannot write (" + out.errorString().toStdString() + ")");
    }
}

}  // namespace prunescope::ui
