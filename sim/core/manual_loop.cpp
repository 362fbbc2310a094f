#include "sim/core/manual_loop.hpp"

namespace sim::core {

void ManualLoop::Post(Task task) {
    std::lock_guard lock(mutex_);
    ready_.push_back(std::move(task));
}

std::size_t ManualLoop::RunReady() {
    std::size_t ran = 0;
    for (;;) {
        Task task;
        {
            std::lock_guard lock(mutex_);
            if (ready_.empty()) break;
            task = std::move(ready_.front());
            ready_.pop_front();
        }
        task();
        ++ran;
    }
    return ran;
}

std::uint64_t ManualLoop::StartRealTimer(std::chrono::nanoseconds /*delay*/, Task task) {
    auto id = next_timer_id_++;
    real_timers_.emplace(id, std::move(task));
    return id;
}

void ManualLoop::CancelRealTimer(std::uint64_t id) { real_timers_.erase(id); }

void ManualLoop::FireAllRealTimers() {
    auto timers = std::move(real_timers_);
    real_timers_.clear();
    for (auto& [id, task] : timers) task();
}

}  // namespace sim::core
