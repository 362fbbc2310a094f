#include "sim/clock/timer_queue.hpp"

namespace sim::clock {

std::string_view ToString(ClockMode mode) { return mode == ClockMode::kReal ? "real" : "virtual"; }

TimerId TimerQueue::Add(TimePoint at, Task task) {
    TimerId id = next_id_++;
    by_time_.emplace(Key{at, id}, std::move(task));
    deadline_of_.emplace(id, at);
    return id;
}

bool TimerQueue::Cancel(TimerId id) {
    auto it = deadline_of_.find(id);
    if (it == deadline_of_.end()) return false;
    by_time_.erase(Key{it->second, id});
    deadline_of_.erase(it);
    return true;
}

std::optional<TimePoint> TimerQueue::NextDeadline() const {
    if (by_time_.empty()) return std::nullopt;
    return by_time_.begin()->first.first;
}

std::optional<std::pair<TimePoint, Task>> TimerQueue::PopDue(TimePoint now) {
    if (by_time_.empty() || by_time_.begin()->first.first > now) return std::nullopt;
    auto node = by_time_.extract(by_time_.begin());
    deadline_of_.erase(node.key().second);
    return std::pair{node.key().first, std::move(node.mapped())};
}

}  // namespace sim::clock
