// SqsEngine on a VirtualClock and an in-memory (or temporary file) SQLite database.

#include <gtest/gtest.h>

#include <filesystem>

#include "sim/aws/sqs/engine/engine.hpp"
#include "sim/clock/virtual_clock.hpp"
#include "sim/core/manual_loop.hpp"
#include "sim/store/database.hpp"
#include "sim/store/group_commit.hpp"

namespace sim::aws::sqs {
namespace {

using namespace std::chrono_literals;

SendRequest Body(std::string body) {
    SendRequest r;
    r.body = std::move(body);
    return r;
}

class Sqs : public ::testing::Test {
protected:
    explicit Sqs(std::string path = ":memory:") : path_(std::move(path)) { Open(); }
    ~Sqs() override { Close(); }

    void Open() {
        db_ = store::Database::Open(path_).value();
        group_ = std::make_unique<store::GroupCommit>(loop_);
        group_->Attach(*db_);
        engine_ = std::make_unique<SqsEngine>(clock_, *db_, *group_, options_);
    }
    void Close() {
        engine_.reset();
        if (group_) {
            group_->Flush();
            group_->Detach(*db_);
        }
        group_.reset();
        db_.reset();
    }
    void Settle() { clock_.RunToQuiescence(); }

    SqsEngine& E() { return *engine_; }
    void Create(const std::string& name, std::map<std::string, std::string> attrs = {}) {
        auto r = E().CreateQueue(name, attrs, {}, "us-east-1");
        ASSERT_TRUE(r.ok()) << r.error().message;
    }
    std::string Send(const std::string& q, const std::string& body, std::optional<std::string> group = std::nullopt,
                     std::optional<std::string> dedup = std::nullopt) {
        SendRequest req;
        req.body = body;
        req.group_id = group;
        req.deduplication_id = dedup;
        auto r = E().SendMessage(q, req);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        return r.ok() ? r->message_id : "";
    }
    /// Starts a receive; the result lands in the returned slot when the engine answers.
    std::shared_ptr<std::optional<SqsResult<std::vector<ReceivedMessage>>>> StartReceive(const std::string& q,
                                                                                        ReceiveRequest req) {
        auto slot = std::make_shared<std::optional<SqsResult<std::vector<ReceivedMessage>>>>();
        E().ReceiveMessage(q, req, [slot](SqsResult<std::vector<ReceivedMessage>> r) { slot->emplace(std::move(r)); });
        return slot;
    }
    std::vector<ReceivedMessage> Receive(const std::string& q, int max = 10, std::optional<int> vt = std::nullopt) {
        ReceiveRequest req;
        req.max_messages = max;
        req.visibility_timeout = vt;
        req.wait_seconds = 0;
        req.system_attribute_names = {"All"};
        req.message_attribute_names = {"All"};
        auto slot = StartReceive(q, req);
        EXPECT_TRUE(slot->has_value());
        EXPECT_TRUE((*slot)->ok());
        return (*slot)->ok() ? (*slot)->value() : std::vector<ReceivedMessage>{};
    }
    std::string Attr(const std::string& q, const std::string& name) {
        auto r = E().GetQueueAttributes(q, {name});
        return r.ok() && r->count(name) ? r->at(name) : "<none>";
    }

    core::ManualLoop loop_;
    clock::VirtualClock clock_{loop_, core::ParseIso8601("2027-01-01T00:00:00Z").value()};
    std::string path_;
    EngineOptions options_;
    std::unique_ptr<store::Database> db_;
    std::unique_ptr<store::GroupCommit> group_;
    std::unique_ptr<SqsEngine> engine_;
};

TEST_F(Sqs, CreateIsIdempotentForSameAttributesAndRefusesDifferentOnes) {
    Create("q", {{"VisibilityTimeout", "10"}});
    EXPECT_TRUE(E().CreateQueue("q", {{"VisibilityTimeout", "10"}}, {}, "us-east-1").ok());
    auto r = E().CreateQueue("q", {{"VisibilityTimeout", "11"}}, {}, "us-east-1");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kQueueNameExists);
}

TEST_F(Sqs, InvalidAttributesAreRefusedAndChangeNothing) {
    auto r = E().CreateQueue("q", {{"DelaySeconds", "901"}}, {}, "us-east-1");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidAttributeValue);
    EXPECT_FALSE(E().QueueExists("q"));
    r = E().CreateQueue("q", {{"Bogus", "1"}}, {}, "us-east-1");
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidAttributeName);
    r = E().CreateQueue("q", {{"ContentBasedDeduplication", "true"}}, {}, "us-east-1");
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidAttributeName);  // FIFO-only attribute on a standard queue
    Create("q");
    EXPECT_FALSE(E().SetQueueAttributes("q", {{"VisibilityTimeout", "5"}, {"MaximumMessageSize", "1"}}).ok());
    EXPECT_EQ(Attr("q", "VisibilityTimeout"), "30");
}

