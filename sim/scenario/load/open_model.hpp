#pragma once
// The open-model load driver (issue 10): arrivals start at their scheduled times whatever the
// system's state (no waiting for earlier ones to finish), and each arrival's latency counts from
// when it was due, not from when it could be sent — so a stalled server shows its stall in the
// percentiles instead of hiding it (coordinated-omission correction).

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/clock/clock.hpp"
#include "sim/scenario/load/profile.hpp"
#include "sim/scenario/load/report.hpp"

namespace sim::scenario::load {

/// How one arrival ended: success with its hop latencies, or an error of some kind.
struct ArrivalOutcome {
    bool ok = true;
    std::string error_kind;  ///< e.g. "http_503", "timeout", "expectation"
    std::map<std::string, std::chrono::nanoseconds> hops;
    static ArrivalOutcome Error(std::string kind) { return {false, std::move(kind), {}}; }
};

/// One business path under load. Implementations call the system through the transport.
class LoadFlow {
public:
    virtual ~LoadFlow() = default;
    /// Runs arrival number `arrival` (0, 1, ... within this flow) and calls `done` exactly once,
    /// possibly later on the loop. `trace_id` (empty: untraced) goes as X-Cardsim-Trace-Id on the
    /// requests of the arrival's business path — not on the generator's own waits and polls — so
    /// the system's spans of this arrival form one trace (its server-side end to end).
    virtual void Start(std::uint64_t arrival, const std::string& trace_id, std::function<void(ArrivalOutcome)> done) = 0;
};

struct DriverOptions {
    double rate_scale = 1.0;
    std::uint32_t shard_index = 0;  ///< 0-based
    std::uint32_t shard_count = 1;
    /// Arrivals in flight beyond this are not started and count as error "overload_dropped".
    std::uint64_t max_in_flight = 20'000;
    /// An arrival not finished this long after it was due counts as error "timeout" (and its
    /// late completion is ignored).
    std::chrono::nanoseconds arrival_timeout = std::chrono::seconds(30);
    /// When set, arrival i of flow F is traced as PREFIX + F + "-" + i (unique per run and shard).
    std::string trace_prefix;
};

/// A measured arrival that succeeded, by trace id, for reading its server-side extent.
struct TracedArrival {
    std::string flow;
    std::string trace_id;
    clock::TimePoint completed{};
};

/// Drives every flow of a profile on `clock`; `Run` returns at once and `finished` is called
/// (on the loop) when every arrival has completed or timed out.
class OpenModelDriver {
public:
    OpenModelDriver(clock::Clock& clock, const LoadProfile& profile, std::map<std::string, LoadFlow*> flows,
                    DriverOptions options);
    ~OpenModelDriver();

    void Run(std::function<void()> finished);

    LoadReport& Report() { return report_; }
    /// Counters for the live progress line.
    std::uint64_t Started() const { return started_; }
    std::uint64_t Finished() const { return finished_count_; }
    std::uint64_t InFlight() const { return started_ - finished_count_; }
    std::uint64_t Scheduled() const { return scheduled_; }
    /// Time since Run started.
    std::chrono::nanoseconds Elapsed() const;
    /// Removes and returns the traced measured successes that completed before `before` (all of
    /// them with TimePoint::max()), oldest first.
    std::vector<TracedArrival> TakeTraced(clock::TimePoint before);

private:
    struct FlowRun;
    void ArmNext(FlowRun& run);
    void FireDue(FlowRun& run);
    void StartArrival(FlowRun& run, std::size_t index);
    void Complete(FlowRun& run, std::size_t index, clock::TimePoint due, ArrivalOutcome outcome);
    void MaybeFinish();
    /// The trace id of arrival `index` of `run` (DriverOptions::trace_prefix), "" when untraced.
    std::string TraceOf(const FlowRun& run, std::size_t index) const;

    clock::Clock& clock_;
    LoadProfile profile_;
    DriverOptions options_;
    LoadReport report_;
    std::vector<std::unique_ptr<FlowRun>> runs_;
    clock::TimePoint start_{};
    std::uint64_t scheduled_ = 0;
    std::uint64_t started_ = 0;
    std::uint64_t finished_count_ = 0;
    std::function<void()> finished_;
    std::deque<TracedArrival> traced_;
    bool done_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sim::scenario::load
