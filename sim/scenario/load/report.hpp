#pragma once
// What a load run measured (issue 10): per flow the end-to-end and per-hop latency histograms,
// completions and errors by kind, a timeline in fixed intervals, and process samples (CPU, RSS,
// queue depths). Serialises to JSON and merges exactly (histograms merge without loss), so shard
// reports of one profile combine into the report of the whole run (`cardsim report merge`).

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/core/result.hpp"
#include "sim/metrics/histogram.hpp"
#include "sim/scenario/load/thresholds.hpp"

namespace sim::scenario::load {

struct FlowStats {
    std::uint64_t completed = 0;  ///< arrivals that finished successfully (counted in hops["e2e"])
    std::uint64_t failed = 0;     ///< arrivals that ended in an error
    std::map<std::string, std::uint64_t> errors_by_kind;
    /// "e2e" plus one per hop; latency counted from when the arrival was due (coordinated omission).
    std::map<std::string, metrics::Histogram> hops;
    /// Per timeline interval: the e2e latencies of arrivals due in it, and errors.
    std::vector<metrics::Histogram> e2e_by_interval;
    std::vector<std::uint64_t> errors_by_interval;
};

struct ProcessSample {
    double at_seconds = 0;    ///< since the start of the run
    std::string source;       ///< which process (shard label) took it
    std::uint64_t rss_kib = 0;
    double cpu_percent = 0;   ///< of one core, since the previous sample
    std::map<std::string, std::int64_t> queue_depths;
};

/// The server-side view of the measured part (DESIGN "Observability"): the system's per-hop trace
/// span histograms (GET /_sim/spans of its control plane), reset when the measured part starts and
/// read when the last arrival has finished, and per flow its critical path as hop names in order.
struct ServerHops {
    /// "in-process", the control-plane URL they were read from, or "" when not read.
    std::string source;
    /// Why they are missing when they are ("the target's control plane did not answer: ...").
    std::string note;
    std::map<std::string, std::vector<std::string>> paths;
    std::map<std::string, metrics::Histogram> hops;
    /// Per flow, measured successful arrivals whose trace the system no longer (or never) knew, so
    /// they are not in the flow's "server_e2e" histogram.
    std::map<std::string, std::uint64_t> e2e_missing;
};

/// The flow hop holding each arrival's server-side end to end: from its trace's first span start
/// to its last span end in the system (POST /_sim/traces/extents), not counted from when it was due.
inline constexpr const char* kServerE2eHop = "server_e2e";

struct ThresholdResult {
    Threshold threshold;
    double value = 0;  ///< the measured value in the threshold's unit (ns, fraction, per second)
    bool passed = false;
    bool measured = false;  ///< false when the flow/hop has no data (counts as failed)
};

class LoadReport {
public:
    LoadReport() = default;
    /// `interval`: width of one timeline interval; `measured`: length of the measured part (after warm-up).
    LoadReport(std::string profile, std::chrono::nanoseconds measured, std::chrono::nanoseconds interval);

    /// One successful arrival: `due` is its offset into the measured part; `hops` its hop latencies;
    /// `e2e` its latency from when it was due.
    void RecordSuccess(const std::string& flow, std::chrono::nanoseconds due, std::chrono::nanoseconds e2e,
                       const std::map<std::string, std::chrono::nanoseconds>& hops);
    void RecordError(const std::string& flow, std::chrono::nanoseconds due, const std::string& kind);
    /// One successful arrival's server-side end to end (hop kServerE2eHop of the flow).
    void RecordServerE2e(const std::string& flow, std::chrono::nanoseconds extent);
    void AddSample(ProcessSample sample) { samples_.push_back(std::move(sample)); }

    /// Adds `other` (another shard of the same profile): InvalidArgument when the profile or the
    /// interval differ. Server hops of separate in-process systems add up; shards that read one
    /// shared target's control plane saw the same spans, so the first shard's are kept.
    core::Status<> Merge(const LoadReport& other);

    /// Every arrival recorded, successful or not.
    std::uint64_t Requests() const;
    std::uint64_t Errors() const;
    /// Successful completions per second of the measured part.
    double Throughput(const std::string& flow) const;
    std::vector<ThresholdResult> Evaluate(const std::vector<Threshold>& thresholds) const;

    nlohmann::json ToJson() const;
    static core::Result<LoadReport> FromJson(const nlohmann::json& json);

    const std::string& Profile() const { return profile_; }
    std::chrono::nanoseconds Measured() const { return measured_; }
    std::chrono::nanoseconds Interval() const { return interval_; }
    const std::map<std::string, FlowStats>& Flows() const { return flows_; }
    const std::vector<ProcessSample>& Samples() const { return samples_; }
    ServerHops& Server() { return server_; }
    const ServerHops& Server() const { return server_; }
    /// The profile's thresholds as written, kept so a merged report is judged like the run.
    std::vector<std::string>& ThresholdTexts() { return threshold_texts_; }
    const std::vector<std::string>& ThresholdTexts() const { return threshold_texts_; }
    /// Shard labels merged into this report ("1/2", "2/2"); one entry for an unmerged report.
    std::vector<std::string>& Shards() { return shards_; }
    const std::vector<std::string>& Shards() const { return shards_; }

private:
    FlowStats& Flow(const std::string& name);
    std::size_t IntervalOf(std::chrono::nanoseconds due) const;

    std::string profile_;
    std::chrono::nanoseconds measured_{0};
    std::chrono::nanoseconds interval_{std::chrono::seconds(1)};
    std::map<std::string, FlowStats> flows_;
    std::vector<ProcessSample> samples_;
    ServerHops server_;
    std::vector<std::string> shards_;
    std::vector<std::string> threshold_texts_;
};

/// A threshold's measured value in its unit ("12.30ms", "0.100%", "20.0/s", "no data").
std::string FormatThresholdValue(const ThresholdResult& result);
/// The console table: per flow and hop count, p50/p90/p99/max, errors, throughput; thresholds.
std::string FormatConsoleReport(const LoadReport& report, const std::vector<ThresholdResult>& thresholds);
/// One self-contained HTML page (inline SVG, no scripts or external resources).
std::string RenderHtmlReport(const LoadReport& report, const std::vector<ThresholdResult>& thresholds);

}  // namespace sim::scenario::load