TEST_F(Sqs, MessageReappearsAfterVisibilityTimeout) {
    Create("q", {{"VisibilityTimeout", "30"}});
    Send("q", "m1");
    auto got = Receive("q");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].attributes["ApproximateReceiveCount"], "1");
    EXPECT_TRUE(Receive("q").empty());
    EXPECT_EQ(Attr("q", "ApproximateNumberOfMessagesNotVisible"), "1");
    clock_.Advance(29s);
    EXPECT_TRUE(Receive("q").empty());
    clock_.Advance(1s);
    got = Receive("q");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].attributes["ApproximateReceiveCount"], "2");
}

TEST_F(Sqs, DeleteRemovesAndChangeVisibilityMovesTheDeadline) {
    Create("q");
    Send("q", "m1");
    auto got = Receive("q", 1, 100);
    ASSERT_EQ(got.size(), 1u);
    ASSERT_TRUE(E().ChangeMessageVisibility("q", got[0].receipt_handle, 0).ok());
    got = Receive("q", 1, 100);
    ASSERT_EQ(got.size(), 1u);
    ASSERT_TRUE(E().DeleteMessage("q", got[0].receipt_handle).ok());
    EXPECT_TRUE(E().DeleteMessage("q", got[0].receipt_handle).ok());  // deleting twice succeeds, as on AWS
    auto bad = E().DeleteMessage("q", "garbage");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, ErrorCode::kReceiptHandleIsInvalid);
    auto nf = E().ChangeMessageVisibility("q", got[0].receipt_handle, 10);
    EXPECT_FALSE(nf.ok());
    clock_.Advance(200s);
    EXPECT_TRUE(Receive("q").empty());
}

TEST_F(Sqs, ChangeVisibilityOfAVisibleMessageIsNotInflight) {
    Create("q");
    Send("q", "m1");
    auto got = Receive("q", 1, 10);
    clock_.Advance(11s);
    auto r = E().ChangeMessageVisibility("q", got[0].receipt_handle, 10);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kMessageNotInflight);
}

TEST_F(Sqs, QueueAndMessageDelaysHoldMessagesBack) {
    Create("q", {{"DelaySeconds", "10"}});
    Send("q", "queue-delayed");
    SendRequest req;
    req.body = "message-delayed";
    req.delay_seconds = 20;
    ASSERT_TRUE(E().SendMessage("q", req).ok());
    EXPECT_EQ(Attr("q", "ApproximateNumberOfMessagesDelayed"), "2");
    EXPECT_TRUE(Receive("q").empty());
    clock_.Advance(10s);
    auto got = Receive("q");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].body, "queue-delayed");
    clock_.Advance(10s);
    got = Receive("q");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].body, "message-delayed");
}

TEST_F(Sqs, LongPollWakesWhenAMessageArrives) {
    Create("q");
    ReceiveRequest req;
    req.wait_seconds = 20;
    auto slot = StartReceive("q", req);
    EXPECT_FALSE(slot->has_value());
    EXPECT_EQ(E().WaitingReceives(), 1u);
    clock_.Advance(5s);
    EXPECT_FALSE(slot->has_value());
    Send("q", "wake");
    ASSERT_TRUE(slot->has_value());
    ASSERT_EQ((*slot)->value().size(), 1u);
    EXPECT_EQ((*slot)->value()[0].body, "wake");
    EXPECT_EQ(E().WaitingReceives(), 0u);
}

TEST_F(Sqs, LongPollReturnsEmptyAtTheEndOfTheWait) {
    Create("q", {{"ReceiveMessageWaitTimeSeconds", "20"}});
    auto slot = StartReceive("q", ReceiveRequest{});
    clock_.Advance(19s);
    EXPECT_FALSE(slot->has_value());
    clock_.Advance(1s);
    ASSERT_TRUE(slot->has_value());
    EXPECT_TRUE((*slot)->value().empty());
}

