#include "sim/http/client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include <gtest/gtest.h>

#include "sim/http/server.hpp"
#include "tests/unit/http/test_support.hpp"

namespace sim::http {
namespace {

using namespace testing;  // NOLINT: test helpers
using core::Request;
using core::Response;

/// A server and a client on one loop (the client's callbacks run on the loop, like in cardsim).
class ClientFixture {
public:
    explicit ClientFixture(ClientOptions client_options = {}, ServerOptions server_options = {})
        : server_(loop_, server_options), client_(loop_, client_options) {
        router_.Add("*", "/base/echo", core::FromSync([](const Request& r) {
                        Response out = Response::Text(200, r.method + " " + r.target + " " + r.body);
                        out.headers.Set("X-Seen", std::string(r.headers.Get("X-Test").value_or("")));
                        return out;
                    }));
        router_.Add("GET", "/hang", [this](Request, core::Respond respond) { parked_.push_back(std::move(respond)); });
        auto port = server_.Listen("test", "127.0.0.1", 0, router_);
        if (!port.ok()) throw std::runtime_error(port.error().message);
        base_url_ = "http://127.0.0.1:" + std::to_string(*port);
        thread_ = std::make_unique<LoopThread>(loop_);
    }
    ~ClientFixture() { thread_->StopAndJoin(); }

    /// Sends from the loop thread and waits (bounded) for the answer.
    Response Send(const std::string& base_url, Request request) {
        auto promise = std::make_shared<std::promise<Response>>();
        auto future = promise->get_future();
        loop_.Post([this, base_url, request = std::move(request), promise]() mutable {
            client_.Send(base_url, std::move(request), [promise](Response r) { promise->set_value(std::move(r)); });
        });
        if (future.wait_for(kWait) != std::future_status::ready) throw std::runtime_error("no answer from client");
        return future.get();
    }

    const std::string& base_url() const { return base_url_; }
    Client& client() { return client_; }
    std::size_t server_connections() {
        return OnLoop(loop_, [this] { return server_.open_connections(); });
    }

private:
    AsioLoop loop_;
    core::Router router_;
    Server server_;
    Client client_;
    std::string base_url_;
    std::vector<core::Respond> parked_;
    std::unique_ptr<LoopThread> thread_;
};

Request Make(std::string method, std::string target, std::string body = "") {
    Request r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.body = std::move(body);
    return r;
}

/// A port nothing listens on: bound once by us, then released.
std::uint16_t UnusedPort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

TEST(HttpClient, SendsMethodTargetHeadersAndBodyUnderBasePath) {
    ClientFixture f;
    Request request = Make("POST", "/echo?x=1", "payload");
    request.headers.Set("X-Test", "42");
    Response r = f.Send(f.base_url() + "/base", std::move(request));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "POST /base/echo?x=1 payload");
    EXPECT_EQ(r.headers.Get("X-Seen").value_or(""), "42");
}

TEST(HttpClient, ReusesPooledConnection) {
    ClientFixture f;
    for (int i = 0; i < 10; ++i) {
        Response r = f.Send(f.base_url(), Make("GET", "/base/echo"));
        ASSERT_EQ(r.status, 200) << "request " << i;
    }
    EXPECT_EQ(f.client().connections_opened(), 1u);
}

TEST(HttpClient, RetriesWhenPooledConnectionWasClosedByPeer) {
    ServerOptions server_options;
    server_options.idle_timeout = 200ms;
    ClientFixture f({}, server_options);
    ASSERT_EQ(f.Send(f.base_url(), Make("GET", "/base/echo")).status, 200);
    ASSERT_TRUE(Eventually([&] { return f.server_connections() == 0; }));  // the server dropped it
    Response r = f.Send(f.base_url(), Make("GET", "/base/echo"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(f.client().connections_opened(), 2u);
}

TEST(HttpClient, ConnectionRefusedGives502) {
    ClientFixture f;
    Response r = f.Send("http://127.0.0.1:" + std::to_string(UnusedPort()), Make("GET", "/x"));
    EXPECT_EQ(r.status, 502);
    EXPECT_EQ(r.headers.Get("X-Cardsim-Transport-Error").value_or(""), "connect");
}

TEST(HttpClient, SlowServerGives504) {
    ClientOptions options;
    options.request_timeout = 200ms;
    ClientFixture f(options);
    auto start = std::chrono::steady_clock::now();
    Response r = f.Send(f.base_url(), Make("GET", "/hang"));
    EXPECT_EQ(r.status, 504);
    EXPECT_EQ(r.headers.Get("X-Cardsim-Transport-Error").value_or(""), "timeout");
    EXPECT_GE(std::chrono::steady_clock::now() - start, 180ms);
}

TEST(HttpClient, ConnectTimeoutGives504) {
    // A listener that never accepts, its backlog full: further SYNs are dropped, connect hangs.
    int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(listener, 0), 0);
    socklen_t len = sizeof addr;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
    std::vector<int> fillers;
    for (int i = 0; i < 4; ++i) {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        fillers.push_back(fd);
    }
    ClientOptions options;
    options.connect_timeout = 200ms;
    ClientFixture f(options);
    Response r = f.Send("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)), Make("GET", "/x"));
    EXPECT_EQ(r.status, 504);
    EXPECT_EQ(r.headers.Get("X-Cardsim-Transport-Error").value_or(""), "timeout");
    for (int fd : fillers) ::close(fd);
    ::close(listener);
}

TEST(HttpClient, BadUrlGives502) {
    ClientFixture f;
    for (const char* url : {"ftp://x:1", "http://", "http://host:notaport", "https://127.0.0.1:1"}) {
        Response r = f.Send(url, Make("GET", "/x"));
        EXPECT_EQ(r.status, 502) << url;
        EXPECT_EQ(r.headers.Get("X-Cardsim-Transport-Error").value_or(""), "bad-url") << url;
    }
}

}  // namespace
}  // namespace sim::http
