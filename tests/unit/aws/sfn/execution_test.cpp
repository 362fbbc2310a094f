#include <gtest/gtest.h>

#include "sim/aws/sfn/asl/execution.hpp"

namespace sim::aws::sfn::asl {
namespace {

template <typename T>
std::vector<T> Only(const std::vector<Effect>& effects) {
    std::vector<T> out;
    for (const auto& e : effects) {
        if (auto* x = std::get_if<T>(&e)) out.push_back(*x);
    }
    return out;
}

std::shared_ptr<const StateMachine> Machine(const char* text) {
    auto m = ParseDefinition(std::string_view(text));
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().Message());
    return *m;
}

const TimePoint kT0 = core::FromEpochMillis(1'700'000'000'000);

TEST(Execution, TaskIsAnEffectAndItsResultResumes) {
    auto m = Machine(R"J({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:fn","End":true}}})J");
    Execution ex(m, ExecutionInfo{}, Json{{"a", 1}}, 1);
    auto effects = ex.Start(kT0);
    auto tasks = Only<InvokeTask>(effects);
    ASSERT_EQ(tasks.size(), 1u);
    EXPECT_EQ(tasks[0].resource, "arn:fn");
    EXPECT_EQ(tasks[0].parameters, Json({{"a", 1}}));
    EXPECT_EQ(ex.status(), ExecutionStatus::kRunning);
    auto done = Only<ExecutionFinished>(ex.TaskSucceeded(tasks[0].task_id, Json{{"b", 2}}, kT0));
    ASSERT_EQ(done.size(), 1u);
    EXPECT_EQ(*done[0].output, Json({{"b", 2}}));
    EXPECT_EQ(ex.status(), ExecutionStatus::kSucceeded);
}

TEST(Execution, WaitAsksToBeWokenAndIgnoresStaleTimers) {
    auto m = Machine(R"J({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":604800,"End":true}}})J");
    Execution ex(m, ExecutionInfo{}, Json::object(), 1);
    auto timers = Only<ScheduleTimer>(ex.Start(kT0));
    ASSERT_EQ(timers.size(), 1u);
    EXPECT_EQ(timers[0].at, kT0 + std::chrono::hours(24 * 7));
    EXPECT_TRUE(ex.TimerFired(timers[0].timer_id + 100, kT0).empty());
    auto effects = ex.TimerFired(timers[0].timer_id, timers[0].at);
    EXPECT_EQ(Only<ExecutionFinished>(effects).size(), 1u);
    EXPECT_TRUE(ex.TimerFired(timers[0].timer_id, timers[0].at).empty());
}

TEST(Execution, StopCancelsTheTaskInFlight) {
    auto m = Machine(R"J({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"r","End":true}}})J");
    Execution ex(m, ExecutionInfo{}, Json::object(), 1);
    auto tasks = Only<InvokeTask>(ex.Start(kT0));
    auto effects = ex.Stop("Stopped", "by test", kT0);
    ASSERT_EQ(Only<CancelTask>(effects).size(), 1u);
    EXPECT_EQ(ex.status(), ExecutionStatus::kAborted);
    EXPECT_TRUE(ex.TaskSucceeded(tasks[0].task_id, Json::object(), kT0).empty());
}

TEST(Execution, HistoryEventsCarryIdsAndTimes) {
    auto m = Machine(R"J({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})J");
    Execution ex(m, ExecutionInfo{}, Json::object(), 1);
    auto events = Only<HistoryEvent>(ex.Start(kT0));
    ASSERT_EQ(events.size(), 4u);
    EXPECT_EQ(events[0].type, "ExecutionStarted");
    EXPECT_EQ(events[1].type, "PassStateEntered");
    EXPECT_EQ(events[3].type, "ExecutionSucceeded");
    for (std::size_t i = 0; i < events.size(); ++i) {
        EXPECT_EQ(events[i].id, static_cast<std::int64_t>(i + 1));
        EXPECT_EQ(events[i].timestamp, kT0);
    }
    EXPECT_EQ(events[1].previous_event_id, 1);
}

TEST(Execution, SameSeedSameEffects) {
    auto m = Machine(R"J({"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"u.$":"States.UUID()"},"End":true}}})J");
    Execution a(m, ExecutionInfo{}, Json::object(), 9), b(m, ExecutionInfo{}, Json::object(), 9);
    a.Start(kT0);
    b.Start(kT0);
    EXPECT_EQ(*a.output(), *b.output());
}

}  // namespace
}  // namespace sim::aws::sfn::asl