TEST_F(Sqs, LongPollWakesWhenADelayOrVisibilityTimeoutEnds) {
    Create("q");
    SendRequest delayed;
    delayed.body = "later";
    delayed.delay_seconds = 5;
    ASSERT_TRUE(E().SendMessage("q", delayed).ok());
    ReceiveRequest req;
    req.wait_seconds = 20;
    auto slot = StartReceive("q", req);
    clock_.Advance(4s);
    EXPECT_FALSE(slot->has_value());
    clock_.Advance(1s);
    ASSERT_TRUE(slot->has_value());
    ASSERT_EQ((*slot)->value().size(), 1u);
}

TEST_F(Sqs, RedriveMovesMessagesToTheDeadLetterQueueAfterMaxReceiveCount) {
    Create("dlq");
    auto arn = E().QueueArn("dlq").value();
    Create("src", {{"RedrivePolicy", R"({"deadLetterTargetArn":")" + arn + R"(","maxReceiveCount":"2"})"},
                   {"VisibilityTimeout", "1"}});
    Send("src", "poison");
    EXPECT_EQ(Receive("src").size(), 1u);
    clock_.Advance(1s);
    EXPECT_EQ(Receive("src").size(), 1u);
    clock_.Advance(1s);
    EXPECT_TRUE(Receive("src").empty());  // third receive: moved instead
    auto dead = Receive("dlq");
    ASSERT_EQ(dead.size(), 1u);
    EXPECT_EQ(dead[0].body, "poison");
    EXPECT_EQ(dead[0].attributes["DeadLetterQueueSourceArn"], E().QueueArn("src").value());
    auto sources = E().ListDeadLetterSourceQueues("dlq", std::nullopt, std::nullopt);
    ASSERT_TRUE(sources.ok());
    EXPECT_EQ(sources->names, std::vector<std::string>{"src"});
}

TEST_F(Sqs, MessageMoveTaskRedrivesBackToTheSource) {
    Create("dlq");
    auto dlq_arn = E().QueueArn("dlq").value();
    Create("src", {{"RedrivePolicy", R"({"deadLetterTargetArn":")" + dlq_arn + R"(","maxReceiveCount":1})"},
                   {"VisibilityTimeout", "1"}});
    for (int i = 0; i < 3; ++i) Send("src", "m" + std::to_string(i));
    EXPECT_EQ(Receive("src").size(), 3u);
    clock_.Advance(1s);
    EXPECT_TRUE(Receive("src").empty());
    EXPECT_EQ(Attr("dlq", "ApproximateNumberOfMessages"), "3");
    auto task = E().StartMessageMoveTask(dlq_arn, std::nullopt, 2);
    ASSERT_TRUE(task.ok()) << task.error().message;
    EXPECT_EQ(Attr("src", "ApproximateNumberOfMessages"), "2");
    auto running = E().ListMessageMoveTasks(dlq_arn, 10).value();
    ASSERT_EQ(running.size(), 1u);
    EXPECT_EQ(running[0].status, "RUNNING");
    clock_.Advance(1s);
    EXPECT_EQ(Attr("src", "ApproximateNumberOfMessages"), "3");
    auto done = E().ListMessageMoveTasks(dlq_arn, 10).value();
    EXPECT_EQ(done[0].status, "COMPLETED");
    EXPECT_EQ(done[0].moved, 3);
    auto not_dlq = E().StartMessageMoveTask(E().QueueArn("src").value(), std::nullopt, std::nullopt);
    EXPECT_FALSE(not_dlq.ok());
}

TEST_F(Sqs, FifoGroupIsBlockedWhileOneOfItsMessagesIsInFlight) {
    Create("f.fifo", {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}});
    Send("f.fifo", "a1", "A");
    Send("f.fifo", "a2", "A");
    Send("f.fifo", "b1", "B");
    auto first = Receive("f.fifo", 1);
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(first[0].body, "a1");
    auto second = Receive("f.fifo", 10);
    ASSERT_EQ(second.size(), 1u);  // group A blocked; B available
    EXPECT_EQ(second[0].body, "b1");
    ASSERT_TRUE(E().DeleteMessage("f.fifo", first[0].receipt_handle).ok());
    auto third = Receive("f.fifo", 10);
    ASSERT_EQ(third.size(), 1u);
    EXPECT_EQ(third[0].body, "a2");
    EXPECT_EQ(third[0].attributes["MessageGroupId"], "A");
    EXPECT_FALSE(third[0].attributes["SequenceNumber"].empty());
}

