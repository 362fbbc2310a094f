#include "sim/clock/time_zone.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>

namespace sim::clock {

namespace {

std::int64_t ReadBe(std::string_view b, std::size_t pos, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(b[pos + i]);
    if (bytes == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
    return static_cast<std::int64_t>(v);
}

/// Parses "[+-]hh[:mm[:ss]]" at `pos`, returning seconds.
bool ParseHms(std::string_view s, std::size_t& pos, std::int32_t& out) {
    int sign = 1;
    if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) sign = s[pos++] == '-' ? -1 : 1;
    std::int32_t parts[3] = {0, 0, 0};
    for (int i = 0; i < 3; ++i) {
        std::size_t start = pos;
        while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) parts[i] = parts[i] * 10 + (s[pos++] - '0');
        if (pos == start) return false;
        if (i < 2 && pos < s.size() && s[pos] == ':') ++pos;
        else break;
    }
    out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
    return true;
}

bool SkipAbbrev(std::string_view s, std::size_t& pos) {
    if (pos < s.size() && s[pos] == '<') {
        auto end = s.find('>', pos);
        if (end == std::string_view::npos) return false;
        pos = end + 1;
        return true;
    }
    std::size_t start = pos;
    while (pos < s.size() && std::isalpha(static_cast<unsigned char>(s[pos]))) ++pos;
    return pos > start;
}

std::int64_t DaysFromCivil(int y, unsigned m, unsigned d) {
    using namespace std::chrono;
    return sys_days{year{y} / month{m} / day{d}}.time_since_epoch().count();
}

}  // namespace

std::shared_ptr<const TimeZone> TimeZone::Utc() {
    static const auto utc = [] {
        auto tz = std::shared_ptr<TimeZone>(new TimeZone());
        tz->name_ = "UTC";
        return std::shared_ptr<const TimeZone>(tz);
    }();
    return utc;
}

core::Result<std::shared_ptr<const TimeZone>> TimeZone::Load(std::string_view name, const std::string& root) {
    if (name.empty() || name == "UTC" || name == "Etc/UTC" || name == "GMT") return Utc();
    // Names are path segments of letters, digits, '_', '-', '+': nothing may leave the directory.
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' || c == '+'))
            return core::Fail(core::Error::InvalidArgument("Invalid time zone: " + std::string(name)));
    if (name.front() == '/' || name.find("..") != std::string_view::npos)
        return core::Fail(core::Error::InvalidArgument("Invalid time zone: " + std::string(name)));
    std::ifstream in(root + "/" + std::string(name), std::ios::binary);
    if (!in) return core::Fail(core::Error::NotFound("Unknown time zone: " + std::string(name)));
    std::stringstream buf;
    buf << in.rdbuf();
    return Parse(std::string(name), buf.str());
}

