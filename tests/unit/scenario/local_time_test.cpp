#include "sim/scenario/local_time.hpp"

#include <gtest/gtest.h>

namespace sim::scenario {
namespace {

std::string Next(const char* now, const char* spec, std::optional<int> day = std::nullopt) {
    auto t = NextLocalTime(core::ParseIso8601(now).value(), spec, day);
    return t ? core::FormatIso8601(*t) : "error: " + t.error().message;
}

TEST(ScenarioLocalTime, NextOccurrenceOfALocalTime) {
    // 2027-01-04T00:00Z is 09:00 JST: the next 04:00 JST is the following night (19:00Z).
    EXPECT_EQ(Next("2027-01-04T00:00:00Z", "04:00 Asia/Tokyo"), "2027-01-04T19:00:00Z");
    EXPECT_EQ(Next("2027-01-04T00:00:00Z", "10:30 Asia/Tokyo"), "2027-01-04T01:30:00Z");  // later today
    EXPECT_EQ(Next("2027-01-04T01:30:00Z", "10:30 Asia/Tokyo"), "2027-01-05T01:30:00Z");  // strictly after now
    EXPECT_EQ(Next("2027-01-04T00:00:00Z", "00:00"), "2027-01-05T00:00:00Z");             // UTC without a zone
    EXPECT_EQ(Next("2027-01-04T00:00:00Z", "06:30:15 UTC"), "2027-01-04T06:30:15Z");
}

TEST(ScenarioLocalTime, DayOfMonthForMonthEnds) {
    EXPECT_EQ(Next("2027-01-04T00:00:00Z", "06:30 Asia/Tokyo", 1), "2027-01-31T21:30:00Z");  // Feb 1 06:30 JST
    EXPECT_EQ(Next("2027-01-04T00:00:00Z", "12:00 Asia/Tokyo", 31), "2027-01-31T03:00:00Z");
    EXPECT_EQ(Next("2027-02-01T00:00:00Z", "12:00 Asia/Tokyo", 31), "2027-03-31T03:00:00Z");  // February has none
}

TEST(ScenarioLocalTime, DaylightSavingGapsAreSkipped) {
    // New York springs forward on 2027-03-14: 02:30 does not exist that day.
    EXPECT_EQ(Next("2027-03-14T05:00:00Z", "02:30 America/New_York"), "2027-03-15T06:30:00Z");
    EXPECT_EQ(Next("2027-03-13T05:00:00Z", "02:30 America/New_York"), "2027-03-13T07:30:00Z");
}

TEST(ScenarioLocalTime, BadSpecsAreRefused) {
    EXPECT_NE(Next("2027-01-04T00:00:00Z", "4 o'clock").find("HH:MM"), std::string::npos);
    EXPECT_NE(Next("2027-01-04T00:00:00Z", "25:00 Asia/Tokyo").find("HH:MM"), std::string::npos);
    EXPECT_NE(Next("2027-01-04T00:00:00Z", "04:00 Asia/Nowhere").find("Asia/Nowhere"), std::string::npos);
}

TEST(ScenarioLocalTime, FormatsInAZone) {
    auto t = core::ParseIso8601("2027-01-31T21:30:00Z").value();
    EXPECT_EQ(FormatLocalTime(t, "%Y-%m-%d %H:%M:%S", "Asia/Tokyo").value(), "2027-02-01 06:30:00");
    EXPECT_EQ(FormatLocalTime(t, "%Y%m%d", "UTC").value(), "20270131");
    EXPECT_FALSE(FormatLocalTime(t, "%Q", "UTC").ok());
}

}  // namespace
}  // namespace sim::scenario
