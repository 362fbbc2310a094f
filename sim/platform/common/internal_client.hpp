#pragma once
// Calls between platform services (docs/platform.md "Internal APIs"): JSON over the transport by
// service name ("payment", "statement", …), so any service can be replaced by a real one at a URL.

#include <functional>
#include <optional>
#include <string>

#include "sim/core/transport.hpp"
#include "sim/platform/common/types.hpp"

namespace sim::platform {

/// A non-2xx answer or no answer: status 0 for a transport failure.
struct InternalError {
    int status = 0;
    std::string detail;
};
using InternalResult = core::Result<Json, InternalError>;

/// Sends `method target` with `body` (JSON, when set) to `service`; `done` gets the parsed 2xx body
/// (null for an empty one) or the error. `trace_id` travels as the trace header when set.
void CallInternal(core::Transport& transport, const std::string& service, const std::string& method,
                  const std::string& target, const std::optional<Json>& body,
                  std::function<void(InternalResult)> done, const std::string& trace_id = "");

}  // namespace sim::platform
