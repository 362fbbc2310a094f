#include "sim/core/time.hpp"

#include <gtest/gtest.h>

namespace sim::core {
namespace {

using namespace std::chrono_literals;

TEST(Iso8601, RoundTripsUtcWithMilliseconds) {
    auto t = ParseIso8601("2027-01-01T12:34:56.789Z");
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(FormatIso8601(*t), "2027-01-01T12:34:56.789Z");
    EXPECT_EQ(FormatIso8601(ParseIso8601("2027-01-01T00:00:00Z").value()), "2027-01-01T00:00:00Z");
}

TEST(Iso8601, AppliesOffsets) {
    auto tokyo = ParseIso8601("2027-01-01T09:00:00+09:00");
    ASSERT_TRUE(tokyo.ok());
    EXPECT_EQ(FormatIso8601(*tokyo), "2027-01-01T00:00:00Z");
}

TEST(Iso8601, DateOnlyIsMidnightUtcAndEpochIsKnown) {
    EXPECT_EQ(ToEpochMillis(ParseIso8601("1970-01-02").value()), 86'400'000);
    EXPECT_EQ(FormatIso8601(FromEpochMillis(0)), "1970-01-01T00:00:00Z");
}

TEST(Iso8601, RejectsGarbageAndImpossibleDates) {
    EXPECT_FALSE(ParseIso8601("yesterday").ok());
    EXPECT_FALSE(ParseIso8601("2027-02-30T00:00:00Z").ok());
    EXPECT_FALSE(ParseIso8601("2027-01-01T25:00:00Z").ok());
    EXPECT_FALSE(ParseIso8601("2027-01-01T00:00:00").ok());  // no zone: ambiguous
}

TEST(Duration, ParsesIso8601Forms) {
    EXPECT_EQ(ParseDuration("PT12H").value(), 12h);
    EXPECT_EQ(ParseDuration("P1D").value(), 24h);
    EXPECT_EQ(ParseDuration("P1W").value(), 168h);
    EXPECT_EQ(ParseDuration("P1DT2H30M").value(), 26h + 30min);
    EXPECT_EQ(ParseDuration("PT0.5S").value(), 500ms);
}

TEST(Duration, ParsesShortForms) {
    EXPECT_EQ(ParseDuration("250ms").value(), 250ms);
    EXPECT_EQ(ParseDuration("30s").value(), 30s);
    EXPECT_EQ(ParseDuration("5m").value(), 5min);
    EXPECT_EQ(ParseDuration("3d").value(), 72h);
}

TEST(Duration, RejectsMonthsYearsAndGarbage) {
    EXPECT_FALSE(ParseDuration("P1M").ok());  // months have no fixed length
    EXPECT_FALSE(ParseDuration("P1Y").ok());
    EXPECT_FALSE(ParseDuration("PT").ok());
    EXPECT_FALSE(ParseDuration("P").ok());
    EXPECT_FALSE(ParseDuration("12").ok());
    EXPECT_FALSE(ParseDuration("soon").ok());
    EXPECT_FALSE(ParseDuration("").ok());
}

}  // namespace
}  // namespace sim::core