core::Result<std::shared_ptr<const TimeZone>> TimeZone::Parse(std::string name, std::string_view b) {
    auto bad = [&name](const char* why) {
        return core::Fail(core::Error::InvalidArgument("Invalid time zone file for " + name + ": " + why));
    };
    auto tz = std::shared_ptr<TimeZone>(new TimeZone());
    tz->name_ = name;
    auto header = [&](std::size_t at, std::int64_t counts[6]) {
        if (b.size() < at + 44 || b.substr(at, 4) != "TZif") return false;
        for (int i = 0; i < 6; ++i) counts[i] = ReadBe(b, at + 20 + 4 * i, 4);
        return true;
    };
    // counts: isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
    std::int64_t c[6];
    if (!header(0, c)) return bad("no TZif header");
    char version = b[4];
    std::size_t pos = 44;
    int time_size = 4;
    if (version >= '2') {
        pos += c[3] * 4 + c[3] + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];  // skip the 32-bit block
        if (!header(pos, c)) return bad("no second header");
        pos += 44;
        time_size = 8;
    }
    std::size_t need = c[3] * time_size + c[3] + c[4] * 6 + c[5] + c[2] * (time_size + 4) + c[1] + c[0];
    if (b.size() < pos + need || c[4] < 1) return bad("truncated");
    std::vector<std::int64_t> times(c[3]);
    for (std::int64_t i = 0; i < c[3]; ++i) times[i] = ReadBe(b, pos + i * time_size, time_size);
    std::size_t idx_at = pos + c[3] * time_size;
    std::size_t types_at = idx_at + c[3];
    std::vector<std::int32_t> type_offsets(c[4]);
    for (std::int64_t i = 0; i < c[4]; ++i) type_offsets[i] = static_cast<std::int32_t>(ReadBe(b, types_at + i * 6, 4));
    tz->initial_offset_ = type_offsets[0];
    for (std::int64_t i = 0; i < c[3]; ++i) {
        auto type = static_cast<unsigned char>(b[idx_at + i]);
        if (type >= c[4]) return bad("bad type index");
        tz->transitions_.push_back(times[i]);
        tz->offsets_.push_back(type_offsets[type]);
    }
    pos += need;
    // Footer: "\n<POSIX TZ>\n" (version 2+).
    if (version >= '2' && pos < b.size() && b[pos] == '\n') {
        auto end = b.find('\n', pos + 1);
        std::string_view spec = b.substr(pos + 1, end == std::string_view::npos ? std::string_view::npos : end - pos - 1);
        std::size_t p = 0;
        std::int32_t std_off = 0;
        if (!spec.empty() && SkipAbbrev(spec, p) && ParseHms(spec, p, std_off)) {
            tz->has_footer_ = true;
            tz->std_offset_ = -std_off;  // POSIX offsets are west-positive
            if (p < spec.size() && SkipAbbrev(spec, p)) {
                std::int32_t dst_off = std_off - 3600;
                if (p < spec.size() && spec[p] != ',') ParseHms(spec, p, dst_off);
                tz->dst_offset_ = -dst_off;
                auto rule = [&](Rule& r) {
                    if (p >= spec.size() || spec[p] != ',' || p + 1 >= spec.size() || spec[p + 1] != 'M') return false;
                    p += 2;
                    int vals[3] = {0, 0, 0};
                    for (int i = 0; i < 3; ++i) {
                        std::size_t start = p;
                        while (p < spec.size() && std::isdigit(static_cast<unsigned char>(spec[p]))) vals[i] = vals[i] * 10 + (spec[p++] - '0');
                        if (p == start) return false;
                        if (i < 2) {
                            if (p >= spec.size() || spec[p] != '.') return false;
                            ++p;
                        }
                    }
                    r.month = vals[0], r.week = vals[1], r.weekday = vals[2];
                    r.time = 7200;
                    if (p < spec.size() && spec[p] == '/') {
                        ++p;
                        if (!ParseHms(spec, p, r.time)) return false;
                    }
                    return true;
                };
                tz->footer_dst_ = rule(tz->dst_start_) && rule(tz->dst_end_);
                if (!tz->footer_dst_) tz->has_footer_ = false;  // Julian-day forms: use the table only
            }
        }
    }
    return std::shared_ptr<const TimeZone>(tz);
}

std::int32_t TimeZone::FooterOffset(std::int64_t t) const {
    if (!footer_dst_) return std_offset_;
    using namespace std::chrono;
    auto local_days = static_cast<std::int64_t>(std::floor(static_cast<double>(t + std_offset_) / 86400.0));
    int y = static_cast<int>(year_month_day{sys_days{days{local_days}}}.year());
    auto at = [&](const Rule& r, std::int32_t offset_before) {
        // Day `weekday` of week `week` (5 = last) of `month`.
        std::int64_t first = DaysFromCivil(y, r.month, 1);
        int first_wd = static_cast<int>(weekday{sys_days{days{first}}}.c_encoding());
        std::int64_t day = first + ((r.weekday - first_wd + 7) % 7) + 7 * (r.week - 1);
        std::int64_t next_month = r.month == 12 ? DaysFromCivil(y + 1, 1, 1) : DaysFromCivil(y, r.month + 1, 1);
        while (day >= next_month) day -= 7;
        return day * 86400 + r.time - offset_before;
    };
    std::int64_t start = at(dst_start_, std_offset_);
    std::int64_t end = at(dst_end_, dst_offset_);
    if (start < end) return (t >= start && t < end) ? dst_offset_ : std_offset_;
    return (t >= end && t < start) ? std_offset_ : dst_offset_;  // southern hemisphere
}

std::int32_t TimeZone::OffsetAt(std::int64_t t) const {
    if (transitions_.empty()) return has_footer_ ? FooterOffset(t) : initial_offset_;
    if (t < transitions_.front()) return initial_offset_;
    if (t >= transitions_.back() && has_footer_) return FooterOffset(t);
    auto it = std::upper_bound(transitions_.begin(), transitions_.end(), t);
    return offsets_[static_cast<std::size_t>(it - transitions_.begin()) - 1];
}

std::vector<std::int64_t> TimeZone::FromLocal(std::int64_t local) const {
    // Offsets are within ±26 h: the offsets in effect a day either side cover every candidate.
    std::vector<std::int64_t> out;
    for (std::int32_t offset : {OffsetAt(local - 86400), OffsetAt(local + 86400), OffsetAt(local)}) {
        std::int64_t utc = local - offset;
        if (OffsetAt(utc) == offset && std::find(out.begin(), out.end(), utc) == out.end()) out.push_back(utc);
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace sim::clock
