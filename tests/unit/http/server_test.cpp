#include "sim/http/server.hpp"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/http/test_support.hpp"

namespace sim::http {
namespace {

using namespace testing;  // NOLINT: test helpers
using core::Request;
using core::Response;

constexpr std::uint64_t kEchoLimit = 1024;

std::string Get(const std::string& target, const std::string& extra = "") {
    return "GET " + target + " HTTP/1.1\r\nHost: test\r\n" + extra + "\r\n";
}

std::string MakeTempDir() {
    auto dir = std::filesystem::temp_directory_path() /
               ("cardsim-http-test-" + std::to_string(::getpid()) + "-" +
                std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    std::filesystem::create_directories(dir);
    return dir.string();
}

/// A server on 127.0.0.1:<free port> with a fixed set of routes, its loop on a background thread.
class TestServer {
public:
    explicit TestServer(ServerOptions options = {}) : spool_dir_(MakeTempDir()) {
        options.spool_dir = spool_dir_;
        router_.Add("GET", "/hello", core::FromSync([](const Request&) { return Response::Text(200, "hello"); }));
        router_.Add("GET", "/items/{id}", core::FromSync([](const Request& r) {
                        return Response::Text(200, "item " + r.path_params.at("id"));
                    }));
        router_.Add("POST", "/echo", core::FromSync([](const Request& r) {
                        return Response::Text(200, r.body, "application/octet-stream");
                    }),
                    core::RouteOptions{.max_body_bytes = kEchoLimit});
        core::RouteOptions refusing{.max_body_bytes = kEchoLimit};
        refusing.answer_from_head = [](const Request& head) -> std::optional<Response> {
            if (!head.headers.Get("X-Refuse")) return std::nullopt;
            return Response::Text(422, "refused from the head");
        };
        router_.Add("POST", "/refusing", core::FromSync([](const Request& r) {
                        return Response::Text(200, r.body, "application/octet-stream");
                    }),
                    refusing);
        router_.Add("GET", "/slow", [this](Request, core::Respond respond) {
            loop_.StartRealTimer(50ms, [respond] { respond(Response::Text(200, "slow")); });
        });
        router_.Add("GET", "/wait", [this](Request, core::Respond respond) {
            handler_entered_ = true;
            loop_.StartRealTimer(300ms, [respond] { respond(Response::Text(200, "waited")); });
        });
        router_.Add("GET", "/throw", [](Request, core::Respond) -> void { throw std::runtime_error("boom"); });
        router_.Add(
            "PUT", "/upload",
            [this](Request r, core::Respond respond) {
                std::string summary = "no file";
                if (r.body_file && r.body.empty()) {
                    spooled_path_ = r.body_file->path.string();
                    std::ifstream in(r.body_file->path, std::ios::binary);
                    std::uint64_t sum = 0;
                    std::uint64_t count = 0;
                    char c;
                    while (in.get(c)) {
                        sum += static_cast<unsigned char>(c);
                        ++count;
                    }
                    summary = std::to_string(r.body_file->length) + " " + std::to_string(count) + " " +
                              std::to_string(sum) + " " + r.body_file->path.parent_path().string();
                }
                respond(Response::Text(200, summary));
            },
            core::RouteOptions{.max_body_bytes = 64ull * 1024 * 1024, .spool_body_to_file = true});
        router_.Add("GET", "/file", core::FromSync([this](const Request&) {
                        Response r;
                        r.headers.Set("Content-Type", "application/octet-stream");
                        r.body_file = core::FileSlice{file_path_, kFileOffset, kFileSliceLength, false};
                        return r;
                    }));
        server_ = std::make_unique<Server>(loop_, options);
        server_->OnRequest([this](const RequestRecord& record) {
            std::lock_guard lock(mutex_);
            records_.push_back(record);
        });
        auto port = server_->Listen("test", "127.0.0.1", 0, router_);
        if (!port.ok()) throw std::runtime_error(port.error().message);
        port_ = *port;
        thread_ = std::make_unique<LoopThread>(loop_);
    }

    ~TestServer() {
        thread_->StopAndJoin();
        server_.reset();
        std::error_code ec;
        std::filesystem::remove_all(spool_dir_, ec);
    }

    std::uint16_t port() const { return port_; }
    AsioLoop& loop() { return loop_; }
    Server& server() { return *server_; }
    const std::string& spool_dir() const { return spool_dir_; }
    std::string spooled_path() {
        return OnLoop(loop_, [this] { return spooled_path_; });
    }
    std::size_t open_connections() {
        return OnLoop(loop_, [this] { return server_->open_connections(); });
    }
    std::vector<RequestRecord> records() {
        std::lock_guard lock(mutex_);
        return records_;
    }
    bool handler_entered() const { return handler_entered_; }

    /// Writes the file GET /file serves a slice of: byte i is (i * 7) % 251.
    std::string WriteServedFile(std::size_t size) {
        file_path_ = spool_dir_ + "/served.bin";
        std::string content(size, '\0');
        for (std::size_t i = 0; i < size; ++i) content[i] = static_cast<char>((i * 7) % 251);
        std::ofstream(file_path_, std::ios::binary) << content;
        return content.substr(kFileOffset, kFileSliceLength);
    }

    static constexpr std::uint64_t kFileOffset = 1000;
    static constexpr std::uint64_t kFileSliceLength = 300'000;

private:
    std::string spool_dir_;
    AsioLoop loop_;
    core::Router router_;
    std::unique_ptr<Server> server_;
    std::uint16_t port_ = 0;
    std::unique_ptr<LoopThread> thread_;
    std::mutex mutex_;
    std::vector<RequestRecord> records_;
    std::string spooled_path_;
    std::string file_path_;
    std::atomic<bool> handler_entered_{false};
};

TEST(HttpServer, ServesGetAndHeadWithServerHeader) {
    TestServer server;
    Socket socket(server.port());
    ASSERT_TRUE(socket.Send(Get("/hello")));
    auto get = socket.ReadReply();
    ASSERT_TRUE(get);
    EXPECT_EQ(get->status, 200);
    EXPECT_EQ(get->body, "hello");
    EXPECT_EQ(get->Header("server"), "cardsim");
    EXPECT_EQ(get->Header("content-length"), "5");

    // HEAD: the GET's Content-Length and no body; the next response on the connection proves no
    // body bytes were sent.
    ASSERT_TRUE(socket.Send("HEAD /hello HTTP/1.1\r\nHost: test\r\n\r\n"));
    auto head = socket.ReadReply(/*head_request=*/true);
    ASSERT_TRUE(head);
    EXPECT_EQ(head->status, 200);
    EXPECT_EQ(head->Header("content-length"), "5");
    ASSERT_TRUE(socket.Send(Get("/items/42")));
    auto next = socket.ReadReply();
    ASSERT_TRUE(next);
    EXPECT_EQ(next->body, "item 42");
}

TEST(HttpServer, ReusesKeepAliveConnection) {
    TestServer server;
    Socket socket(server.port());
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(socket.Send(Get("/items/" + std::to_string(i))));
        auto reply = socket.ReadReply();
        ASSERT_TRUE(reply) << "request " << i;
        EXPECT_EQ(reply->body, "item " + std::to_string(i));
    }
    EXPECT_EQ(server.open_connections(), 1u);
}

TEST(HttpServer, AnswersPipelinedRequestsInOrder) {
    TestServer server;
    Socket socket(server.port());
    // The first answer is deferred by 50 ms, the second is immediate: order must still hold.
    ASSERT_TRUE(socket.Send(Get("/slow") + Get("/items/2") + Get("/items/3")));
    auto first = socket.ReadReply();
    auto second = socket.ReadReply();
    auto third = socket.ReadReply();
    ASSERT_TRUE(first && second && third);
    EXPECT_EQ(first->body, "slow");
    EXPECT_EQ(second->body, "item 2");
    EXPECT_EQ(third->body, "item 3");
}

TEST(HttpServer, SendsContinueOnlyWhenLimitsPass) {
    TestServer server;
    Socket socket(server.port());
    ASSERT_TRUE(socket.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
    auto interim = socket.ReadReply();
    ASSERT_TRUE(interim);
    EXPECT_EQ(interim->status, 100);
    ASSERT_TRUE(socket.Send("hello"));
    auto reply = socket.ReadReply();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 200);
    EXPECT_EQ(reply->body, "hello");

    Socket too_big(server.port());
    ASSERT_TRUE(too_big.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n"));
    auto rejected = too_big.ReadReply();
    ASSERT_TRUE(rejected);
    EXPECT_EQ(rejected->status, 413);  // straight away: no 100 Continue first
    EXPECT_TRUE(too_big.WaitClosed());
}

TEST(HttpServer, AnswersFromTheHeadBeforeContinueOrTheBodyLimit) {
    TestServer server;
    Socket refused(server.port());
    ASSERT_TRUE(refused.Send(
        "POST /refusing HTTP/1.1\r\nHost: t\r\nX-Refuse: 1\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n"));
    auto reply = refused.ReadReply();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 422);  // not 100, not the route's 413
    EXPECT_EQ(reply->body, "refused from the head");
    EXPECT_TRUE(refused.WaitClosed());

    Socket passed(server.port());
    ASSERT_TRUE(passed.Send("POST /refusing HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nok"));
    auto echoed = passed.ReadReply();
    ASSERT_TRUE(echoed);
    EXPECT_EQ(echoed->status, 200);
    EXPECT_EQ(echoed->body, "ok");
}

TEST(HttpServer, SendsContinueBeforeAnsweringABodilessRequestThatExpectsIt) {
    TestServer server;
    Socket socket(server.port());
    ASSERT_TRUE(socket.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nExpect: 100-continue\r\n\r\n"));
    auto interim = socket.ReadReply();
    ASSERT_TRUE(interim);
    EXPECT_EQ(interim->status, 100);
    auto reply = socket.ReadReply();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 200);
    EXPECT_EQ(reply->body, "");
}

TEST(HttpServer, AcceptsChunkedRequestBody) {
    TestServer server;
    Socket socket(server.port());
    ASSERT_TRUE(
        socket.Send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
    auto reply = socket.ReadReply();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 200);
    EXPECT_EQ(reply->body, "hello world");
}

TEST(HttpServer, RejectsBodyOverRouteLimitWith413) {
    TestServer server;
    Socket socket(server.port());
    ASSERT_TRUE(socket.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2000\r\n\r\n" + std::string(2000, 'x')));
    auto reply = socket.ReadReply();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 413);
    EXPECT_EQ(reply->Header("content-type"), "application/problem+json");
    EXPECT_NE(reply->body.find("request body of 2000 bytes exceeds the limit of 1024 bytes for this route"),
              std::string::npos)
        << reply->body;
    EXPECT_TRUE(socket.WaitClosed());
}

TEST(HttpServer, RejectsChunkedBodyOverRouteLimitWith413) {
    TestServer server;
    Socket socket(server.port());
    std::string chunk(600, 'y');
    ASSERT_TRUE(socket.Send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n" + chunk +
                            "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n"));
    auto reply = socket.ReadReply();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 413);
    EXPECT_TRUE(socket.WaitClosed());
}

