#include "core/session/session_file.h"

#include <algorithm>

#include "core/util/error.h"
#include "core/util/files.h"

namespace prunescope {
namespace {

namespace fs = std::filesystem;

const char* const kRoles[] = {"train", "test", "ood"};

fs::path folderOf(const fs::path& file) {
    return fs::absolute(file).lexically_normal().parent_path();
}

fs::path resolve(const fs::path& base, const std::string& path) {
    if (path.empty()) return {};
    return (base / path).lexically_normal();  // an absolute path replaces the base
}

std::string relativize(const fs::path& base, const fs::path& path) {
    if (path.empty()) return {};
    const fs::path absolute = fs::absolute(path).lexically_normal();
    const fs::path relative = absolute.lexically_relative(base);
    const bool outside = relative.empty() || *relative.begin() == "..";
    return outside ? absolute.generic_string() : relative.generic_string();
}

std::string stringField(const nlohmann::json& json, const char* key, const std::string& file,
                        const std::string& place) {
    if (!json.contains(key) || json[key].is_null()) return {};
    if (!json[key].is_string()) throw Error(file, place + "field '" + key + "'", "must be a string");
    return json[key].get<std::string>();
}

}  // namespace

bool SessionDataset::operator==(const SessionDataset& o) const {
    return path == o.path && role == o.role && format == o.format && name == o.name;
}

bool SessionFile::operator==(const SessionFile& o) const {
    return model == o.model && datasets == o.datasets && attributions == o.attributions && mask == o.mask &&
           reference == o.reference && report == o.report && otherReports == o.otherReports && settings == o.settings;
}

SessionFile sessionFromJson(const nlohmann::json& json, const fs::path& file) {
    const std::string f = file.string();
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
    const fs::path base = folderOf(file);
    SessionFile s;
    s.model = resolve(base, stringField(json, "model", f, ""));
    if (json.contains("datasets")) {
        if (!json["datasets"].is_array()) throw Error(f, "field 'datasets'", "must be an array");
        for (size_t i = 0; i < json["datasets"].size(); ++i) {
            const auto& d = json["datasets"][i];
            const std::string place = "datasets[" + std::to_string(i) + "]: ";
            if (!d.is_object()) throw Error(f, "field 'datasets[" + std::to_string(i) + "]'", "must be an object");
            SessionDataset ds;
            ds.path = resolve(base, stringField(d, "path", f, place));
            if (ds.path.empty()) throw Error(f, place + "field 'path'", "is missing");
            const std::string role = stringField(d, "role", f, place);
            if (!role.empty()) ds.role = role;
            if (std::find(std::begin(kRoles), std::end(kRoles), ds.role) == std::end(kRoles)) {
                throw Error(f, place + "field 'role'", "'" + ds.role + "' is not train, test or ood");
            }
            const std::string format = stringField(d, "format", f, place);
            if (!format.empty()) ds.format = format;
            ds.name = stringField(d, "name", f, place);
            s.datasets.push_back(ds);
        }
    }
    s.attributions = resolve(base, stringField(json, "attributions", f, ""));
    s.mask = resolve(base, stringField(json, "mask", f, ""));
    s.report = resolve(base, stringField(json, "report", f, ""));
    if (json.contains("other_reports")) {
        const auto& others = json["other_reports"];
        if (!others.is_array()) throw Error(f, "field 'other_reports'", "must be an array of paths");
        for (size_t i = 0; i < others.size(); ++i) {
            if (!others[i].is_string() || others[i].get<std::string>().empty())
                throw Error(f, "field 'other_reports[" + std::to_string(i) + "]'", "must be a path");
            s.otherReports.push_back(resolve(base, others[i].get<std::string>()));
        }
    }
    s.reference = resolve(base, stringField(json, "reference", f, ""));
    if (json.contains("settings")) {
        if (!json["settings"].is_object()) throw Error(f, "field 'settings'", "must be an object");
        s.settings = json["settings"];
    }
    return s;
}

SessionFile readSessionFile(const fs::path& file) {
    return sessionFromJson(readJsonFile(file), file);
}

nlohmann::json sessionToJson(const SessionFile& s, const fs::path& file) {
    const fs::path base = folderOf(file);
    nlohmann::json datasets = nlohmann::json::array();
    for (const auto& d : s.datasets) {
        datasets.push_back(
            {{"path", relativize(base, d.path)}, {"role", d.role}, {"format", d.format}, {"name", d.name}});
    }
    nlohmann::json others = nlohmann::json::array();
    for (const auto& r : s.otherReports) others.push_back(relativize(base, r));
    nlohmann::json j = {{"format", kSessionFormat},
                        {"version", kSessionVersion},
                        {"model", relativize(base, s.model)},
                        {"datasets", datasets},
                        {"attributions", relativize(base, s.attributions)},
                        {"mask", relativize(base, s.mask)},
                        {"report", relativize(base, s.report)},
                        {"reference", relativize(base, s.reference)},
                        {"settings", s.settings}};
    if (!others.empty()) j["other_reports"] = others;  // (absent when none: files as before)
    return j;
}

void writeSessionFile(const fs::path& file, const SessionFile& session) {
    fs::create_directories(folderOf(file));
    writeJsonAtomic(file, sessionToJson(session, file));
}

}  // namespace prunescope
