#pragma once
// IANA time zones read from TZif files (RFC 8536) under /usr/share/zoneinfo (Debian package
// `tzdata`): libstdc++ 12 has no usable std::chrono::tzdb. Times after the last transition follow
// the file's POSIX TZ footer ("EST5EDT,M3.2.0,M11.1.0"), so DST rules hold for any future year.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/result.hpp"
#include "sim/core/time.hpp"

namespace sim::clock {

class TimeZone {
public:
    /// "UTC" (also "", "Etc/UTC") needs no file. Unknown names and unreadable files are
    /// kInvalidArgument / kNotFound errors. `root` is the zoneinfo directory.
    static core::Result<std::shared_ptr<const TimeZone>> Load(std::string_view name,
                                                              const std::string& root = "/usr/share/zoneinfo");
    /// Parses TZif bytes (version 1, 2 or 3).
    static core::Result<std::shared_ptr<const TimeZone>> Parse(std::string name, std::string_view bytes);
    static std::shared_ptr<const TimeZone> Utc();

    const std::string& Name() const { return name_; }
    /// UTC offset in seconds in effect at the instant `utc_seconds` (Unix time).
    std::int32_t OffsetAt(std::int64_t utc_seconds) const;
    /// The instants whose local wall time is `local_seconds` (seconds since 1970-01-01 local):
    /// none in a spring-forward gap, two in a fall-back overlap (earliest first), else one.
    std::vector<std::int64_t> FromLocal(std::int64_t local_seconds) const;

private:
    struct Rule {  // one POSIX TZ footer transition: Mm.w.d/time
        int month = 0, week = 0, weekday = 0;
        std::int32_t time = 7200;  // seconds after local midnight (in the offset before the change)
    };
    std::int32_t FooterOffset(std::int64_t utc_seconds) const;

    std::string name_;
    std::vector<std::int64_t> transitions_;  // UTC seconds, ascending
    std::vector<std::int32_t> offsets_;      // offset in effect from transitions_[i]
    std::int32_t initial_offset_ = 0;        // before the first transition
    bool has_footer_ = false;
    bool footer_dst_ = false;
    std::int32_t std_offset_ = 0, dst_offset_ = 0;
    Rule dst_start_, dst_end_;
};

}  // namespace sim::clock
