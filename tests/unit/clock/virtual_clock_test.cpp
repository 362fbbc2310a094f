#include "sim/clock/virtual_clock.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/clock/system_clock.hpp"
#include "sim/core/manual_loop.hpp"

namespace sim::clock {
namespace {

using namespace std::chrono_literals;

TimePoint Start() { return core::ParseIso8601("2027-01-01T00:00:00Z").value(); }

TEST(VirtualClock, TimeStandsStillUntilAdvanced) {
    core::ManualLoop loop;
    VirtualClock clock(loop, Start());
    EXPECT_EQ(clock.Now(), Start());
    clock.Advance(12h);
    EXPECT_EQ(clock.Now(), Start() + 12h);
}

TEST(VirtualClock, StepUntilFiresOneTimerAtATimeThenMovesToTheLimit) {
    core::ManualLoop loop;
    VirtualClock clock(loop, Start());
    std::vector<std::string> fired;
    clock.ScheduleAfter(1s, [&] { fired.push_back("a@1"); });
    clock.ScheduleAfter(2s, [&] { loop.Post([&] { fired.push_back("posted-by-b"); }); });
    clock.ScheduleAfter(9s, [&] { fired.push_back("late@9"); });
    EXPECT_TRUE(clock.StepUntil(Start() + 5s));
    EXPECT_EQ(clock.Now(), Start() + 1s);
    EXPECT_EQ(fired, (std::vector<std::string>{"a@1"}));
    EXPECT_TRUE(clock.StepUntil(Start() + 5s));
    EXPECT_EQ(clock.Now(), Start() + 2s);
    EXPECT_EQ(fired, (std::vector<std::string>{"a@1", "posted-by-b"}));  // ran to quiescence
    EXPECT_FALSE(clock.StepUntil(Start() + 5s));
    EXPECT_EQ(clock.Now(), Start() + 5s);
    EXPECT_FALSE(clock.StepUntil(Start() + 4s));  // a limit in the past never moves time back
    EXPECT_EQ(clock.Now(), Start() + 5s);
    EXPECT_EQ(clock.PendingTimers(), 1u);
}

TEST(VirtualClock, FiresTimersInTimeOrderAndFifoForEqualTimes) {
    core::ManualLoop loop;
    VirtualClock clock(loop, Start());
    std::vector<std::string> fired;
    clock.ScheduleAfter(3s, [&] { fired.push_back("c@3"); });
    clock.ScheduleAfter(1s, [&] { fired.push_back("a@1"); });
    clock.ScheduleAfter(2s, [&] { fired.push_back("b1@2"); });
    clock.ScheduleAfter(2s, [&] { fired.push_back("b2@2"); });
    clock.ScheduleAfter(2s, [&] { fired.push_back("b3@2"); });
    clock.Advance(10s);
    EXPECT_EQ(fired, (std::vector<std::string>{"a@1", "b1@2", "b2@2", "b3@2", "c@3"}));
}

TEST(VirtualClock, TimerSeesItsOwnDeadlineAsNow) {
    core::ManualLoop loop;
    VirtualClock clock(loop, Start());
    TimePoint seen{};
    clock.ScheduleAfter(90min, [&] { seen = clock.Now(); });
    clock.Advance(5h);
    EXPECT_EQ(seen, Start() + 90min);
    EXPECT_EQ(clock.Now(), Start() + 5h);
}

TEST(VirtualClock, RunsTheLoopToQuiescenceBeforeTheNextTimer) {
    core::ManualLoop loop;
    VirtualClock clock(loop, Start());
    std::vector<std::string> order;
    // The first timer starts a chain of posted work; all of it must finish before the second timer.
    clock.ScheduleAfter(1s, [&] {
        order.push_back("timer1");
        loop.Post([&] {
            order.push_back("work1");
            loop.Post([&] { order.push_back("work2"); });
        });
    });
    clock.ScheduleAfter(2s, [&] { order.push_back("timer2"); });
    clock.Advance(5s);
    EXPECT_EQ(order, (std::vector<std::string>{"timer1", "work1", "work2", "timer2"}));
}

TEST(VirtualClock, TimersScheduledDuringAnAdvanceFireInTheSameAdvanceWhenDue) {
    core::ManualLoop loop;
    VirtualClock clock(loop, Start());
    int ticks = 0;
    std::function<void()> tick = [&] {
        ++ticks;
        clock.ScheduleAfter(1h, tick);
    };
    clock.ScheduleAfter(1h, tick);
    clock.Advance(24h);  // a "daily" chain: fires at 1h, 2h, ..., 24h
    EXPECT_EQ(ticks, 24);
}

TEST(VirtualClock, CancelledTimerNeverFires) {
    core::ManualLoop loop;
    VirtualClock clock(loop, Start());
    bool fired = false;
    TimerId id = clock.ScheduleAfter(1s, [&] { fired = true; });
    EXPECT_TRUE(clock.Cancel(id));
    EXPECT_FALSE(clock.Cancel(id));
    clock.Advance(1min);
    EXPECT_FALSE(fired);
    EXPECT_EQ(clock.PendingTimers(), 0u);
}

TEST(VirtualClock, TimerScheduledInThePastFiresAtNextAdvance) {
    core::ManualLoop loop;
    VirtualClock clock(loop, Start());
    bool fired = false;
    clock.Schedule(Start() - 1h, [&] { fired = true; });
    clock.Advance(0s);
    EXPECT_TRUE(fired);
}

TEST(VirtualClock, RefusesToGoBackInTime) {
    core::ManualLoop loop;
    VirtualClock clock(loop, Start());
    clock.Advance(1h);
    EXPECT_THROW(clock.AdvanceTo(Start()), std::invalid_argument);
}

TEST(VirtualClock, RefusesNestedAdvance) {
    core::ManualLoop loop;
    VirtualClock clock(loop, Start());
    bool threw = false;
    clock.ScheduleAfter(1s, [&] {
        try {
            clock.Advance(1s);
        } catch (const std::logic_error&) {
            threw = true;
        }
    });
    clock.Advance(2s);
    EXPECT_TRUE(threw);
}

TEST(VirtualClock, RunUntilStopsWhereTheConditionBecomesTrue) {
    core::ManualLoop loop;
    VirtualClock clock(loop, Start());
    bool shipped = false;
    clock.ScheduleAfter(72h, [&] { loop.Post([&] { shipped = true; }); });
    clock.ScheduleAfter(100h, [] {});
    bool held = clock.RunUntil([&] { return shipped; }, Start() + 240h);
    EXPECT_TRUE(held);
    EXPECT_EQ(clock.Now(), Start() + 72h);
    EXPECT_EQ(clock.PendingTimers(), 1u);
}

TEST(VirtualClock, RunUntilGivesUpAtTheDeadline) {
    core::ManualLoop loop;
    VirtualClock clock(loop, Start());
    bool fired = false;
    clock.ScheduleAfter(10min, [&] { fired = true; });
    bool held = clock.RunUntil([] { return false; }, Start() + 5min);
    EXPECT_FALSE(held);
    EXPECT_EQ(clock.Now(), Start() + 5min);
    EXPECT_FALSE(fired);
}

TEST(SystemClock, TimersGoThroughTheLoopsRealTimersAndCanBeCancelled) {
    core::ManualLoop loop;
    SystemClock clock(loop);
    int fired = 0;
    clock.ScheduleAfter(1h, [&] { ++fired; });
    TimerId cancelled = clock.ScheduleAfter(1h, [&] { fired += 100; });
    EXPECT_EQ(loop.PendingRealTimers(), 2u);
    EXPECT_TRUE(clock.Cancel(cancelled));
    loop.FireAllRealTimers();
    EXPECT_EQ(fired, 1);
    EXPECT_EQ(clock.Mode(), ClockMode::kReal);
}

}  // namespace
}  // namespace sim::clock
