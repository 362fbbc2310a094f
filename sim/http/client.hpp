#pragma once
// HTTP/1.1 client behind core::Transport for services configured by URL: keep-alive connections
// pooled per host:port and reused, a timeout per request, plain http:// only.
// Supported: base URLs "http://host[:port][/path]" (the request target is appended to the path),
// any method, request headers and body, HEAD, connect and request timeouts (504), refused/reset
// connections and bad URLs (502), one retry on a fresh connection when a pooled one turns out to
// have been closed by the peer before any response byte.
// Limitations: no TLS; request and response bodies are held in memory (a Request::body_file is
// read into memory before sending); no proxies; host names are resolved for every new connection.
//
// Threading: Send, the callbacks and destruction happen on the loop's thread. Callbacks of
// requests still in flight when the Client is destroyed are dropped, never called.

#include <chrono>
#include <memory>
#include <string>

#include "sim/core/transport.hpp"
#include "sim/http/asio_loop.hpp"

namespace sim::http {

struct ClientOptions {
    /// TCP connect (after name resolution); over it: 504 with X-Cardsim-Transport-Error: timeout.
    std::chrono::milliseconds connect_timeout{5'000};
    /// Writing the request plus reading the whole response; over it: 504, the connection is dropped.
    std::chrono::milliseconds request_timeout{30'000};
    /// Idle keep-alive connections kept per host:port; extra ones are closed.
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
