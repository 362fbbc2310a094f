#include "sim/metrics/spans.hpp"

#include <algorithm>

#include "sim/core/trace.hpp"

namespace sim::metrics {

SpanRecorder::SpanRecorder(std::size_t capacity, std::size_t max_traces)
    : ring_(std::max<std::size_t>(capacity, 1)), trace_order_(std::max<std::size_t>(max_traces, 1)) {
    extents_.reserve(std::min<std::size_t>(trace_order_.size(), 4096));
}

void SpanRecorder::Record(std::string_view trace_id, std::string_view hop, core::TimePoint start, core::TimePoint end) {
    // Trace ids also come from message attributes and events any client writes: one that is not a
    // plain id is not kept (the ring and the extents stay small), the span counts as untraced.
    if (!trace_id.empty() && !core::IsValidTraceId(trace_id)) trace_id = {};
    auto it = hops_.find(hop);
    if (it == hops_.end()) {
        if (hops_.size() >= kMaxHops) {
            ++dropped_;
            return;
        }
        it = hops_.emplace(std::string(hop), Histogram()).first;
    }
    it->second.Record(std::max(end - start, core::TimePoint::duration::zero()));
    Span& slot = ring_[next_];
    slot.trace_id.assign(trace_id);
    slot.hop.assign(hop);
    slot.start = start;
    slot.end = std::max(end, start);
    next_ = (next_ + 1) % ring_.size();
    ++recorded_;
    if (!trace_id.empty()) Extend(trace_id, start, std::max(end, start));
}

void SpanRecorder::Extend(std::string_view trace_id, core::TimePoint start, core::TimePoint end) {
    if (auto it = extents_.find(trace_id); it != extents_.end()) {
        TraceExtent& e = it->second;
        e.start = std::min(e.start, start);
        e.end = std::max(e.end, end);
        ++e.spans;
        return;
    }
    std::string& slot = trace_order_[next_trace_];
    if (!slot.empty()) extents_.erase(slot);  // the oldest trace makes room
    slot.assign(trace_id);
    next_trace_ = (next_trace_ + 1) % trace_order_.size();
    extents_.emplace(slot, TraceExtent{start, end, 1});
}

std::optional<TraceExtent> SpanRecorder::ExtentOf(std::string_view trace_id) const {
    auto it = extents_.find(trace_id);
    if (it == extents_.end()) return std::nullopt;
    return it->second;
}

std::vector<Span> SpanRecorder::SpansOf(std::string_view trace_id) const {
    std::vector<Span> out;
    if (trace_id.empty()) return out;
    // Oldest slot first, so equal start times keep their recording order.
    for (std::size_t i = 0; i < ring_.size(); ++i) {
        const Span& s = ring_[(next_ + i) % ring_.size()];
        if (!s.hop.empty() && s.trace_id == trace_id) out.push_back(s);
    }
    std::stable_sort(out.begin(), out.end(), [](const Span& a, const Span& b) { return a.start < b.start; });
    return out;
}

std::vector<Span> SpanRecorder::RecentOf(std::string_view hop, std::size_t limit) const {
    std::vector<Span> out;
    for (std::size_t i = 1; i <= ring_.size() && out.size() < limit; ++i) {
        const Span& s = ring_[(next_ + ring_.size() - i) % ring_.size()];
        if (!s.hop.empty() && s.hop == hop) out.push_back(s);
    }
    return out;
}

void SpanRecorder::Reset() {
    for (auto& s : ring_) {
        s.trace_id.clear();
        s.hop.clear();
    }
    next_ = 0;
    for (auto& id : trace_order_) id.clear();
    next_trace_ = 0;
    extents_.clear();
    recorded_ = 0;
    dropped_ = 0;
    hops_.clear();
}

}  // namespace sim::metrics
