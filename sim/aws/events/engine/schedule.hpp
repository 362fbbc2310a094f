#pragma once
// Schedule expressions of EventBridge rules and EventBridge Scheduler:
//   rate(<n> minute|minutes|hour|hours|day|days)
//   cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>)   (AWS's six fields)
//   at(yyyy-mm-ddThh:mm:ss)                                                (Scheduler only)
// Cron fields accept `*`, lists `a,b`, ranges `a-b`, increments `a/n` and `*/n`; day-of-month also
// `?`, `L` (last day), `nW` (weekday nearest day n), `LW`; day-of-week (1-7 = SUN-SAT, or SUN..SAT)
// also `?`, `nL` (last weekday n of the month), `n#k` (k-th weekday n); months JAN..DEC; years
// 1970-2199. Exactly one of day-of-month and day-of-week must be `?`.
// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html,
//  https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html)

#include <bitset>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sim/clock/time_zone.hpp"
#include "sim/core/result.hpp"
#include "sim/core/time.hpp"

namespace sim::aws::events {

/// The TZif reader lives in sim/clock (the scenario runner needs it too).
using clock::TimeZone;

struct CronSpec {
    std::bitset<60> minutes;
    std::bitset<24> hours;
    std::bitset<32> days;       // 1..31
    std::bitset<13> months;     // 1..12
    std::bitset<8> weekdays;    // 1..7 (1 = Sunday)
    std::bitset<230> years;     // 1970..2199
    bool any_day_of_month = false;  // day-of-month is `?` (day-of-week decides) ...
    bool any_day_of_week = false;   // ... or the reverse
    bool last_day = false;          // L
    int last_day_offset = 0;        // L-n
    int nearest_weekday = 0;        // nW (0: none)
    bool last_weekday_of_month = false;  // LW
    int last_weekday = 0;           // dL: last weekday d (1..7) of the month
    int nth_weekday = 0, nth = 0;   // d#k
};

class ScheduleExpression {
public:
    enum class Kind { kRate, kCron, kAt };

    /// Parses `text`; errors are kInvalidArgument with a message naming the problem.
    /// `allow_at`: at(...) is accepted (Scheduler), refused for rules.
    static core::Result<ScheduleExpression> Parse(std::string_view text, bool allow_at = false);

    Kind kind() const { return kind_; }
    const std::string& text() const { return text_; }
    core::Duration rate() const { return rate_; }

    /// The first firing strictly after `after`. Cron and at() are read in `zone` (wall time; a
    /// time skipped by a DST change does not fire, a repeated time fires once, at its first
    /// occurrence — EventBridge Scheduler's documented behaviour). rate(): `anchor` + k * rate for the smallest k that
    /// lands after `after`. None when the schedule has no later firing.
    std::optional<core::TimePoint> NextAfter(core::TimePoint after, const TimeZone& zone,
                                             core::TimePoint anchor = {}) const;

private:
    Kind kind_ = Kind::kRate;
    std::string text_;
    core::Duration rate_{};
    CronSpec cron_;
    std::int64_t at_local_ = 0;  // at(): local seconds since epoch
};

}  // namespace sim::aws::events
