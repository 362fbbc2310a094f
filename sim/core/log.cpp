#include "sim/core/log.hpp"

#include <array>
#include <charconv>
#include <cstdio>
#include <mutex>
#include <ostream>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "sim/core/pan_mask.hpp"

namespace sim::core {

namespace {

constexpr const char* kDefaultLoggerName = "sim";

spdlog::level::level_enum ToSpdlog(LogLevel level) {
    switch (level) {
        case LogLevel::kTrace: return spdlog::level::trace;
        case LogLevel::kDebug: return spdlog::level::debug;
        case LogLevel::kInfo: return spdlog::level::info;
        case LogLevel::kWarn: return spdlog::level::warn;
        case LogLevel::kError: return spdlog::level::err;
        case LogLevel::kOff: return spdlog::level::off;
    }
    return spdlog::level::info;
}

std::string_view SpdlogLevelName(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::trace: return "trace";
        case spdlog::level::debug: return "debug";
        case spdlog::level::info: return "info";
        case spdlog::level::warn: return "warn";
        case spdlog::level::err: return "error";
        case spdlog::level::critical: return "critical";
        default: return "off";
    }
}

/// "2026-11-28T16:47:29.123Z": always milliseconds, so columns line up.
void AppendTime(std::string& out, TimePoint t) {
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
    auto day_count = ms >= 0 ? ms / 86'400'000 : (ms - 86'399'999) / 86'400'000;
    auto ms_of_day = ms - day_count * 86'400'000;
    std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day_count}}};
    auto secs = ms_of_day / 1000;
    std::array<char, 40> buf{};
    int n = std::snprintf(buf.data(), buf.size(), "%04d-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                          static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                          static_cast<unsigned>(ymd.day()), static_cast<long long>(secs / 3600),
                          static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60),
                          static_cast<long long>(ms_of_day % 1000));
    out.append(buf.data(), static_cast<std::size_t>(n));
}

/// Appends `text`, escaping control characters so the event stays on one line.
void AppendEscaped(std::string& out, std::string_view text) {
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u != 0x7f) {
            out += c;
            continue;
        }
        switch (c) {
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default: {
                std::array<char, 8> buf{};
                int n = std::snprintf(buf.data(), buf.size(), "\\x%02x", static_cast<unsigned>(u));
                out.append(buf.data(), static_cast<std::size_t>(n));
            }
        }
    }
}

/// The one sink behind every logger: formats, masks PANs, hands the line to a writer.
class MaskingSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    /// `write` receives a masked line without newline; `flush` may be empty.
    MaskingSink(std::function<TimePoint()> now, LogLineCallback write, std::function<void()> flush)
        : now_(std::move(now)), write_(std::move(write)), flush_fn_(std::move(flush)) {}

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        line_.clear();
        AppendTime(
            line_,
            now_ ? now_() : TimePoint(std::chrono::duration_cast<TimePoint::duration>(msg.time.time_since_epoch())));
        line_ += ' ';
        line_ += SpdlogLevelName(msg.level);
        line_ += " [";
        std::size_t name_at = line_.size();
        line_.append(msg.logger_name.data(), msg.logger_name.size());
        MaskPansInPlace(std::span<char>(line_.data() + name_at, line_.size() - name_at));
        line_ += "] ";
        // Mask the raw message, then escape it. Masking after escaping would miss PANs: "\n" puts a
        // letter in front of the digits that follow. Escaping cannot form a new PAN (the digits of
        // an "\xNN" escape follow a letter). The time and level are ours and hold no PAN, and
        // leaving them out keeps the digit-count fast path of MaskPansInPlace effective.
        payload_.assign(msg.payload.data(), msg.payload.size());
        MaskPansInPlace(std::span<char>(payload_.data(), payload_.size()));
        AppendEscaped(line_, payload_);
        write_(line_);
    }

    void flush_() override {
        if (flush_fn_) flush_fn_();
    }

private:
    std::function<TimePoint()> now_;
    LogLineCallback write_;
    std::function<void()> flush_fn_;
    std::string line_;     // reused between events to avoid allocating per line
    std::string payload_;  // likewise
};

struct LoggingState {
    std::mutex mutex;
    std::shared_ptr<spdlog::sinks::sink> sink;
    spdlog::level::level_enum level = spdlog::level::info;
};

LoggingState& State() {
    static LoggingState state;
    return state;
}

