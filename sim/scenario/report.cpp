#include "sim/scenario/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "sim/core/markup.hpp"

namespace sim::scenario {

namespace {

std::string Fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string PadRight(std::string s, std::size_t width) {
    // Width in display columns, counting a multi-byte UTF-8 character as one.
    std::size_t cols = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80) ++cols;
    if (cols < width) s += std::string(width - cols, ' ');
    return s;
}
std::string PadLeft(const std::string& s, std::size_t width) {
    return s.size() < width ? std::string(width - s.size(), ' ') + s : s;
}

/// Nearest-rank percentile of sorted values.
double Percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0;
    auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
    return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

struct HopStats {
    std::string path, hop;
    std::vector<double> virtual_s, wall_s;
};

/// Hops grouped by path (the four business paths first, then by first appearance) and hop (first
/// appearance, "total" last).
std::vector<HopStats> Group(const std::vector<ScenarioResult>& results) {
    std::vector<HopStats> out;
    std::map<std::string, std::size_t> index;
    for (const auto& r : results)
        for (const auto& h : r.hops) {
            std::string key = h.path + '\x1f' + h.hop;
            auto it = index.find(key);
            if (it == index.end()) {
                it = index.emplace(key, out.size()).first;
                out.push_back(HopStats{h.path, h.hop, {}, {}});
            }
            out[it->second].virtual_s.push_back(h.virtual_seconds);
            out[it->second].wall_s.push_back(h.wall_seconds);
        }
    static const std::vector<std::string> kKnown = {"application", "card_use", "statement", "atm_repayment"};
    std::map<std::string, std::size_t> first_seen;
    for (std::size_t i = 0; i < out.size(); ++i) first_seen.try_emplace(out[i].path, i);
    auto path_rank = [&](const std::string& p) {
        auto k = std::find(kKnown.begin(), kKnown.end(), p);
        return k != kKnown.end() ? static_cast<std::size_t>(k - kKnown.begin()) : kKnown.size() + first_seen[p];
    };
    std::stable_sort(out.begin(), out.end(), [&](const HopStats& a, const HopStats& b) {
        if (a.path != b.path) return path_rank(a.path) < path_rank(b.path);
        return (a.hop == "total") < (b.hop == "total");
    });
    for (auto& s : out) {
        std::sort(s.virtual_s.begin(), s.virtual_s.end());
        std::sort(s.wall_s.begin(), s.wall_s.end());
    }
    return out;
}

}  // namespace

std::string FormatVirtual(double seconds) {
    if (seconds < 0) seconds = 0;
    auto s = static_cast<long long>(std::llround(seconds));
    if (seconds < 1 && seconds > 0) return Fixed(seconds * 1000, 0) + "ms";
    char buf[64];
    if (s < 60) std::snprintf(buf, sizeof buf, "%llds", s);
    else if (s < 3600) std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
    else if (s < 86400) std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, s / 60 % 60);
    else std::snprintf(buf, sizeof buf, "%lldd%02lldh", s / 86400, s / 3600 % 24);
    return buf;
}

std::string FormatWall(double seconds) {
    if (seconds < 0.01) return Fixed(seconds * 1000, 1) + " ms";
    if (seconds < 1) return Fixed(seconds * 1000, 0) + " ms";
    return Fixed(seconds, 2) + " s";
}

std::string FailureText(const ScenarioResult& r) {
    std::string out = "  FAILED " + r.name + " (" + r.file + ")\n";
    if (!r.failed_step.empty()) out += "    at " + r.failed_step + "\n";
    out += "    " + r.message + "\n";
    if (!r.trace.empty()) {
        out += "    last requests (virtual time, service, method, path, status, trace id):\n";
        for (const auto& t : r.trace)
            out += "      " + t.virtual_time + "  " + PadRight(t.service, 8) + " " + PadRight(t.method, 6) + " " + t.target +
                   "  " + std::to_string(t.status) + (t.trace_id.empty() ? "" : "  " + t.trace_id) + "\n";
    }
    return out;
}

void PrintSummary(std::ostream& out, const std::vector<ScenarioResult>& results, double wall_seconds) {
    std::size_t width = 8;
    for (const auto& r : results) width = std::max(width, r.name.size());
    width = std::min<std::size_t>(width, 48);
    out << "\n" << PadRight("scenario", width) << "  result  steps  virtual     wall\n";
    std::size_t passed = 0, steps = 0;
    double virtual_total = 0, scenario_wall = 0;
    for (const auto& r : results) {
        passed += r.passed;
        steps += r.steps_run;
        virtual_total += r.virtual_seconds;
        scenario_wall += r.wall_seconds;
        out << PadRight(r.name, width) << "  " << (r.passed ? "pass  " : "FAIL  ") << "  " << PadLeft(std::to_string(r.steps_run), 5)
            << "  " << PadRight(FormatVirtual(r.virtual_seconds), 10) << "  " << FormatWall(r.wall_seconds) << "\n";
    }
    out << results.size() << " scenarios: " << passed << " passed, " << results.size() - passed << " failed; " << steps
        << " steps; virtual " << FormatVirtual(virtual_total) << " in wall " << FormatWall(wall_seconds);
    if (scenario_wall > 0 && virtual_total > 0)
        out << " (virtual/wall " << Fixed(virtual_total / scenario_wall, 0) << "x)";
    out << "\n";
}

