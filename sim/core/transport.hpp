#pragma once
// Delivers a request to a named service: in-process (the handler is called on the loop, no socket)
// or over TCP (an HttpClient to a base URL). Which one is configuration, per service (DESIGN,
// "Architecture"): the built-in payment service can be swapped for a developer's real one.

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "sim/core/event_loop.hpp"
#include "sim/core/message.hpp"

namespace sim::core {

/// The header of a response the transport made up for a network failure (connect, timeout, reset).
inline constexpr std::string_view kTransportErrorHeader = "X-Cardsim-Transport-Error";

/// Sends a request to `base_url` + request.target over the network. Implemented in sim/http.
/// `respond` runs on the event loop; network failures arrive as 502/504 problem responses whose
/// `X-Cardsim-Transport-Error` header says what happened (connect, timeout, reset).
class HttpClient {
public:
    virtual ~HttpClient() = default;
    virtual void Send(const std::string& base_url, Request request, Respond respond) = 0;
};

class Transport {
public:
    /// `client` may be null when every service is in-process.
    Transport(EventLoop& loop, HttpClient* client) : loop_(loop), client_(client) {}

    /// Calls to `service` go to `handler` on this loop (replaces any earlier registration).
    void RegisterInProcess(const std::string& service, Handler handler);
    /// Calls to `service` go over TCP to `base_url` such as "http://127.0.0.1:9000".
    void RegisterRemote(const std::string& service, std::string base_url);
    bool Knows(std::string_view service) const;
    /// "in-process" or the base URL.
    std::string Describe(std::string_view service) const;

    /// Sends asynchronously; `respond` runs later on the loop, never inside this call.
    /// An unknown service answers 502 with a problem body naming it.
    void Send(std::string_view service, Request request, Respond respond);

    /// In-process calls sent but not yet answered: the virtual clock waits for 0 (quiescence).
    std::size_t InFlightInProcess() const { return in_flight_in_process_; }

private:
    struct Endpoint {
        Handler handler;       // in-process when set
        std::string base_url;  // TCP otherwise
    };
    EventLoop& loop_;
    HttpClient* client_;
    std::map<std::string, Endpoint, std::less<>> endpoints_;
    std::size_t in_flight_in_process_ = 0;
};

}  // namespace sim::core
