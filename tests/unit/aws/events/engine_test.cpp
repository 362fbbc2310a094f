#include <gtest/gtest.h>

#include "sim/aws/events/engine/events_engine.hpp"
#include "sim/clock/virtual_clock.hpp"
#include "sim/core/manual_loop.hpp"

namespace sim::aws::events {
namespace {

struct Harness {
    core::ManualLoop loop;
    clock::VirtualClock clock{loop, core::ParseIso8601("2027-01-01T00:00:00Z").value()};
    core::Transport transport{loop, nullptr};
    lambda::FunctionRegistry functions;
    TargetDelivery delivery{loop, clock, transport, functions, 7};
    EventsEngine engine{clock, delivery};
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
    ASSERT_TRUE(h.engine.PutRule(r).ok());
    auto put = h.engine.PutTargets("statement-daily", "default",
                                   {MakeTarget("sfn", "arn:aws:states:us-east-1:000000000000:stateMachine:statement")});
    ASSERT_TRUE(put.ok() && put->empty());
    h.clock.Advance(std::chrono::hours(24 * 30));
    auto starts = h.CallsTo("AWSStepFunctions.StartExecution");
    ASSERT_EQ(starts.size(), 30u);
    auto first = Json::parse(starts[0]["input"].get<std::string>());
    EXPECT_EQ(first["detail-type"], "Scheduled Event");
    EXPECT_EQ(first["time"], "2027-01-01T03:00:00Z");
    EXPECT_EQ(Json::parse(starts[29]["input"].get<std::string>())["time"], "2027-01-30T03:00:00Z");
    EXPECT_EQ(h.engine.Firings(), 30u);
}

TEST(EventsEngine, DisabledRulesDoNotFireAndRateRulesFireEveryPeriod) {
    Harness h;
    PutRuleRequest r;
    r.name = "tick";
    r.schedule_expression = "rate(1 hour)";
    ASSERT_TRUE(h.engine.PutRule(r).ok());
    ASSERT_TRUE(h.engine.PutTargets("tick", "", {MakeTarget("q", "arn:aws:sqs:us-east-1:000000000000:ticks")}).ok());
    h.clock.Advance(std::chrono::hours(5));
    EXPECT_EQ(h.CallsTo("AmazonSQS.SendMessage").size(), 5u);
    ASSERT_TRUE(h.engine.SetRuleEnabled("tick", "default", false).ok());
    h.clock.Advance(std::chrono::hours(5));
    EXPECT_EQ(h.CallsTo("AmazonSQS.SendMessage").size(), 5u);
}

TEST(EventsEngine, PutEventsRoutesMatchingEventsWithInputTransformer) {
    Harness h;
    PutRuleRequest r;
    r.name = "big-payments";
    r.event_pattern = R"({"source":["cardsim.payments"],"detail":{"amount":[{"numeric":[">=",100000]}]}})";
    ASSERT_TRUE(h.engine.PutRule(r).ok());
    Target t = MakeTarget("q", "arn:aws:sqs:us-east-1:000000000000:alerts");
    t.input_transformer = InputTransformer{{{"amt", "$.detail.amount"}, {"who", "$.detail.user"}},
                                           R"({"text":"<who> paid <amt>","rule":"<aws.events.rule-name>"})"};
    ASSERT_TRUE(h.engine.PutTargets("big-payments", "default", {t}).ok());
    auto res = h.engine.PutEvents({{"cardsim.payments", "Payment", R"({"amount":150000,"user":"u1"})", {}, "default", {}},
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
    ASSERT_TRUE(h.engine.PutRule(r).ok());
    Target t = MakeTarget("w", "arn:aws:sqs:us-east-1:000000000000:work");
    t.retry_policy.maximum_retry_attempts = 3;
    t.dead_letter_arn = "arn:aws:sqs:us-east-1:000000000000:dlq";
    t.input_path = "$.detail";
    ASSERT_TRUE(h.engine.PutTargets("r", "default", {t}).ok());
    h.engine.PutEvents({{"x", "t", R"({"n":1})", {}, "default", {}}});
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
    ASSERT_TRUE(h.engine.PutRule(r).ok());
    Target t = MakeTarget("f", "arn:aws:lambda:us-east-1:000000000000:function:audit");
    t.input = R"({"fixed":true})";
    ASSERT_TRUE(h.engine.PutTargets("r", "default", {t}).ok());
    h.engine.PutEvents({{"s", "CardIssued", "{}", {}, "default", {}}});
    h.clock.RunToQuiescence();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0], Json::parse(R"({"fixed":true})"));
}

TEST(EventsEngine, BadInputIsRejectedWithTheAwsErrorKinds) {
    Harness h;
    PutRuleRequest r;
    r.name = "r";
    r.schedule_expression = "cron(0 3 * * * *)";
    EXPECT_EQ(h.engine.PutRule(r).error().code, EventsErrorCode::kValidation);
    r.schedule_expression.reset();
    r.event_pattern = R"({"source":"x"})";
    EXPECT_EQ(h.engine.PutRule(r).error().code, EventsErrorCode::kInvalidEventPattern);
    EXPECT_EQ(h.engine.DescribeRule("nope", "default").error().code, EventsErrorCode::kResourceNotFound);
    r.event_pattern = R"({"source":["x"]})";
    ASSERT_TRUE(h.engine.PutRule(r).ok());
    auto put = h.engine.PutTargets("r", "default", {MakeTarget("t", "arn:aws:sns:us-east-1:000000000000:topic")});
    ASSERT_TRUE(put.ok());
    ASSERT_EQ(put->size(), 1u);
    ASSERT_TRUE(h.engine.PutTargets("r", "default", {MakeTarget("q", "arn:aws:sqs:us-east-1:000000000000:q")}).ok());
    EXPECT_EQ(h.engine.DeleteRule("r", "default", false).error().code, EventsErrorCode::kValidation);
    EXPECT_TRUE(h.engine.DeleteRule("r", "default", true).ok());
}

}  // namespace
}  // namespace sim::aws::events