TEST_F(Sqs, FifoReceivesSeveralMessagesOfOneGroupInOrder) {
    Create("f.fifo", {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}});
    for (int i = 0; i < 4; ++i) Send("f.fifo", "m" + std::to_string(i), "G");
    auto got = Receive("f.fifo", 10);
    ASSERT_EQ(got.size(), 4u);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(got[static_cast<std::size_t>(i)].body, "m" + std::to_string(i));
}

TEST_F(Sqs, FifoDeduplicatesWithinFiveMinutes) {
    Create("f.fifo", {{"FifoQueue", "true"}});
    auto id1 = Send("f.fifo", "x", "G", "d1");
    auto id2 = Send("f.fifo", "y", "G", "d1");
    EXPECT_EQ(id1, id2);
    EXPECT_EQ(Attr("f.fifo", "ApproximateNumberOfMessages"), "1");
    clock_.Advance(5min);
    auto id3 = Send("f.fifo", "z", "G", "d1");
    EXPECT_NE(id1, id3);
    EXPECT_EQ(Attr("f.fifo", "ApproximateNumberOfMessages"), "2");
    SendRequest missing;
    missing.body = "no dedup";
    missing.group_id = "G";
    EXPECT_EQ(E().SendMessage("f.fifo", missing).error().code, ErrorCode::kInvalidParameterValue);
    missing.group_id.reset();
    missing.deduplication_id = "d9";
    EXPECT_EQ(E().SendMessage("f.fifo", missing).error().code, ErrorCode::kMissingParameter);
}

TEST_F(Sqs, FifoDeduplicationScopeMessageGroup) {
    Create("g.fifo", {{"FifoQueue", "true"}, {"DeduplicationScope", "messageGroup"}});
    auto a = Send("g.fifo", "x", "A", "same");
    auto b = Send("g.fifo", "x", "B", "same");
    EXPECT_NE(a, b);
    EXPECT_EQ(Send("g.fifo", "x", "A", "same"), a);
}

TEST_F(Sqs, RetentionExpiresOldMessages) {
    Create("q", {{"MessageRetentionPeriod", "60"}});
    Send("q", "old");
    clock_.Advance(30s);
    Send("q", "new");
    clock_.Advance(30s);
    auto got = Receive("q");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].body, "new");
}

TEST_F(Sqs, PurgeIsAllowedOncePerMinute) {
    Create("q");
    Send("q", "a");
    ASSERT_TRUE(E().PurgeQueue("q").ok());
    EXPECT_EQ(Attr("q", "ApproximateNumberOfMessages"), "0");
    auto again = E().PurgeQueue("q");
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, ErrorCode::kPurgeQueueInProgress);
    clock_.Advance(60s);
    EXPECT_TRUE(E().PurgeQueue("q").ok());
}

TEST_F(Sqs, BatchesReportPerEntryResults) {
    Create("q");
    std::vector<std::pair<std::string, SendRequest>> entries(2);
    entries[0] = {"ok", SendRequest{}};
    entries[0].second.body = "fine";
    entries[1] = {"bad", SendRequest{}};
    entries[1].second.body = std::string("\x01", 1);
    auto r = E().SendMessageBatch("q", entries);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->successful.size(), 1u);
    ASSERT_EQ(r->failed.size(), 1u);
    EXPECT_EQ(r->failed[0].id, "bad");
    EXPECT_EQ(r->failed[0].code, ErrorCode::kInvalidMessageContents);

    entries[1].first = "ok";
    EXPECT_EQ(E().SendMessageBatch("q", entries).error().code, ErrorCode::kBatchEntryIdsNotDistinct);
    EXPECT_EQ(E().SendMessageBatch("q", {}).error().code, ErrorCode::kEmptyBatchRequest);
    std::vector<std::pair<std::string, SendRequest>> many;
    for (int i = 0; i < 11; ++i) many.emplace_back("e" + std::to_string(i), Body("b"));
    EXPECT_EQ(E().SendMessageBatch("q", many).error().code, ErrorCode::kTooManyEntriesInBatchRequest);
    EXPECT_EQ(Attr("q", "ApproximateNumberOfMessages"), "1");
}

