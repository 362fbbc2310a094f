#pragma once
// A circuit breaker per external system (on the Clock): closed → after `failure_threshold`
// consecutive failures, open (calls fail at once without reaching the system) → after `open_for`,
// half-open (one probe call goes through; success closes, failure opens again for `open_for`).

#include <cstdint>
#include <string_view>

#include "sim/clock/clock.hpp"

namespace sim::platform::external {

enum class BreakerState { kClosed, kOpen, kHalfOpen };
std::string_view ToString(BreakerState state);

struct BreakerOptions {
    int failure_threshold = 5;
    core::Duration open_for = std::chrono::seconds(30);
};

class CircuitBreaker {
public:
    explicit CircuitBreaker(BreakerOptions options = {}) : options_(options) {}

    /// Whether a call may go out at `now`. In half-open state only one probe at a time is let
    /// through (until its OnSuccess/OnFailure).
    bool Allow(core::TimePoint now);
    void OnSuccess();
    void OnFailure(core::TimePoint now);
    /// The state as of `now` (open turns half-open once `open_for` has passed).
    BreakerState State(core::TimePoint now) const;
    int consecutive_failures() const { return failures_; }
    std::uint64_t times_opened() const { return opened_; }

private:
    BreakerOptions options_;
    BreakerState state_ = BreakerState::kClosed;
    int failures_ = 0;
    core::TimePoint open_until_{};
    bool probe_in_flight_ = false;
    std::uint64_t opened_ = 0;
};

}  // namespace sim::platform::external
