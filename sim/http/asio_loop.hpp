#pragma once
// The production EventLoop: Boost.Asio underneath, kept out of this header so no other module
// sees Asio (CONVENTIONS: Beast and Asio headers stay inside sim/http's .cpp files).
// Supported: thread-safe Post; RunReady from inside any handler (VirtualClock advancing while an
// HTTP request is served) — posted tasks sit in a queue of our own, so RunReady never re-enters
// io_context::run; real timers; SIGINT/SIGTERM. A task that throws is logged and the loop goes on.
// Limitations: one thread only (Run on several threads is not supported); StartRealTimer and
// CancelRealTimer are loop-thread only.

#include <functional>
#include <memory>

#include "sim/core/event_loop.hpp"

namespace sim::http {

class AsioLoop final : public core::EventLoop {
public:
    AsioLoop();
    ~AsioLoop() override;
    AsioLoop(const AsioLoop&) = delete;
    AsioLoop& operator=(const AsioLoop&) = delete;

    void Post(core::Task task) override;
    std::size_t RunReady() override;
    std::uint64_t StartRealTimer(std::chrono::nanoseconds delay, core::Task task) override;
    void CancelRealTimer(std::uint64_t id) override;

    /// Runs the loop on the calling thread until Stop(). Returns normally after Stop().
    void Run();
    /// Runs ready tasks, then waits at most `max_wait` for one I/O or timer handler and runs it:
    /// for a caller that drives the loop itself (the scenario runner against remote targets).
    /// Returns the number of tasks and handlers run. Loop thread only.
    std::size_t RunFor(std::chrono::nanoseconds max_wait);
    /// Makes Run() return once the current handler finishes. Thread-safe.
    void Stop();
    /// Calls `on_signal(signo)` on the loop for SIGINT and SIGTERM (installed once).
    void OnTerminationSignal(std::function<void(int)> on_signal);

    /// The underlying asio::io_context, for sim/http's own .cpp files (opaque elsewhere).
    void* native_handle();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sim::http
