#pragma once
// HTTP/1.1 client behind core::Transport for services configured by URL: keep-alive connections
// pooled per host:port and reused, a timeout per request, plain http:// only.

#include <chrono>
#include <memory>
#include <string>

#include "sim/core/transport.hpp"
#include "sim/http/asio_loop.hpp"

namespace sim::http {

struct ClientOptions {
    std::chrono::milliseconds connect_timeout{5'000};
    std::chrono::milliseconds request_timeout{30'000};
    std::size_t max_idle_per_host = 32;
};

class Client final : public core::HttpClient {
public:
    Client(AsioLoop& loop, ClientOptions options = {});
    ~Client() override;

    /// See core::HttpClient. Errors: 502 (connect refused/reset, bad URL) or 504 (timeout) with a
    /// problem body and the X-Cardsim-Transport-Error header.
    void Send(const std::string& base_url, core::Request request, core::Respond respond) override;

    /// Connections opened so far (tests check reuse with it).
    std::size_t connections_opened() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sim::http
