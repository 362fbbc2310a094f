#include "sim/scenario/load/report.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace sim::scenario::load {

namespace {

using std::chrono::nanoseconds;

constexpr int kReportVersion = 1;
constexpr const char* kInProcess = "in-process";

core::Error Bad(const std::string& what) { return core::Error::InvalidArgument("load report: " + what); }

}  // namespace

LoadReport::LoadReport(std::string profile, nanoseconds measured, nanoseconds interval)
    : profile_(std::move(profile)), measured_(measured), interval_(interval > nanoseconds::zero() ? interval : std::chrono::seconds(1)) {}

FlowStats& LoadReport::Flow(const std::string& name) {
    auto& f = flows_[name];
    std::size_t intervals = IntervalOf(measured_ - nanoseconds(1)) + 1;
    if (f.e2e_by_interval.size() < intervals) {
        f.e2e_by_interval.resize(intervals);
        f.errors_by_interval.resize(intervals, 0);
    }
    return f;
}

std::size_t LoadReport::IntervalOf(nanoseconds due) const {
    if (due < nanoseconds::zero()) return 0;
    return static_cast<std::size_t>(due / interval_);
}

void LoadReport::RecordSuccess(const std::string& flow, nanoseconds due, nanoseconds e2e,
                               const std::map<std::string, nanoseconds>& hops) {
    auto& f = Flow(flow);
    ++f.completed;
    f.hops["e2e"].Record(e2e);
    for (const auto& [hop, latency] : hops) f.hops[hop].Record(latency);
    std::size_t i = std::min(IntervalOf(due), f.e2e_by_interval.size() - 1);
    f.e2e_by_interval[i].Record(e2e);
}

void LoadReport::RecordError(const std::string& flow, nanoseconds due, const std::string& kind) {
    auto& f = Flow(flow);
    ++f.failed;
    ++f.errors_by_kind[kind];
    std::size_t i = std::min(IntervalOf(due), f.errors_by_interval.size() - 1);
    ++f.errors_by_interval[i];
}

void LoadReport::RecordServerE2e(const std::string& flow, nanoseconds extent) {
    Flow(flow).hops[kServerE2eHop].Record(extent);
}

std::uint64_t LoadReport::Requests() const {
    std::uint64_t n = 0;
    for (const auto& [_, f] : flows_) n += f.completed + f.failed;
    return n;
}

std::uint64_t LoadReport::Errors() const {
    std::uint64_t n = 0;
    for (const auto& [_, f] : flows_) n += f.failed;
    return n;
}

double LoadReport::Throughput(const std::string& flow) const {
    auto it = flows_.find(flow);
    double seconds = std::chrono::duration<double>(measured_).count();
    if (it == flows_.end() || seconds <= 0) return 0;
    return static_cast<double>(it->second.completed) / seconds;
}

core::Status<> LoadReport::Merge(const LoadReport& other) {
    if (other.profile_ != profile_)
        return core::Fail(Bad("cannot merge profile \"" + other.profile_ + "\" into \"" + profile_ + "\""));
    if (other.interval_ != interval_ || other.measured_ != measured_)
        return core::Fail(Bad("cannot merge runs of different duration or timeline interval"));
    if (other.threshold_texts_ != threshold_texts_)
        return core::Fail(Bad("cannot merge runs with different thresholds (different profile versions?)"));
    for (const auto& [name, theirs] : other.flows_) {
        auto& mine = Flow(name);
        mine.completed += theirs.completed;
        mine.failed += theirs.failed;
        for (const auto& [kind, n] : theirs.errors_by_kind) mine.errors_by_kind[kind] += n;
        for (const auto& [hop, h] : theirs.hops) mine.hops[hop].Merge(h);
        for (std::size_t i = 0; i < theirs.e2e_by_interval.size() && i < mine.e2e_by_interval.size(); ++i) {
            mine.e2e_by_interval[i].Merge(theirs.e2e_by_interval[i]);
            mine.errors_by_interval[i] += theirs.errors_by_interval[i];
        }
    }
    const bool shared_target = other.server_.source == server_.source && server_.source != kInProcess;
    if (server_.source.empty() || !shared_target) {
        if (server_.source.empty()) server_.source = other.server_.source;
        for (const auto& [hop, h] : other.server_.hops) server_.hops[hop].Merge(h);
        for (const auto& [flow, path] : other.server_.paths) server_.paths.emplace(flow, path);
    }
    // Each shard asks for the extents of its own arrivals' traces, so these add up even on a target.
    for (const auto& [flow, n] : other.server_.e2e_missing) server_.e2e_missing[flow] += n;
    if (server_.note.empty()) server_.note = other.server_.note;
    samples_.insert(samples_.end(), other.samples_.begin(), other.samples_.end());
    shards_.insert(shards_.end(), other.shards_.begin(), other.shards_.end());
    return core::Ok();
}

