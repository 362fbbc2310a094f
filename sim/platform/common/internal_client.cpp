#include "sim/platform/common/internal_client.hpp"

#include "sim/core/trace.hpp"

namespace sim::platform {

void CallInternal(core::Transport& transport, const std::string& service, const std::string& method,
                  const std::string& target, const std::optional<Json>& body,
                  std::function<void(InternalResult)> done, const std::string& trace_id) {
    core::Request req;
    req.method = method;
    req.target = target;
    req.headers.Set("Host", service);
    if (body) {
        req.body = body->dump();
        req.headers.Set("Content-Type", "application/json");
    }
    if (!trace_id.empty()) req.headers.Set(core::kTraceHeader, trace_id);
    transport.Send(service, std::move(req), [done = std::move(done)](core::Response resp) {
        if (resp.status / 100 != 2) {
            return done(core::Fail(InternalError{resp.status, resp.body.substr(0, 512)}));
        }
        if (resp.body.empty()) return done(Json());
        Json j = Json::parse(resp.body, nullptr, false);
        if (j.is_discarded()) return done(core::Fail(InternalError{resp.status, "the answer is not JSON"}));
        done(std::move(j));
    });
}

}  // namespace sim::platform
