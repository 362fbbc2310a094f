#include "sim/core/transport.hpp"

#include <memory>

namespace sim::core {

void Transport::RegisterInProcess(const std::string& service, Handler handler) {
    endpoints_[service] = Endpoint{std::move(handler), {}};
}

void Transport::RegisterRemote(const std::string& service, std::string base_url) {
    while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
    endpoints_[service] = Endpoint{nullptr, std::move(base_url)};
}

bool Transport::Knows(std::string_view service) const { return endpoints_.find(service) != endpoints_.end(); }

std::string Transport::Describe(std::string_view service) const {
    auto it = endpoints_.find(service);
    if (it == endpoints_.end()) return "unknown";
    return it->second.handler ? "in-process" : it->second.base_url;
}

void Transport::Send(std::string_view service, Request request, Respond respond) {
    auto it = endpoints_.find(service);
    if (it == endpoints_.end()) {
        std::string detail = "no transport endpoint is configured for service '" + std::string(service) + "'";
        loop_.Post([respond = std::move(respond), detail] {
            respond(Response::Problem(502, "Bad Gateway", detail));
        });
        return;
    }
    if (!it->second.handler) {
        if (!client_) {
            loop_.Post([respond = std::move(respond), service = std::string(service)] {
                respond(Response::Problem(502, "Bad Gateway", "no HTTP client to reach remote service " + service));
            });
            return;
        }
        client_->Send(it->second.base_url, std::move(request), std::move(respond));
        return;
    }
    // In-process: run the handler on a later loop turn so callers never re-enter themselves, and
    // count the call until its response arrives (quiescence for the virtual clock).
    ++in_flight_in_process_;
    Handler handler = it->second.handler;
    loop_.Post([this, handler = std::move(handler), request = std::move(request), respond = std::move(respond)]() mutable {
        auto answered = std::make_shared<bool>(false);
        handler(std::move(request), [this, answered, respond = std::move(respond)](Response response) {
            if (*answered) return;  // a handler answering twice is a bug; the first answer stands
            *answered = true;
            --in_flight_in_process_;
            loop_.Post([respond, response = std::move(response)]() mutable { respond(std::move(response)); });
        });
    });
}

}  // namespace sim::core
