#include <gtest/gtest.h>

#include "sim/aws/events/engine/events_engine.hpp"
#include "sim/clock/virtual_clock.hpp"
#include "sim/core/manual_loop.hpp"
#include "sim/store/database.hpp"
#include "sim/store/group_commit.hpp"

namespace sim::aws::events {
namespace {

struct Harness {
    core::ManualLoop loop;
    clock::VirtualClock clock{loop, core::ParseIso8601("2027-01-01T00:00:00Z").value()};
    core::Transport transport{loop, nullptr};
    lambda::FunctionRegistry functions;
    TargetDelivery delivery{loop, clock, transport, functions, 7};
    std::unique_ptr<store::Database> db = store::Database::Open(":memory:").value();
    store::GroupCommit group{loop};
    bool attached = (group.Attach(*db), true);
    std::unique_ptr<EventsEngine> owned = std::make_unique<EventsEngine>(clock, delivery, *db, group);
    EventsEngine& engine() { return *owned; }
    /// A restart: the engine is rebuilt from what it committed to the database.
    void Reopen() {
        group.Flush();
        owned.reset();
        owned = std::make_unique<EventsEngine>(clock, delivery, *db, group);
    }
    std::vector<std::pair<std::string, Json>> calls;  // X-Amz-Target, body
    int fail_sqs = 0;                                 // fail this many SendMessage calls to "work"

