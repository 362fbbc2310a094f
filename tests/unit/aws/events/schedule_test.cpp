#include <gtest/gtest.h>

#include "sim/aws/events/engine/schedule.hpp"

namespace sim::aws::events {
namespace {

core::TimePoint T(const std::string& iso) { return core::ParseIso8601(iso).value(); }
std::string S(core::TimePoint t) { return core::FormatIso8601(t); }

std::shared_ptr<const TimeZone> Zone(const std::string& name) {
    auto z = TimeZone::Load(name);
    EXPECT_TRUE(z.ok()) << name;
    return z.value();
}

std::string Next(const std::string& expr, const std::string& after, const std::string& zone = "UTC") {
    auto e = ScheduleExpression::Parse(expr, true);
    EXPECT_TRUE(e.ok()) << expr << ": " << (e.ok() ? "" : e.error().message);
    auto n = e->NextAfter(T(after), *Zone(zone));
    return n ? S(*n) : "none";
}

TEST(ScheduleExpression, RateFiresEveryPeriodFromItsAnchor) {
    auto e = ScheduleExpression::Parse("rate(5 minutes)").value();
    auto anchor = T("2027-01-01T00:05:00Z");
    EXPECT_EQ(S(*e.NextAfter(T("2027-01-01T00:00:00Z"), *TimeZone::Utc(), anchor)), "2027-01-01T00:05:00Z");
    EXPECT_EQ(S(*e.NextAfter(T("2027-01-01T00:05:00Z"), *TimeZone::Utc(), anchor)), "2027-01-01T00:10:00Z");
    EXPECT_EQ(S(*e.NextAfter(T("2027-01-01T00:12:00Z"), *TimeZone::Utc(), anchor)), "2027-01-01T00:15:00Z");
}

TEST(ScheduleExpression, RejectsBadExpressionsWithReasons) {
    for (const char* bad : {"rate(0 minutes)", "rate(1 minutes)", "rate(5 minute)", "rate(5 weeks)", "rate(x hours)",
                            "cron(0 3 * * * *)", "cron(0 3 ? * ? *)", "cron(0 3 * *)", "cron(60 3 * * ? *)",
                            "cron(0 24 * * ? *)", "cron(0 3 32 * ? *)", "cron(0 3 ? * 8 *)", "cron(0 3 ? * 2#6 *)",
                            "cron(0 3 * FOO ? *)", "cron(0 3 * * ? 1969)", "at(2027-01-01)", "every day", ""}) {
        EXPECT_FALSE(ScheduleExpression::Parse(bad, true).ok()) << bad;
    }
    EXPECT_FALSE(ScheduleExpression::Parse("at(2027-01-01T00:00:00)", false).ok());
}

TEST(ScheduleExpression, CronDailyAndMonthEnds) {
    EXPECT_EQ(Next("cron(0 3 * * ? *)", "2027-01-01T03:00:00Z"), "2027-01-02T03:00:00Z");
    EXPECT_EQ(Next("cron(0 3 * * ? *)", "2027-01-01T02:59:59Z"), "2027-01-01T03:00:00Z");
    EXPECT_EQ(Next("cron(0 0 31 * ? *)", "2027-02-01T00:00:00Z"), "2027-03-31T00:00:00Z");
    EXPECT_EQ(Next("cron(0 0 L * ? *)", "2027-02-01T00:00:00Z"), "2027-02-28T00:00:00Z");
    EXPECT_EQ(Next("cron(0 0 L * ? *)", "2027-04-01T00:00:00Z"), "2027-04-30T00:00:00Z");
    EXPECT_EQ(Next("cron(0 0 L-2 * ? *)", "2027-01-01T00:00:00Z"), "2027-01-29T00:00:00Z");
}

TEST(ScheduleExpression, CronLeapYears) {
    EXPECT_EQ(Next("cron(0 0 29 2 ? *)", "2027-01-01T00:00:00Z"), "2028-02-29T00:00:00Z");
    EXPECT_EQ(Next("cron(0 0 L FEB ? *)", "2028-01-15T00:00:00Z"), "2028-02-29T00:00:00Z");
    EXPECT_EQ(Next("cron(0 0 29 2 ? 2029-2031)", "2027-01-01T00:00:00Z"), "none");
    EXPECT_EQ(Next("cron(0 0 29 2 ? *)", "2096-03-01T00:00:00Z"), "2104-02-29T00:00:00Z");  // 2100 is not leap
}

TEST(ScheduleExpression, CronListsRangesIncrementsAndNames) {
    EXPECT_EQ(Next("cron(0/15 * * * ? *)", "2027-01-01T00:07:00Z"), "2027-01-01T00:15:00Z");
    EXPECT_EQ(Next("cron(5,35 10-12 * * ? *)", "2027-01-01T12:35:00Z"), "2027-01-02T10:05:00Z");
    EXPECT_EQ(Next("cron(0 9 ? * MON-FRI *)", "2027-01-01T09:00:00Z"), "2027-01-04T09:00:00Z");  // Fri -> Mon
    EXPECT_EQ(Next("cron(0 9 ? * 2-6 *)", "2027-01-01T09:00:00Z"), "2027-01-04T09:00:00Z");
    EXPECT_EQ(Next("cron(0 0 1 JAN,JUL ? *)", "2027-01-01T00:00:00Z"), "2027-07-01T00:00:00Z");
    EXPECT_EQ(Next("cron(*/30 */6 * * ? *)", "2027-01-01T06:30:00Z"), "2027-01-01T12:00:00Z");
}

TEST(ScheduleExpression, CronWeekdayNearestAndLastAndNth) {
    // 2027-05-01 is a Saturday: 1W is Monday the 3rd (never crosses into another month).
    EXPECT_EQ(Next("cron(0 0 1W * ? *)", "2027-04-30T00:00:00Z"), "2027-05-03T00:00:00Z");
    // 2027-05-15 is a Saturday: 15W is Friday the 14th.
    EXPECT_EQ(Next("cron(0 0 15W * ? *)", "2027-05-04T00:00:00Z"), "2027-05-14T00:00:00Z");
    // 2027-10-31 is a Sunday: LW is Friday the 29th.
    EXPECT_EQ(Next("cron(0 0 LW * ? *)", "2027-10-01T00:00:00Z"), "2027-10-29T00:00:00Z");
    // Last Friday of January 2027: the 29th.
    EXPECT_EQ(Next("cron(0 0 ? * 6L *)", "2027-01-01T00:00:00Z"), "2027-01-29T00:00:00Z");
    // Third Monday of January 2027: the 18th; second Tuesday of Feb 2027: the 9th.
    EXPECT_EQ(Next("cron(0 0 ? * 2#3 *)", "2027-01-01T00:00:00Z"), "2027-01-18T00:00:00Z");
    EXPECT_EQ(Next("cron(0 0 ? * TUE#2 *)", "2027-02-01T00:00:00Z"), "2027-02-09T00:00:00Z");
}

TEST(ScheduleExpression, AtFiresOnceInItsZone) {
    EXPECT_EQ(Next("at(2027-03-01T09:00:00)", "2027-01-01T00:00:00Z", "Asia/Tokyo"), "2027-03-01T00:00:00Z");
    EXPECT_EQ(Next("at(2027-03-01T09:00:00)", "2027-03-01T00:00:00Z", "Asia/Tokyo"), "none");
}

TEST(TimeZone, TokyoHasNoDst) {
    auto z = Zone("Asia/Tokyo");
    EXPECT_EQ(z->OffsetAt(core::ToEpochMillis(T("2027-01-15T00:00:00Z")) / 1000), 9 * 3600);
    EXPECT_EQ(z->OffsetAt(core::ToEpochMillis(T("2027-07-15T00:00:00Z")) / 1000), 9 * 3600);
    EXPECT_EQ(Next("cron(0 3 * * ? *)", "2027-01-01T00:00:00Z", "Asia/Tokyo"), "2027-01-01T18:00:00Z");
}

TEST(TimeZone, NewYorkSwitchesAtTheDocumentedInstants) {
    auto z = Zone("America/New_York");
    auto at = [&](const char* iso) { return z->OffsetAt(core::ToEpochMillis(T(iso)) / 1000) / 3600; };
    // 2027: DST from Sunday March 14 07:00Z to Sunday November 7 06:00Z (beyond any fat table: footer rule).
    EXPECT_EQ(at("2027-03-14T06:59:59Z"), -5);
    EXPECT_EQ(at("2027-03-14T07:00:00Z"), -4);
    EXPECT_EQ(at("2027-11-07T05:59:59Z"), -4);
    EXPECT_EQ(at("2027-11-07T06:00:00Z"), -5);
    EXPECT_EQ(at("2045-07-01T00:00:00Z"), -4);
    EXPECT_EQ(at("1990-01-01T00:00:00Z"), -5);
}

TEST(TimeZone, CronKeepsWallTimeAcrossDst) {
    // 09:00 New York is 14:00Z in winter and 13:00Z in summer.
    EXPECT_EQ(Next("cron(0 9 * * ? *)", "2027-03-13T15:00:00Z", "America/New_York"), "2027-03-14T13:00:00Z");
    EXPECT_EQ(Next("cron(0 9 * * ? *)", "2027-11-06T14:00:00Z", "America/New_York"), "2027-11-07T14:00:00Z");
    // 02:30 does not exist on 2027-03-14: that day's invocation is skipped (AWS Scheduler).
    EXPECT_EQ(Next("cron(30 2 * * ? *)", "2027-03-13T12:00:00Z", "America/New_York"), "2027-03-15T06:30:00Z");
    // 01:30 happens twice on 2027-11-07: it fires once, at the first (EDT) one.
    EXPECT_EQ(Next("cron(30 1 * * ? *)", "2027-11-07T00:00:00Z", "America/New_York"), "2027-11-07T05:30:00Z");
    EXPECT_EQ(Next("cron(30 1 * * ? *)", "2027-11-07T05:30:00Z", "America/New_York"), "2027-11-08T06:30:00Z");
}

TEST(TimeZone, LondonSummerTime) {
    EXPECT_EQ(Next("cron(0 12 * * ? *)", "2027-03-27T12:00:00Z", "Europe/London"), "2027-03-28T11:00:00Z");
    EXPECT_EQ(Next("cron(0 12 * * ? *)", "2027-10-30T11:00:00Z", "Europe/London"), "2027-10-31T12:00:00Z");
}

TEST(TimeZone, UnknownAndHostileNamesAreRefused) {
    EXPECT_FALSE(TimeZone::Load("Mars/Olympus").ok());
    EXPECT_FALSE(TimeZone::Load("../../etc/passwd").ok());
    EXPECT_FALSE(TimeZone::Parse("x", "not a tzif file").ok());
}

}  // namespace
}  // namespace sim::aws::events
