#include "sim/core/work_pool.hpp"

#include <utility>

namespace sim::core {

WorkPool::WorkPool(EventLoop& loop, std::size_t threads) : loop_(loop) {
    threads_.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { ThreadMain(); });
}

WorkPool::~WorkPool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
}

void WorkPool::Submit(Task work, Done done) {
    Job job{std::move(work), std::move(done)};
    if (threads_.empty()) return RunJob(job);
    {
        std::lock_guard lock(mutex_);
        jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
}

void WorkPool::RunJob(Job& job) {
    std::exception_ptr failure;
    try {
        job.work();
    } catch (...) {
        failure = std::current_exception();  // handed to `done`, which owns the error handling
    }
    // The work's captures are released here, on the thread that ran it; `done` keeps its own.
    job.work = nullptr;
    loop_.Post([done = std::move(job.done), failure] { done(failure); });
}

void WorkPool::ThreadMain() {
    for (;;) {
        Job job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            if (jobs_.empty()) return;  // stopping, and everything submitted has run
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        RunJob(job);
    }
}

}  // namespace sim::core