    Harness() {
        transport.RegisterInProcess("aws", [this](core::Request r, core::Respond respond) {
            std::string target(r.headers.Get("X-Amz-Target").value_or(""));
            Json body = Json::parse(r.body);
            calls.emplace_back(target, body);
            if (target == "AmazonSQS.SendMessage" && body["QueueUrl"].get<std::string>().find("/work") != std::string::npos &&
                fail_sqs > 0) {
                --fail_sqs;
                return respond(core::Response::Json(500, {{"__type", "InternalFailure"}, {"message", "boom"}}));
            }
            respond(core::Response::Json(200, {{"ok", true}}));
        });
    }
    ~Harness() {
        owned.reset();
        group.Flush();
        group.Detach(*db);
    }
    std::vector<Json> CallsTo(const std::string& target) const {
        std::vector<Json> out;
        for (const auto& [t, b] : calls)
            if (t == target) out.push_back(b);
        return out;
    }
};

Target MakeTarget(std::string id, std::string arn) {
    Target t;
    t.id = std::move(id);
    t.arn = std::move(arn);
    return t;
}

TEST(EventsEngine, DailyRuleStartsTheStateMachineThirtyTimesInAVirtualMonth) {
    Harness h;
    PutRuleRequest r;
    r.name = "statement-daily";
    r.schedule_expression = "cron(0 3 * * ? *)";
    ASSERT_TRUE(h.engine().PutRule(r).ok());
    auto put = h.engine().PutTargets("statement-daily", "default",
                                   {MakeTarget("sfn", "arn:aws:states:us-east-1:000000000000:stateMachine:statement")});
    ASSERT_TRUE(put.ok() && put->empty());
    h.clock.Advance(std::chrono::hours(24 * 30));
    auto starts = h.CallsTo("AWSStepFunctions.StartExecution");
    ASSERT_EQ(starts.size(), 30u);
    auto first = Json::parse(starts[0]["input"].get<std::string>());
    EXPECT_EQ(first["detail-type"], "Scheduled Event");
    EXPECT_EQ(first["time"], "2027-01-01T03:00:00Z");
    EXPECT_EQ(Json::parse(starts[29]["input"].get<std::string>())["time"], "2027-01-30T03:00:00Z");
    EXPECT_EQ(h.engine().Firings(), 30u);
}

TEST(EventsEngine, DisabledRulesDoNotFireAndRateRulesFireEveryPeriod) {
    Harness h;
    PutRuleRequest r;
    r.name = "tick";
    r.schedule_expression = "rate(1 hour)";
    ASSERT_TRUE(h.engine().PutRule(r).ok());
    ASSERT_TRUE(h.engine().PutTargets("tick", "", {MakeTarget("q", "arn:aws:sqs:us-east-1:000000000000:ticks")}).ok());
    h.clock.Advance(std::chrono::hours(5));
    EXPECT_EQ(h.CallsTo("AmazonSQS.SendMessage").size(), 5u);
    ASSERT_TRUE(h.engine().SetRuleEnabled("tick", "default", false).ok());
    h.clock.Advance(std::chrono::hours(5));
    EXPECT_EQ(h.CallsTo("AmazonSQS.SendMessage").size(), 5u);
}

TEST(EventsEngine, PutEventsRoutesMatchingEventsWithInputTransformer) {
    Harness h;
    PutRuleRequest r;
    r.name = "big-payments";
    r.event_pattern = R"({"source":["cardsim.payments"],"detail":{"amount":[{"numeric":[">=",100000]}]}})";
    ASSERT_TRUE(h.engine().PutRule(r).ok());
    Target t = MakeTarget("q", "arn:aws:sqs:us-east-1:000000000000:alerts");
    t.input_transformer = InputTransformer{{{"amt", "$.detail.amount"}, {"who", "$.detail.user"}},
                                           R"({"text":"<who> paid <amt>","rule":"<aws.events.rule-name>"})"};
    ASSERT_TRUE(h.engine().PutTargets("big-payments", "default", {t}).ok());
    auto res = h.engine().PutEvents({{"cardsim.payments", "Payment", R"({"amount":150000,"user":"u1"})", {}, "default", {}},
                                   {"cardsim.payments", "Payment", R"({"amount":10,"user":"u2"})", {}, "default", {}},
                                   {"", "Payment", "{}", {}, "default", {}}});
    ASSERT_EQ(res.size(), 3u);
    EXPECT_FALSE(res[0].event_id.empty());
    EXPECT_EQ(res[2].error_code, "InvalidArgument");
    h.clock.RunToQuiescence();
    auto sends = h.CallsTo("AmazonSQS.SendMessage");
    ASSERT_EQ(sends.size(), 1u);
    EXPECT_EQ(Json::parse(sends[0]["MessageBody"].get<std::string>()),
              Json::parse(R"({"text":"u1 paid 150000","rule":"big-payments"})"));
}

TEST(EventsEngine, FailedTargetIsRetriedThenSentToItsDeadLetterQueue) {
    Harness h;
    h.fail_sqs = 1000;
    PutRuleRequest r;
    r.name = "r";
    r.event_pattern = R"({"source":["x"]})";
    ASSERT_TRUE(h.engine().PutRule(r).ok());
    Target t = MakeTarget("w", "arn:aws:sqs:us-east-1:000000000000:work");
    t.retry_policy.maximum_retry_attempts = 3;
    t.dead_letter_arn = "arn:aws:sqs:us-east-1:000000000000:dlq";
    t.input_path = "$.detail";
    ASSERT_TRUE(h.engine().PutTargets("r", "default", {t}).ok());
    h.engine().PutEvents({{"x", "t", R"({"n":1})", {}, "default", {}}});
    h.clock.Advance(std::chrono::minutes(10));
    auto sends = h.CallsTo("AmazonSQS.SendMessage");
    ASSERT_EQ(sends.size(), 5u);  // 1 + 3 retries to work, then the DLQ
    EXPECT_NE(sends[4]["QueueUrl"].get<std::string>().find("/dlq"), std::string::npos);
    EXPECT_EQ(sends[4]["MessageBody"], R"({"n":1})");
    EXPECT_EQ(sends[4]["MessageAttributes"]["ERROR_CODE"]["StringValue"], "SQS.InternalFailure");
    EXPECT_EQ(sends[4]["MessageAttributes"]["RULE_ARN"]["StringValue"], "arn:aws:events:us-east-1:000000000000:rule/r");
    EXPECT_EQ(h.delivery.Stats().dead_lettered, 1u);
}

TEST(EventsEngine, FunctionTargetsRunFromTheRegistry) {
    Harness h;
    std::vector<Json> seen;
    h.functions.Register("audit", [&](const Json& e, lambda::FunctionCallback done) {
        seen.push_back(e);
        done(Json::object());
    });
    PutRuleRequest r;
    r.name = "r";
    r.event_pattern = R"({"detail-type":[{"prefix":"Card"}]})";
    ASSERT_TRUE(h.engine().PutRule(r).ok());
    Target t = MakeTarget("f", "arn:aws:lambda:us-east-1:000000000000:function:audit");
    t.input = R"({"fixed":true})";
    ASSERT_TRUE(h.engine().PutTargets("r", "default", {t}).ok());
    h.engine().PutEvents({{"s", "CardIssued", "{}", {}, "default", {}}});
    h.clock.RunToQuiescence();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0], Json::parse(R"({"fixed":true})"));
}

TEST(EventsEngine, BadInputIsRejectedWithTheAwsErrorKinds) {
    Harness h;
    PutRuleRequest r;
    r.name = "r";
    r.schedule_expression = "cron(0 3 * * * *)";
    EXPECT_EQ(h.engine().PutRule(r).error().code, EventsErrorCode::kValidation);
    r.schedule_expression.reset();
    r.event_pattern = R"({"source":"x"})";
    EXPECT_EQ(h.engine().PutRule(r).error().code, EventsErrorCode::kInvalidEventPattern);
    EXPECT_EQ(h.engine().DescribeRule("nope", "default").error().code, EventsErrorCode::kResourceNotFound);
    r.event_pattern = R"({"source":["x"]})";
    ASSERT_TRUE(h.engine().PutRule(r).ok());
    auto put = h.engine().PutTargets("r", "default", {MakeTarget("t", "arn:aws:sns:us-east-1:000000000000:topic")});
    ASSERT_TRUE(put.ok());
    ASSERT_EQ(put->size(), 1u);
    ASSERT_TRUE(h.engine().PutTargets("r", "default", {MakeTarget("q", "arn:aws:sqs:us-east-1:000000000000:q")}).ok());
    EXPECT_EQ(h.engine().DeleteRule("r", "default", false).error().code, EventsErrorCode::kValidation);
    EXPECT_TRUE(h.engine().DeleteRule("r", "default", true).ok());
}