std::vector<ThresholdResult> LoadReport::Evaluate(const std::vector<Threshold>& thresholds) const {
    std::vector<ThresholdResult> out;
    for (const auto& t : thresholds) {
        ThresholdResult r;
        r.threshold = t;
        switch (t.metric) {
            case Threshold::Metric::kErrorRate: {
                std::uint64_t total = 0, errors = 0;
                for (const auto& [name, f] : flows_) {
                    if (!t.flow.empty() && name != t.flow) continue;
                    total += f.completed + f.failed;
                    errors += f.failed;
                }
                r.measured = total > 0;
                r.value = total ? static_cast<double>(errors) / static_cast<double>(total) : 0;
                break;
            }
            case Threshold::Metric::kThroughput:
                r.measured = flows_.count(t.flow) > 0;
                r.value = Throughput(t.flow);
                break;
            case Threshold::Metric::kLatency: {
                auto f = flows_.find(t.flow);
                if (f == flows_.end()) break;
                auto h = f->second.hops.find(t.hop);
                if (h == f->second.hops.end() || h->second.Count() == 0) break;
                r.measured = true;
                const auto& hist = h->second;
                nanoseconds v = t.percentile == -1   ? hist.Min()
                                : t.percentile == -2 ? hist.Max()
                                : t.percentile == -3 ? hist.Mean()
                                                     : hist.Percentile(t.percentile);
                r.value = static_cast<double>(v.count());
                break;
            }
        }
        r.passed = r.measured && t.Holds(r.value);
        out.push_back(std::move(r));
    }
    return out;
}


nlohmann::json LoadReport::ToJson() const {
    nlohmann::json j;
    j["version"] = kReportVersion;
    j["profile"] = profile_;
    j["measured_ns"] = measured_.count();
    j["interval_ns"] = interval_.count();
    j["shards"] = shards_;
    j["thresholds"] = threshold_texts_;
    j["requests"] = Requests();
    j["errors"] = Errors();
    nlohmann::json flows = nlohmann::json::object();
    for (const auto& [name, f] : flows_) {
        nlohmann::json fj;
        fj["completed"] = f.completed;
        fj["failed"] = f.failed;
        fj["errors_by_kind"] = f.errors_by_kind;
        nlohmann::json hops = nlohmann::json::object();
        nlohmann::json summary = nlohmann::json::object();
        for (const auto& [hop, h] : f.hops) {
            hops[hop] = h.ToJson();
            summary[hop] = h.SummaryJson();
        }
        fj["hops"] = std::move(hops);
        fj["summary"] = std::move(summary);
        nlohmann::json timeline = nlohmann::json::array();
        for (std::size_t i = 0; i < f.e2e_by_interval.size(); ++i)
            timeline.push_back({{"e2e", f.e2e_by_interval[i].ToJson()}, {"errors", f.errors_by_interval[i]}});
        fj["timeline"] = std::move(timeline);
        flows[name] = std::move(fj);
    }
    j["flows"] = std::move(flows);
    nlohmann::json samples = nlohmann::json::array();
    for (const auto& s : samples_)
        samples.push_back({{"at_seconds", s.at_seconds}, {"source", s.source}, {"rss_kib", s.rss_kib},
                           {"cpu_percent", s.cpu_percent}, {"queue_depths", s.queue_depths}});
    j["samples"] = std::move(samples);
    nlohmann::json server_hops = nlohmann::json::object();
    nlohmann::json server_summary = nlohmann::json::object();
    for (const auto& [hop, h] : server_.hops) {
        server_hops[hop] = h.ToJson();
        server_summary[hop] = h.SummaryJson();
    }
    j["server"] = {{"source", server_.source},
                   {"note", server_.note},
                   {"paths", server_.paths},
                   {"hops", std::move(server_hops)},
                   {"summary", std::move(server_summary)},
                   {"e2e_missing", server_.e2e_missing}};
    return j;
}

