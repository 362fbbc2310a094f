#include "sim/http/asio_loop.hpp"

#include <atomic>
#include <csignal>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/http/test_support.hpp"

namespace sim::http {
namespace {

using namespace testing;  // NOLINT: test helpers

TEST(AsioLoop, RunsPostedTasksInOrder) {
    AsioLoop loop;
    LoopThread thread(loop);
    std::vector<int> order;
    for (int i = 0; i < 5; ++i) loop.Post([&order, i] { order.push_back(i); });
    OnLoop(loop, [] {});
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(AsioLoop, RunReadyDrainsFromInsideAHandler) {
    AsioLoop loop;
    LoopThread thread(loop);
    auto ran = OnLoop(loop, [&] {
        int count = 0;
        loop.Post([&] {
            ++count;
            loop.Post([&] { ++count; });  // posted by a task: RunReady runs it too
        });
        std::size_t n = loop.RunReady();
        return std::make_pair(n, count);
    });
    EXPECT_EQ(ran.first, 2u);
    EXPECT_EQ(ran.second, 2);
}

TEST(AsioLoop, RealTimerFiresAndCancelledTimerDoesNot) {
    AsioLoop loop;
    LoopThread thread(loop);
    std::atomic<bool> fired{false};
    std::atomic<bool> cancelled_fired{false};
    auto start = std::chrono::steady_clock::now();
    OnLoop(loop, [&] {
        auto id = loop.StartRealTimer(20ms, [&] { cancelled_fired = true; });
        loop.StartRealTimer(60ms, [&] { fired = true; });
        loop.CancelRealTimer(id);
        loop.CancelRealTimer(12345);  // unknown: ignored
    });
    ASSERT_TRUE(Eventually([&] { return fired.load(); }));
    EXPECT_GE(std::chrono::steady_clock::now() - start, 55ms);
    EXPECT_FALSE(cancelled_fired.load());
}

TEST(AsioLoop, ThrowingTaskDoesNotStopTheLoop) {
    AsioLoop loop;
    LoopThread thread(loop);
    loop.Post([] { throw std::runtime_error("task failure"); });
    EXPECT_EQ(OnLoop(loop, [] { return 7; }), 7);
}

TEST(AsioLoop, DeliversTerminationSignalOnTheLoop) {
    AsioLoop loop;
    std::atomic<int> received{0};
    std::atomic<bool> on_loop_thread{false};
    std::atomic<std::thread::id> loop_thread_id{};
    loop.OnTerminationSignal([&](int signo) {
        on_loop_thread = std::this_thread::get_id() == loop_thread_id.load();
        received = signo;
    });
    LoopThread thread(loop);
    loop_thread_id = OnLoop(loop, [] { return std::this_thread::get_id(); });
    ASSERT_EQ(::raise(SIGTERM), 0);  // without the handler installed this would end the process
    ASSERT_TRUE(Eventually([&] { return received.load() != 0; }));
    EXPECT_EQ(received.load(), SIGTERM);
    EXPECT_TRUE(on_loop_thread.load());
}

TEST(AsioLoop, StopBeforeRunReturnsAtOnce) {
    AsioLoop loop;
    loop.Stop();
    loop.Run();  // would hang (and time the test out) if Stop were lost
    SUCCEED();
}

}  // namespace
}  // namespace sim::http
