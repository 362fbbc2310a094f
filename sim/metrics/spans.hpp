#pragma once
// Server-side trace spans (DESIGN "Observability"): each hop a request takes through the process —
// a front-API route, a queue dwell, a function invocation, a batch task, a commit wait — is recorded
// as one span (trace id, hop name, start, end), timed by the injected Clock (wall time in real mode,
// virtual time in virtual mode).
//
// Two views are kept, both bounded:
//   - a latency histogram per hop name (what `GET /_sim/spans` and `cardsim load` read);
//   - the most recent spans in a ring of fixed capacity (what `GET /_sim/traces?trace_id=` answers).
// Recording is cheap enough for the hot path: one lookup by hop name (no allocation once the hop is
// known), one histogram bucket increment and one ring slot overwritten in place (two short string
// assignments into buffers that keep their capacity). Hop names are a small fixed set (routes,
// queues, functions); a new name past kMaxHops is counted in Dropped() instead of growing the map.
//
// Not thread-safe: the recorder belongs to the one event-loop thread (CONVENTIONS principle 4).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/time.hpp"
#include "sim/metrics/histogram.hpp"

namespace sim::metrics {

struct Span {
    std::string trace_id;  ///< may be empty (work not caused by a traced request)
    std::string hop;       ///< e.g. "platform GET /app/v1/balance", "sqs.dwell platform-notifications"
    core::TimePoint start;
    core::TimePoint end;
};

class SpanRecorder {
public:
    static constexpr std::size_t kDefaultCapacity = 8192;
    /// Distinct hop names kept; spans of further names are dropped (counted).
    static constexpr std::size_t kMaxHops = 512;

    /// `capacity`: spans kept for trace look-ups (at least 1).
    explicit SpanRecorder(std::size_t capacity = kDefaultCapacity);

    /// Records one span. `end` before `start` counts as a zero-length span.
    void Record(std::string_view trace_id, std::string_view hop, core::TimePoint start, core::TimePoint end);

    /// The spans of `trace_id` still in the ring, by start time (ties: recording order).
    std::vector<Span> SpansOf(std::string_view trace_id) const;
    /// The most recent spans of hop `hop` still in the ring, newest first, at most `limit`.
    std::vector<Span> RecentOf(std::string_view hop, std::size_t limit) const;
    /// Per hop name, the latencies of every span recorded since the last Reset.
    const std::map<std::string, Histogram, std::less<>>& Hops() const { return hops_; }
    /// Spans recorded since the last Reset (kept or not).
    std::uint64_t Recorded() const { return recorded_; }
    /// Spans not counted because their hop name would have exceeded kMaxHops.
    std::uint64_t Dropped() const { return dropped_; }
    std::size_t Capacity() const { return ring_.size(); }

    /// Forgets every span and histogram.
    void Reset();

private:
    std::vector<Span> ring_;
    std::size_t next_ = 0;      // ring slot written next
    std::uint64_t recorded_ = 0;
    std::uint64_t dropped_ = 0;
    std::map<std::string, Histogram, std::less<>> hops_;
};

}  // namespace sim::metrics
