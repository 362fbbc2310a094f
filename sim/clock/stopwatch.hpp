#pragma once
// Measures real elapsed time (monotonic) for latencies and uptime. It is part of sim/clock because
// only sim/clock reads the machine's clocks; simulated time is Clock::Now().

#include <chrono>

namespace sim::clock {

class Stopwatch {
public:
    Stopwatch() : start_(std::chrono::steady_clock::now()) {}
    std::chrono::nanoseconds Elapsed() const { return std::chrono::steady_clock::now() - start_; }
    void Restart() { start_ = std::chrono::steady_clock::now(); }

private:
    std::chrono::steady_clock::time_point start_;
};

}  // namespace sim::clock