TEST(EventsEngine, RulesAndTargetsSurviveARestartAndMissedFiringsAreSkipped) {
    Harness h;
    PutRuleRequest r;
    r.name = "every-5";
    r.schedule_expression = "rate(5 minutes)";
    r.description = "ticks";
    ASSERT_TRUE(h.engine().PutRule(r).ok());
    Target t = MakeTarget("q", "arn:aws:sqs:us-east-1:000000000000:ticks");
    t.input_transformer = InputTransformer{{{"t", "$.time"}}, R"({"at":"<t>"})"};
    t.retry_policy.maximum_retry_attempts = 7;
    t.dead_letter_arn = "arn:aws:sqs:us-east-1:000000000000:dlq";
    ASSERT_TRUE(h.engine().PutTargets("every-5", "default", {t}).ok());
    PutRuleRequest p;
    p.name = "pattern";
    p.event_pattern = R"({"source":["x"]})";
    p.enabled = false;
    ASSERT_TRUE(h.engine().PutRule(p).ok());
    h.clock.Advance(std::chrono::minutes(12));  // fired at 00:05 and 00:10
    ASSERT_EQ(h.CallsTo("AmazonSQS.SendMessage").size(), 2u);

    // Down for an hour: the clock moves on without the engine, then it is rebuilt from the store.
    auto saved = h.engine().DescribeRule("every-5", "default").value();
    h.group.Flush();
    h.owned.reset();
    h.calls.clear();
    h.clock.Advance(std::chrono::minutes(61));  // 01:13: twelve firings were due meanwhile
    h.owned = std::make_unique<EventsEngine>(h.clock, h.delivery, *h.db, h.group);
    auto info = h.engine().DescribeRule("every-5", "default");
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->description, "ticks");
    EXPECT_EQ(info->arn, saved.arn);
    EXPECT_EQ(info->next_fire, core::ParseIso8601("2027-01-01T01:15:00Z").value());  // no burst, same phase
    auto targets = h.engine().ListTargetsByRule("every-5", "default").value().items;
    ASSERT_EQ(targets.size(), 1u);
    EXPECT_EQ(targets[0].retry_policy.maximum_retry_attempts, 7);
    EXPECT_EQ(targets[0].dead_letter_arn, t.dead_letter_arn);
    ASSERT_TRUE(targets[0].input_transformer);
    EXPECT_EQ(targets[0].input_transformer->input_template, R"({"at":"<t>"})");
    EXPECT_FALSE(h.engine().DescribeRule("pattern", "default")->enabled);
    h.clock.Advance(std::chrono::minutes(10));
    auto sends = h.CallsTo("AmazonSQS.SendMessage");
    ASSERT_EQ(sends.size(), 2u);  // 01:15 and 01:20
    EXPECT_EQ(Json::parse(sends[0]["MessageBody"].get<std::string>())["at"], "2027-01-01T01:15:00Z");

    h.engine().Reset();
    h.Reopen();
    EXPECT_FALSE(h.engine().DescribeRule("every-5", "default").ok());  // a reset is durable too
}

