#pragma once
// Local wall-clock times for scenarios: `advance {"until": "03:00 Asia/Tokyo"}` and the date/time
// template functions. IANA zones come from /usr/share/zoneinfo through sim/clock's TZif reader.

#include <optional>
#include <string>
#include <string_view>

#include "sim/core/result.hpp"
#include "sim/core/time.hpp"

namespace sim::scenario {

/// `t` formatted with %Y %m %d %H %M %S %% in zone `zone` (an IANA name; "" or "UTC" for UTC).
core::Result<std::string> FormatLocalTime(core::TimePoint t, std::string_view format, std::string_view zone);

/// The first instant strictly after `now` whose local time in the spec's zone is the spec's time:
/// `spec` is "HH:MM[:SS] [Zone]" (UTC without a zone). With `day_of_month`, only that day of a
/// month counts (months without it are skipped). Local times in a DST gap are skipped; in an
/// overlap the earlier instant counts.
core::Result<core::TimePoint> NextLocalTime(core::TimePoint now, std::string_view spec,
                                            std::optional<int> day_of_month = std::nullopt);

}  // namespace sim::scenario
