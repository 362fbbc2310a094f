#pragma once
// Trace-id propagation (DESIGN, "Observability"): every request carries a trace id in the
// X-Cardsim-Trace-Id header; a W3C `traceparent` header's trace id is adopted when present.

#include <string>
#include <string_view>

#include "sim/core/message.hpp"
#include "sim/core/random.hpp"

namespace sim::core {

inline constexpr std::string_view kTraceHeader = "X-Cardsim-Trace-Id";

/// Returns the request's trace id, assigning a new one (and setting the header) if it has none or
/// its header is not a valid one (IsValidTraceId).
std::string EnsureTraceId(Request& request, IdGenerator& ids);
/// The request's trace id ("" when it has none; after EnsureTraceId, at the front door, it has one).
std::string TraceIdOf(const Request& request);
/// Whether `id` can serve as a trace id taken from outside (a header, a feed item, a message
/// attribute): 1 to 128 characters of [0-9A-Za-z._:-].
bool IsValidTraceId(std::string_view id);
/// Copies the trace id of `from` onto an outbound request `to` (no-op if `from` has none).
void PropagateTrace(const Request& from, Request& to);

}  // namespace sim::core
