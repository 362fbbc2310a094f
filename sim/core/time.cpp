#include "sim/core/time.hpp"

#include <cctype>
#include <charconv>
#include <cstdio>

namespace sim::core {

namespace {

using std::chrono::days;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

/// Reads exactly `n` digits at `pos`; advances pos.
bool ReadDigits(std::string_view s, std::size_t& pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        char c = s[pos + i];
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
        v = v * 10 + (c - '0');
    }
    out = v;
    pos += n;
    return true;
}

bool Expect(std::string_view s, std::size_t& pos, char c) {
    if (pos >= s.size() || s[pos] != c) return false;
    ++pos;
    return true;
}

Error BadTime(std::string_view text) {
    return Error::InvalidArgument("'" + std::string(text) +
                                  "' is not an ISO 8601 time such as 2027-01-01T00:00:00Z");
}

// TimePoint counts nanoseconds in 64 bits: about 1677-09-21 to 2262-04-11. Whole years inside
// that, with a day to spare for offsets, are accepted; beyond, the conversion would overflow.
constexpr int kFirstYear = 1678;
constexpr int kLastYear = 2261;
// The longest duration accepted: 100 years (a nanosecond count stays far from overflowing).
constexpr double kMaxDurationNanos = 100.0 * 365.25 * 86400e9;

Error BadDuration(std::string_view text) {
    return Error::InvalidArgument("'" + std::string(text) +
                                  "' is not a duration such as PT12H, P1D, P1DT2H30M, PT0.5S, 250ms, 30s, 5m, 2h or 3d");
}

Error TooLong(std::string_view text) {
    return Error::InvalidArgument("'" + std::string(text) + "' is longer than the 100 years a duration may be");
}

}  // namespace

std::string FormatIso8601(TimePoint t) {
    auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
    auto day_count = ms >= 0 ? ms / 86'400'000 : (ms - 86'399'999) / 86'400'000;
    auto ms_of_day = ms - day_count * 86'400'000;
    std::chrono::year_month_day ymd{std::chrono::sys_days{days{day_count}}};
    char buf[40];
    auto secs = ms_of_day / 1000;
    auto frac = ms_of_day % 1000;
    int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld", static_cast<int>(ymd.year()),
                          static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                          static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                          static_cast<long long>(secs % 60));
    std::string out(buf, static_cast<std::size_t>(n));
    if (frac != 0) {
        std::snprintf(buf, sizeof buf, ".%03lld", static_cast<long long>(frac));
        out += buf;
    }
    out += 'Z';
    return out;
}

Result<TimePoint> ParseIso8601(std::string_view s) {
    std::size_t pos = 0;
    int year, month, day;
    if (!ReadDigits(s, pos, 4, year) || !Expect(s, pos, '-') || !ReadDigits(s, pos, 2, month) ||
        !Expect(s, pos, '-') || !ReadDigits(s, pos, 2, day))
        return Fail(BadTime(s));
    std::chrono::year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                                    std::chrono::day{static_cast<unsigned>(day)}};
    if (!ymd.ok()) return Fail(BadTime(s));
    if (year < kFirstYear || year > kLastYear)
        return Fail(Error::InvalidArgument("'" + std::string(s) + "' is outside the years " + std::to_string(kFirstYear) +
                                           " to " + std::to_string(kLastYear) + " that cardsim represents"));
    TimePoint t = std::chrono::sys_days{ymd};
    if (pos == s.size()) return t;
    int hh, mm, ss;
    if (!(Expect(s, pos, 'T') || Expect(s, pos, 't') || Expect(s, pos, ' ')) || !ReadDigits(s, pos, 2, hh) ||
        !Expect(s, pos, ':') || !ReadDigits(s, pos, 2, mm) || !Expect(s, pos, ':') || !ReadDigits(s, pos, 2, ss) ||
        hh > 23 || mm > 59 || ss > 60)
        return Fail(BadTime(s));
    t += std::chrono::hours{hh} + std::chrono::minutes{mm} + std::chrono::seconds{ss};
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        std::int64_t nanos = 0;
        int digits = 0;
        while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
            if (digits < 9) {
                nanos = nanos * 10 + (s[pos] - '0');
                ++digits;
            }
            ++pos;
        }
        if (digits == 0) return Fail(BadTime(s));
        for (int i = digits; i < 9; ++i) nanos *= 10;
        t += duration_cast<TimePoint::duration>(std::chrono::nanoseconds{nanos});
    }
    if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) return t;
    if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
        int sign = s[pos] == '+' ? 1 : -1;
        ++pos;
        int oh, om = 0;
        if (!ReadDigits(s, pos, 2, oh)) return Fail(BadTime(s));
        if (pos < s.size()) {
            Expect(s, pos, ':');
            if (!ReadDigits(s, pos, 2, om)) return Fail(BadTime(s));
        }
        if (pos != s.size() || oh > 23 || om > 59) return Fail(BadTime(s));
        return t - sign * (std::chrono::hours{oh} + std::chrono::minutes{om});
    }
    return Fail(BadTime(s));
}

