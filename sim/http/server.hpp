#pragma once
// HTTP/1.1 server on Boost.Beast: several listeners on one AsioLoop, each bound to a Router.
// Supported: keep-alive, pipelining (responses in request order), Expect: 100-continue, chunked
// request bodies, HEAD, per-route body limits (413), header limit (431), malformed requests (400,
// connection closed; also a Transfer-Encoding that does not end in chunked, or any in HTTP/1.0, and
// Content-Length with chunked or differing Content-Lengths: no request smuggling), obs-fold
// unfolded into spaces (RFC 9112 section 5.2), a read buffer bounded by max_header_bytes + 64 KiB
// (an endless chunk-size line or trailer section is 400), header and idle timeouts (the idle
// timeout also bounds each wait for body bytes), a connection cap, graceful shutdown, request
// bodies spooled to a file (RouteOptions::spool_body_to_file), answers from the head alone before
// any body is read (RouteOptions::answer_from_head), and file-slice responses streamed
// from disk (Response::body_file), handler exceptions answered 500 and logged.
// Limitations: plain HTTP only (no TLS, no HTTP/2, no Upgrade); responses always carry
// Content-Length (no chunked responses); request trailers are dropped; a client that disconnects
// while its request is with a handler is only noticed when the answer is written; no Date header.
//
// Threading: everything here, including construction, Listen, Shutdown and destruction, runs on
// the loop's thread (or while the loop is not running).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "sim/core/result.hpp"
#include "sim/core/router.hpp"
#include "sim/http/asio_loop.hpp"

namespace sim::http {

struct ServerOptions {
    /// Largest request head (request line + headers); larger gets 431.
    std::uint32_t max_header_bytes = 16 * 1024;
    /// A client must send a complete request head within this time once it starts one.
    std::chrono::milliseconds header_timeout{10'000};
    /// A keep-alive connection with no request in progress is closed after this long.
    std::chrono::milliseconds idle_timeout{60'000};
    /// Connections beyond this many are accepted and closed at once (503 is not worth the bytes).
    std::size_t max_connections = 10'000;
    /// Where bodies of routes with spool_body_to_file are written.
    std::string spool_dir = "/tmp";
};

/// One finished request, for metrics and access logs. Called on the loop.
struct RequestRecord {
    std::string listener;  ///< listener name ("aws", "platform", "fakes")
    std::string method;
    std::string route;  ///< matched route pattern, or "" for unmatched/rejected requests
    int status = 0;
    std::chrono::nanoseconds latency{0};  ///< head fully read -> response handed to the socket
};

class Server {
public:
    Server(AsioLoop& loop, ServerOptions options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Binds `bind_address:port` (port 0 = any free port) and starts accepting; requests go to
    /// `router`, which must outlive the server. Returns the bound port, or an error naming the
    /// address (e.g. already in use).
    core::Result<std::uint16_t> Listen(const std::string& name, const std::string& bind_address, std::uint16_t port,
                                       const core::Router& router);

    /// Called for every request answered (including 400/413/431 rejections).
    void OnRequest(std::function<void(const RequestRecord&)> observer);

    /// Stops accepting, lets in-flight requests finish (idle connections close at once), then
    /// calls `done` on the loop — at the latest after `grace`, when remaining connections are cut.
    void Shutdown(std::chrono::milliseconds grace, std::function<void()> done);

    std::size_t open_connections() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sim::http
