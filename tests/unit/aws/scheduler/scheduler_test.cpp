#include <gtest/gtest.h>

#include "sim/aws/scheduler/engine/scheduler_engine.hpp"
#include "sim/clock/virtual_clock.hpp"
#include "sim/core/manual_loop.hpp"
#include "sim/store/database.hpp"
#include "sim/store/group_commit.hpp"

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
    std::unique_ptr<store::Database> db = store::Database::Open(":memory:").value();
    store::GroupCommit group{loop};
    bool attached = (group.Attach(*db), true);
    std::unique_ptr<SchedulerEngine> owned = Open();
    SchedulerEngine& engine() { return *owned; }
    std::unique_ptr<SchedulerEngine> Open() {
        return std::make_unique<SchedulerEngine>(clock, delivery, *db, group, "ap-northeast-1", "000000000000", 9);
    }
    /// Stops the engine (what it committed stays), lets `down` pass, and starts it again.
    void Restart(core::Duration down) {
        group.Flush();
        owned.reset();
        clock.Advance(down);
        owned = Open();
    }
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
    ~Harness() {
        owned.reset();
        group.Flush();
        group.Detach(*db);
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
    ASSERT_TRUE(h.engine().CreateSchedule(h.Spec("daily", "cron(0 9 * * ? *)", "Asia/Tokyo")).ok());
    h.clock.Advance(72h);
    ASSERT_EQ(h.calls.size(), 3u);
    EXPECT_EQ(h.calls[0].first, T("2027-01-01T00:00:00Z") + 24h);  // 09:00 JST Jan 2 (Jan 1 09:00 JST was exactly now)
    EXPECT_EQ(h.calls[0].second["MessageBody"], R"({"job":"daily"})");
}

TEST(SchedulerEngine, CronInNewYorkFollowsDst) {
    Harness h;
    h.clock.AdvanceTo(T("2027-03-12T00:00:00Z"));
    ASSERT_TRUE(h.engine().CreateSchedule(h.Spec("ny", "cron(0 8 * * ? *)", "America/New_York")).ok());
    h.clock.Advance(72h);
    ASSERT_EQ(h.calls.size(), 3u);
    EXPECT_EQ(h.calls[0].first, T("2027-03-12T13:00:00Z"));  // EST
    EXPECT_EQ(h.calls[2].first, T("2027-03-14T12:00:00Z"));  // EDT
}

TEST(SchedulerEngine, AtScheduleFiresOnceAndDeletesItselfWhenAsked) {
    Harness h;
    auto s = h.Spec("once", "at(2027-01-01T10:30:00)", "Asia/Tokyo");
    s.delete_after_completion = true;
    ASSERT_TRUE(h.engine().CreateSchedule(s).ok());
    h.clock.Advance(24h);
    ASSERT_EQ(h.calls.size(), 1u);
    EXPECT_EQ(h.calls[0].first, T("2027-01-01T01:30:00Z"));
    EXPECT_FALSE(h.engine().GetSchedule("once", "default").ok());
}

TEST(SchedulerEngine, RateRespectsStartAndEndDates) {
    Harness h;
    auto s = h.Spec("r", "rate(1 hour)");
    s.start_date = T("2027-01-01T05:00:00Z");
    s.end_date = T("2027-01-01T08:00:00Z");
    ASSERT_TRUE(h.engine().CreateSchedule(s).ok());
    h.clock.Advance(24h);
    ASSERT_EQ(h.calls.size(), 4u);  // 05, 06, 07, 08
    EXPECT_EQ(h.calls[0].first, T("2027-01-01T05:00:00Z"));
    EXPECT_EQ(h.calls[3].first, T("2027-01-01T08:00:00Z"));
}

TEST(SchedulerEngine, RateWithoutStartDateStartsAtOnce) {
    Harness h;
    ASSERT_TRUE(h.engine().CreateSchedule(h.Spec("now", "rate(1 day)")).ok());
    h.clock.Advance(48h);
    ASSERT_EQ(h.calls.size(), 3u);  // at creation, then +24 h, +48 h
    EXPECT_EQ(h.calls[0].first, T("2027-01-01T00:00:00Z"));
}

TEST(SchedulerEngine, FlexibleWindowDelaysWithinTheWindow) {
    Harness h;
    auto s = h.Spec("flex", "cron(0 12 * * ? *)");
    s.flexible = true;
    s.maximum_window_minutes = 15;
    ASSERT_TRUE(h.engine().CreateSchedule(s).ok());
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
    ASSERT_TRUE(h.engine().CreateSchedule(s).ok());
    h.clock.Advance(1h);
    ASSERT_EQ(h.calls.size(), 4u);
    EXPECT_EQ(h.calls[3].second["MessageAttributes"]["SCHEDULE_ARN"]["StringValue"],
              "arn:aws:scheduler:ap-northeast-1:000000000000:schedule/default/d");
}

TEST(SchedulerEngine, GroupsAndBadInput) {
    Harness h;
    EXPECT_EQ(h.engine().CreateSchedule(h.Spec("x", "cron(0 9 * * * *)")).error().code, SchedulerErrorCode::kValidation);
    EXPECT_EQ(h.engine().CreateSchedule(h.Spec("x", "rate(1 day)", "Mars/Base")).error().code, SchedulerErrorCode::kValidation);
    auto s = h.Spec("x", "rate(1 day)");
    s.group = "batch";
    EXPECT_EQ(h.engine().CreateSchedule(s).error().code, SchedulerErrorCode::kResourceNotFound);
    ASSERT_TRUE(h.engine().CreateScheduleGroup("batch").ok());
    ASSERT_TRUE(h.engine().CreateSchedule(s).ok());
    EXPECT_EQ(h.engine().CreateSchedule(s).error().code, SchedulerErrorCode::kConflict);
    EXPECT_EQ(h.engine().ListSchedules("batch", "", "").items.size(), 1u);
    ASSERT_TRUE(h.engine().DeleteScheduleGroup("batch").ok());
    EXPECT_TRUE(h.engine().ListSchedules("", "", "").items.empty());
    EXPECT_EQ(h.engine().DeleteScheduleGroup("default").error().code, SchedulerErrorCode::kValidation);
}

