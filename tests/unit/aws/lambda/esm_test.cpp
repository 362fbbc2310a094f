// SQS event source mappings over the real SQS engine (through the composition root's adapter).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "sim/app/sqs_queue_source.hpp"
#include "sim/aws/lambda/engine/event_source_mappings.hpp"
#include "sim/clock/virtual_clock.hpp"
#include "sim/core/manual_loop.hpp"
#include "sim/store/database.hpp"
#include "sim/store/group_commit.hpp"

namespace sim::aws::lambda {
namespace {

using namespace std::chrono_literals;

constexpr const char* kQueueArn = "arn:aws:sqs:us-east-1:000000000000:jobs";

struct Harness {
    core::ManualLoop loop;
    clock::VirtualClock clock{loop, core::ParseIso8601("2027-01-01T00:00:00Z").value()};
    std::unique_ptr<store::Database> db = store::Database::Open(":memory:").value();
    store::GroupCommit group{loop};
    std::unique_ptr<sqs::SqsEngine> sqs;
    std::unique_ptr<app::SqsQueueSource> source;
    FunctionRegistry functions;
    std::unique_ptr<EventSourceMappings> esm;
    std::vector<std::pair<core::TimePoint, std::vector<std::string>>> batches;  // bodies per invocation

    Harness() {
        group.Attach(*db);
        sqs = std::make_unique<sqs::SqsEngine>(clock, *db, group);
        source = std::make_unique<app::SqsQueueSource>(*sqs);
        esm = std::make_unique<EventSourceMappings>(loop, clock, functions, *source, "us-east-1", "000000000000", 3);
        RegisterDiagnosticFunctions(functions);
        functions.Register("collect", [this](const Json& e, FunctionCallback done) {
            std::vector<std::string> bodies;
            for (const auto& r : e["Records"]) bodies.push_back(r["body"]);
            batches.emplace_back(clock.Now(), bodies);
            done(Json::object());
        });
        EXPECT_TRUE(sqs->CreateQueue("dlq", {}, {}, "us-east-1").ok());
        EXPECT_TRUE(sqs->CreateQueue("jobs",
                                     {{"VisibilityTimeout", "30"},
                                      {"RedrivePolicy",
                                       R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":"3"})"}},
                                     {}, "us-east-1")
                        .ok());
    }
    ~Harness() {
        esm.reset();
        source.reset();
        sqs.reset();
        group.Flush();
        group.Detach(*db);
    }
    void Send(const std::string& body) {
        sqs::SendRequest r;
        r.body = body;
        ASSERT_TRUE(sqs->SendMessage("jobs", r).ok());
    }
    std::size_t Count(const std::string& queue) { return sqs->InspectMessages(queue).value().size(); }
    MappingInfo Map(const std::string& fn, MappingConfig c = {}) {
        c.function_name = fn;
        auto m = esm->Create(kQueueArn, c);
        EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
        return m.ok() ? m.value() : MappingInfo{};
    }
};

TEST(EventSourceMapping, SendIsDeliveredAtOnceInBatches) {
    Harness h;
    MappingConfig c;
    c.batch_size = 10;
    h.Map("collect", c);
    for (int i = 0; i < 25; ++i) h.Send("m" + std::to_string(i));
    h.clock.RunToQuiescence();
    ASSERT_EQ(h.batches.size(), 3u);
    EXPECT_EQ(h.batches[0].second.size(), 10u);
    EXPECT_EQ(h.batches[2].second.size(), 5u);
    EXPECT_EQ(h.batches[0].first, h.clock.Now());  // no polling delay: same virtual instant
    EXPECT_EQ(h.Count("jobs"), 0u);                // successful batches are deleted
    // A message sent later is delivered at once too.
    h.clock.Advance(1h);
    h.Send("late");
    h.clock.RunToQuiescence();
    ASSERT_EQ(h.batches.size(), 4u);
    EXPECT_EQ(h.batches[3].first, core::ParseIso8601("2027-01-01T01:00:00Z").value());
}

TEST(EventSourceMapping, FailedBatchReturnsAfterVisibilityThenGoesToTheDeadLetterQueue) {
    Harness h;
    h.Map("cardsim-fail");
    h.Send("doomed");
    h.clock.RunToQuiescence();
    EXPECT_EQ(h.functions.Invocations("cardsim-fail").size(), 1u);
    h.clock.Advance(29s);
    EXPECT_EQ(h.functions.Invocations("cardsim-fail").size(), 1u);
    h.clock.Advance(1s);  // visibility timeout over: received again at once
    EXPECT_EQ(h.functions.Invocations("cardsim-fail").size(), 2u);
    h.clock.Advance(5min);
    EXPECT_EQ(h.functions.Invocations("cardsim-fail").size(), 3u);  // maxReceiveCount 3
    EXPECT_EQ(h.Count("jobs"), 0u);
    EXPECT_EQ(h.Count("dlq"), 1u);
    EXPECT_EQ(h.esm->Stats().failed_batches, 3u);
}

TEST(EventSourceMapping, ReportBatchItemFailuresKeepsOnlyTheFailedItems) {
    Harness h;
    MappingConfig c;
    c.report_batch_item_failures = true;
    c.maximum_batching_window_seconds = 1;
    h.Map("cardsim-partial", c);
    h.Send("ok-1");
    h.Send("fail-2");
    h.Send("ok-3");
    h.clock.Advance(2s);
    auto first = h.functions.Invocations("cardsim-partial");
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(first[0]["Records"].size(), 3u);
    EXPECT_EQ(first[0]["Records"][0]["eventSource"], "aws:sqs");
    EXPECT_EQ(first[0]["Records"][0]["eventSourceARN"], kQueueArn);
    EXPECT_EQ(first[0]["Records"][0]["attributes"]["ApproximateReceiveCount"], "1");
    auto left = h.sqs->InspectMessages("jobs").value();
    ASSERT_EQ(left.size(), 1u);
    h.clock.Advance(40s);
    auto again = h.functions.Invocations("cardsim-partial");
    ASSERT_EQ(again.size(), 2u);
    EXPECT_EQ(again[1]["Records"][0]["body"], "fail-2");
}

TEST(EventSourceMapping, BatchingWindowWaitsForAFullBatch) {
    Harness h;
    MappingConfig c;
    c.batch_size = 100;
    c.maximum_batching_window_seconds = 5;
    h.Map("collect", c);
    for (int i = 0; i < 3; ++i) h.Send("a");
    h.clock.Advance(4s);
    for (int i = 0; i < 2; ++i) h.Send("b");
    h.clock.RunToQuiescence();
    EXPECT_TRUE(h.batches.empty());
    h.clock.Advance(1s);
    ASSERT_EQ(h.batches.size(), 1u);
    EXPECT_EQ(h.batches[0].second.size(), 5u);
    EXPECT_EQ(h.batches[0].first, core::ParseIso8601("2027-01-01T00:00:05Z").value());
}

TEST(EventSourceMapping, MaximumConcurrencyBoundsBatchesInFlight) {
    Harness h;
    std::vector<FunctionCallback> held;
    h.functions.Register("slow", [&](const Json&, FunctionCallback done) { held.push_back(std::move(done)); });
    MappingConfig c;
    c.batch_size = 1;
    c.maximum_concurrency = 2;
    h.Map("slow", c);
    for (int i = 0; i < 5; ++i) h.Send("x");
    h.clock.RunToQuiescence();
    EXPECT_EQ(held.size(), 2u);
    held[0](Json::object());
    h.clock.RunToQuiescence();
    EXPECT_EQ(held.size(), 3u);
}

TEST(EventSourceMapping, DisabledMappingsDeliverNothingUntilEnabled) {
    Harness h;
    MappingConfig c;
    c.enabled = false;
    auto m = h.Map("collect", c);
    h.Send("x");
    h.clock.RunToQuiescence();
    EXPECT_TRUE(h.batches.empty());
    MappingConfig on;
    on.enabled = true;
    ASSERT_TRUE(h.esm->Update(m.uuid, on).ok());
    h.clock.RunToQuiescence();
    EXPECT_EQ(h.batches.size(), 1u);
    EXPECT_EQ(h.esm->Delete(m.uuid)->state, "Deleting");
    EXPECT_FALSE(h.esm->Get(m.uuid).ok());
}

TEST(EventSourceMapping, BadInputIsRejected) {
    Harness h;
    MappingConfig c;
    c.function_name = "nope";
    EXPECT_EQ(h.esm->Create(kQueueArn, c).error().code, EsmErrorCode::kResourceNotFound);
    c.function_name = "collect";
    EXPECT_EQ(h.esm->Create("arn:aws:sqs:us-east-1:000000000000:missing", c).error().code,
              EsmErrorCode::kInvalidParameterValue);
    c.batch_size = 50;
    EXPECT_EQ(h.esm->Create(kQueueArn, c).error().code, EsmErrorCode::kInvalidParameterValue);
    c.batch_size = 10;
    c.maximum_concurrency = 1;
    EXPECT_EQ(h.esm->Create(kQueueArn, c).error().code, EsmErrorCode::kInvalidParameterValue);
    c.maximum_concurrency.reset();
    ASSERT_TRUE(h.esm->Create(kQueueArn, c).ok());
    EXPECT_EQ(h.esm->Create(kQueueArn, c).error().code, EsmErrorCode::kResourceConflict);
}

TEST(EventSourceMapping, DurableMappingsResumeAfterARestartAndPage) {
    Harness h;
    auto durable = [&] {
        h.group.Flush();  // migrations run outside the open batch, as at start
        return std::make_unique<EventSourceMappings>(h.loop, h.clock, h.functions, *h.source, *h.db, h.group, "us-east-1",
                                                     "000000000000", 3);
    };
    h.esm.reset();
    h.esm = durable();
    MappingConfig c;
    c.batch_size = 5;
    c.report_batch_item_failures = true;
    c.maximum_concurrency = 4;
    auto created = h.Map("collect", c);
    MappingConfig off;
    off.enabled = false;
    off.function_name = "cardsim-echo";
    ASSERT_TRUE(h.esm->Create(kQueueArn, off).ok());
    h.group.Flush();
    h.esm.reset();        // the process stops: mappings are gone from memory ...
    h.Send("while-down");  // ... and a message arrives meanwhile
    h.esm = durable();
    auto back = h.esm->Get(created.uuid);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->batch_size, 5);
    EXPECT_TRUE(back->report_batch_item_failures);
    EXPECT_EQ(back->maximum_concurrency, 4);
    EXPECT_EQ(back->last_modified, created.last_modified);
    h.clock.RunToQuiescence();
    ASSERT_EQ(h.batches.size(), 1u);  // the waiting message is consumed once the mapping is back
    EXPECT_EQ(h.batches[0].second, std::vector<std::string>{"while-down"});
    // A new mapping after the restart never reuses a UUID; pages are ordered by UUID.
    MappingConfig other;
    other.function_name = "collect";
    ASSERT_TRUE(h.esm->Create("arn:aws:sqs:us-east-1:000000000000:dlq", other).ok());
    std::vector<std::string> uuids;
    std::string after;
    do {
        auto page = h.esm->List("", "", after, 2);
        for (const auto& m : page.items) uuids.push_back(m.uuid);
        after = page.next.value_or("");
    } while (!after.empty());
    ASSERT_EQ(uuids.size(), 3u);
    EXPECT_TRUE(std::is_sorted(uuids.begin(), uuids.end()));
    EXPECT_EQ(std::set<std::string>(uuids.begin(), uuids.end()).size(), 3u);
    ASSERT_TRUE(h.esm->Delete(created.uuid).ok());
    h.group.Flush();
    h.esm.reset();
    h.esm = durable();
    EXPECT_FALSE(h.esm->Get(created.uuid).ok());
    EXPECT_EQ(h.esm->List("", "").size(), 2u);
}

}  // namespace
}  // namespace sim::aws::lambda
