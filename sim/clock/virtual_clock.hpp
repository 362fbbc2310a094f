#pragma once

#include <functional>

#include "sim/clock/clock.hpp"
#include "sim/clock/timer_queue.hpp"

namespace sim::clock {

/// Time stands still until advanced. Advancing fires due timers in time order (FIFO for equal
/// times) and, before each timer and at the end, runs the event loop to quiescence, so cause
/// always precedes effect and a run is repeatable (DESIGN, "Time").
///
/// Loop-thread only. Re-entrant use (a timer task advancing the clock) is refused with
/// std::logic_error: it would reorder time.
class VirtualClock final : public Clock {
public:
    VirtualClock(core::EventLoop& loop, TimePoint start) : loop_(loop), now_(start) {}

    TimePoint Now() const override { return now_; }
    TimerId Schedule(TimePoint at, Task task) override;
    bool Cancel(TimerId id) override;
    ClockMode Mode() const override { return ClockMode::kVirtual; }

    /// Advances by `d` (must be >= 0).
    void Advance(Duration d) { AdvanceTo(now_ + d); }
    /// Advances to `t`; a `t` before Now() throws std::invalid_argument (time never goes back).
    void AdvanceTo(TimePoint t);
    /// Runs ready work until the loop is quiescent; returns how many tasks ran.
    std::size_t RunToQuiescence();
    /// Advances timer by timer until `condition` holds (checked at quiescence) or `deadline` is
    /// reached. Returns whether the condition held; time stops where it became true.
    bool RunUntil(const std::function<bool()>& condition, TimePoint deadline);
    /// One step of an outside await (POST /_sim/clock {"step":...}): fires the earliest timer due
    /// by `limit` and runs to quiescence; returns true. When none is due by `limit`, moves to
    /// `limit` (if later), runs to quiescence and returns false.
    bool StepUntil(TimePoint limit);

    std::size_t PendingTimers() const { return timers_.size(); }

private:
    /// Fires the earliest timer if due by `limit`; returns false when none is.
    bool FireNext(TimePoint limit);

    core::EventLoop& loop_;
    TimePoint now_;
    TimerQueue timers_;
    bool advancing_ = false;
};

}  // namespace sim::clock
