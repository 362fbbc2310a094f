#include <gtest/gtest.h>

#include <deque>

#include "sim/clock/virtual_clock.hpp"
#include "sim/core/manual_loop.hpp"
#include "sim/core/time.hpp"
#include "sim/platform/external/circuit_breaker.hpp"
#include "sim/platform/external/external_client.hpp"

namespace sim::platform::external {
namespace {

using std::chrono::seconds;

core::TimePoint T0() { return core::ParseIso8601("2027-01-01T00:00:00Z").value(); }

TEST(CircuitBreaker, OpensAfterThresholdThenHalfOpensAndClosesOnSuccess) {
    CircuitBreaker b({3, seconds(30)});
    auto t = T0();
    for (int i = 0; i < 2; ++i) {
        EXPECT_TRUE(b.Allow(t));
        b.OnFailure(t);
    }
    EXPECT_EQ(b.State(t), BreakerState::kClosed);
    EXPECT_TRUE(b.Allow(t));
    b.OnFailure(t);
    EXPECT_EQ(b.State(t), BreakerState::kOpen);
    EXPECT_FALSE(b.Allow(t + seconds(29)));
    EXPECT_EQ(b.State(t + seconds(30)), BreakerState::kHalfOpen);
    EXPECT_TRUE(b.Allow(t + seconds(30)));   // the probe
    EXPECT_FALSE(b.Allow(t + seconds(30)));  // only one at a time
    b.OnSuccess();
    EXPECT_EQ(b.State(t + seconds(31)), BreakerState::kClosed);
    EXPECT_EQ(b.times_opened(), 1u);
}

TEST(CircuitBreaker, AFailedProbeOpensAgainForTheFullPeriod) {
    CircuitBreaker b({1, seconds(10)});
    auto t = T0();
    b.OnFailure(t);
    ASSERT_TRUE(b.Allow(t + seconds(10)));
    b.OnFailure(t + seconds(10));
    EXPECT_EQ(b.State(t + seconds(19)), BreakerState::kOpen);
    EXPECT_EQ(b.State(t + seconds(20)), BreakerState::kHalfOpen);
    EXPECT_EQ(b.times_opened(), 2u);
}

TEST(ExternalBackoff, DoublesUpToTheCap) {
    ExternalOptions o;
    o.initial_backoff = std::chrono::milliseconds(500);
    o.max_backoff = seconds(3);
    EXPECT_EQ(BackoffAfter(o, 1), std::chrono::milliseconds(500));
    EXPECT_EQ(BackoffAfter(o, 2), std::chrono::milliseconds(1000));
    EXPECT_EQ(BackoffAfter(o, 3), std::chrono::milliseconds(2000));
    EXPECT_EQ(BackoffAfter(o, 4), seconds(3));
    EXPECT_EQ(BackoffAfter(o, 10), seconds(3));
}

// A scripted external system: each call takes the next scripted status (200 when the script is
// empty), or never answers for status 0.
struct World {
    core::ManualLoop loop;
    clock::VirtualClock clock{loop, T0()};
    core::Transport transport{loop, nullptr};
    std::deque<int> script;
    std::vector<core::Request> seen;
    std::vector<core::TimePoint> seen_at;
    std::vector<core::Respond> held;

