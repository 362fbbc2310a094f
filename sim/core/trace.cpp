#include "sim/core/trace.hpp"

namespace sim::core {

std::string EnsureTraceId(Request& request, IdGenerator& ids) {
    // A trace id from outside is kept in spans and stores and sent on with every call it causes,
    // so only a plain one is adopted; anything else gives way to a new id (the header is replaced).
    if (auto existing = request.headers.Get(kTraceHeader); existing && IsValidTraceId(*existing))
        return std::string(*existing);
    std::string id;
    // traceparent: "00-<32 hex trace id>-<16 hex parent>-<flags>"
    if (auto tp = request.headers.Get("traceparent"); tp && tp->size() >= 35 && (*tp)[2] == '-' &&
                                                       IsValidTraceId(tp->substr(3, 32)))
        id = std::string(tp->substr(3, 32));
    if (id.empty()) id = ids.TraceId();
    request.headers.Set(kTraceHeader, id);
    return id;
}

std::string TraceIdOf(const Request& request) { return std::string(request.headers.Get(kTraceHeader).value_or("")); }

bool IsValidTraceId(std::string_view id) {
    if (id.empty() || id.size() > 128) return false;
    for (char c : id) {
        bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '_' ||
                  c == ':' || c == '-';
        if (!ok) return false;
    }
    return true;
}

void PropagateTrace(const Request& from, Request& to) {
    if (auto id = from.headers.Get(kTraceHeader)) to.headers.Set(kTraceHeader, *id);
}

}  // namespace sim::core