TEST(HttpServer, RejectsHugeHeaderWith431) {
    ServerOptions options;
    options.max_header_bytes = 4096;
    TestServer server(options);
    Socket socket(server.port());
    ASSERT_TRUE(socket.Send(Get("/hello", "X-Big: " + std::string(8000, 'a') + "\r\n")));
    auto reply = socket.ReadReply();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 431);
    EXPECT_TRUE(socket.WaitClosed());
}

TEST(HttpServer, RejectsGarbageWith400AndCloses) {
    TestServer server;
    Socket socket(server.port());
    ASSERT_TRUE(socket.Send("\x01\x02 this is not http\r\n\r\n"));
    auto reply = socket.ReadReply();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 400);
    EXPECT_NE(reply->body.find("\"title\":\"Bad Request\""), std::string::npos) << reply->body;
    EXPECT_TRUE(socket.WaitClosed());
}

TEST(HttpServer, PassesRouterNotFound) {
    TestServer server;
    auto reply = RoundTrip(server.port(), Get("/nope"));
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 404);
    EXPECT_NE(reply->body.find("no route for GET /nope"), std::string::npos) << reply->body;
}

TEST(HttpServer, AnswersDeferredResponseFromTimer) {
    TestServer server;
    auto start = std::chrono::steady_clock::now();
    auto reply = RoundTrip(server.port(), Get("/slow"));
    auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->body, "slow");
    EXPECT_GE(elapsed, 45ms);
}

