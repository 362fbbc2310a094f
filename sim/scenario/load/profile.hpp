#pragma once
// A load profile (issue 10): which flows arrive at which rate over time, for how long, against
// how many members, and the thresholds the run must meet. Files under scenarios/load/.
//
// {
//   "name": "smoke",
//   "description": "a few seconds of every flow",
//   "duration": "PT10S",            measured part (after the warm-up)
//   "warmup": "PT2S",               arrivals run but are not measured (default PT0S)
//   "interval": "PT1S",             timeline resolution of the report (default 1 s, at most 600 intervals)
//   "population": {"members": 50},  members prepared before the run (card holders)
//   "flows": {"card_use": {"rate": {"kind": "constant", "per_second": 20}}, ...},
//   "thresholds": ["card_use.e2e.p99 < 50ms", "errors.rate < 0.1%"]
// }

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sim/core/result.hpp"
#include "sim/scenario/load/rate.hpp"
#include "sim/scenario/load/thresholds.hpp"

namespace sim::scenario::load {

struct FlowSpec {
    std::string name;
    RateCurve rate;
};

struct LoadProfile {
    std::string name;
    std::string description;
    core::Duration duration{0};
    core::Duration warmup{0};
    core::Duration interval{std::chrono::seconds(1)};
    std::uint32_t members = 10;
    std::vector<FlowSpec> flows;
    std::vector<Threshold> thresholds;
};

struct ProfileOverrides {
    std::optional<core::Duration> duration;  ///< --duration
    double rate_scale = 1.0;                 ///< --rate-scale (applied when arrivals are computed)
};

/// Parses and validates a profile. `known_flows` are the flow names the load generator implements;
/// every error names the field ("flows.card_usee: unknown flow (known: ...)", "thresholds[1]: ...").
/// Thresholds must refer to flows of the profile. With `flow_hops` (per flow, the hops its
/// arrivals report), a latency threshold must also name one of them, "e2e" or "server_e2e", so a
/// misspelt hop is rejected before the run instead of failing it for want of data.
core::Result<LoadProfile> ParseProfile(const nlohmann::json& json, const std::set<std::string>& known_flows,
                                       const ProfileOverrides& overrides = {},
                                       const std::map<std::string, std::set<std::string>>* flow_hops = nullptr);

}  // namespace sim::scenario::load
