#pragma once
// Small helpers shared by the fakes: JST calendar (business dates are JST, UTC+9, no DST),
// SHA-256 / HMAC-SHA256, base64url and CSV quoting.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sim/core/time.hpp"

namespace sim::fakes::common {

inline constexpr std::chrono::hours kJstOffset{9};

/// The JST calendar date of `t`.
std::chrono::year_month_day JstDate(core::TimePoint t);
/// Midnight JST starting `date`, as a time point.
core::TimePoint JstMidnight(std::chrono::year_month_day date);
/// "2026-11-29T12:01:33+09:00" (whole seconds).
std::string FormatJst(core::TimePoint t);
/// "2026-11-30".
std::string FormatDate(std::chrono::year_month_day date);
/// "20261130".
std::string FormatCompactDate(std::chrono::year_month_day date);
/// The first time strictly after `now` whose JST wall-clock time is `time_of_day` after midnight.
core::TimePoint NextJstTimeOfDay(core::TimePoint now, std::chrono::minutes time_of_day);
/// Adds `days` business days (Monday-Friday in JST; no holiday calendar) to `t`, keeping the time of day.
core::TimePoint AddBusinessDays(core::TimePoint t, int days);

/// Lower-case hex of raw bytes.
std::string HexEncode(std::string_view bytes);
/// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
/// Raw 32-byte SHA-256 of `data`.
std::string Sha256(std::string_view data);
/// Raw 32-byte HMAC-SHA256.
std::string HmacSha256(std::string_view key, std::string_view data);
/// RFC 4648 §5 base64url without padding.
std::string Base64UrlEncode(std::string_view data);
/// Decodes base64url (padding optional); nullopt on a bad character or length.
std::optional<std::string> Base64UrlDecode(std::string_view text);
/// True when `a` and `b` are equal, in time independent of where they differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

/// One CSV field, RFC 4180: quoted when it holds a comma, quote, CR or LF (quotes doubled).
std::string CsvField(std::string_view value);

/// A deterministic 64-bit number from `text` (first 8 bytes of its SHA-256).
std::uint64_t StableHash(std::string_view text);

/// `width` decimal digits of `n` with leading zeros.
std::string ZeroPad(std::uint64_t n, int width);

}  // namespace sim::fakes::common
