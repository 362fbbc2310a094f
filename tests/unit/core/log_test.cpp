#include "sim/core/log.hpp"

#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

namespace sim::core {
namespace {

/// Captures log lines through the callback overload; restores an "off" logger afterwards.
class LogCapture : public ::testing::Test {
protected:
    void SetUp() override {
        LogOptions options;
        options.level = LogLevel::kTrace;
        options.now = [] { return FromEpochMillis(1'795'884'449'123); };  // 2026-11-28T16:47:29.123Z
        InitLogging(options, [this](std::string_view line) { lines_.emplace_back(line); });
    }
    void TearDown() override {
        LogOptions options;
        options.level = LogLevel::kOff;
        InitLogging(options, [](std::string_view) {});
    }

    std::vector<std::string> lines_;
};

TEST(ParseLogLevel, AcceptsTheSixNames) {
    EXPECT_EQ(*ParseLogLevel("trace"), LogLevel::kTrace);
    EXPECT_EQ(*ParseLogLevel("debug"), LogLevel::kDebug);
    EXPECT_EQ(*ParseLogLevel("info"), LogLevel::kInfo);
    EXPECT_EQ(*ParseLogLevel("warn"), LogLevel::kWarn);
    EXPECT_EQ(*ParseLogLevel("error"), LogLevel::kError);
    EXPECT_EQ(*ParseLogLevel("off"), LogLevel::kOff);
    for (auto level :
         {LogLevel::kTrace, LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError, LogLevel::kOff})
        EXPECT_EQ(*ParseLogLevel(LogLevelName(level)), level);
}

TEST(ParseLogLevel, RejectsOthersNamingTheAcceptedValues) {
    auto r = ParseLogLevel("verbose");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_NE(r.error().message.find("verbose"), std::string::npos);
    EXPECT_NE(r.error().message.find("trace, debug, info, warn, error, off"), std::string::npos);
    EXPECT_FALSE(ParseLogLevel("INFO").ok());
    EXPECT_FALSE(ParseLogLevel("").ok());
}

TEST_F(LogCapture, WritesOneStructuredLinePerEvent) {
    spdlog::info("request done {} {}", Kv("queue", "orders"), Kv("bytes", 512));
    ASSERT_EQ(lines_.size(), 1u);
    EXPECT_EQ(lines_[0], "2026-11-28T16:47:29.123Z info [sim] request done queue=orders bytes=512");
}

TEST_F(LogCapture, ComponentLoggersShowTheirName) {
    Logger("sqs")->warn("queue missing {}", Kv("name", "a b"));
    ASSERT_EQ(lines_.size(), 1u);
    EXPECT_EQ(lines_[0], "2026-11-28T16:47:29.123Z warn [sqs] queue missing name=\"a b\"");
    EXPECT_EQ(Logger("sqs"), Logger("sqs"));
}

TEST_F(LogCapture, MasksCardNumbersInEveryLine) {
    spdlog::info("authorize pan={} amount=1280", "4111111111111111");
    Logger("processor")->error("card 5555 5555 5555 4444 declined, retry with 3566002020360505");
    ASSERT_EQ(lines_.size(), 2u);
    EXPECT_EQ(lines_[0], "2026-11-28T16:47:29.123Z info [sim] authorize pan=411111******1111 amount=1280");
    EXPECT_EQ(lines_[1],
              "2026-11-28T16:47:29.123Z error [processor] card 5555 55** **** 4444 declined, retry with "
              "356600******0505");
}

TEST_F(LogCapture, KeepsMultiLineMessagesOnOneLineAndStillMasks) {
    spdlog::info("body:\n4111111111111111\tend");
    ASSERT_EQ(lines_.size(), 1u);
    EXPECT_EQ(lines_[0], "2026-11-28T16:47:29.123Z info [sim] body:\\n411111******1111\\tend");
}

TEST_F(LogCapture, DoesNotMaskTimestampsOrNonLuhnNumbers) {
    spdlog::info("at 1732812449129 id 4242424242424241");
    ASSERT_EQ(lines_.size(), 1u);
    EXPECT_EQ(lines_[0], "2026-11-28T16:47:29.123Z info [sim] at 1732812449129 id 4242424242424241");
}

TEST_F(LogCapture, HonoursTheLevel) {
    LogOptions options;
    options.level = LogLevel::kWarn;
    options.now = [] { return FromEpochMillis(0); };
    InitLogging(options, [this](std::string_view line) { lines_.emplace_back(line); });
    spdlog::info("hidden");
    Logger("sqs")->debug("hidden too");
    spdlog::warn("shown");
    ASSERT_EQ(lines_.size(), 1u);
    EXPECT_EQ(lines_[0], "1970-01-01T00:00:00.000Z warn [sim] shown");
}

TEST(Logging, WritesToAStreamWithNewlines) {
    std::ostringstream out;
    LogOptions options;
    options.now = [] { return FromEpochMillis(1'795'884'449'123); };
    InitLogging(options, out);
    spdlog::info("one {}", "4012888888881881");
    spdlog::error("two");
    spdlog::default_logger()->flush();
    EXPECT_EQ(out.str(),
              "2026-11-28T16:47:29.123Z info [sim] one 401288******1881\n"
              "2026-11-28T16:47:29.123Z error [sim] two\n");
    InitLogging(LogLevel::kOff);
}

TEST(Kv, QuotesValuesThatWouldBreakTheLine) {
    EXPECT_EQ(Kv("k", "plain"), "k=plain");
    EXPECT_EQ(Kv("k", ""), "k=\"\"");
    EXPECT_EQ(Kv("k", "a \"b\" \\c"), "k=\"a \\\"b\\\" \\\\c\"");
    EXPECT_EQ(Kv("k", "a=b"), "k=\"a=b\"");
    EXPECT_EQ(Kv("n", 42), "n=42");
    EXPECT_EQ(Kv("n", -7L), "n=-7");
    EXPECT_EQ(Kv("x", 0.25), "x=0.25");
    EXPECT_EQ(Kv("ok", true), "ok=true");
}

}  // namespace
}  // namespace sim::core