TEST(EventsEngine, ListingsArePagedByName) {
    Harness h;
    for (const char* name : {"e", "b", "a", "d", "c"}) {
        PutRuleRequest r;
        r.name = name;
        r.event_pattern = R"({"source":["x"]})";
        ASSERT_TRUE(h.engine().PutRule(r).ok());
    }
    ASSERT_TRUE(h.engine().PutTargets("b", "default", {MakeTarget("1", "arn:aws:sqs:us-east-1:000000000000:q")}).ok());
    ASSERT_TRUE(h.engine().PutTargets("d", "default", {MakeTarget("1", "arn:aws:sqs:us-east-1:000000000000:q"),
                                                       MakeTarget("2", "arn:aws:sqs:us-east-1:000000000000:r"),
                                                       MakeTarget("3", "arn:aws:sqs:us-east-1:000000000000:s")})
                    .ok());
    std::vector<std::string> names;
    std::string after;
    int pages = 0;
    do {
        auto page = h.engine().ListRules("", "default", after, 2);
        for (const auto& r : page.items) names.push_back(r.name);
        after = page.next.value_or("");
        ++pages;
    } while (!after.empty());
    EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
    EXPECT_EQ(pages, 3);
    auto by_target = h.engine().ListRuleNamesByTarget("arn:aws:sqs:us-east-1:000000000000:q", "default", "", 1);
    EXPECT_EQ(by_target.items, std::vector<std::string>{"b"});
    ASSERT_TRUE(by_target.next);
    EXPECT_EQ(h.engine().ListRuleNamesByTarget("arn:aws:sqs:us-east-1:000000000000:q", "default", *by_target.next, 1).items,
              std::vector<std::string>{"d"});
    auto first = h.engine().ListTargetsByRule("d", "default", "", 2).value();
    ASSERT_EQ(first.items.size(), 2u);
    ASSERT_EQ(first.next, "2");
    auto rest = h.engine().ListTargetsByRule("d", "default", *first.next, 2).value();
    ASSERT_EQ(rest.items.size(), 1u);
    EXPECT_EQ(rest.items[0].id, "3");
    EXPECT_FALSE(rest.next);
}

TEST(EventsEngine, CustomBusesKeepTheirRulesApartAndSurviveARestart) {
    Harness h;
    auto arn = h.engine().CreateEventBus("payments", "card payments");
    ASSERT_TRUE(arn.ok());
    EXPECT_EQ(*arn, "arn:aws:events:us-east-1:000000000000:event-bus/payments");
    EXPECT_EQ(h.engine().CreateEventBus("payments", "").error().code, EventsErrorCode::kAlreadyExists);
    EXPECT_EQ(h.engine().CreateEventBus("default", "").error().code, EventsErrorCode::kAlreadyExists);
    EXPECT_EQ(h.engine().CreateEventBus("bad/name", "").error().code, EventsErrorCode::kValidation);
    PutRuleRequest r;
    r.name = "big";
    r.event_bus = *arn;  // an ARN names the bus too
    r.event_pattern = R"({"source":["cardsim.payments"]})";
    auto rule_arn = h.engine().PutRule(r);
    ASSERT_TRUE(rule_arn.ok());
    EXPECT_EQ(*rule_arn, "arn:aws:events:us-east-1:000000000000:rule/payments/big");
    ASSERT_TRUE(h.engine().PutTargets("big", "payments", {MakeTarget("q", "arn:aws:sqs:us-east-1:000000000000:alerts")}).ok());
    r.event_bus = "default";
    ASSERT_TRUE(h.engine().PutRule(r).ok());  // the same name on another bus is another rule
    PutRuleRequest scheduled;
    scheduled.name = "tick";
    scheduled.event_bus = "payments";
    scheduled.schedule_expression = "rate(1 hour)";
    EXPECT_EQ(h.engine().PutRule(scheduled).error().code, EventsErrorCode::kValidation);  // default bus only
    scheduled.event_bus = "nope";
    EXPECT_EQ(h.engine().PutRule(scheduled).error().code, EventsErrorCode::kResourceNotFound);
    EXPECT_EQ(h.engine().DescribeEventBus("nope").error().code, EventsErrorCode::kResourceNotFound);

    h.Reopen();
    auto bus = h.engine().DescribeEventBus("payments");
    ASSERT_TRUE(bus.ok());
    EXPECT_EQ(bus->description, "card payments");
    auto buses = h.engine().ListEventBuses("");
    ASSERT_EQ(buses.items.size(), 2u);
    EXPECT_EQ(buses.items[0].name, "default");
    EXPECT_EQ(h.engine().ListRules("", "payments").items.size(), 1u);
    auto results = h.engine().PutEvents({{"cardsim.payments", "Payment", "{}", {}, "payments", {}},
                                         {"cardsim.payments", "Payment", "{}", {}, "nope", {}}});
    EXPECT_EQ(results[1].error_code, "NotFound");
    h.clock.RunToQuiescence();
    EXPECT_EQ(h.CallsTo("AmazonSQS.SendMessage").size(), 1u);  // only the payments bus's rule has a target
    EXPECT_EQ(h.engine().DeleteEventBus("payments").error().code, EventsErrorCode::kValidation);  // it has rules
    EXPECT_EQ(h.engine().DeleteEventBus("default").error().code, EventsErrorCode::kValidation);
    ASSERT_TRUE(h.engine().DeleteRule("big", "payments", true).ok());
    ASSERT_TRUE(h.engine().DeleteEventBus("payments").ok());
    EXPECT_TRUE(h.engine().DeleteEventBus("payments").ok());  // deleting a missing bus succeeds
    h.Reopen();
    EXPECT_FALSE(h.engine().DescribeEventBus("payments").ok());
}

}  // namespace
}  // namespace sim::aws::events