TEST_F(Sqs, ListQueuesPagesByPrefix) {
    for (auto n : {"a1", "a2", "a3", "b1"}) Create(n);
    auto p1 = E().ListQueues("a", 2, std::nullopt).value();
    EXPECT_EQ(p1.names, (std::vector<std::string>{"a1", "a2"}));
    ASSERT_TRUE(p1.next_token);
    auto p2 = E().ListQueues("a", 2, p1.next_token).value();
    EXPECT_EQ(p2.names, (std::vector<std::string>{"a3"}));
    EXPECT_FALSE(p2.next_token);
}

TEST_F(Sqs, TagsAndPermissions) {
    Create("q");
    ASSERT_TRUE(E().TagQueue("q", {{"team", "cards"}, {"env", "dev"}}).ok());
    ASSERT_TRUE(E().UntagQueue("q", {"env"}).ok());
    EXPECT_EQ(E().ListQueueTags("q").value(), (std::map<std::string, std::string>{{"team", "cards"}}));
    ASSERT_TRUE(E().AddPermission("q", "p1", {"111122223333"}, {"SendMessage"}).ok());
    EXPECT_NE(Attr("q", "Policy").find("p1"), std::string::npos);
    EXPECT_FALSE(E().AddPermission("q", "p1", {"111122223333"}, {"SendMessage"}).ok());
    ASSERT_TRUE(E().RemovePermission("q", "p1").ok());
    EXPECT_EQ(Attr("q", "Policy"), "<none>");
}

TEST_F(Sqs, DeletingAQueueEndsItsLongPolls) {
    Create("q");
    ReceiveRequest req;
    req.wait_seconds = 20;
    auto slot = StartReceive("q", req);
    ASSERT_TRUE(E().DeleteQueue("q").ok());
    ASSERT_TRUE(slot->has_value());
    EXPECT_FALSE(E().QueueExists("q"));
    EXPECT_EQ(E().SendMessage("q", Body("x")).error().code, ErrorCode::kQueueDoesNotExist);
}

class SqsDurable : public Sqs {
protected:
    SqsDurable() : Sqs(TempPath()) {}
    ~SqsDurable() override {
        Close();
        std::filesystem::remove_all(dir_);
    }
    static std::string TempPath() {
        auto dir = std::filesystem::temp_directory_path() / ("sqs-test-" + std::to_string(::getpid()) + "-" +
                                                             std::to_string(counter_++));
        std::filesystem::create_directories(dir);
        dir_ = dir;
        return (dir / "sqs.db").string();
    }
    static inline std::filesystem::path dir_;
    static inline int counter_ = 0;
};

TEST_F(SqsDurable, RestartKeepsMessagesAndInFlightDeadlines) {
    Create("q", {{"VisibilityTimeout", "60"}});
    Create("f.fifo", {{"FifoQueue", "true"}});
    Send("q", "kept");
    Send("q", "inflight");
    Send("f.fifo", "fifo-1", "G", "d1");
    SendRequest attrs;
    attrs.body = "with-attrs";
    attrs.message_attributes["k"] = {"String", "v", "", false};
    ASSERT_TRUE(E().SendMessage("q", attrs).ok());
    auto got = Receive("q", 1);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].body, "kept");
    Settle();
    group_->Flush();
    Close();
    Open();
    EXPECT_EQ(Attr("q", "ApproximateNumberOfMessagesNotVisible"), "1");
    EXPECT_EQ(Attr("q", "ApproximateNumberOfMessages"), "2");
    // The FIFO deduplication window survives too.
    EXPECT_EQ(Attr("f.fifo", "ApproximateNumberOfMessages"), "1");
    Send("f.fifo", "fifo-dup", "G", "d1");
    EXPECT_EQ(Attr("f.fifo", "ApproximateNumberOfMessages"), "1");
    auto now_visible = Receive("q", 10, 1000);
    ASSERT_EQ(now_visible.size(), 2u);
    EXPECT_EQ(now_visible[1].message_attributes.at("k").text, "v");
    clock_.Advance(60s);
    auto again = Receive("q");
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].body, "kept");
    EXPECT_EQ(again[0].attributes["ApproximateReceiveCount"], "2");
}

}  // namespace
}  // namespace sim::aws::sqs
