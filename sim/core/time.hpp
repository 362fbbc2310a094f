#pragma once
// Time values and their text forms. Reading the current time is sim/clock's job only.

#include <chrono>
#include <string>
#include <string_view>

#include "sim/core/result.hpp"

namespace sim::core {

using TimePoint = std::chrono::system_clock::time_point;
using Duration = std::chrono::nanoseconds;

/// "2027-01-01T00:00:00.123Z" (UTC, milliseconds when not whole seconds).
std::string FormatIso8601(TimePoint t);
/// Accepts "YYYY-MM-DDThh:mm:ss[.fff...](Z|±hh:mm)" and the date-only "YYYY-MM-DD" (midnight UTC).
Result<TimePoint> ParseIso8601(std::string_view text);
/// ISO 8601 durations: "PT12H", "P1D", "P1W", "P1DT2H30M", "PT0.5S". Years and months are refused
/// (their length depends on the date). Also accepts plain "250ms", "30s", "5m", "2h", "3d".
Result<Duration> ParseDuration(std::string_view text);
/// Seconds since the Unix epoch as a double (AWS JSON timestamps), millisecond-rounded.
double ToEpochSeconds(TimePoint t);
std::int64_t ToEpochMillis(TimePoint t);
TimePoint FromEpochMillis(std::int64_t ms);

}  // namespace sim::core
