#include "sim/scenario/local_time.hpp"

#include <chrono>
#include <cmath>
#include <map>
#include <memory>

#include "sim/clock/time_zone.hpp"

namespace sim::scenario {

using core::Error;
using core::Fail;
using core::Result;

namespace {

Error Bad(std::string message) { return Error::InvalidArgument(std::move(message)); }

/// The zones used by a run, loaded once each (loop thread only).
Result<std::shared_ptr<const clock::TimeZone>> Zone(std::string_view name) {
    if (name.empty() || name == "UTC") return clock::TimeZone::Utc();
    static std::map<std::string, std::shared_ptr<const clock::TimeZone>, std::less<>> cache;
    if (auto it = cache.find(name); it != cache.end()) return it->second;
    auto zone = clock::TimeZone::Load(name);
    if (!zone) return Fail(Bad("time zone '" + std::string(name) + "': " + zone.error().message));
    cache.emplace(std::string(name), *zone);
    return *zone;
}

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

Result<std::string> FormatLocalTime(core::TimePoint t, std::string_view format, std::string_view zone_name) {
    using namespace std::chrono;
    std::int64_t utc = duration_cast<seconds>(t.time_since_epoch()).count();
    std::int64_t offset = 0;
    if (zone_name != "UTC" && !zone_name.empty()) {
        auto zone = Zone(zone_name);
        if (!zone) return Fail(zone.error());
        offset = (*zone)->OffsetAt(utc);
    }
    std::int64_t local = utc + offset;
    std::int64_t day = FloorDiv(local, 86400);
    year_month_day ymd{sys_days{days{day}}};
    std::int64_t secs = local - day * 86400;
    auto two = [](long v) { return (v < 10 ? "0" : "") + std::to_string(v); };
    std::string out;
    for (std::size_t i = 0; i < format.size(); ++i) {
        if (format[i] != '%' || i + 1 == format.size()) {
            out += format[i];
            continue;
        }
        switch (format[++i]) {
            case 'Y': out += std::to_string(static_cast<int>(ymd.year())); break;
            case 'm': out += two(static_cast<unsigned>(ymd.month())); break;
            case 'd': out += two(static_cast<unsigned>(ymd.day())); break;
            case 'H': out += two(static_cast<long>(secs / 3600)); break;
            case 'M': out += two(static_cast<long>(secs / 60 % 60)); break;
            case 'S': out += two(static_cast<long>(secs % 60)); break;
            case '%': out += '%'; break;
            default: return Fail(Bad(std::string("time format: unknown %") + format[i] + " (known: %Y %m %d %H %M %S %%)"));
        }
    }
    return out;
}

Result<core::TimePoint> NextLocalTime(core::TimePoint now, std::string_view spec, std::optional<int> day_of_month) {
    using namespace std::chrono;
    std::string text(spec);
    std::string clock_part = text, zone_name;
    if (auto space = text.find(' '); space != std::string::npos) {
        clock_part = text.substr(0, space);
        zone_name = text.substr(text.find_first_not_of(' ', space));
    }
    int h = 0, m = 0, s = 0;
    char extra = 0;
    int fields = std::sscanf(clock_part.c_str(), "%2d:%2d:%2d%c", &h, &m, &s, &extra);
    if (fields < 2 || fields > 3 || h > 23 || m > 59 || s > 59 || h < 0 || m < 0 || s < 0)
        return Fail(Bad("\"" + text + "\" is not \"HH:MM[:SS] [Zone]\" (e.g. \"03:00 Asia/Tokyo\")"));
    auto zone = Zone(zone_name);
    if (!zone) return Fail(zone.error());
    std::int64_t utc_now = duration_cast<seconds>(now.time_since_epoch()).count();
    std::int64_t local_day = FloorDiv(utc_now + (*zone)->OffsetAt(utc_now), 86400) - 1;  // from yesterday (zones ahead)
    std::int64_t time_of_day = h * 3600 + m * 60 + s;
    for (int i = 0; i < 800; ++i, ++local_day) {
        if (day_of_month) {
            year_month_day ymd{sys_days{days{local_day}}};
            if (static_cast<unsigned>(ymd.day()) != static_cast<unsigned>(*day_of_month)) continue;
        }
        for (std::int64_t instant : (*zone)->FromLocal(local_day * 86400 + time_of_day)) {
            core::TimePoint at{duration_cast<core::TimePoint::duration>(seconds{instant})};
            if (at > now) return at;
        }
    }
    return Fail(Bad("no day " + std::to_string(day_of_month.value_or(0)) + " at " + text + " within two years"));
}

}  // namespace sim::scenario
