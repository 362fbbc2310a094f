// The self-contained HTML page of a load run: inline CSS and SVG, no scripts, fonts or links.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "sim/core/markup.hpp"
#include "sim/scenario/load/report.hpp"

namespace sim::scenario::load {

namespace {

using std::chrono::nanoseconds;

struct Series {
    std::string name;
    std::string color;
    std::vector<std::pair<double, double>> points;  // x, y
    bool bars = false;
};

std::string Num(double v) {
    char buf[32];
    if (v == 0) return "0";
    double a = std::fabs(v);
    std::snprintf(buf, sizeof buf, a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f", v);
    return buf;
}

double NiceCeil(double v) {
    if (v <= 0) return 1;
    double p = std::pow(10, std::floor(std::log10(v)));
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
        if (m * p >= v) return m * p;
    return 10 * p;
}

/// A chart 640x220 with axes, grid, a legend; bars or polylines per series.
std::string Chart(const std::string& title, const std::string& x_label, const std::string& y_label,
                  const std::vector<Series>& series, bool log_x = false) {
    constexpr double kW = 640, kH = 230, kLeft = 56, kRight = 12, kTop = 40, kBottom = 34;
    double min_x = 0, max_x = 0, max_y = 0;
    bool first = true;
    for (const auto& s : series)
        for (const auto& [x, y] : s.points) {
            double v = log_x ? std::log10(std::max(x, 1e-9)) : x;
            min_x = first ? v : std::min(min_x, v);
            max_x = first ? v : std::max(max_x, v);
            first = false;
            max_y = std::max(max_y, y);
        }
    if (!log_x) min_x = 0;
    if (max_x <= min_x) max_x = min_x + 1;
    max_y = NiceCeil(max_y);
    // On a log axis positions are log10(x) and tick labels show x again.
    auto pos = [&](double x) { return log_x ? std::log10(std::max(x, 1e-9)) : x; };
    auto px = [&](double x) { return kLeft + (pos(x) - min_x) / (max_x - min_x) * (kW - kLeft - kRight); };
    auto py = [&](double y) { return kH - kBottom - y / max_y * (kH - kTop - kBottom); };
    std::ostringstream svg;
    svg << "<svg class=\"chart\" viewBox=\"0 0 " << kW << " " << kH << "\" width=\"" << kW << "\" height=\"" << kH
        << "\" role=\"img\" aria-label=\"" << core::EscapeMarkup(title) << "\">";
    svg << "<text x=\"" << kLeft << "\" y=\"16\" class=\"title\">" << core::EscapeMarkup(title) << "</text>";
    for (int i = 0; i <= 4; ++i) {
        double y = max_y * i / 4;
        svg << "<line x1=\"" << kLeft << "\" x2=\"" << kW - kRight << "\" y1=\"" << py(y) << "\" y2=\"" << py(y)
            << "\" class=\"grid\"/><text x=\"" << kLeft - 4 << "\" y=\"" << py(y) + 4 << "\" class=\"tick\" text-anchor=\"end\">"
            << Num(y) << "</text>";
    }
    for (int i = 0; i <= 4; ++i) {
        double v = min_x + (max_x - min_x) * i / 4;
        double x = log_x ? std::pow(10, v) : v;
        svg << "<text x=\"" << px(x) << "\" y=\"" << kH - kBottom + 14 << "\" class=\"tick\" text-anchor=\"middle\">" << Num(x)
            << "</text>";
    }
    svg << "<text x=\"" << (kLeft + kW - kRight) / 2 << "\" y=\"" << kH - 4 << "\" class=\"axis\" text-anchor=\"middle\">"
        << core::EscapeMarkup(x_label) << "</text>";
    svg << "<text x=\"12\" y=\"" << (kTop + kH - kBottom) / 2 << "\" class=\"axis\" text-anchor=\"middle\" transform=\"rotate(-90 12 "
        << (kTop + kH - kBottom) / 2 << ")\">" << core::EscapeMarkup(y_label) << "</text>";
    double legend_x = kW - kRight;
    for (auto it = series.rbegin(); it != series.rend(); ++it) {
        legend_x -= 12 + 7.0 * static_cast<double>(it->name.size()) + 16;
        svg << "<rect x=\"" << legend_x << "\" y=\"22\" width=\"10\" height=\"10\" fill=\"" << it->color << "\"/><text x=\""
            << legend_x + 14 << "\" y=\"31\" class=\"tick\">" << core::EscapeMarkup(it->name) << "</text>";
    }
    for (const auto& s : series) {
        if (s.bars) {
            double width = std::max(1.0, (kW - kLeft - kRight) / std::max<double>(1, static_cast<double>(s.points.size())) * 0.8);
            for (const auto& [x, y] : s.points)
                svg << "<rect x=\"" << px(x) - width / 2 << "\" y=\"" << py(y) << "\" width=\"" << width << "\" height=\""
                    << py(0) - py(y) << "\" fill=\"" << s.color << "\"/>";
        } else if (!s.points.empty()) {
            svg << "<polyline fill=\"none\" stroke=\"" << s.color << "\" stroke-width=\"2\" points=\"";
            for (const auto& [x, y] : s.points) svg << px(x) << "," << py(y) << " ";
            svg << "\"/>";
        }
    }
    svg << "</svg>";
    return svg.str();
}

double ToMs(nanoseconds v) { return static_cast<double>(v.count()) / 1e6; }

std::string LatencyOverTime(const std::string& flow, const FlowStats& f, nanoseconds interval) {
    Series p50{"p50", "#4c78a8", {}}, p90{"p90", "#f58518", {}}, p99{"p99", "#e45756", {}};
    double width = std::chrono::duration<double>(interval).count();
    for (std::size_t i = 0; i < f.e2e_by_interval.size(); ++i) {
        const auto& h = f.e2e_by_interval[i];
        if (h.Count() == 0) continue;
        double x = (static_cast<double>(i) + 0.5) * width;
        p50.points.push_back({x, ToMs(h.Percentile(50))});
        p90.points.push_back({x, ToMs(h.Percentile(90))});
        p99.points.push_back({x, ToMs(h.Percentile(99))});
    }
    return Chart(flow + ": end-to-end latency percentiles over time", "seconds into the run", "ms", {p50, p90, p99});
}

std::string ThroughputOverTime(const std::string& flow, const FlowStats& f, nanoseconds interval) {
    Series ok{"completed/s", "#54a24b", {}, true}, err{"errors/s", "#e45756", {}, true};
    double width = std::chrono::duration<double>(interval).count();
    for (std::size_t i = 0; i < f.e2e_by_interval.size(); ++i) {
        double x = (static_cast<double>(i) + 0.5) * width;
        ok.points.push_back({x, static_cast<double>(f.e2e_by_interval[i].Count()) / width});
        err.points.push_back({x, static_cast<double>(f.errors_by_interval[i]) / width});
    }
    return Chart(flow + ": throughput", "seconds into the run", "per second", {ok, err});
}

std::string LatencyHistogram(const std::string& flow, const metrics::Histogram& h) {
    // Re-bin the fine buckets into 40 bins on a log scale between min and max.
    Series bins{"arrivals", "#4c78a8", {}, true};
    if (h.Count() > 0) {
        double lo = std::log10(std::max(1e-3, ToMs(h.Min())));
        double hi = std::log10(std::max(ToMs(h.Max()), std::pow(10, lo) * 1.01));
        constexpr int kBins = 40;
        std::vector<double> counts(kBins, 0);
        h.ForEachBucket([&](const metrics::Histogram::Bucket& b) {
            double mid = std::log10(std::max(1e-3, ToMs((b.lower + b.upper) / 2)));
            int i = std::clamp(static_cast<int>((mid - lo) / (hi - lo) * kBins), 0, kBins - 1);
            counts[i] += static_cast<double>(b.count);
        });
        for (int i = 0; i < kBins; ++i) bins.points.push_back({std::pow(10, lo + (hi - lo) * (i + 0.5) / kBins), counts[i]});
    }
    return Chart(flow + ": end-to-end latency distribution", "ms (log scale)", "arrivals", {bins}, true);
}

/// A table of hops with count, p50, p99 and bars (p99 light, p50 dark) on one scale.
std::string HopBreakdown(const std::string& caption, const std::vector<std::pair<std::string, const metrics::Histogram*>>& hops) {
    std::ostringstream out;
    double max_ms = 0;
    for (const auto& [hop, h] : hops) max_ms = std::max(max_ms, ToMs(h->Percentile(99)));
    max_ms = NiceCeil(max_ms);
    out << "<table class=\"hops\"><tr><th>" << core::EscapeMarkup(caption) << "</th><th>count</th><th>p50 ms</th><th>p99 ms</th><th></th></tr>";
    for (const auto& [hop, h] : hops) {
        double p50 = ToMs(h->Percentile(50)), p99 = ToMs(h->Percentile(99));
        out << "<tr><td>" << core::EscapeMarkup(hop) << "</td><td>" << h->Count() << "</td><td>" << Num(p50) << "</td><td>" << Num(p99)
            << "</td><td><svg width=\"300\" height=\"14\"><rect x=\"0\" y=\"2\" height=\"10\" width=\"" << 300 * p99 / max_ms
            << "\" fill=\"#f2b7b7\"/><rect x=\"0\" y=\"2\" height=\"10\" width=\"" << 300 * p50 / max_ms
            << "\" fill=\"#4c78a8\"/></svg></td></tr>";
    }
    out << "</table>";
    return out.str();
}

/// The slowest flow's hops: as the load generator saw them, then its critical path's server-side
/// hops from the system's trace spans (or why there are none).
std::string SlowestPathBreakdown(const LoadReport& report, const std::string& flow) {
    std::vector<std::pair<std::string, const metrics::Histogram*>> client;
    const auto& hops = report.Flows().at(flow).hops;
    for (const auto& [hop, h] : hops)
        if (hop != kServerE2eHop) client.emplace_back(hop, &h);
    std::string out = HopBreakdown("hop of " + flow + " (client side)", client);
    const ServerHops& server = report.Server();
    std::vector<std::pair<std::string, const metrics::Histogram*>> spans;
    if (auto e2e = hops.find(kServerE2eHop); e2e != hops.end())
        spans.emplace_back("end to end in the system (each arrival's trace, first span to last)", &e2e->second);
    if (auto path = server.paths.find(flow); path != server.paths.end())
        for (const auto& hop : path->second)
            if (auto h = server.hops.find(hop); h != server.hops.end()) spans.emplace_back(hop, &h->second);
    if (!spans.empty()) {
        out += "<p>Server-side hops of its critical path, in path order, from the system's trace spans (" +
               core::EscapeMarkup(server.source) + "):</p>";
        out += HopBreakdown("server hop of " + flow, spans);
    } else {
        out += "<p>Server-side hops: not available" +
               (server.note.empty() ? std::string(".") : ": " + core::EscapeMarkup(server.note)) + "</p>";
    }
    return out;
}

}  // namespace

std::string RenderHtmlReport(const LoadReport& report, const std::vector<ThresholdResult>& thresholds) {
    std::ostringstream html;
    html << "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>cardsim load: " << core::EscapeMarkup(report.Profile())
         << "</title><style>"
            "body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1340px}"
            "h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}"
            "table{border-collapse:collapse;margin:8px 0}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:left;font-size:13px}"
            ".pass{color:#2d7d2d;font-weight:bold}.fail{color:#c0392b;font-weight:bold}"
            ".charts{display:flex;flex-wrap:wrap;gap:12px}.chart{background:#fafafa;border:1px solid #eee}"
            ".chart .title{font-size:13px;font-weight:bold}.chart .tick{font-size:10px;fill:#555}.chart .axis{font-size:11px;fill:#333}"
            ".chart .grid{stroke:#e4e4e4}"
            "</style></head><body>";
    double seconds = std::chrono::duration<double>(report.Measured()).count();
    std::size_t failed = static_cast<std::size_t>(std::count_if(thresholds.begin(), thresholds.end(), [](const auto& r) { return !r.passed; }));
    html << "<h1>cardsim load report — " << core::EscapeMarkup(report.Profile()) << "</h1>";
    html << "<p>" << report.Requests() << " arrivals over " << Num(seconds) << " s measured, " << report.Errors() << " errors";
    if (!report.Shards().empty()) {
        html << "; shards:";
        for (const auto& s : report.Shards()) html << " " << core::EscapeMarkup(s);
    }
    html << ". Latency counts from when each arrival was due (coordinated-omission corrected).</p>";
    html << "<h2>Thresholds: " << (failed ? "<span class=\"fail\">" + std::to_string(failed) + " failed</span>" : "<span class=\"pass\">all passed</span>")
         << "</h2><table><tr><th>result</th><th>threshold</th><th>measured</th></tr>";
    for (const auto& r : thresholds)
        html << "<tr><td class=\"" << (r.passed ? "pass\">PASS" : "fail\">FAIL") << "</td><td>" << core::EscapeMarkup(r.threshold.text)
             << "</td><td>" << core::EscapeMarkup(FormatThresholdValue(r)) << "</td></tr>";
    html << "</table>";

    html << "<h2>Flows</h2><table><tr><th>flow</th><th>completed</th><th>errors</th><th>rate/s</th><th>p50 ms</th><th>p99 ms</th><th>max ms</th><th>errors by kind</th></tr>";
    std::string slowest;
    nanoseconds slowest_p99{-1};
    for (const auto& [name, f] : report.Flows()) {
        auto e2e = f.hops.find("e2e");
        nanoseconds p50{0}, p99{0}, mx{0};
        if (e2e != f.hops.end()) {
            p50 = e2e->second.Percentile(50);
            p99 = e2e->second.Percentile(99);
            mx = e2e->second.Max();
        }
        if (p99 > slowest_p99) {
            slowest_p99 = p99;
            slowest = name;
        }
        html << "<tr><td>" << core::EscapeMarkup(name) << "</td><td>" << f.completed << "</td><td>" << f.failed << "</td><td>"
             << Num(report.Throughput(name)) << "</td><td>" << Num(ToMs(p50)) << "</td><td>" << Num(ToMs(p99)) << "</td><td>"
             << Num(ToMs(mx)) << "</td><td>";
        for (const auto& [kind, n] : f.errors_by_kind) html << core::EscapeMarkup(kind) << "=" << n << " ";
        html << "</td></tr>";
    }
    html << "</table>";
    if (!slowest.empty()) {
        html << "<h2>Where the time goes: hops of the slowest path (" << core::EscapeMarkup(slowest) << ")</h2>";
        html << SlowestPathBreakdown(report, slowest);
    }
    for (const auto& [name, f] : report.Flows()) {
        html << "<h2>" << core::EscapeMarkup(name) << "</h2><div class=\"charts\">";
        html << LatencyOverTime(name, f, report.Interval()) << ThroughputOverTime(name, f, report.Interval());
        if (auto e2e = f.hops.find("e2e"); e2e != f.hops.end()) html << LatencyHistogram(name, e2e->second);
        html << "</div>";
    }
    if (!report.Samples().empty()) {
        Series rss{"RSS MiB", "#4c78a8", {}}, cpu{"CPU %", "#e45756", {}};
        std::map<std::string, Series> queues;
        static const char* kColors[] = {"#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#ff9da6", "#9d755d"};
        for (const auto& s : report.Samples()) {
            rss.points.push_back({s.at_seconds, static_cast<double>(s.rss_kib) / 1024});
            cpu.points.push_back({s.at_seconds, s.cpu_percent});
            for (const auto& [q, depth] : s.queue_depths) {
                auto& series = queues[q];
                if (series.name.empty()) {
                    series.name = q;
                    series.color = kColors[(queues.size() - 1) % 8];
                }
                series.points.push_back({s.at_seconds, static_cast<double>(depth)});
            }
        }
        html << "<h2>Process</h2><div class=\"charts\">" << Chart("resident memory", "seconds into the run", "MiB", {rss})
             << Chart("CPU (100 = one core)", "seconds into the run", "%", {cpu});
        if (!queues.empty()) {
            std::vector<Series> qs;
            for (auto& [_, s] : queues) qs.push_back(s);
            html << Chart("queue depths", "seconds into the run", "messages", qs);
        }
        html << "</div>";
    }
    html << "</body></html>\n";
    return html.str();
}

}  // namespace sim::scenario::load
