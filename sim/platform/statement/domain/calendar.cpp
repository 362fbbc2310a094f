#include "sim/platform/statement/domain/calendar.hpp"

#include <cstdio>

namespace sim::platform::statement::domain {

using std::chrono::days;
using std::chrono::sys_days;

Date JstDate(core::TimePoint t) { return Date{std::chrono::floor<days>(t + kJstOffset)}; }

core::TimePoint JstMidnight(Date date) {
    return core::TimePoint{sys_days{date}.time_since_epoch()} - kJstOffset;
}

std::string FormatDate(Date d) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                  static_cast<unsigned>(d.day()));
    return buf;
}

namespace {

bool Digits(std::string_view s) {
    for (char c : s) {
        if (c < '0' || c > '9') return false;
    }
    return !s.empty();
}

int ToInt(std::string_view s) {
    int v = 0;
    for (char c : s) v = v * 10 + (c - '0');
    return v;
}

}  // namespace

std::optional<Date> ParseDate(std::string_view t) {
    if (t.size() != 10 || t[4] != '-' || t[7] != '-') return std::nullopt;
    if (!Digits(t.substr(0, 4)) || !Digits(t.substr(5, 2)) || !Digits(t.substr(8, 2))) return std::nullopt;
    Date d{std::chrono::year{ToInt(t.substr(0, 4))}, std::chrono::month{static_cast<unsigned>(ToInt(t.substr(5, 2)))},
           std::chrono::day{static_cast<unsigned>(ToInt(t.substr(8, 2)))}};
    if (!d.ok()) return std::nullopt;
    return d;
}

std::string PeriodOf(Date posting_date) { return FormatPeriod(posting_date.year() / posting_date.month()); }

std::optional<std::chrono::year_month> ParsePeriod(std::string_view t) {
    if (t.size() != 7 || t[4] != '-' || !Digits(t.substr(0, 4)) || !Digits(t.substr(5, 2))) return std::nullopt;
    std::chrono::year_month ym{std::chrono::year{ToInt(t.substr(0, 4))},
                               std::chrono::month{static_cast<unsigned>(ToInt(t.substr(5, 2)))}};
    if (!ym.ok()) return std::nullopt;
    return ym;
}

std::string FormatPeriod(std::chrono::year_month p) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u", static_cast<int>(p.year()), static_cast<unsigned>(p.month()));
    return buf;
}

core::TimePoint ClosingInstant(std::chrono::year_month period) {
    Date last{period / std::chrono::last};
    return JstMidnight(last) + std::chrono::hours(23) + std::chrono::minutes(59) + std::chrono::seconds(59);
}

bool IsBusinessDay(Date date) {
    std::chrono::weekday wd{sys_days{date}};
    return wd != std::chrono::Saturday && wd != std::chrono::Sunday;
}

Date NextBusinessDayOnOrAfter(Date date) {
    while (!IsBusinessDay(date)) date = AddDays(date, 1);
    return date;
}

Date DueDate(std::chrono::year_month period) {
    std::chrono::year_month next = period + std::chrono::months{1};
    return NextBusinessDayOnOrAfter(Date{next / std::chrono::last});
}

int DaysBetween(Date a, Date b) { return static_cast<int>((sys_days{b} - sys_days{a}).count()); }

Date AddDays(Date date, int n) { return Date{sys_days{date} + days{n}}; }

}  // namespace sim::platform::statement::domain