core::Result<LoadReport> LoadReport::FromJson(const nlohmann::json& j) {
    try {
        if (!j.is_object() || j.value("version", 0) != kReportVersion)
            return core::Fail(Bad("not a cardsim load report (version " + std::to_string(kReportVersion) + ")"));
        LoadReport r(j.at("profile").get<std::string>(), nanoseconds(j.at("measured_ns").get<std::int64_t>()),
                     nanoseconds(j.at("interval_ns").get<std::int64_t>()));
        r.shards_ = j.value("shards", std::vector<std::string>{});
        r.threshold_texts_ = j.value("thresholds", std::vector<std::string>{});
        for (const auto& [name, fj] : j.at("flows").items()) {
            auto& f = r.Flow(name);
            f.completed = fj.at("completed").get<std::uint64_t>();
            f.failed = fj.at("failed").get<std::uint64_t>();
            f.errors_by_kind = fj.at("errors_by_kind").get<std::map<std::string, std::uint64_t>>();
            for (const auto& [hop, hj] : fj.at("hops").items()) {
                auto h = metrics::Histogram::FromJson(hj);
                if (!h) return core::Fail(Bad("flows." + name + ".hops." + hop + ": " + h.error().message));
                f.hops[hop] = std::move(h).value();
            }
            const auto& timeline = fj.at("timeline");
            if (timeline.size() != f.e2e_by_interval.size())
                return core::Fail(Bad("flows." + name + ".timeline: " + std::to_string(timeline.size()) +
                                      " intervals, expected " + std::to_string(f.e2e_by_interval.size())));
            for (std::size_t i = 0; i < timeline.size(); ++i) {
                auto h = metrics::Histogram::FromJson(timeline[i].at("e2e"));
                if (!h) return core::Fail(Bad("flows." + name + ".timeline[" + std::to_string(i) + "]: " + h.error().message));
                f.e2e_by_interval[i] = std::move(h).value();
                f.errors_by_interval[i] = timeline[i].at("errors").get<std::uint64_t>();
            }
            if (f.hops.count("e2e") ? f.hops.at("e2e").Count() != f.completed : f.completed != 0)
                return core::Fail(Bad("flows." + name + ": completed count differs from the e2e histogram's count"));
        }
        for (const auto& sj : j.at("samples")) {
            ProcessSample s;
            s.at_seconds = sj.at("at_seconds").get<double>();
            s.source = sj.value("source", "");
            s.rss_kib = sj.at("rss_kib").get<std::uint64_t>();
            s.cpu_percent = sj.at("cpu_percent").get<double>();
            s.queue_depths = sj.value("queue_depths", std::map<std::string, std::int64_t>{});
            r.samples_.push_back(std::move(s));
        }
        if (auto server = j.find("server"); server != j.end()) {  // absent in reports of older builds
            r.server_.source = server->value("source", "");
            r.server_.note = server->value("note", "");
            r.server_.paths = server->value("paths", std::map<std::string, std::vector<std::string>>{});
            r.server_.e2e_missing = server->value("e2e_missing", std::map<std::string, std::uint64_t>{});
            const nlohmann::json hops = server->value("hops", nlohmann::json::object());
            for (const auto& [hop, hj] : hops.items()) {
                auto h = metrics::Histogram::FromJson(hj);
                if (!h) return core::Fail(Bad("server.hops." + hop + ": " + h.error().message));
                r.server_.hops[hop] = std::move(h).value();
            }
        }
        return r;
    } catch (const nlohmann::json::exception& e) {
        return core::Fail(Bad(e.what()));
    }
}

namespace {

std::string Ms(nanoseconds v) {
    char buf[32];
    double ms = static_cast<double>(v.count()) / 1e6;
    std::snprintf(buf, sizeof buf, ms < 10 ? "%.2f" : ms < 1000 ? "%.1f" : "%.0f", ms);
    return buf;
}

std::string Rate(double per_second) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", per_second);
    return buf;
}

}  // namespace

std::string FormatThresholdValue(const ThresholdResult& r) {
    char buf[64];
    switch (r.threshold.metric) {
        case Threshold::Metric::kErrorRate: std::snprintf(buf, sizeof buf, "%.3f%%", r.value * 100); break;
        case Threshold::Metric::kThroughput: std::snprintf(buf, sizeof buf, "%.1f/s", r.value); break;
        case Threshold::Metric::kLatency: std::snprintf(buf, sizeof buf, "%sms", Ms(nanoseconds(static_cast<std::int64_t>(r.value))).c_str()); break;
    }
    return r.measured ? buf : "no data";
}

