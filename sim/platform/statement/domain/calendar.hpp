#pragma once
// Business calendar of the default product (DOMAIN.md §3): business dates are JST (UTC+9, no DST);
// the statement cycle is the calendar month of the posting date; a statement closes at month-end
// 23:59:59 JST; its due date is the last day of the next month, moved to the next business day
// (Mon-Fri; Japanese bank holidays are not modelled) and never earlier.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "sim/core/time.hpp"

namespace sim::platform::statement::domain {

using Date = std::chrono::year_month_day;

inline constexpr std::chrono::hours kJstOffset{9};

/// The JST calendar date of an instant.
Date JstDate(core::TimePoint t);
/// 00:00:00 JST of `date`.
core::TimePoint JstMidnight(Date date);
/// "YYYY-MM-DD".
std::string FormatDate(Date date);
/// Parses "YYYY-MM-DD" (a real calendar date).
std::optional<Date> ParseDate(std::string_view text);
/// "YYYY-MM" of the statement period a posting date belongs to.
std::string PeriodOf(Date posting_date);
/// Parses "YYYY-MM" (month 01-12).
std::optional<std::chrono::year_month> ParsePeriod(std::string_view text);
std::string FormatPeriod(std::chrono::year_month period);

/// The instant a period's statement closes: its last day, 23:59:59 JST.
core::TimePoint ClosingInstant(std::chrono::year_month period);
/// Mon-Fri.
bool IsBusinessDay(Date date);
/// `date` when it is a business day, else the next one.
Date NextBusinessDayOnOrAfter(Date date);
/// Last day of the month after the period, moved to the next business day.
Date DueDate(std::chrono::year_month period);
/// Days from a to b (b - a), negative when b is earlier.
int DaysBetween(Date a, Date b);
Date AddDays(Date date, int days);

}  // namespace sim::platform::statement::domain
