#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>

#include "sim/clock/clock.hpp"

namespace sim::clock {

/// Timers ordered by (time, scheduling order): equal times fire first-in first-out.
class TimerQueue {
public:
    TimerId Add(TimePoint at, Task task);
    bool Cancel(TimerId id);
    /// Earliest pending deadline, if any.
    std::optional<TimePoint> NextDeadline() const;
    /// Removes and returns the earliest timer if it is due at or before `now`.
    std::optional<std::pair<TimePoint, Task>> PopDue(TimePoint now);
    std::size_t size() const { return by_time_.size(); }

private:
    using Key = std::pair<TimePoint, TimerId>;  // ids grow, so they order equal times by arrival
    std::map<Key, Task> by_time_;
    std::unordered_map<TimerId, TimePoint> deadline_of_;
    TimerId next_id_ = 1;
};

}  // namespace sim::clock
