#pragma once
// Load thresholds (issue 10), k6-style text: "card_use.e2e.p99 < 50ms", "errors.rate < 0.1%",
// "card_use.errors.rate <= 1%", "card_use.throughput >= 20/s", "application.submit.max < 2s".
//
// Grammar: METRIC OP VALUE, OP one of < <= > >=.
//   METRIC = errors.rate                      (all flows; VALUE a percentage "0.1%")
//          | FLOW.errors.rate                 (one flow)
//          | FLOW.throughput                  (achieved completions per second; VALUE "20/s" or "20")
//          | FLOW.HOP.STAT                    (HOP "e2e" or a hop name; STAT p50 p90 p95 p99 p99.9
//                                              min max mean; VALUE a duration "50ms", "1.5s", "200us")

#include <string>
#include <vector>

#include "sim/core/result.hpp"

namespace sim::scenario::load {

struct Threshold {
    enum class Metric { kErrorRate, kThroughput, kLatency };
    enum class Op { kLess, kLessEqual, kGreater, kGreaterEqual };
    std::string text;  ///< as written
    Metric metric = Metric::kLatency;
    std::string flow;  ///< empty for the all-flows error rate
    std::string hop;   ///< latency only
    std::string stat;  ///< latency only: "p99", "max", ...
    double percentile = 0;  ///< latency percentiles: 99 for "p99"; -1 min, -2 max, -3 mean
    Op op = Op::kLess;
    /// The limit: nanoseconds for latency, a fraction (0.001 for "0.1%") for error rates, per
    /// second for throughput.
    double limit = 0;

    bool Holds(double value) const;
};

/// Parses one threshold; the message names the expression and what is wrong.
core::Result<Threshold> ParseThreshold(const std::string& text);

}  // namespace sim::scenario::load
