#pragma once
// All time goes through Clock (DESIGN, "Time"). Nothing else reads the system clock or sleeps.

#include <cstdint>
#include <string_view>

#include "sim/core/event_loop.hpp"
#include "sim/core/time.hpp"

namespace sim::clock {

using core::Duration;
using core::Task;
using core::TimePoint;

/// Identifies a scheduled timer; 0 is never a valid id.
using TimerId = std::uint64_t;

enum class ClockMode { kReal, kVirtual };
std::string_view ToString(ClockMode mode);

class Clock {
public:
    virtual ~Clock() = default;

    virtual TimePoint Now() const = 0;
    /// Runs `task` on the event loop at `at` (immediately-due if `at` is not after Now()).
    /// Timers due at the same time fire in the order they were scheduled.
    virtual TimerId Schedule(TimePoint at, Task task) = 0;
    TimerId ScheduleAfter(Duration delay, Task task) { return Schedule(Now() + delay, std::move(task)); }
    /// Cancels a pending timer; returns false if it already fired, was cancelled, or never existed.
    virtual bool Cancel(TimerId id) = 0;
    virtual ClockMode Mode() const = 0;
};

}  // namespace sim::clock
