#pragma once
// The single event-loop thread all simulator state lives on (DESIGN, "Architecture").
// Two implementations: ManualLoop (sim/core, no I/O: in-process runs on the virtual clock) and
// AsioLoop (sim/http: sockets, real timers, signals).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>

namespace sim::core {

using Task = std::function<void()>;

class EventLoop {
public:
    virtual ~EventLoop() = default;

    /// Queues `task` to run on the loop thread after the work already queued. Thread-safe.
    virtual void Post(Task task) = 0;

    /// Runs every task that is ready now, including tasks they post, without waiting for I/O or
    /// timers; returns how many ran. 0 means the loop is quiescent. Loop thread only.
    virtual std::size_t RunReady() = 0;

    /// Runs `task` on the loop after `delay` of real (monotonic) time. Only SystemClock and
    /// connection timeouts use this; simulated time goes through sim::clock::Clock.
    /// Returns an id for CancelRealTimer.
    virtual std::uint64_t StartRealTimer(std::chrono::nanoseconds delay, Task task) = 0;
    /// Cancels a timer that has not fired yet; unknown or fired ids are ignored.
    virtual void CancelRealTimer(std::uint64_t id) = 0;
};

}  // namespace sim::core