TEST(SchedulerEngine, SchedulesAndGroupsSurviveARestart) {
    Harness h;
    ASSERT_TRUE(h.engine().CreateScheduleGroup("batch").ok());
    auto s = h.Spec("tokyo-9", "cron(0 9 * * ? *)", "Asia/Tokyo");
    s.group = "batch";
    s.description = "morning";
    s.target.retry_policy.maximum_retry_attempts = 3;
    s.target.dead_letter_arn = "arn:aws:sqs:ap-northeast-1:000000000000:dlq";
    s.end_date = T("2027-02-01T00:00:00Z");
    ASSERT_TRUE(h.engine().CreateSchedule(s).ok());
    auto created = h.engine().GetSchedule("tokyo-9", "batch").value();
    h.Restart(0h);
    auto info = h.engine().GetSchedule("tokyo-9", "batch");
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->arn, created.arn);
    EXPECT_EQ(info->creation_date, created.creation_date);
    EXPECT_EQ(info->spec.description, "morning");
    EXPECT_EQ(info->spec.timezone, "Asia/Tokyo");
    EXPECT_EQ(info->spec.end_date, s.end_date);
    EXPECT_EQ(info->spec.target.retry_policy.maximum_retry_attempts, 3);
    EXPECT_EQ(info->spec.target.dead_letter_arn, s.target.dead_letter_arn);
    EXPECT_EQ(info->spec.target.input, s.target.input);
    EXPECT_TRUE(h.engine().GetScheduleGroup("batch").ok());
    h.clock.Advance(48h);
    EXPECT_EQ(h.calls.size(), 2u);  // 09:00 JST on Jan 2 and Jan 3
}

TEST(SchedulerEngine, RecurringFiringsMissedWhileDownAreSkipped) {
    Harness h;
    ASSERT_TRUE(h.engine().CreateSchedule(h.Spec("hourly", "rate(1 hour)")).ok());
    h.clock.Advance(90min);  // 00:00 (at once) and 01:00
    ASSERT_EQ(h.calls.size(), 2u);
    h.Restart(5h);  // 06:30: 02:00 .. 06:00 were due meanwhile
    EXPECT_EQ(h.calls.size(), 2u);
    EXPECT_EQ(h.engine().GetSchedule("hourly", "default")->next_fire, T("2027-01-01T07:00:00Z"));
    h.clock.Advance(1h);
    ASSERT_EQ(h.calls.size(), 3u);
    EXPECT_EQ(h.calls[2].first, T("2027-01-01T07:00:00Z"));
    h.clock.Advance(1h);  // 08:00 fires exactly at the time the process stops and starts again
    ASSERT_EQ(h.calls.size(), 4u);
    h.Restart(0h);
    h.clock.Advance(0s);
    EXPECT_EQ(h.calls.size(), 4u);  // not twice
    h.clock.Advance(1h);
    EXPECT_EQ(h.calls.size(), 5u);
}

TEST(SchedulerEngine, OneTimeScheduleFiresOnceAcrossRestarts) {
    Harness h;
    ASSERT_TRUE(h.engine().CreateSchedule(h.Spec("done", "at(2027-01-01T01:00:00)")).ok());
    ASSERT_TRUE(h.engine().CreateSchedule(h.Spec("missed", "at(2027-01-01T03:00:00)")).ok());
    h.clock.Advance(2h);
    ASSERT_EQ(h.calls.size(), 1u);  // "done" at 01:00
    h.Restart(3h);  // 05:00: "missed" was due at 03:00 while down
    h.clock.Advance(0s);  // timers due now
    ASSERT_EQ(h.calls.size(), 2u);  // "missed" fires once, late, at start; "done" does not fire again
    EXPECT_EQ(h.calls[1].first, T("2027-01-01T05:00:00Z"));
    h.Restart(1h);
    h.clock.Advance(24h);
    EXPECT_EQ(h.calls.size(), 2u);
}

TEST(SchedulerEngine, ListingsArePaged) {
    Harness h;
    for (const char* g : {"g2", "g1"}) ASSERT_TRUE(h.engine().CreateScheduleGroup(g).ok());
    for (const char* n : {"c", "a", "b"}) {
        auto s = h.Spec(n, "rate(1 day)");
        s.group = "g1";
        ASSERT_TRUE(h.engine().CreateSchedule(s).ok());
    }
    auto first = h.engine().ListSchedules("g1", "", "", "", 2);
    ASSERT_EQ(first.items.size(), 2u);
    EXPECT_EQ(first.items[0].spec.name, "a");
    ASSERT_TRUE(first.next);
    auto rest = h.engine().ListSchedules("g1", "", "", *first.next, 2);
    ASSERT_EQ(rest.items.size(), 1u);
    EXPECT_EQ(rest.items[0].spec.name, "c");
    EXPECT_FALSE(rest.next);
    auto groups = h.engine().ListScheduleGroups("", "", 2);
    ASSERT_EQ(groups.items.size(), 2u);
    EXPECT_EQ(groups.items[0].name, "default");
    EXPECT_EQ(h.engine().ListScheduleGroups("", *groups.next, 2).items.at(0).name, "g2");
}

}  // namespace
}  // namespace sim::aws::scheduler
