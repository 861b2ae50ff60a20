#include "ui/report/report_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "core/util/error.h"
#include "ui/views/series_colors.h"

namespace prunescope::ui {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const nlohmann::json& arrayField(const nlohmann::json& report, const char* key) {
    static const nlohmann::json empty = nlohmann::json::array();
    if (!report.contains(key)) return empty;
    if (!report[key].is_array()) throw Error("report.json", std::string("field '") + key + "'", "must be an array");
    return report[key];
}

int indexOf(QStringList& list, const QString& value) {
    int i = int(list.indexOf(value));
    if (i < 0) {
        list << value;
        i = int(list.size()) - 1;
    }
    return i;
}

std::pair<double, double> meanStd(const std::vector<double>& v) {
    if (v.empty()) return {kNaN, kNaN};
    double mean = 0;
    for (double x : v) mean += x;
    mean /= double(v.size());
    double ss = 0;
    for (double x : v) ss += (x - mean) * (x - mean);
    return {mean, v.size() > 1 ? std::sqrt(ss / double(v.size() - 1)) : 0.0};
}

int armOrder(const std::string& arm) {
    static const std::vector<std::string> order = {"plain", "ig", "random", "magnitude"};
    auto it = std::find(order.begin(), order.end(), arm);
    return it == order.end() ? int(order.size()) : int(it - order.begin());
}

}  // namespace

AccuracyBars accuracyBars(const ReportTable& table) {
    AccuracyBars bars;
    bars.categories = table.datasets;
    const bool haveBase = std::any_of(table.base.begin(), table.base.end(), [](double b) { return !std::isnan(b); });
    if (haveBase) {
        bars.series << QStringLiteral("base");
        bars.colors.push_back(armColor(QStringLiteral("base")));
    }
    for (const QString& arm : table.arms) {
        bars.series << arm;
        bars.colors.push_back(armColor(arm));
    }
    for (int d = 0; d < table.datasets.size(); ++d) {
        std::vector<double> v, e;
        if (haveBase) {
            v.push_back(std::isnan(table.base[size_t(d)]) ? 0.0 : table.base[size_t(d)]);
            e.push_back(std::nan(""));
        }
        for (int a = 0; a < table.arms.size(); ++a) {
            const double m = table.mean[size_t(a)][size_t(d)];
            v.push_back(std::isnan(m) ? 0.0 : m);
            e.push_back(table.std[size_t(a)][size_t(d)]);
        }
        bars.values.push_back(std::move(v));
        bars.errors.push_back(std::move(e));
    }
    return bars;
}

ReportTable reportTable(const nlohmann::json& report) {
    if (!report.is_object() || report.value("format", std::string()) != "prunescope.report") {
        throw Error("report.json", "field 'format'", "is not \"prunescope.report\"");
    }
    ReportTable t;
    try {
        for (const auto& a : arrayField(report, "arms")) t.arms << QString::fromStdString(a.get<std::string>());
        for (const auto& d : arrayField(report, "datasets")) {
            t.datasets << QString::fromStdString(d.at("name").get<std::string>());
            t.datasetKinds << QString::fromStdString(d.value("kind", std::string("id")));
        }
        for (const auto& s : arrayField(report, "summary")) {
            const QString arm = QString::fromStdString(s.at("arm").get<std::string>());
            const QString data = QString::fromStdString(s.at("dataset").get<std::string>());
            if (!t.arms.contains(arm)) t.arms << arm;
            if (!t.datasets.contains(data)) {
                t.datasets << data;
                t.datasetKinds << QStringLiteral("id");
            }
        }
        const size_t nArm = size_t(t.arms.size()), nData = size_t(t.datasets.size());
        t.mean.assign(nArm, std::vector<double>(nData, kNaN));
        t.std.assign(nArm, std::vector<double>(nData, kNaN));
        t.n.assign(nArm, std::vector<int>(nData, 0));
        t.base.assign(nData, kNaN);
        for (const auto& s : arrayField(report, "summary")) {
            const auto a = size_t(t.arms.indexOf(QString::fromStdString(s.at("arm").get<std::string>())));
            const auto d = size_t(t.datasets.indexOf(QString::fromStdString(s.at("dataset").get<std::string>())));
            t.mean[a][d] = s.at("mean").get<double>();
            t.std[a][d] = s.value("std", 0.0);
            t.n[a][d] = s.value("n", 0);
        }
        for (const auto& b : arrayField(report, "base")) {
            const auto d = t.datasets.indexOf(QString::fromStdString(b.at("dataset").get<std::string>()));
            if (d >= 0) t.base[size_t(d)] = b.at("accuracy").get<double>();
        }
        for (const auto& p : arrayField(report, "paired")) {
            t.paired.push_back({QString::fromStdString(p.at("arm").get<std::string>()),
                                QString::fromStdString(p.value("versus", std::string("plain"))),
                                QString::fromStdString(p.at("dataset").get<std::string>()), p.value("mean_diff", 0.0),
                                p.value("std_err", 0.0), p.value("wins", 0), p.value("n", 0)});
        }
    } catch (const nlohmann::json::exception& e) {
        throw Error("report.json", "", std::string("malformed report: ") + e.what());
    }
    return t;
}

