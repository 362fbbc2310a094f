#include "sim/core/transport.hpp"

#include <gtest/gtest.h>

#include "sim/core/manual_loop.hpp"
#include "sim/core/trace.hpp"

namespace sim::core {
namespace {

class RecordingClient : public HttpClient {
public:
    void Send(const std::string& base_url, Request request, Respond respond) override {
        sent.push_back(base_url + request.target);
        respond(Response::Text(200, "remote"));
    }
    std::vector<std::string> sent;
};

TEST(Transport, InProcessCallsAreAsynchronousAndCountedUntilAnswered) {
    ManualLoop loop;
    Transport transport(loop, nullptr);
    Respond pending;
    transport.RegisterInProcess("payment", [&](Request, Respond respond) { pending = std::move(respond); });
    int answered = 0;
    Request req;
    req.target = "/v1/x";
    transport.Send("payment", req, [&](Response r) {
        EXPECT_EQ(r.status, 201);
        ++answered;
    });
    EXPECT_EQ(transport.InFlightInProcess(), 1u);
    EXPECT_FALSE(pending);  // nothing runs inside Send
    loop.RunReady();
    ASSERT_TRUE(pending);
    EXPECT_EQ(answered, 0);
    pending(Response::Text(201, "ok"));
    EXPECT_EQ(transport.InFlightInProcess(), 0u);
    loop.RunReady();
    EXPECT_EQ(answered, 1);
}

TEST(Transport, RemoteServicesGoThroughTheHttpClient) {
    ManualLoop loop;
    RecordingClient client;
    Transport transport(loop, &client);
    transport.RegisterRemote("ekyc", "http://127.0.0.1:9000/");
    EXPECT_EQ(transport.Describe("ekyc"), "http://127.0.0.1:9000");
    Request req;
    req.target = "/ekyc/v1/checks";
    int status = 0;
    transport.Send("ekyc", req, [&](Response r) { status = r.status; });
    EXPECT_EQ(status, 200);
    EXPECT_EQ(client.sent, (std::vector<std::string>{"http://127.0.0.1:9000/ekyc/v1/checks"}));
}

TEST(Transport, UnknownServiceIs502NamingIt) {
    ManualLoop loop;
    Transport transport(loop, nullptr);
    Response got;
    transport.Send("bureau", Request{}, [&](Response r) { got = std::move(r); });
    loop.RunReady();
    EXPECT_EQ(got.status, 502);
    EXPECT_NE(got.body.find("bureau"), std::string::npos);
}

TEST(Trace, AssignsOnceAndPropagates) {
    IdGenerator ids(7);
    Request in;
    std::string id = EnsureTraceId(in, ids);
    EXPECT_EQ(id.size(), 32u);
    EXPECT_EQ(EnsureTraceId(in, ids), id);
    Request out;
    PropagateTrace(in, out);
    EXPECT_EQ(*out.headers.Get(kTraceHeader), id);
}

TEST(Trace, AdoptsW3cTraceparent) {
    IdGenerator ids(7);
    Request in;
    in.headers.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    EXPECT_EQ(EnsureTraceId(in, ids), "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST(Trace, AHeaderThatIsNotAPlainIdGivesWayToANewOne) {
    IdGenerator ids(7);
    for (std::string bad : {std::string(129, 'a'), std::string("a b"), std::string("")}) {
        Request in;
        in.headers.Set(kTraceHeader, bad);
        std::string id = EnsureTraceId(in, ids);
        EXPECT_EQ(id.size(), 32u) << bad;
        EXPECT_EQ(*in.headers.Get(kTraceHeader), id) << "the header is replaced";
    }
    Request tp;
    tp.headers.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e47 6-00f067aa0ba902b7-01");
    EXPECT_NE(EnsureTraceId(tp, ids), "4bf92f3577b34da6a3ce929d0e0e47 6");
}

TEST(Trace, ValidTraceIdsAreShortAndPlain) {
    EXPECT_TRUE(IsValidTraceId("4bf92f3577b34da6a3ce929d0e0e4736"));
    EXPECT_TRUE(IsValidTraceId("load-7-card_use-12:3.x"));
    EXPECT_TRUE(IsValidTraceId(std::string(128, 'a')));
    EXPECT_FALSE(IsValidTraceId(""));
    EXPECT_FALSE(IsValidTraceId(std::string(129, 'a')));
    EXPECT_FALSE(IsValidTraceId("a b"));
    EXPECT_FALSE(IsValidTraceId("abc\r\nX-Injected: 1"));
    EXPECT_FALSE(IsValidTraceId("トレース"));
}

TEST(Random, SameSeedSameSequenceDifferentSeedDifferent) {
    IdGenerator a(42), b(42), c(43);
    EXPECT_EQ(a.Uuid(), b.Uuid());
    EXPECT_NE(IdGenerator(42).Uuid(), c.Uuid());
    std::string u = a.Uuid();
    ASSERT_EQ(u.size(), 36u);
    EXPECT_EQ(u[14], '4');
    EXPECT_NE(std::string("89ab").find(u[19]), std::string::npos);
}

TEST(Random, BelowAndBetweenStayInRange) {
    Random r(1);
    for (int i = 0; i < 10'000; ++i) {
        EXPECT_LT(r.Below(7), 7u);
        auto v = r.Between(-3, 3);
        EXPECT_GE(v, -3);
        EXPECT_LE(v, 3);
        // Ranges wider than INT64_MAX (hi - lo overflowed before; found by fuzzing States.MathRandom).
        auto wide = r.Between(-9'000'000'000'000'000'000, 9'000'000'000'000'000'000);
        EXPECT_GE(wide, -9'000'000'000'000'000'000);
        EXPECT_LE(wide, 9'000'000'000'000'000'000);
        double d = r.NextDouble();
        EXPECT_GE(d, 0.0);
        EXPECT_LT(d, 1.0);
    }
}

}  // namespace
}  // namespace sim::core