TEST(HttpServer, TurnsHandlerExceptionInto500AndKeepsServing) {
    TestServer server;
    Socket socket(server.port());
    ASSERT_TRUE(socket.Send(Get("/throw")));
    auto reply = socket.ReadReply();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 500);
    EXPECT_NE(reply->body.find("\"title\":\"Internal Server Error\""), std::string::npos) << reply->body;
    ASSERT_TRUE(socket.Send(Get("/hello")));
    auto after = socket.ReadReply();
    ASSERT_TRUE(after);
    EXPECT_EQ(after->status, 200);
}

TEST(HttpServer, ReportsEveryRequestWithRouteAndStatus) {
    TestServer server;
    ASSERT_TRUE(RoundTrip(server.port(), Get("/items/7")));
    ASSERT_TRUE(RoundTrip(server.port(), Get("/nope")));
    ASSERT_TRUE(RoundTrip(server.port(), "garbage\r\n\r\n"));
    ASSERT_TRUE(Eventually([&] { return server.records().size() >= 3; }));
    auto records = server.records();
    ASSERT_EQ(records.size(), 3u);
    EXPECT_EQ(records[0].listener, "test");
    EXPECT_EQ(records[0].method, "GET");
    EXPECT_EQ(records[0].route, "/items/{id}");
    EXPECT_EQ(records[0].status, 200);
    EXPECT_GE(records[0].latency.count(), 0);
    EXPECT_EQ(records[1].route, "");
    EXPECT_EQ(records[1].status, 404);
    EXPECT_EQ(records[2].status, 400);
}