nlohmann::json buildReport(const std::vector<RunResult>& runs) {
    QStringList arms, datasets, kinds;
    std::set<int> seeds;
    std::map<std::string, double> base;
    // accuracy[(arm, dataset)][seed]; the latest run wins when a seed was run twice.
    std::map<std::pair<std::string, std::string>, std::map<int, double>> accuracy;
    nlohmann::json results = nlohmann::json::array();
    std::vector<RunResult> sorted = runs;
    std::stable_sort(sorted.begin(), sorted.end(), [](const RunResult& a, const RunResult& b) {
        return armOrder(a.arm.toStdString()) < armOrder(b.arm.toStdString());
    });
    for (const auto& run : sorted) {
        indexOf(arms, run.arm);
        seeds.insert(run.seed);
        for (const auto& b : run.base) base[b.dataset.toStdString()] = b.accuracy;
        for (const auto& r : run.results) {
            if (!datasets.contains(r.dataset)) {
                datasets << r.dataset;
                kinds << r.kind;
            }
            accuracy[{run.arm.toStdString(), r.dataset.toStdString()}][run.seed] = r.accuracy;
            results.push_back({{"arm", run.arm.toStdString()},
                               {"seed", run.seed},
                               {"dataset", r.dataset.toStdString()},
                               {"accuracy", r.accuracy},
                               {"mean_confidence", r.meanConfidence}});
        }
    }
    nlohmann::json report = {{"format", "prunescope.report"}, {"version", 1}};
    report["arms"] = nlohmann::json::array();
    for (const auto& a : arms) report["arms"].push_back(a.toStdString());
    report["seeds"] = std::vector<int>(seeds.begin(), seeds.end());
    report["datasets"] = nlohmann::json::array();
    for (int i = 0; i < datasets.size(); ++i) {
        report["datasets"].push_back({{"name", datasets[i].toStdString()}, {"kind", kinds[i].toStdString()}});
    }
    report["base"] = nlohmann::json::array();
    for (const auto& d : datasets) {
        auto it = base.find(d.toStdString());
        if (it != base.end()) report["base"].push_back({{"dataset", it->first}, {"accuracy", it->second}});
    }
    report["results"] = results;
    report["summary"] = nlohmann::json::array();
    report["paired"] = nlohmann::json::array();
    for (const auto& arm : arms) {
        for (const auto& d : datasets) {
            auto it = accuracy.find({arm.toStdString(), d.toStdString()});
            if (it == accuracy.end()) continue;
            std::vector<double> v;
            for (const auto& [seed, acc] : it->second) v.push_back(acc);
            const auto [mean, sd] = meanStd(v);
            report["summary"].push_back({{"arm", arm.toStdString()},
                                         {"dataset", d.toStdString()},
                                         {"mean", mean},
                                         {"std", sd},
                                         {"n", int(v.size())}});
            if (arm == QLatin1String("plain")) continue;
            auto plain = accuracy.find({"plain", d.toStdString()});
            if (plain == accuracy.end()) continue;
            std::vector<double> diffs;
            int wins = 0;
            for (const auto& [seed, acc] : it->second) {
                auto p = plain->second.find(seed);
                if (p == plain->second.end()) continue;
                diffs.push_back(acc - p->second);
                wins += acc > p->second ? 1 : 0;
            }
            if (diffs.empty()) continue;
            const auto [meanDiff, sdDiff] = meanStd(diffs);
            report["paired"].push_back({{"arm", arm.toStdString()},
                                        {"versus", "plain"},
                                        {"dataset", d.toStdString()},
                                        {"mean_diff", meanDiff},
                                        {"std_err", sdDiff / std::sqrt(double(diffs.size()))},
                                        {"wins", wins},
                                        {"n", int(diffs.size())}});
        }
    }
    report["settings"] = {{"source", "prunescope GUI (runs made in the window)"}};
    report["fingerprints"] = nlohmann::json::object();
    return report;
}

}  // namespace prunescope::ui
