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

TEST(Iso8601, YearsBeyondWhatATimePointHoldsAreRejectedNotOverflowed) {
    // Found by fuzz_scenario_loader: "start": "9822-01-04T00:00:00Z" overflowed the nanosecond count.
    auto far = ParseIso8601("9822-01-04T00:00:00Z");
    ASSERT_FALSE(far.ok());
    EXPECT_NE(far.error().message.find("outside the years 1678 to 2261"), std::string::npos);
    EXPECT_FALSE(ParseIso8601("0001-01-01").ok());
    EXPECT_FALSE(ParseIso8601("2262-01-01T00:00:00Z").ok());
    EXPECT_EQ(FormatIso8601(ParseIso8601("2261-12-31T23:59:59+09:00").value()), "2261-12-31T14:59:59Z");
    EXPECT_EQ(FormatIso8601(ParseIso8601("1678-01-01T00:00:00Z").value()), "1678-01-01T00:00:00Z");
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

TEST(Duration, LongerThanAHundredYearsIsRejectedNotOverflowed) {
    EXPECT_EQ(ParseDuration("P36500D").value(), 36500 * 24h);
    EXPECT_FALSE(ParseDuration("P36600D").ok());
    EXPECT_FALSE(ParseDuration("99999999999999999999d").ok());
    auto huge = ParseDuration("P9999999999999W");
    ASSERT_FALSE(huge.ok());
    EXPECT_NE(huge.error().message.find("longer than the 100 years"), std::string::npos);
}

}  // namespace
}  // namespace sim::core
