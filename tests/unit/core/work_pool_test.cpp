#include "sim/core/work_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>

#include "sim/core/manual_loop.hpp"

namespace sim::core {
namespace {

TEST(WorkPool, WorkRunsOnAPoolThreadAndReportsBackOnTheLoop) {
    ManualLoop loop;
    std::thread::id worker;
    std::atomic<bool> worked{false};
    bool reported = false;
    {
        WorkPool pool(loop, 2);
        EXPECT_EQ(pool.threads(), 2u);
        pool.Submit(
            [&] {
                worker = std::this_thread::get_id();
                worked = true;
            },
            [&](std::exception_ptr failure) {
                EXPECT_FALSE(failure);
                EXPECT_TRUE(worked);
                reported = true;
            });
    }  // the destructor finishes submitted work
    EXPECT_TRUE(worked);
    EXPECT_NE(worker, std::this_thread::get_id());
    EXPECT_FALSE(reported);  // only the loop runs completions
    EXPECT_EQ(loop.RunReady(), 1u);
    EXPECT_TRUE(reported);
}

TEST(WorkPool, AnExceptionFromTheWorkIsHandedToDone) {
    ManualLoop loop;
    std::string message;
    {
        WorkPool pool(loop, 1);
        pool.Submit([] { throw std::runtime_error("disk full"); },
                    [&](std::exception_ptr failure) {
                        try {
                            std::rethrow_exception(failure);
                        } catch (const std::runtime_error& e) {
                            message = e.what();
                        }
                    });
    }
    loop.RunReady();
    EXPECT_EQ(message, "disk full");
}

TEST(WorkPool, InlineModeRunsTheWorkInSubmitAndPostsDone) {
    ManualLoop loop;
    WorkPool pool(loop, 0);
    EXPECT_EQ(pool.threads(), 0u);
    std::vector<std::string> order;
    std::thread::id worker;
    pool.Submit(
        [&] {
            worker = std::this_thread::get_id();
            order.push_back("work");
        },
        [&](std::exception_ptr) { order.push_back("done"); });
    order.push_back("submitted");
    EXPECT_EQ(worker, std::this_thread::get_id());
    EXPECT_EQ(loop.RunReady(), 1u);
    EXPECT_EQ(order, (std::vector<std::string>{"work", "submitted", "done"}));
}

TEST(WorkPool, ManyJobsAllReportExactlyOnce) {
    ManualLoop loop;
    std::atomic<int> worked{0};
    int reported = 0;
    {
        WorkPool pool(loop, 3);
        for (int i = 0; i < 200; ++i) pool.Submit([&] { ++worked; }, [&](std::exception_ptr) { ++reported; });
    }
    loop.RunReady();
    EXPECT_EQ(worked.load(), 200);
    EXPECT_EQ(reported, 200);
}

}  // namespace
}  // namespace sim::core
