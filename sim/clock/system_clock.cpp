#include "sim/clock/system_clock.hpp"

namespace sim::clock {

TimePoint SystemClock::Now() const { return std::chrono::system_clock::now(); }

TimerId SystemClock::Schedule(TimePoint at, Task task) {
    TimerId id = next_id_++;
    auto delay = std::max(Duration::zero(), std::chrono::duration_cast<Duration>(at - Now()));
    loop_timer_of_[id] = loop_.StartRealTimer(delay, [this, id, task = std::move(task)] {
        loop_timer_of_.erase(id);
        task();
    });
    return id;
}

bool SystemClock::Cancel(TimerId id) {
    auto it = loop_timer_of_.find(id);
    if (it == loop_timer_of_.end()) return false;
    loop_.CancelRealTimer(it->second);
    loop_timer_of_.erase(it);
    return true;
}

}  // namespace sim::clock
