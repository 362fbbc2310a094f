#pragma once
// Server-side trace spans (DESIGN "Observability"): each hop a request takes through the process —
// a front-API route, a queue dwell, a function invocation, a batch task, a commit wait — is recorded
// as one span (trace id, hop name, start, end), timed by the injected Clock (wall time in real mode,
// virtual time in virtual mode).
//
// Three views are kept, all bounded:
//   - a latency histogram per hop name (what `GET /_sim/spans` and `cardsim load` read);
//   - the most recent spans in a ring of fixed capacity (what `GET /_sim/traces?trace_id=` answers);
//   - per trace id its extent: the first span's start, the last span's end and the span count, for
//     the most recent kMaxTraces traces (what `POST /_sim/traces/extents` answers: a critical path's
//     end to end as the system saw it, `cardsim load`'s `server_e2e`).
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
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
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

/// Where one trace is in time: from its earliest span's start to its latest span's end.
struct TraceExtent {
    core::TimePoint start;
    core::TimePoint end;
    std::uint64_t spans = 0;
};

class SpanRecorder {
public:
    static constexpr std::size_t kDefaultCapacity = 8192;
    /// Distinct hop names kept; spans of further names are dropped (counted).
    static constexpr std::size_t kMaxHops = 512;
    /// Trace extents kept; past it the oldest trace (by first span) is forgotten.
    static constexpr std::size_t kDefaultMaxTraces = 65536;

    /// `capacity`: spans kept for trace look-ups (at least 1); `max_traces`: extents kept (at least 1).
    explicit SpanRecorder(std::size_t capacity = kDefaultCapacity, std::size_t max_traces = kDefaultMaxTraces);

    /// Records one span. `end` before `start` counts as a zero-length span; a trace id that is not
    /// valid (core::IsValidTraceId) counts as none.
    void Record(std::string_view trace_id, std::string_view hop, core::TimePoint start, core::TimePoint end);

    /// The spans of `trace_id` still in the ring, by start time (ties: recording order).
    std::vector<Span> SpansOf(std::string_view trace_id) const;
    /// The most recent spans of hop `hop` still in the ring, newest first, at most `limit`.
    std::vector<Span> RecentOf(std::string_view hop, std::size_t limit) const;
    /// The extent of `trace_id` over every span recorded for it since the last Reset, unless the
    /// trace was forgotten (more than max_traces newer traces) or never seen.
    std::optional<TraceExtent> ExtentOf(std::string_view trace_id) const;
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

    struct TransparentHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    void Extend(std::string_view trace_id, core::TimePoint start, core::TimePoint end);
    std::unordered_map<std::string, TraceExtent, TransparentHash, std::equal_to<>> extents_;
    std::vector<std::string> trace_order_;  // ring of trace ids by first span; the oldest is evicted
    std::size_t next_trace_ = 0;            // trace_order_ slot written next
};

}  // namespace sim::metrics
