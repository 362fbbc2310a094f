#pragma once
// Logging set-up: spdlog's default logger (and the per-component loggers from Logger()) write one
// line per event through a sink that masks card numbers (see pan_mask.hpp), so nothing logged can
// contain a full PAN (DESIGN "Observability", PCI DSS 3.4.1).
//
// Line format (the logger's pattern is not used; the sink formats):
//   2026-11-28T16:47:29.123Z info [sqs] message received queue=orders bytes=512
// - time: UTC, always milliseconds; taken from LogOptions::now when set (virtual time), otherwise
//   the time spdlog stamped on the event;
// - level: trace|debug|info|warn|error|critical;
// - [component]: the logger's name ("sim" for the default logger);
// - the message; newlines, carriage returns and other control characters inside it are escaped
//   (\n, \r, \t, \xNN) so that one event is always one line. Use Kv() for key=value fields.

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "sim/core/result.hpp"
#include "sim/core/time.hpp"

namespace spdlog {
class logger;
}

namespace sim::core {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kOff };

/// "trace", "debug", "info", "warn", "error" or "off" (exact, lower case). Anything else is an
/// InvalidArgument error whose message names the accepted values.
Result<LogLevel> ParseLogLevel(std::string_view text);
/// The name ParseLogLevel accepts for `level`.
std::string_view LogLevelName(LogLevel level);

struct LogOptions {
    LogLevel level = LogLevel::kInfo;
    /// Where log timestamps come from; empty = the time spdlog stamps on the event (wall clock).
    /// sim/app passes the Clock here so that virtual-time runs log virtual time.
    std::function<TimePoint()> now;
};

/// Receives each finished, masked line without its trailing newline.
using LogLineCallback = std::function<void(std::string_view line)>;

/// Makes a masking logger named "sim" the spdlog default, writing to stderr. Loggers created earlier
/// by Logger() are re-pointed to the new sink and level. Call once at start-up (not thread-safe
/// against concurrent logging); may be called again (tests).
void InitLogging(const LogOptions& options);
void InitLogging(LogLevel level);
/// Same, writing to `out` instead of stderr; `out` must outlive the logging set-up (until the next
/// InitLogging call).
void InitLogging(const LogOptions& options, std::ostream& out);
/// Same, handing each line to `callback` (called under the sink's mutex, one line at a time).
void InitLogging(const LogOptions& options, LogLineCallback callback);

/// The logger of one component ("sqs", "processor", ...), sharing the default sink and level.
/// Created on first use (registered with spdlog under that name); the same pointer afterwards.
std::shared_ptr<spdlog::logger> Logger(std::string_view component);

/// "key=value" for a log line. The value is written as is when it is non-empty and consists only of
/// characters other than space, '"', '=', '\\' and control characters; otherwise it is quoted with
/// '"' and '\\' escaped ("name=\"a b\"").
std::string Kv(std::string_view key, std::string_view value);
/// Without this, a string literal would convert to bool rather than to std::string_view.
inline std::string Kv(std::string_view key, const char* value) { return Kv(key, std::string_view(value)); }
/// "key=true" / "key=false".
std::string Kv(std::string_view key, bool value);
/// Numbers: integers in decimal, floating point in the shortest form that reads back exactly.
std::string Kv(std::string_view key, double value);
template <typename T>
requires(std::is_integral_v<T> && !std::is_same_v<T, bool>) std::string Kv(std::string_view key, T value) {
    return Kv(key, std::string_view(std::to_string(value)));
}

}  // namespace sim::core
