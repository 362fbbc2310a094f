#pragma once
// A small pool of threads for work that blocks (large blob I/O) and reports back to the event loop
// (DESIGN, "Architecture": "Work that blocks goes to a small pool and reports back").
//
//   pool.Submit([writer] { hash and write 1 GiB; },             // a pool thread
//               [respond](std::exception_ptr failed) { ... });  // the loop, afterwards
//
// The work must touch no loop-owned state (engines, databases, the clock): it gets what it needs
// by value or through objects no one else uses until `done` runs. `done` runs on the loop thread.
//
// Inline mode (0 threads) keeps runs on the virtual clock deterministic: the work runs on the
// caller's thread inside Submit and `done` is posted to the loop, so it is ready work that the
// virtual clock's quiescence already waits for; no other thread ever runs.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "sim/core/event_loop.hpp"

namespace sim::core {

class WorkPool {
public:
    /// Called on the loop with the exception the work threw, or nullptr when it finished.
    using Done = std::function<void(std::exception_ptr failure)>;

    /// `threads` == 0: inline mode (see the header comment). `loop` must outlive the pool.
    WorkPool(EventLoop& loop, std::size_t threads);
    /// Finishes the work already submitted (posting its completions), then joins the threads.
    ~WorkPool();
    WorkPool(const WorkPool&) = delete;
    WorkPool& operator=(const WorkPool&) = delete;

    /// Runs `work` on a pool thread (inline mode: now, on this thread), then posts `done` to the
    /// loop. Thread-safe.
    void Submit(Task work, Done done);

    /// 0 in inline mode.
    std::size_t threads() const { return threads_.size(); }

private:
    struct Job {
        Task work;
        Done done;
    };
    void RunJob(Job& job);
    void ThreadMain();

    EventLoop& loop_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> jobs_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace sim::core
