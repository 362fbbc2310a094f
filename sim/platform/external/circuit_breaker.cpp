#include "sim/platform/external/circuit_breaker.hpp"

namespace sim::platform::external {

std::string_view ToString(BreakerState s) {
    switch (s) {
        case BreakerState::kClosed: return "closed";
        case BreakerState::kOpen: return "open";
        case BreakerState::kHalfOpen: return "half_open";
    }
    return "closed";
}

BreakerState CircuitBreaker::State(core::TimePoint now) const {
    if (state_ == BreakerState::kOpen && now >= open_until_) return BreakerState::kHalfOpen;
    return state_;
}

bool CircuitBreaker::Allow(core::TimePoint now) {
    if (state_ == BreakerState::kOpen && now >= open_until_) {
        state_ = BreakerState::kHalfOpen;
        probe_in_flight_ = false;
    }
    switch (state_) {
        case BreakerState::kClosed: return true;
        case BreakerState::kOpen: return false;
        case BreakerState::kHalfOpen:
            if (probe_in_flight_) return false;
            probe_in_flight_ = true;
            return true;
    }
    return true;
}

void CircuitBreaker::OnSuccess() {
    state_ = BreakerState::kClosed;
    failures_ = 0;
    probe_in_flight_ = false;
}

void CircuitBreaker::OnFailure(core::TimePoint now) {
    ++failures_;
    if (state_ == BreakerState::kHalfOpen || failures_ >= options_.failure_threshold) {
        if (state_ != BreakerState::kOpen) ++opened_;
        state_ = BreakerState::kOpen;
        open_until_ = now + options_.open_for;
        probe_in_flight_ = false;
    }
}

}  // namespace sim::platform::external
