// AsioLoop: core::EventLoop on a boost::asio::io_context.
//
// Posted tasks live in our own deque, not in asio's queue, so RunReady() can drain them from
// anywhere on the loop thread — including from inside an asio handler (VirtualClock::Advance
// called while serving an HTTP request) — without re-entering io_context::run/poll.

#include "sim/http/asio_loop.hpp"

#include <csignal>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

namespace sim::http {

namespace asio = boost::asio;

struct AsioLoop::Impl {
    asio::io_context io{1};
    asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);

    std::mutex mutex;  // guards `ready` and `drain_pending` only: Post is the one thread-safe entry point
    std::deque<core::Task> ready;
    bool drain_pending = false;

    std::map<std::uint64_t, std::unique_ptr<asio::steady_timer>> timers;
    std::uint64_t next_timer_id = 1;

    std::unique_ptr<asio::signal_set> signals;
    std::function<void(int)> on_signal;

    /// Pops the next ready task, or an empty one when none is left.
    core::Task PopReady() {
        std::lock_guard lock(mutex);
        if (ready.empty()) return {};
        core::Task task = std::move(ready.front());
        ready.pop_front();
        return task;
    }

    /// The asio handler behind Post: runs the tasks queued when it starts (tasks they post get
    /// their own drain handler), so socket handlers are not starved by a busy queue.
    /// Invariant: while the deque is non-empty a drain handler is queued in asio or running.
    void Drain() {
        std::size_t batch = 0;
        {
            std::lock_guard lock(mutex);
            drain_pending = false;
            batch = ready.size();
        }
        for (std::size_t i = 0; i < batch; ++i) {
            core::Task task = PopReady();
            if (!task) break;  // a re-entrant RunReady() got there first
            try {
                task();
            } catch (const std::exception& e) {
                // CONVENTIONS: nothing stops the loop; the failure is logged, the next task runs.
                spdlog::error("event loop task threw: {}", e.what());
            } catch (...) {
                spdlog::error("event loop task threw a non-standard exception");
            }
        }
    }

    void WaitForSignal() {
        signals->async_wait([this](const boost::system::error_code& ec, int signo) {
            if (ec) return;
            if (on_signal) on_signal(signo);
            WaitForSignal();
        });
    }
};

AsioLoop::AsioLoop() : impl_(std::make_unique<Impl>()) {}

AsioLoop::~AsioLoop() {
    // Timers and signals first: their pending handlers refer to impl_.
    impl_->signals.reset();
    impl_->timers.clear();
}

void AsioLoop::Post(core::Task task) {
    bool post_drain = false;
    {
        std::lock_guard lock(impl_->mutex);
        impl_->ready.push_back(std::move(task));
        post_drain = !impl_->drain_pending;
        impl_->drain_pending = true;
    }
    if (post_drain) asio::post(impl_->io, [impl = impl_.get()] { impl->Drain(); });
}

std::size_t AsioLoop::RunReady() {
    std::size_t ran = 0;
    while (core::Task task = impl_->PopReady()) {
        task();
        ++ran;
    }
    return ran;
}

std::uint64_t AsioLoop::StartRealTimer(std::chrono::nanoseconds delay, core::Task task) {
    std::uint64_t id = impl_->next_timer_id++;
    auto timer = std::make_unique<asio::steady_timer>(impl_->io);
    timer->expires_after(delay);
    timer->async_wait([impl = impl_.get(), id, task = std::move(task)](const boost::system::error_code& ec) {
        if (ec) return;  // cancelled
        auto it = impl->timers.find(id);
        if (it == impl->timers.end()) return;
        // The timer object is still executing this handler's wrapper: keep it alive until we return.
        std::unique_ptr<asio::steady_timer> self = std::move(it->second);
        impl->timers.erase(it);
        task();
    });
    impl_->timers.emplace(id, std::move(timer));
    return id;
}

void AsioLoop::CancelRealTimer(std::uint64_t id) {
    auto it = impl_->timers.find(id);
    if (it == impl_->timers.end()) return;
    it->second->cancel();
    impl_->timers.erase(it);
}

void AsioLoop::Run() {
    for (;;) {
        try {
            impl_->io.run();
            impl_->io.restart();  // so a later Run() works; a Stop() before Run() still returns at once
            return;
        } catch (const std::exception& e) {
            // A task threw: log it and keep the loop alive (CONVENTIONS: nothing stops the loop).
            spdlog::error("event loop task threw: {}", e.what());
        } catch (...) {
            spdlog::error("event loop task threw a non-standard exception");
        }
    }
}

std::size_t AsioLoop::RunFor(std::chrono::nanoseconds max_wait) {
    std::size_t ran = RunReady();
    if (ran > 0) return ran;
    if (impl_->io.stopped()) impl_->io.restart();
    return impl_->io.run_one_for(max_wait);
}

void AsioLoop::Stop() { impl_->io.stop(); }

void AsioLoop::OnTerminationSignal(std::function<void(int)> on_signal) {
    impl_->on_signal = std::move(on_signal);
    if (impl_->signals) return;
    impl_->signals = std::make_unique<asio::signal_set>(impl_->io, SIGINT, SIGTERM);
    impl_->WaitForSignal();
}

void* AsioLoop::native_handle() { return &impl_->io; }

}  // namespace sim::http