Result<Duration> ParseDuration(std::string_view s) {
    if (s.empty()) return Fail(BadDuration(s));
    if (s[0] != 'P') {
        // Short forms: a number and one unit.
        std::size_t unit_at = 0;
        while (unit_at < s.size() && (std::isdigit(static_cast<unsigned char>(s[unit_at])) || s[unit_at] == '.')) ++unit_at;
        if (unit_at == 0) return Fail(BadDuration(s));
        double amount = 0;
        auto [ptr, ec] = std::from_chars(s.data(), s.data() + unit_at, amount);
        if (ec != std::errc{} || ptr != s.data() + unit_at) return Fail(BadDuration(s));
        std::string_view unit = s.substr(unit_at);
        double nanos_per;
        if (unit == "ms") nanos_per = 1e6;
        else if (unit == "s") nanos_per = 1e9;
        else if (unit == "m") nanos_per = 60e9;
        else if (unit == "h") nanos_per = 3600e9;
        else if (unit == "d") nanos_per = 86400e9;
        else return Fail(BadDuration(s));
        if (!(amount * nanos_per <= kMaxDurationNanos)) return Fail(TooLong(s));
        return Duration{static_cast<std::int64_t>(amount * nanos_per + 0.5)};
    }
    std::size_t pos = 1;
    bool in_time = false;
    bool any = false;
    double total_seconds = 0;
    while (pos < s.size()) {
        if (s[pos] == 'T') {
            if (in_time) return Fail(BadDuration(s));
            in_time = true;
            ++pos;
            continue;
        }
        std::size_t start = pos;
        while (pos < s.size() && (std::isdigit(static_cast<unsigned char>(s[pos])) || s[pos] == '.' || s[pos] == ','))
            ++pos;
        if (start == pos || pos == s.size()) return Fail(BadDuration(s));
        std::string number(s.substr(start, pos - start));
        for (char& c : number)
            if (c == ',') c = '.';
        double value = 0;
        auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
        if (ec != std::errc{} || ptr != number.data() + number.size()) return Fail(BadDuration(s));
        char unit = s[pos++];
        if (!in_time && unit == 'W') total_seconds += value * 7 * 86400;
        else if (!in_time && unit == 'D') total_seconds += value * 86400;
        else if (in_time && unit == 'H') total_seconds += value * 3600;
        else if (in_time && unit == 'M') total_seconds += value * 60;
        else if (in_time && unit == 'S') total_seconds += value;
        else return Fail(BadDuration(s));  // years and months (no fixed length) or misplaced units
        any = true;
    }
    if (!any) return Fail(BadDuration(s));
    if (!(total_seconds * 1e9 <= kMaxDurationNanos)) return Fail(TooLong(s));
    return Duration{static_cast<std::int64_t>(total_seconds * 1e9 + 0.5)};
}

double ToEpochSeconds(TimePoint t) { return static_cast<double>(ToEpochMillis(t)) / 1000.0; }

std::int64_t ToEpochMillis(TimePoint t) { return duration_cast<milliseconds>(t.time_since_epoch()).count(); }

TimePoint FromEpochMillis(std::int64_t ms) { return TimePoint{duration_cast<TimePoint::duration>(milliseconds{ms})}; }

}  // namespace sim::core