void PrintCriticalPaths(std::ostream& out, const std::vector<ScenarioResult>& results) {
    auto groups = Group(results);
    if (groups.empty()) return;
    out << "\ncritical paths (virtual time from the previous hop; wall time the runner spent)\n";
    out << PadRight("path", 14) << PadRight("hop", 22) << PadLeft("n", 5) << "  " << PadRight("virt p50", 9)
        << PadRight("virt p95", 9) << PadRight("virt max", 9) << PadRight("wall p50", 10) << "wall max\n";
    std::string last_path;
    for (const auto& g : groups) {
        out << PadRight(g.path == last_path ? "" : g.path, 14) << PadRight(g.hop, 22)
            << PadLeft(std::to_string(g.virtual_s.size()), 5) << "  " << PadRight(FormatVirtual(Percentile(g.virtual_s, 50)), 9)
            << PadRight(FormatVirtual(Percentile(g.virtual_s, 95)), 9) << PadRight(FormatVirtual(g.virtual_s.back()), 9)
            << PadRight(FormatWall(Percentile(g.wall_s, 50)), 10) << FormatWall(g.wall_s.back()) << "\n";
        last_path = g.path;
    }
}

std::string JunitXml(const std::vector<ScenarioResult>& results, double wall_seconds) {
    std::size_t failures = 0;
    for (const auto& r : results) failures += !r.passed;
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out += "<testsuites name=\"cardsim\" tests=\"" + std::to_string(results.size()) + "\" failures=\"" +
           std::to_string(failures) + "\" time=\"" + Fixed(wall_seconds, 3) + "\">\n";
    out += "  <testsuite name=\"cardsim.scenarios\" tests=\"" + std::to_string(results.size()) + "\" failures=\"" +
           std::to_string(failures) + "\" errors=\"0\" time=\"" + Fixed(wall_seconds, 3) + "\">\n";
    for (const auto& r : results) {
        out += "    <testcase name=\"" + core::EscapeMarkup(r.name) + "\" classname=\"" + core::EscapeMarkup(r.file) + "\" time=\"" +
               Fixed(r.wall_seconds, 3) + "\">\n";
        out += "      <properties><property name=\"steps\" value=\"" + std::to_string(r.steps_run) +
               "\"/><property name=\"virtual_seconds\" value=\"" + Fixed(r.virtual_seconds, 3) + "\"/></properties>\n";
        if (!r.passed) {
            out += "      <failure message=\"" + core::EscapeMarkup(r.failed_step.empty() ? r.message.substr(0, 200) : r.failed_step) +
                   "\" type=\"ScenarioFailure\">" + core::EscapeMarkup(FailureText(r)) + "</failure>\n";
        }
        out += "    </testcase>\n";
    }
    out += "  </testsuite>\n</testsuites>\n";
    return out;
}

Json ReportJson(const std::vector<ScenarioResult>& results, double wall_seconds) {
    Json scenarios = Json::array();
    std::size_t passed = 0, steps = 0;
    double virtual_total = 0;
    for (const auto& r : results) {
        passed += r.passed;
        steps += r.steps_run;
        virtual_total += r.virtual_seconds;
        Json s = {{"name", r.name},
                  {"file", r.file},
                  {"passed", r.passed},
                  {"steps", r.steps_run},
                  {"virtual_start", r.virtual_start},
                  {"virtual_end", r.virtual_end},
                  {"virtual_seconds", r.virtual_seconds},
                  {"wall_seconds", r.wall_seconds}};
        if (!r.snapshot_status.empty()) s["snapshot"] = r.snapshot_status;
        if (!r.passed) {
            Json trace = Json::array();
            for (const auto& t : r.trace)
                trace.push_back({{"virtual_time", t.virtual_time}, {"service", t.service}, {"method", t.method},
                                 {"target", t.target}, {"status", t.status}, {"trace_id", t.trace_id}});
            s["failure"] = {{"step", r.failed_step}, {"message", r.message}, {"trace", trace}};
        }
        scenarios.push_back(std::move(s));
    }
    Json paths = Json::array();
    for (const auto& g : Group(results)) {
        paths.push_back({{"path", g.path},
                         {"hop", g.hop},
                         {"count", g.virtual_s.size()},
                         {"virtual_seconds", {{"p50", Percentile(g.virtual_s, 50)}, {"p95", Percentile(g.virtual_s, 95)},
                                              {"max", g.virtual_s.back()}}},
                         {"wall_seconds", {{"p50", Percentile(g.wall_s, 50)}, {"p95", Percentile(g.wall_s, 95)},
                                           {"max", g.wall_s.back()}}}});
    }
    return {{"summary",
             {{"scenarios", results.size()},
              {"passed", passed},
              {"failed", results.size() - passed},
              {"steps", steps},
              {"virtual_seconds", virtual_total},
              {"wall_seconds", wall_seconds}}},
            {"scenarios", scenarios},
            {"critical_paths", paths}};
}

}  // namespace sim::scenario
