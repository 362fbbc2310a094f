#pragma once
// Arrival rates over time for open-model load (issue 10): constant, ramp, steps and spike, and the
// deterministic arrival schedule they give.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sim/core/result.hpp"
#include "sim/core/time.hpp"

namespace sim::scenario::load {

/// A piecewise-linear rate in arrivals per second, as a function of the time since the run started.
/// Built from the profile's `rate` object:
///   {"kind":"constant","per_second":20}
///   {"kind":"ramp","from":5,"to":50,"over":"PT30S"}          (then holds `to`; `over` defaults to the run)
///   {"kind":"steps","steps":[{"at":"PT0S","per_second":5},{"at":"PT10S","per_second":20}]}
///   {"kind":"spike","base":10,"peak":100,"at":"PT20S","for":"PT5S"}
class RateCurve {
public:
    /// `field` names the object in errors ("flows.card_use.rate"); `run` is the run's duration
    /// (the default `over` of a ramp).
    static core::Result<RateCurve> Parse(const nlohmann::json& spec, const std::string& field, core::Duration run);
    static RateCurve Constant(double per_second);

    /// Arrivals per second at `t` after the start (before scaling).
    double At(core::Duration t) const;
    /// The kind as given ("constant", "ramp", "steps", "spike").
    const std::string& Kind() const { return kind_; }

    /// Intended arrival offsets from the start, in [0, duration): the k-th arrival (k = 0, 1, ...)
    /// is at the time the integral of rate × `scale` reaches k + 0.5, so a constant 10/s over 1 s
    /// gives arrivals at 50 ms, 150 ms, ... 950 ms. Deterministic. With `shard_count` > 1 only the
    /// arrivals k with k % shard_count == shard_index are returned: N shards together are exactly
    /// the unsharded schedule.
    std::vector<core::Duration> Arrivals(core::Duration duration, double scale, std::uint32_t shard_index = 0,
                                         std::uint32_t shard_count = 1) const;

private:
    struct Point {  // the rate at `at`, linear to the next point; the last point holds
        core::Duration at;
        double per_second;
    };
    std::string kind_;
    std::vector<Point> points_;
};

}  // namespace sim::scenario::load
