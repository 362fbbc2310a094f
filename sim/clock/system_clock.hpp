#pragma once

#include <unordered_map>

#include "sim/clock/clock.hpp"

namespace sim::clock {

/// Wall-clock time; timers are real timers on the event loop.
class SystemClock final : public Clock {
public:
    explicit SystemClock(core::EventLoop& loop) : loop_(loop) {}

    TimePoint Now() const override;
    TimerId Schedule(TimePoint at, Task task) override;
    bool Cancel(TimerId id) override;
    ClockMode Mode() const override { return ClockMode::kReal; }

private:
    core::EventLoop& loop_;
    std::unordered_map<TimerId, std::uint64_t> loop_timer_of_;  // our id -> the loop's real timer
    TimerId next_id_ = 1;
};

}  // namespace sim::clock
