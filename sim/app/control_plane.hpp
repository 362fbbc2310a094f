#pragma once
// The control plane, answered on every port (DESIGN, "Processes and ports"):
//   GET  /_sim/health (also /_localstack/health)  version, uptime, clock, each service and its state
//   GET  /_sim/metrics                            Prometheus text
//   GET  /_sim/clock                              {"mode","now"}
//   POST /_sim/clock {"advance":"PT12H"} | {"set":"2027-01-01T00:00:00Z"}   virtual mode only
//                    | {"step":{"until":"2027-01-01T00:05:00Z"}}  fire the next timer due by then
//                      (or move there when none is): {"now","previous","fired":bool}
//   POST /_sim/reset                              wipe all state, keep configuration
//   GET  /_sim/spans                              per-hop latency summaries and histograms of the
//                                                 server-side trace spans (sim/metrics/spans.hpp)
//   DELETE /_sim/spans                            forget the spans (a load run's measured part starts)
//   GET  /_sim/traces?trace_id=ID                 the recent spans of one trace, by start time
//   GET  /_sim/traces?hop=NAME                    the latest spans of one hop (newest first, 100)

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/clock/clock.hpp"
#include "sim/clock/stopwatch.hpp"
#include "sim/clock/virtual_clock.hpp"
#include "sim/core/router.hpp"
#include "sim/metrics/registry.hpp"

namespace sim::app {

/// Something whose state POST /_sim/reset wipes (an emulator, a fake, a service's database).
struct ResetHook {
    std::string component;
    std::function<void()> reset;
};

class ControlPlane {
public:
    /// `virtual_clock` is null in real mode. `services` describes each service and its state for
    /// /_sim/health ({"sqs":"running", ...}); `on_clock_changed` persists a new virtual time.
    ControlPlane(std::string version, clock::Clock& clock, clock::VirtualClock* virtual_clock,
                 metrics::Registry& metrics, std::function<nlohmann::json()> services,
                 std::function<void()> on_clock_changed);

    void AddResetHook(ResetHook hook) { reset_hooks_.push_back(std::move(hook)); }
    /// Registers the control routes on `router` (call before any catch-all route).
    void AddRoutesTo(core::Router& router);

    core::Response Health() const;
    core::Response Metrics() const;
    core::Response GetClock() const;
    core::Response PostClock(const core::Request& request);
    core::Response Reset();
    core::Response Spans() const;
    core::Response Trace(const core::Request& request) const;
    core::Response TraceExtents(const core::Request& request) const;

private:
    nlohmann::json ClockJson() const;
    core::Response StepClock(const nlohmann::json& step);

    std::string version_;
    clock::Clock& clock_;
    clock::VirtualClock* virtual_clock_;
    metrics::Registry& metrics_;
    std::function<nlohmann::json()> services_;
    std::function<void()> on_clock_changed_;
    std::vector<ResetHook> reset_hooks_;
    clock::Stopwatch uptime_;
};

}  // namespace sim::app