void Install(const LogOptions& options, LogLineCallback write, std::function<void()> flush) {
    auto sink = std::make_shared<MaskingSink>(options.now, std::move(write), std::move(flush));
    auto level = ToSpdlog(options.level);
    LoggingState& state = State();
    std::lock_guard lock(state.mutex);
    state.sink = sink;
    state.level = level;

    auto logger = std::make_shared<spdlog::logger>(kDefaultLoggerName, sink);
    logger->set_level(level);
    logger->flush_on(spdlog::level::warn);
    // Re-point every logger already registered (component loggers, anything else) so no logger
    // can write around the masking sink.
    spdlog::drop(kDefaultLoggerName);
    spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) {
        l->sinks().assign(1, sink);
        l->set_level(level);
    });
    spdlog::set_default_logger(logger);
    spdlog::set_level(level);
}

void WriteStderr(std::string_view line) {
    // One fwrite per line: stderr is unbuffered, so a line is never split between writers.
    std::string buf;
    buf.reserve(line.size() + 1);
    buf.append(line);
    buf += '\n';
    std::fwrite(buf.data(), 1, buf.size(), stderr);
}

bool NeedsQuoting(std::string_view value) {
    if (value.empty()) return true;
    for (char c : value) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f || c == '"' || c == '=' || c == '\\') return true;
    }
    return false;
}

}  // namespace

Result<LogLevel> ParseLogLevel(std::string_view text) {
    if (text == "trace") return LogLevel::kTrace;
    if (text == "debug") return LogLevel::kDebug;
    if (text == "info") return LogLevel::kInfo;
    if (text == "warn") return LogLevel::kWarn;
    if (text == "error") return LogLevel::kError;
    if (text == "off") return LogLevel::kOff;
    return Fail(Error::InvalidArgument("unknown log level '" + std::string(text) +
                                       "'; accepted: trace, debug, info, warn, error, off"));
}

std::string_view LogLevelName(LogLevel level) {
    switch (level) {
        case LogLevel::kTrace: return "trace";
        case LogLevel::kDebug: return "debug";
        case LogLevel::kInfo: return "info";
        case LogLevel::kWarn: return "warn";
        case LogLevel::kError: return "error";
        case LogLevel::kOff: return "off";
    }
    return "info";
}

void InitLogging(const LogOptions& options) {
    Install(options, WriteStderr, [] { std::fflush(stderr); });
}

void InitLogging(LogLevel level) {
    LogOptions options;
    options.level = level;
    InitLogging(options);
}

void InitLogging(const LogOptions& options, std::ostream& out) {
    Install(
        options,
        [&out](std::string_view line) {
            out.write(line.data(), static_cast<std::streamsize>(line.size()));
            out.put('\n');
        },
        [&out] { out.flush(); });
}

void InitLogging(const LogOptions& options, LogLineCallback callback) { Install(options, std::move(callback), {}); }

std::shared_ptr<spdlog::logger> Logger(std::string_view component) {
    LoggingState& state = State();
    bool initialised = false;
    {
        std::lock_guard lock(state.mutex);
        initialised = state.sink != nullptr;
    }
    if (!initialised) InitLogging(LogOptions{});  // never log around the masking sink

    std::lock_guard lock(state.mutex);
    std::string name(component);
    if (auto existing = spdlog::get(name)) return existing;
    auto logger = std::make_shared<spdlog::logger>(name, state.sink);
    logger->set_level(state.level);
    logger->flush_on(spdlog::level::warn);
    spdlog::register_logger(logger);
    return logger;
}

std::string Kv(std::string_view key, std::string_view value) {
    std::string out;
    out.reserve(key.size() + value.size() + 3);
    out.append(key);
    out += '=';
    if (!NeedsQuoting(value)) {
        out.append(value);
        return out;
    }
    out += '"';
    for (char c : value) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;  // control characters are escaped by the sink
    }
    out += '"';
    return out;
}

std::string Kv(std::string_view key, bool value) { return Kv(key, std::string_view(value ? "true" : "false")); }

std::string Kv(std::string_view key, double value) {
    std::array<char, 32> buf{};
    auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
    if (ec != std::errc{}) return Kv(key, std::string_view("nan"));
    return Kv(key, std::string_view(buf.data(), static_cast<std::size_t>(end - buf.data())));
}

}  // namespace sim::core
