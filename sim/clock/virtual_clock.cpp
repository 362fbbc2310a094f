#include "sim/clock/virtual_clock.hpp"

#include <stdexcept>

namespace sim::clock {

namespace {
/// Marks the clock busy for the duration of an advance; refuses nesting.
class AdvanceGuard {
public:
    explicit AdvanceGuard(bool& flag) : flag_(flag) {
        if (flag_) throw std::logic_error("VirtualClock advanced from inside an advance");
        flag_ = true;
    }
    ~AdvanceGuard() { flag_ = false; }
    AdvanceGuard(const AdvanceGuard&) = delete;
    AdvanceGuard& operator=(const AdvanceGuard&) = delete;

private:
    bool& flag_;
};
}  // namespace

TimerId VirtualClock::Schedule(TimePoint at, Task task) {
    return timers_.Add(at < now_ ? now_ : at, std::move(task));
}

bool VirtualClock::Cancel(TimerId id) { return timers_.Cancel(id); }

std::size_t VirtualClock::RunToQuiescence() {
    std::size_t total = 0;
    while (std::size_t ran = loop_.RunReady()) total += ran;
    return total;
}

bool VirtualClock::FireNext(TimePoint limit) {
    auto due = timers_.PopDue(limit);
    if (!due) return false;
    now_ = due->first;
    due->second();
    RunToQuiescence();
    return true;
}

void VirtualClock::AdvanceTo(TimePoint t) {
    if (t < now_) throw std::invalid_argument("VirtualClock cannot go back in time");
    AdvanceGuard guard(advancing_);
    RunToQuiescence();
    while (FireNext(t)) {
    }
    now_ = t;
    RunToQuiescence();
    // Work done at quiescence may have scheduled timers due exactly now.
    while (FireNext(t)) {
    }
}

bool VirtualClock::StepUntil(TimePoint limit) {
    AdvanceGuard guard(advancing_);
    RunToQuiescence();
    if (FireNext(limit)) return true;
    if (limit > now_) now_ = limit;
    RunToQuiescence();
    return false;
}

bool VirtualClock::RunUntil(const std::function<bool()>& condition, TimePoint deadline) {
    AdvanceGuard guard(advancing_);
    RunToQuiescence();
    if (condition()) return true;
    while (FireNext(deadline)) {
        if (condition()) return true;
    }
    if (deadline > now_) now_ = deadline;
    RunToQuiescence();
    return condition();
}

}  // namespace sim::clock
