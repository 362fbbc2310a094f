#include "sim/aws/events/engine/schedule.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <vector>

namespace sim::aws::events {

namespace {

using core::Error;

std::string Trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return std::string(s);
}

std::vector<std::string> Split(std::string_view s, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= s.size(); ++i) {
        if (i == s.size() || s[i] == sep) {
            out.emplace_back(s.substr(start, i - start));
            start = i + 1;
        }
    }
    return out;
}

std::vector<std::string> Fields(std::string_view s) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (std::isspace(static_cast<unsigned char>(c))) {
            if (!cur.empty()) out.push_back(std::move(cur));
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) out.push_back(std::move(cur));
    return out;
}

std::optional<int> Number(std::string_view s) {
    if (s.empty() || s.size() > 4) return std::nullopt;
    int v = 0;
    for (char c : s) {
        if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
}

constexpr const char* kMonths[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kWeekdays[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

struct FieldSpec {
    const char* name;
    int lo, hi;
    const char* const* names = nullptr;  // names[i] is value lo + i
    int name_count = 0;
};

std::optional<int> Value(std::string_view s, const FieldSpec& f) {
    if (auto n = Number(s)) return *n;
    std::string upper(s);
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (int i = 0; i < f.name_count; ++i)
        if (upper == f.names[i]) return f.lo + i;
    return std::nullopt;
}

/// Sets bits lo..hi (offset by `base`) of a list/range/step field into `set(value)`.
template <typename Set>
core::Status<> ParseList(std::string_view text, const FieldSpec& f, Set set) {
    auto fail = [&](const std::string& why) {
        return core::Fail(Error::InvalidArgument(std::string("Invalid ") + f.name + " field '" + std::string(text) +
                                                 "': " + why));
    };
    for (const auto& item : Split(text, ',')) {
        if (item.empty()) return fail("empty list item");
        std::string range = item;
        int step = 1;
        if (auto slash = item.find('/'); slash != std::string::npos) {
            auto s = Number(std::string_view(item).substr(slash + 1));
            if (!s || *s < 1) return fail("bad increment");
            step = *s;
            range = item.substr(0, slash);
        }
        int lo, hi;
        if (range == "*") {
            lo = f.lo, hi = f.hi;
        } else if (auto dash = range.find('-'); dash != std::string::npos) {
            auto a = Value(std::string_view(range).substr(0, dash), f);
            auto b = Value(std::string_view(range).substr(dash + 1), f);
            if (!a || !b) return fail("bad range");
            lo = *a, hi = *b;
        } else {
            auto a = Value(range, f);
            if (!a) return fail("bad value '" + range + "'");
            lo = *a;
            hi = item.find('/') != std::string::npos ? f.hi : *a;
        }
        if (lo < f.lo || hi > f.hi || lo > hi)
            return fail("values must be within " + std::to_string(f.lo) + "-" + std::to_string(f.hi));
        for (int v = lo; v <= hi; v += step) set(v);
    }
    return core::Ok();
}

core::Result<CronSpec> ParseCron(std::string_view body) {
    auto fields = Fields(body);
    if (fields.size() != 6)
        return core::Fail(Error::InvalidArgument("cron() needs 6 fields (minutes hours day-of-month month day-of-week "
                                                 "year), got " + std::to_string(fields.size())));
    CronSpec c;
    const FieldSpec minutes{"minutes", 0, 59}, hours{"hours", 0, 23}, dom{"day-of-month", 1, 31},
        months{"month", 1, 12, kMonths, 12}, dow{"day-of-week", 1, 7, kWeekdays, 7}, years{"year", 1970, 2199};
    if (auto s = ParseList(fields[0], minutes, [&](int v) { c.minutes.set(v); }); !s) return core::Fail(s.error());
    if (auto s = ParseList(fields[1], hours, [&](int v) { c.hours.set(v); }); !s) return core::Fail(s.error());
    if (auto s = ParseList(fields[3], months, [&](int v) { c.months.set(v); }); !s) return core::Fail(s.error());
    if (auto s = ParseList(fields[5], years, [&](int v) { c.years.set(v - 1970); }); !s) return core::Fail(s.error());
    const std::string& d = fields[2];
    const std::string& w = fields[4];
    c.any_day_of_month = d == "?";
    c.any_day_of_week = w == "?";
    if (c.any_day_of_month == c.any_day_of_week)
        return core::Fail(Error::InvalidArgument(
            "Exactly one of day-of-month and day-of-week must be '?' (you cannot specify both)"));
    if (!c.any_day_of_month) {
        std::string upper = d;
        for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        if (upper == "L") {
            c.last_day = true;
        } else if (upper.rfind("L-", 0) == 0) {
            auto n = Number(std::string_view(upper).substr(2));
            if (!n || *n > 30) return core::Fail(Error::InvalidArgument("Invalid day-of-month field '" + d + "'"));
            c.last_day = true;
            c.last_day_offset = *n;
        } else if (upper == "LW") {
            c.last_weekday_of_month = true;
        } else if (upper.size() >= 2 && upper.back() == 'W') {
            auto n = Number(std::string_view(upper).substr(0, upper.size() - 1));
            if (!n || *n < 1 || *n > 31) return core::Fail(Error::InvalidArgument("Invalid day-of-month field '" + d + "'"));
            c.nearest_weekday = *n;
        } else if (auto s = ParseList(d, dom, [&](int v) { c.days.set(v); }); !s) {
            return core::Fail(s.error());
        }
    }
    if (!c.any_day_of_week) {
        std::string upper = w;
        for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        if (auto hash = upper.find('#'); hash != std::string::npos) {
            auto wd = Value(std::string_view(upper).substr(0, hash), dow);
            auto k = Number(std::string_view(upper).substr(hash + 1));
            if (!wd || *wd < 1 || *wd > 7 || !k || *k < 1 || *k > 5)
                return core::Fail(Error::InvalidArgument("Invalid day-of-week field '" + w + "': use d#k, k in 1-5"));
            c.nth_weekday = *wd, c.nth = *k;
        } else if (upper == "L") {
            c.last_weekday = 7;
        } else if (upper.size() >= 2 && upper.back() == 'L') {
            auto wd = Value(std::string_view(upper).substr(0, upper.size() - 1), dow);
            if (!wd || *wd < 1 || *wd > 7) return core::Fail(Error::InvalidArgument("Invalid day-of-week field '" + w + "'"));
            c.last_weekday = *wd;
        } else if (auto s = ParseList(w, dow, [&](int v) { c.weekdays.set(v); }); !s) {
            return core::Fail(s.error());
        }
    }
    return c;
}

using Days = std::chrono::days;
using SysDays = std::chrono::sys_days;

int LastDayOf(int y, unsigned m) {
    using namespace std::chrono;
    return static_cast<int>(static_cast<unsigned>(year_month_day_last{year{y} / month{m} / last}.day()));
}
int WeekdayOf(int y, unsigned m, int d) {  // 1 = Sunday
    using namespace std::chrono;
    return static_cast<int>(weekday{sys_days{year{y} / month{m} / day{static_cast<unsigned>(d)}}}.c_encoding()) + 1;
}

bool DayMatches(const CronSpec& c, int y, unsigned m, int d) {
    if (y < 1970 || y > 2199 || !c.years.test(y - 1970) || !c.months.test(m)) return false;
    int last = LastDayOf(y, m);
    if (c.any_day_of_week) {
        if (c.days.test(d)) return true;
        if (c.last_day && d == last - c.last_day_offset) return true;
        if (c.nearest_weekday) {
            int n = std::min(c.nearest_weekday, last);
            int wd = WeekdayOf(y, m, n);
            int target = n;
            if (wd == 7) target = n == 1 ? n + 2 : n - 1;           // Saturday
            else if (wd == 1) target = n == last ? n - 2 : n + 1;   // Sunday
            if (d == target) return true;
        }
        if (c.last_weekday_of_month) {
            int target = last;
            int wd = WeekdayOf(y, m, last);
            if (wd == 7) target = last - 1;
            else if (wd == 1) target = last - 2;
            if (d == target) return true;
        }
        return false;
    }
    int wd = WeekdayOf(y, m, d);
    if (c.weekdays.test(wd)) return true;
    if (c.last_weekday && wd == c.last_weekday && d + 7 > last) return true;
    if (c.nth && wd == c.nth_weekday && (d - 1) / 7 + 1 == c.nth) return true;
    return false;
}

std::int64_t Seconds(core::TimePoint t) {
    return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}
core::TimePoint FromSeconds(std::int64_t s) { return core::TimePoint{std::chrono::seconds(s)}; }

/// The instant a local wall time fires at: its first occurrence (a repeated time runs once); none
/// when DST skips it — "your schedule invocation gets skipped if the cron expression falls on a
/// non-existent date and time" (https://repost.aws/knowledge-center/eventbridge-scheduler-adjust-dst).
std::optional<std::int64_t> FireInstant(const TimeZone& zone, std::int64_t local) {
    auto utcs = zone.FromLocal(local);
    if (utcs.empty()) return std::nullopt;
    return utcs.front();
}

}  // namespace

core::Result<ScheduleExpression> ScheduleExpression::Parse(std::string_view input, bool allow_at) {
    std::string text = Trim(input);
    ScheduleExpression e;
    e.text_ = text;
    auto inner = [&](std::string_view prefix) -> std::optional<std::string> {
        if (text.size() < prefix.size() + 1 || text.compare(0, prefix.size(), prefix) != 0 || text.back() != ')')
            return std::nullopt;
        return Trim(std::string_view(text).substr(prefix.size(), text.size() - prefix.size() - 1));
    };
    if (auto body = inner("rate(")) {
        auto parts = Fields(*body);
        auto n = parts.size() == 2 ? Number(parts[0]) : std::nullopt;
        if (!n || *n < 1)
            return core::Fail(Error::InvalidArgument("Invalid rate expression '" + text +
                                                     "': use rate(<positive integer> <unit>)"));
        const std::string& unit = parts[1];
        std::int64_t seconds = 0;
        if (unit == "minute" || unit == "minutes") seconds = 60;
        else if (unit == "hour" || unit == "hours") seconds = 3600;
        else if (unit == "day" || unit == "days") seconds = 86400;
        else
            return core::Fail(Error::InvalidArgument("Invalid rate expression '" + text +
                                                     "': the unit must be minute(s), hour(s) or day(s)"));
        bool plural = unit.back() == 's';
        if ((*n == 1) == plural)
            return core::Fail(Error::InvalidArgument("Invalid rate expression '" + text + "': use '" +
                                                     (*n == 1 ? "1 " + unit.substr(0, unit.size() - 1)
                                                              : std::to_string(*n) + " " + unit + "s") + "'"));
        e.kind_ = Kind::kRate;
        e.rate_ = std::chrono::seconds(seconds * *n);
        return e;
    }
    if (auto body = inner("cron(")) {
        auto c = ParseCron(*body);
        if (!c) return core::Fail(Error::InvalidArgument("Invalid cron expression '" + text + "': " + c.error().message));
        e.kind_ = Kind::kCron;
        e.cron_ = std::move(c).value();
        return e;
    }
    if (auto body = inner("at(")) {
        if (!allow_at) return core::Fail(Error::InvalidArgument("at() expressions are not supported here"));
        // yyyy-mm-ddThh:mm:ss, a wall time in the schedule's zone.
        auto t = (body->size() == 19 && (*body)[10] == 'T') ? core::ParseIso8601(*body + "Z")
                                                            : core::Result<core::TimePoint>(core::Fail(Error{}));
        if (!t) return core::Fail(Error::InvalidArgument("Invalid at expression '" + text + "': use at(yyyy-mm-ddThh:mm:ss)"));
        e.kind_ = Kind::kAt;
        e.at_local_ = Seconds(*t);
        return e;
    }
    return core::Fail(Error::InvalidArgument("Invalid schedule expression '" + text +
                                             "': use rate(...), cron(...)" + (allow_at ? " or at(...)" : "")));
}

std::optional<core::TimePoint> ScheduleExpression::NextAfter(core::TimePoint after, const TimeZone& zone,
                                                             core::TimePoint anchor) const {
    if (kind_ == Kind::kRate) {
        if (anchor > after) return anchor;
        auto k = (after - anchor) / rate_ + 1;
        return anchor + k * rate_;
    }
    std::int64_t after_s = Seconds(after);
    if (kind_ == Kind::kAt) {
        auto at = FireInstant(zone, at_local_);
        if (at && FromSeconds(*at) > after) return FromSeconds(*at);
        return std::nullopt;
    }
    // Walk local days from a little before `after`'s wall time (to catch the second occurrence of
    // a repeated hour); keep the earliest instant after `after`. Instants are never earlier than
    // their wall time minus 14 h, which bounds the walk.
    std::int64_t local_start = after_s + zone.OffsetAt(after_s) - 3 * 3600;
    std::int64_t first_day = local_start >= 0 ? local_start / 86400 : (local_start - 86399) / 86400;
    std::optional<std::int64_t> best;
    using namespace std::chrono;
    for (std::int64_t day_index = first_day;; ++day_index) {
        if (best && day_index * 86400 - 14 * 3600 > *best) break;
        year_month_day ymd{sys_days{days{day_index}}};
        int y = static_cast<int>(ymd.year());
        if (y > 2199) break;
        if (y < 1970) continue;
        unsigned m = static_cast<unsigned>(ymd.month());
        if (!cron_.years.test(y - 1970)) {  // jump to the next January 1st
            day_index = sys_days{year{y + 1} / January / 1}.time_since_epoch().count() - 1;
            continue;
        }
        if (!cron_.months.test(m)) {  // jump to the next month
            auto next = year_month_day{year{y} / month{m} / 1} + months{1};
            day_index = sys_days{next}.time_since_epoch().count() - 1;
            continue;
        }
        if (!DayMatches(cron_, y, m, static_cast<int>(static_cast<unsigned>(ymd.day())))) continue;
        for (int h = 0; h < 24; ++h) {
            if (!cron_.hours.test(h)) continue;
            for (int mi = 0; mi < 60; ++mi) {
                if (!cron_.minutes.test(mi)) continue;
                std::int64_t local = day_index * 86400 + h * 3600 + mi * 60;
                if (local < local_start) continue;
                auto utc = FireInstant(zone, local);
                if (utc && FromSeconds(*utc) > after && (!best || *utc < *best)) best = *utc;
            }
        }
    }
    if (!best) return std::nullopt;
    return FromSeconds(*best);
}

}  // namespace sim::aws::events
