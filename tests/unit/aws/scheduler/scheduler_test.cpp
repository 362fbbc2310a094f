#include <gtest/gtest.h>

#include "sim/aws/scheduler/engine/scheduler_engine.hpp"
#include "sim/clock/virtual_clock.hpp"
#include "sim/core/manual_loop.hpp"

namespace sim::aws::scheduler {
namespace {

using namespace std::chrono_literals;
using events::Json;

core::TimePoint T(const char* iso) { return core::ParseIso8601(iso).value(); }

struct Harness {
    core::ManualLoop loop;
    clock::VirtualClock clock{loop, T("2027-01-01T00:00:00Z")};
    core::Transport transport{loop, nullptr};
    lambda::FunctionRegistry functions;
    events::TargetDelivery delivery{loop, clock, transport, functions, 5};
    SchedulerEngine engine{clock, delivery, "ap-northeast-1", "000000000000", 9};
    std::vector<std::pair<core::TimePoint, Json>> calls;
    bool fail = false;

    Harness() {
        transport.RegisterInProcess("aws", [this](core::Request r, core::Respond respond) {
            Json body = Json::parse(r.body);
            body["_target"] = std::string(r.headers.Get("X-Amz-Target").value_or(""));
            calls.emplace_back(clock.Now(), body);
            if (fail && body["QueueUrl"].get<std::string>().find("dlq") == std::string::npos)
                return respond(core::Response::Json(400, {{"__type", "QueueDoesNotExist"}, {"message", "gone"}}));
            respond(core::Response::Json(200, Json::object()));
        });
    }
    ScheduleSpec Spec(std::string name, std::string expr, std::string tz = "UTC") {
        ScheduleSpec s;
        s.name = std::move(name);
        s.expression = std::move(expr);
        s.timezone = std::move(tz);
        s.target.arn = "arn:aws:sqs:ap-northeast-1:000000000000:jobs";
        s.target.input = R"({"job":"daily"})";
        return s;
    }
};

TEST(SchedulerEngine, CronInTokyoFiresAtLocalWallTime) {
    Harness h;
    ASSERT_TRUE(h.engine.CreateSchedule(h.Spec("daily", "cron(0 9 * * ? *)", "Asia/Tokyo")).ok());
    h.clock.Advance(72h);
    ASSERT_EQ(h.calls.size(), 3u);
    EXPECT_EQ(h.calls[0].first, T("2027-01-01T00:00:00Z") + 24h);  // 09:00 JST Jan 2 (Jan 1 09:00 JST was exactly now)
    EXPECT_EQ(h.calls[0].second["MessageBody"], R"({"job":"daily"})");
}

TEST(SchedulerEngine, CronInNewYorkFollowsDst) {
    Harness h;
    h.clock.AdvanceTo(T("2027-03-12T00:00:00Z"));
    ASSERT_TRUE(h.engine.CreateSchedule(h.Spec("ny", "cron(0 8 * * ? *)", "America/New_York")).ok());
    h.clock.Advance(72h);
    ASSERT_EQ(h.calls.size(), 3u);
    EXPECT_EQ(h.calls[0].first, T("2027-03-12T13:00:00Z"));  // EST
    EXPECT_EQ(h.calls[2].first, T("2027-03-14T12:00:00Z"));  // EDT
}

TEST(SchedulerEngine, AtScheduleFiresOnceAndDeletesItselfWhenAsked) {
    Harness h;
    auto s = h.Spec("once", "at(2027-01-01T10:30:00)", "Asia/Tokyo");
    s.delete_after_completion = true;
    ASSERT_TRUE(h.engine.CreateSchedule(s).ok());
    h.clock.Advance(24h);
    ASSERT_EQ(h.calls.size(), 1u);
    EXPECT_EQ(h.calls[0].first, T("2027-01-01T01:30:00Z"));
    EXPECT_FALSE(h.engine.GetSchedule("once", "default").ok());
}

TEST(SchedulerEngine, RateRespectsStartAndEndDates) {
    Harness h;
    auto s = h.Spec("r", "rate(1 hour)");
    s.start_date = T("2027-01-01T05:00:00Z");
    s.end_date = T("2027-01-01T08:00:00Z");
    ASSERT_TRUE(h.engine.CreateSchedule(s).ok());
    h.clock.Advance(24h);
    ASSERT_EQ(h.calls.size(), 4u);  // 05, 06, 07, 08
    EXPECT_EQ(h.calls[0].first, T("2027-01-01T05:00:00Z"));
    EXPECT_EQ(h.calls[3].first, T("2027-01-01T08:00:00Z"));
}

TEST(SchedulerEngine, RateWithoutStartDateStartsAtOnce) {
    Harness h;
    ASSERT_TRUE(h.engine.CreateSchedule(h.Spec("now", "rate(1 day)")).ok());
    h.clock.Advance(48h);
    ASSERT_EQ(h.calls.size(), 3u);  // at creation, then +24 h, +48 h
    EXPECT_EQ(h.calls[0].first, T("2027-01-01T00:00:00Z"));
}

TEST(SchedulerEngine, FlexibleWindowDelaysWithinTheWindow) {
    Harness h;
    auto s = h.Spec("flex", "cron(0 12 * * ? *)");
    s.flexible = true;
    s.maximum_window_minutes = 15;
    ASSERT_TRUE(h.engine.CreateSchedule(s).ok());
    h.clock.Advance(10 * 24h);
    ASSERT_EQ(h.calls.size(), 10u);
    for (const auto& [at, body] : h.calls) {
        auto since_noon = (at - T("2027-01-01T12:00:00Z")) % 24h;
        EXPECT_LT(since_noon, 15min);
    }
}

TEST(SchedulerEngine, FailedTargetGoesToTheDeadLetterQueueAfterRetries) {
    Harness h;
    h.fail = true;
    auto s = h.Spec("d", "at(2027-01-01T00:10:00)");
    s.target.retry_policy.maximum_retry_attempts = 2;
    s.target.dead_letter_arn = "arn:aws:sqs:ap-northeast-1:000000000000:dlq";
    ASSERT_TRUE(h.engine.CreateSchedule(s).ok());
    h.clock.Advance(1h);
    ASSERT_EQ(h.calls.size(), 4u);
    EXPECT_EQ(h.calls[3].second["MessageAttributes"]["SCHEDULE_ARN"]["StringValue"],
              "arn:aws:scheduler:ap-northeast-1:000000000000:schedule/default/d");
}

TEST(SchedulerEngine, GroupsAndBadInput) {
    Harness h;
    EXPECT_EQ(h.engine.CreateSchedule(h.Spec("x", "cron(0 9 * * * *)")).error().code, SchedulerErrorCode::kValidation);
    EXPECT_EQ(h.engine.CreateSchedule(h.Spec("x", "rate(1 day)", "Mars/Base")).error().code, SchedulerErrorCode::kValidation);
    auto s = h.Spec("x", "rate(1 day)");
    s.group = "batch";
    EXPECT_EQ(h.engine.CreateSchedule(s).error().code, SchedulerErrorCode::kResourceNotFound);
    ASSERT_TRUE(h.engine.CreateScheduleGroup("batch").ok());
    ASSERT_TRUE(h.engine.CreateSchedule(s).ok());
    EXPECT_EQ(h.engine.CreateSchedule(s).error().code, SchedulerErrorCode::kConflict);
    EXPECT_EQ(h.engine.ListSchedules("batch", "", "").size(), 1u);
    ASSERT_TRUE(h.engine.DeleteScheduleGroup("batch").ok());
    EXPECT_TRUE(h.engine.ListSchedules("", "", "").empty());
    EXPECT_EQ(h.engine.DeleteScheduleGroup("default").error().code, SchedulerErrorCode::kValidation);
}

}  // namespace
}  // namespace sim::aws::scheduler
