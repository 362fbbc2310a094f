// The "messages available" hook in-process consumers (Lambda event source mappings) use instead of polling.
#include <gtest/gtest.h>

#include "sim/aws/sqs/engine/engine.hpp"
#include "sim/clock/virtual_clock.hpp"
#include "sim/core/manual_loop.hpp"
#include "sim/store/database.hpp"
#include "sim/store/group_commit.hpp"

namespace sim::aws::sqs {
namespace {

struct Harness {
    core::ManualLoop loop;
    clock::VirtualClock clock{loop, core::ParseIso8601("2027-01-01T00:00:00Z").value()};
    std::unique_ptr<store::Database> db = store::Database::Open(":memory:").value();
    store::GroupCommit group{loop};
    std::unique_ptr<SqsEngine> engine;
    std::vector<std::pair<std::string, core::TimePoint>> heard;
    Harness() {
        group.Attach(*db);
        engine = std::make_unique<SqsEngine>(clock, *db, group);
        engine->SetAvailabilityListener([this](const std::string& q) { heard.emplace_back(q, clock.Now()); });
    }
    ~Harness() {
        engine.reset();
        group.Flush();
        group.Detach(*db);
    }
};

TEST(SqsAvailability, WatchedQueueIsAnnouncedOnSendAndWhenVisibilityEnds) {
    Harness h;
    ASSERT_TRUE(h.engine->CreateQueue("jobs", {{"VisibilityTimeout", "30"}}, {}, "us-east-1").ok());
    ASSERT_TRUE(h.engine->CreateQueue("other", {}, {}, "us-east-1").ok());
    ASSERT_TRUE(h.engine->WatchQueue("jobs", true).ok());
    SendRequest send;
    send.body = "x";
    ASSERT_TRUE(h.engine->SendMessage("other", send).ok());
    EXPECT_TRUE(h.heard.empty());  // not watched
    ASSERT_TRUE(h.engine->SendMessage("jobs", send).ok());
    ASSERT_EQ(h.heard.size(), 1u);
    EXPECT_EQ(h.heard[0].first, "jobs");
    // Receive (in flight for 30 s) without deleting: the queue is announced again when it returns.
    std::vector<ReceivedMessage> got;
    ReceiveRequest r;
    h.engine->ReceiveMessage("jobs", r, [&](SqsResult<std::vector<ReceivedMessage>> m) { got = m.value(); });
    h.clock.RunToQuiescence();
    ASSERT_EQ(got.size(), 1u);
    h.heard.clear();
    h.clock.Advance(std::chrono::seconds(60));
    ASSERT_GE(h.heard.size(), 1u);
    EXPECT_EQ(h.heard[0].second, core::ParseIso8601("2027-01-01T00:00:30Z").value());
    EXPECT_EQ(h.clock.PendingTimers(), 0u);  // no timer left spinning once the message is ready
}

TEST(SqsAvailability, UnwatchedQueuesArmNoWakeTimers) {
    Harness h;
    ASSERT_TRUE(h.engine->CreateQueue("jobs", {{"DelaySeconds", "10"}}, {}, "us-east-1").ok());
    SendRequest send;
    send.body = "x";
    ASSERT_TRUE(h.engine->SendMessage("jobs", send).ok());
    EXPECT_EQ(h.clock.PendingTimers(), 0u);
    ASSERT_TRUE(h.engine->WatchQueue("jobs", true).ok());
    EXPECT_EQ(h.clock.PendingTimers(), 1u);
    h.heard.clear();
    h.clock.Advance(std::chrono::seconds(10));
    EXPECT_EQ(h.heard.size(), 1u);
    EXPECT_FALSE(h.engine->WatchQueue("nope", true).ok());
}

}  // namespace
}  // namespace sim::aws::sqs