TEST(HttpServer, ClosesAfterResponseWhenAskedOrHttp10) {
    TestServer server;
    Socket close_asked(server.port());
    ASSERT_TRUE(close_asked.Send(Get("/hello", "Connection: close\r\n")));
    auto reply = close_asked.ReadReply();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->Header("connection"), "close");
    EXPECT_TRUE(close_asked.WaitClosed());

    Socket http10(server.port());
    ASSERT_TRUE(http10.Send("GET /hello HTTP/1.0\r\n\r\n"));
    auto reply10 = http10.ReadReply();
    ASSERT_TRUE(reply10);
    EXPECT_EQ(reply10->body, "hello");
    EXPECT_TRUE(http10.WaitClosed());

    Socket http10_keep(server.port());
    ASSERT_TRUE(http10_keep.Send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    ASSERT_TRUE(http10_keep.ReadReply());
    EXPECT_TRUE(http10_keep.StaysQuiet(200ms));
}

TEST(HttpServer, ServesThousandConcurrentKeepAliveConnections) {
    TestServer server;
    constexpr int kConnections = 1000;
    std::vector<Socket> sockets;
    sockets.reserve(kConnections);
    for (int i = 0; i < kConnections; ++i) {
        sockets.emplace_back(server.port());
        ASSERT_GE(sockets.back().fd(), 0) << "connection " << i;
    }
    for (int round = 0; round < 2; ++round) {
        for (int i = 0; i < kConnections; ++i) ASSERT_TRUE(sockets[i].Send(Get("/items/" + std::to_string(i))));
        for (int i = 0; i < kConnections; ++i) {
            auto reply = sockets[i].ReadReply();
            ASSERT_TRUE(reply) << "connection " << i << " round " << round;
            ASSERT_EQ(reply->body, "item " + std::to_string(i));
        }
    }
    EXPECT_EQ(server.open_connections(), static_cast<std::size_t>(kConnections));
}

TEST(HttpServer, ClosesSilentConnectionAfterIdleTimeout) {
    ServerOptions options;
    options.idle_timeout = 300ms;
    TestServer server(options);
    Socket silent(server.port());
    Socket busy(server.port());
    auto start = std::chrono::steady_clock::now();
    bool closed = false;
    // The busy connection keeps asking every 100 ms while the silent one is waited on.
    while (!closed && std::chrono::steady_clock::now() - start < kWait) {
        ASSERT_TRUE(busy.Send(Get("/hello")));
        auto reply = busy.ReadReply();
        ASSERT_TRUE(reply);
        ASSERT_EQ(reply->status, 200);
        closed = silent.WaitClosed(100ms);
    }
    auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_TRUE(closed);
    EXPECT_GE(elapsed, 250ms);
    ASSERT_TRUE(busy.Send(Get("/hello")));
    EXPECT_TRUE(busy.ReadReply());
}

TEST(HttpServer, ClosesSlowClientAfterHeaderTimeout) {
    ServerOptions options;
    options.header_timeout = 300ms;
    options.idle_timeout = 20'000ms;
    TestServer server(options);
    Socket slow(server.port());
    auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(slow.Send("GET /hello HTTP/1.1\r\nHost: "));  // and never the rest
    EXPECT_TRUE(slow.WaitClosed());
    EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms);
}