std::string FormatConsoleReport(const LoadReport& report, const std::vector<ThresholdResult>& thresholds) {
    std::ostringstream out;
    double seconds = std::chrono::duration<double>(report.Measured()).count();
    out << "load profile " << report.Profile() << ": " << report.Requests() << " arrivals in " << seconds
        << " s measured, " << report.Errors() << " errors";
    if (report.Shards().size() > 1) out << " (" << report.Shards().size() << " shards merged)";
    out << "\n\n";
    char line[256];
    std::snprintf(line, sizeof line, "%-16s %-18s %9s %9s %9s %9s %9s %8s %9s\n", "flow", "hop", "count", "p50 ms",
                  "p90 ms", "p99 ms", "max ms", "errors", "rate/s");
    out << line;
    for (const auto& [name, f] : report.Flows()) {
        bool first = true;
        // e2e first, then the system's own end to end (trace extents), then the hops in name order
        std::vector<std::string> order{"e2e"};
        if (f.hops.count(kServerE2eHop)) order.push_back(kServerE2eHop);
        for (const auto& [hop, _] : f.hops)
            if (hop != "e2e" && hop != kServerE2eHop) order.push_back(hop);
        for (const auto& hop : order) {
            auto it = f.hops.find(hop);
            if (it == f.hops.end()) {
                if (!first) continue;
                std::snprintf(line, sizeof line, "%-16s %-18s %9d %9s %9s %9s %9s %8llu %9.1f\n", name.c_str(), "e2e", 0, "-",
                              "-", "-", "-", static_cast<unsigned long long>(f.failed), 0.0);
                out << line;
                first = false;
                continue;
            }
            const auto& h = it->second;
            std::snprintf(line, sizeof line, "%-16s %-18s %9llu %9s %9s %9s %9s %8s %9s\n", first ? name.c_str() : "",
                          hop.c_str(), static_cast<unsigned long long>(h.Count()), Ms(h.Percentile(50)).c_str(),
                          Ms(h.Percentile(90)).c_str(), Ms(h.Percentile(99)).c_str(), Ms(h.Max()).c_str(),
                          first ? std::to_string(f.failed).c_str() : "", first ? Rate(report.Throughput(name)).c_str() : "");
            out << line;
            first = false;
        }
        if (!f.errors_by_kind.empty()) {
            out << "                 errors:";
            for (const auto& [kind, n] : f.errors_by_kind) out << " " << kind << "=" << n;
            out << "\n";
        }
    }
    const ServerHops& server = report.Server();
    // The hop column fits the longest hop name shown (routes with path parameters run long).
    int hop_width = 46;
    for (const auto& [name, path] : server.paths)
        for (const auto& hop : path)
            if (server.hops.count(hop)) hop_width = std::clamp(static_cast<int>(hop.size()), hop_width, 120);
    if (!server.source.empty() || !server.note.empty()) {
        out << "\nserver-side hops (trace spans, " << (server.source.empty() ? "not read" : server.source) << ")";
        if (!server.note.empty()) out << ": " << server.note;
        out << "\n";
        if (!server.hops.empty()) {
            std::snprintf(line, sizeof line, "%-16s %-*s %9s %9s %9s %9s %9s\n", "flow", hop_width, "server hop", "count",
                          "p50 ms", "p90 ms", "p99 ms", "max ms");
            out << line;
        }
    }
    for (const auto& [name, path] : server.paths) {
        if (!report.Flows().count(name)) continue;
        bool first = true;
        for (const auto& hop : path) {
            auto it = server.hops.find(hop);
            if (it == server.hops.end()) continue;
            const auto& h = it->second;
            std::snprintf(line, sizeof line, "%-16s %-*s %9llu %9s %9s %9s %9s\n", first ? name.c_str() : "", hop_width,
                          hop.substr(0, 120).c_str(),
                          static_cast<unsigned long long>(h.Count()), Ms(h.Percentile(50)).c_str(),
                          Ms(h.Percentile(90)).c_str(), Ms(h.Percentile(99)).c_str(), Ms(h.Max()).c_str());
            out << line;
            first = false;
        }
        if (auto missing = server.e2e_missing.find(name); missing != server.e2e_missing.end() && missing->second > 0)
            out << "                 " << missing->second << " measured arrivals had no trace extent (not in "
                << kServerE2eHop << ")\n";
    }
    if (!thresholds.empty()) {
        out << "\nthresholds:\n";
        for (const auto& r : thresholds)
            out << "  " << (r.passed ? "PASS" : "FAIL") << "  " << r.threshold.text << "   (measured " << FormatThresholdValue(r) << ")\n";
    }
    return out.str();
}

}  // namespace sim::scenario::load
