#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <vector>

#include "sim/core/event_loop.hpp"

namespace sim::core {

/// An EventLoop without sockets, driven by whoever owns it (the virtual clock, a test).
/// Real timers are kept but only fire through RunRealTimersDue (tests) — in-process runs never
/// wait on real time.
class ManualLoop final : public EventLoop {
public:
    void Post(Task task) override;
    std::size_t RunReady() override;
    std::uint64_t StartRealTimer(std::chrono::nanoseconds delay, Task task) override;
    void CancelRealTimer(std::uint64_t id) override;

    /// Number of real timers pending (for tests).
    std::size_t PendingRealTimers() const { return real_timers_.size(); }
    /// Fires all real timers regardless of their delay, in start order (for tests).
    void FireAllRealTimers();

private:
    std::mutex mutex_;  // Post is thread-safe; everything else is loop-thread only
    std::deque<Task> ready_;
    std::map<std::uint64_t, Task> real_timers_;
    std::uint64_t next_timer_id_ = 1;
};

}  // namespace sim::core
