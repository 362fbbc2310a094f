// libFuzzer target: the HTTP layer's request parsing and handling (sim/http's Server and Session,
// Beast's parser underneath). One server runs on 127.0.0.1 on a background thread for the whole
// run; each input is sent on a fresh connection, the write side shut, and everything the server
// answers read until it closes. Coverage counters are process-wide, so the server thread's paths
// guide the fuzzer. Routes: an echo (in-memory body, small limit), a spooled upload, a handler that
// throws, one that answers late.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "sim/core/log.hpp"
#include "sim/core/router.hpp"
#include "sim/http/asio_loop.hpp"
#include "sim/http/server.hpp"

namespace {

using sim::core::Request;
using sim::core::Response;

struct Fixture {
    sim::http::AsioLoop loop;
    sim::core::Router router{4096};
    std::unique_ptr<sim::http::Server> server;
    std::uint16_t port = 0;
    std::thread thread;

    Fixture() {
        auto spool = std::filesystem::temp_directory_path() / ("cardsim-fuzz-http-" + std::to_string(::getpid()));
        std::filesystem::create_directories(spool);
        router.Add("GET", "/hello", sim::core::FromSync([](const Request&) { return Response::Text(200, "hello"); }));
        router.Add("POST", "/echo", sim::core::FromSync([](const Request& r) {
                       return Response::Text(200, r.body, "application/octet-stream");
                   }),
                   sim::core::RouteOptions{.max_body_bytes = 1024});
        router.Add("PUT", "/upload/{name}",
                   sim::core::FromSync([](const Request& r) {
                       return Response::Text(200, std::to_string(r.body_file ? r.body_file->length : r.body.size()));
                   }),
                   sim::core::RouteOptions{.max_body_bytes = 1 << 20, .spool_body_to_file = true});
        router.Add("GET", "/throw", [](Request, sim::core::Respond) -> void { throw std::runtime_error("boom"); });
        router.Add("GET", "/late", [this](Request, sim::core::Respond respond) {
            loop.Post([respond] { respond(Response::Text(200, "late")); });
        });
        sim::http::ServerOptions options;
        options.header_timeout = std::chrono::milliseconds(200);
        options.idle_timeout = std::chrono::milliseconds(200);
        options.max_header_bytes = 8192;
        options.spool_dir = spool.string();
        server = std::make_unique<sim::http::Server>(loop, options);
        auto bound = server->Listen("fuzz", "127.0.0.1", 0, router);
        if (!bound.ok()) throw std::runtime_error(bound.error().message);
        port = *bound;
        thread = std::thread([this] { loop.Run(); });
    }
};

Fixture& Get() {
    static Fixture* fixture = [] {
        sim::core::InitLogging(sim::core::LogLevel::kOff);
        return new Fixture();  // never destroyed: the loop thread runs until the process exits
    }();
    return *fixture;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Fixture& f = Get();
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(f.port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return 0;
    }
    std::size_t sent = 0;
    while (sent < size) {
        ssize_t n = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
    }
    ::shutdown(fd, SHUT_WR);
    char buf[65536];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        // The server closes within its timeouts (200 ms) plus its linger (1 s) at worst.
        if (::poll(&p, 1, 3000) <= 0) std::abort();  // a connection the server never finishes: a hang
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
    }
    ::close(fd);
    return 0;
}