    World() {
        transport.RegisterInProcess("bureau", [this](core::Request r, core::Respond respond) {
            seen.push_back(r);
            seen_at.push_back(clock.Now());
            int status = 200;
            if (!script.empty()) {
                status = script.front();
                script.pop_front();
            }
            if (status == 0) {
                held.push_back(std::move(respond));  // no answer
                return;
            }
            if (status == 200) return respond(core::Response::Json(200, Json{{"ok", true}}));
            respond(core::Response::Json(status, Json{{"reason", "busy"}, {"detail", "try later"}}));
        });
    }
    ExternalOptions Options() {
        ExternalOptions o;
        o.timeout = seconds(5);
        o.max_attempts = 4;
        o.initial_backoff = seconds(1);
        o.max_backoff = seconds(8);
        o.breaker = {5, seconds(60)};
        o.seed = 7;
        return o;
    }
};

ExternalCall Post(std::string key = "k-1") {
    ExternalCall c;
    c.path = "/bureau/v1/inquiries";
    c.body = Json{{"x", 1}};
    c.idempotency_key = std::move(key);
    c.operation = "inquire";
    return c;
}

TEST(ExternalClient, RetriesServerErrorsWithBackoffAndTheSameIdempotencyKey) {
    World w;
    ExternalClient client(w.clock, w.transport, nullptr, w.Options());
    w.script = {503, 500, 200};
    std::optional<ExternalResult> got;
    client.Call("bureau", Post(), [&](ExternalResult r) { got = std::move(r); });
    w.clock.RunUntil([&] { return got.has_value(); }, T0() + std::chrono::minutes(1));
    ASSERT_TRUE(got.has_value());
    ASSERT_TRUE(*got) << got->error().Describe("bureau");
    EXPECT_EQ((*got)->attempts, 3);
    ASSERT_EQ(w.seen.size(), 3u);
    for (const auto& r : w.seen) EXPECT_EQ(r.headers.Get("Idempotency-Key").value_or(""), "k-1");
    // Backoff with jitter: within [d/2, d] of 1 s, then of 2 s.
    auto gap1 = w.seen_at[1] - w.seen_at[0], gap2 = w.seen_at[2] - w.seen_at[1];
    EXPECT_GE(gap1, std::chrono::milliseconds(500));
    EXPECT_LE(gap1, seconds(1));
    EXPECT_GE(gap2, seconds(1));
    EXPECT_LE(gap2, seconds(2));
}

TEST(ExternalClient, JitterIsTheSameForTheSameSeed) {
    auto gaps = [](std::uint64_t seed) {
        World w;
        auto o = w.Options();
        o.seed = seed;
        ExternalClient client(w.clock, w.transport, nullptr, o);
        w.script = {503, 503, 503};
        bool done = false;
        client.Call("bureau", Post(), [&](ExternalResult) { done = true; });
        w.clock.RunUntil([&] { return done; }, T0() + std::chrono::minutes(1));
        std::vector<core::Duration> out;
        for (std::size_t i = 1; i < w.seen_at.size(); ++i) out.push_back(w.seen_at[i] - w.seen_at[i - 1]);
        return out;
    };
    EXPECT_EQ(gaps(3), gaps(3));
    EXPECT_NE(gaps(3), gaps(4));
}

TEST(ExternalClient, GivesUpAsUnavailableAfterMaxAttempts) {
    World w;
    ExternalClient client(w.clock, w.transport, nullptr, w.Options());
    w.script = {503, 503, 503, 503, 503};
    std::optional<ExternalResult> got;
    client.Call("bureau", Post(), [&](ExternalResult r) { got = std::move(r); });
    w.clock.RunUntil([&] { return got.has_value(); }, T0() + std::chrono::minutes(1));
    ASSERT_TRUE(got.has_value());
    ASSERT_FALSE(*got);
    EXPECT_EQ(got->error().kind, ExternalErrorKind::kUnavailable);
    EXPECT_EQ(got->error().status, 503);
    EXPECT_EQ(got->error().code, "busy");
    EXPECT_EQ(got->error().attempts, 4);
    EXPECT_EQ(w.seen.size(), 4u);
}

TEST(ExternalClient, ClientErrorsAreNotRetriedAndCarryTheReason) {
    World w;
    ExternalClient client(w.clock, w.transport, nullptr, w.Options());
    w.script = {400};
    std::optional<ExternalResult> got;
    client.Call("bureau", Post(), [&](ExternalResult r) { got = std::move(r); });
    w.clock.RunUntil([&] { return got.has_value(); }, T0() + std::chrono::minutes(1));
    ASSERT_TRUE(got.has_value() && !*got);
    EXPECT_EQ(got->error().kind, ExternalErrorKind::kRejected);
    EXPECT_EQ(got->error().code, "busy");
    EXPECT_EQ(w.seen.size(), 1u);
    EXPECT_EQ(client.Breaker("bureau"), BreakerState::kClosed);
}

TEST(ExternalClient, ATimeoutOnTheClockIsRetriedAndTheLateAnswerIgnored) {
    World w;
    ExternalClient client(w.clock, w.transport, nullptr, w.Options());
    w.script = {0, 200};  // the first attempt never answers
    std::optional<ExternalResult> got;
    int answers = 0;
    client.Call("bureau", Post(), [&](ExternalResult r) {
        ++answers;
        got = std::move(r);
    });
    w.clock.RunUntil([&] { return got.has_value(); }, T0() + std::chrono::minutes(1));
    ASSERT_TRUE(got.has_value() && *got);
    EXPECT_EQ((*got)->attempts, 2);
    EXPECT_GE(w.seen_at[1] - w.seen_at[0], seconds(5));  // timeout, then backoff
    ASSERT_EQ(w.held.size(), 1u);
    w.held[0](core::Response::Json(200, Json{{"late", true}}));
    w.loop.RunReady();
    EXPECT_EQ(answers, 1);
}

TEST(ExternalClient, OpenCircuitFailsFastThenAProbeClosesIt) {
    World w;
    auto o = w.Options();
    o.max_attempts = 1;
    o.breaker = {2, seconds(60)};
    ExternalClient client(w.clock, w.transport, nullptr, o);
    w.script = {503, 503};
    for (int i = 0; i < 2; ++i) {
        bool done = false;
        client.Call("bureau", Post(), [&](ExternalResult) { done = true; });
        w.clock.RunUntil([&] { return done; }, w.clock.Now() + seconds(1));
    }
    EXPECT_EQ(client.Breaker("bureau"), BreakerState::kOpen);
    std::optional<ExternalResult> got;
    client.Call("bureau", Post(), [&](ExternalResult r) { got = std::move(r); });
    w.loop.RunReady();
    ASSERT_TRUE(got.has_value() && !*got);
    EXPECT_EQ(got->error().kind, ExternalErrorKind::kCircuitOpen);
    EXPECT_EQ(w.seen.size(), 2u);  // never reached the system
    w.clock.Advance(seconds(60));
    got.reset();
    client.Call("bureau", Post(), [&](ExternalResult r) { got = std::move(r); });
    w.clock.RunUntil([&] { return got.has_value(); }, w.clock.Now() + seconds(1));
    ASSERT_TRUE(got.has_value() && *got);
    EXPECT_EQ(client.Breaker("bureau"), BreakerState::kClosed);
}

}  // namespace
}  // namespace sim::platform::external