TEST(HttpServer, ClosesConnectionsBeyondCap) {
    ServerOptions options;
    options.max_connections = 2;
    TestServer server(options);
    Socket a(server.port());
    Socket b(server.port());
    ASSERT_TRUE(a.Send(Get("/hello")) && a.ReadReply());
    ASSERT_TRUE(b.Send(Get("/hello")) && b.ReadReply());
    Socket c(server.port());
    ASSERT_GE(c.fd(), 0);
    EXPECT_TRUE(c.WaitClosed());
    ASSERT_TRUE(a.Send(Get("/hello")));
    EXPECT_TRUE(a.ReadReply());
    EXPECT_EQ(server.open_connections(), 2u);
}

TEST(HttpServer, StreamsBodyFileSlice) {
    TestServer server;
    std::string expected = server.WriteServedFile(1'000'000);
    Socket socket(server.port());
    ASSERT_TRUE(socket.Send(Get("/file")));
    auto reply = socket.ReadReply();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 200);
    EXPECT_EQ(reply->Header("content-length"), std::to_string(TestServer::kFileSliceLength));
    EXPECT_TRUE(reply->body == expected);
    ASSERT_TRUE(socket.Send("HEAD /file HTTP/1.1\r\nHost: t\r\n\r\n"));
    auto head = socket.ReadReply(/*head_request=*/true);
    ASSERT_TRUE(head);
    EXPECT_EQ(head->Header("content-length"), std::to_string(TestServer::kFileSliceLength));
    EXPECT_TRUE(socket.StaysQuiet(100ms));  // no body after the HEAD response
}

TEST(HttpServer, SpoolsRequestBodyToFileAndRemovesIt) {
    TestServer server;
    constexpr std::size_t kSize = 3'000'000;
    std::string body(kSize, '\0');
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < kSize; ++i) {
        body[i] = static_cast<char>(i % 253);
        sum += i % 253;
    }
    Socket socket(server.port());
    ASSERT_TRUE(
        socket.Send("PUT /upload HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(kSize) + "\r\n\r\n" + body));
    auto reply = socket.ReadReply();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 200);
    EXPECT_EQ(reply->body, std::to_string(kSize) + " " + std::to_string(kSize) + " " + std::to_string(sum) + " " +
                               server.spool_dir());
    std::string path = server.spooled_path();
    ASSERT_FALSE(path.empty());
    EXPECT_TRUE(Eventually([&] { return !std::filesystem::exists(path); }));
}

TEST(HttpServer, ShutdownLetsInFlightRequestFinish) {
    TestServer server;
    Socket idle(server.port());
    ASSERT_TRUE(idle.Send(Get("/hello")) && idle.ReadReply());
    Socket busy(server.port());
    ASSERT_TRUE(busy.Send(Get("/wait")));
    ASSERT_TRUE(Eventually([&] { return server.handler_entered(); }));

    std::atomic<bool> done{false};
    OnLoop(server.loop(), [&] { server.server().Shutdown(5'000ms, [&] { done = true; }); });
    EXPECT_TRUE(idle.WaitClosed(1'000ms));  // idle connections go at once
    EXPECT_FALSE(done.load());              // the in-flight request is still running
    auto reply = busy.ReadReply();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->body, "waited");
    EXPECT_EQ(reply->Header("connection"), "close");
    EXPECT_TRUE(busy.WaitClosed());
    EXPECT_TRUE(Eventually([&] { return done.load(); }));
    Socket late(server.port());
    EXPECT_LT(late.fd(), 0);  // no longer accepting
}

TEST(HttpServer, ShutdownCutsConnectionsAfterGrace) {
    TestServer server;
    Socket busy(server.port());
    ASSERT_TRUE(busy.Send(Get("/wait")));
    ASSERT_TRUE(Eventually([&] { return server.handler_entered(); }));
    std::atomic<bool> done{false};
    OnLoop(server.loop(), [&] { server.server().Shutdown(50ms, [&] { done = true; }); });
    EXPECT_TRUE(Eventually([&] { return done.load(); }, 1'000ms));
    EXPECT_FALSE(busy.ReadReply());  // cut before the 300 ms handler answered
}

TEST(HttpServer, ListenReportsAddressInUse) {
    TestServer server;
    core::Router router;
    auto second =
        OnLoop(server.loop(), [&] { return server.server().Listen("dup", "127.0.0.1", server.port(), router); });
    ASSERT_FALSE(second.ok());
    EXPECT_NE(second.error().message.find("127.0.0.1:" + std::to_string(server.port())), std::string::npos);
}

}  // namespace
}  // namespace sim::http
