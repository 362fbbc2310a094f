#include "sim/platform/statement/domain/statements.hpp"

#include <gtest/gtest.h>

namespace sim::platform::statement::domain {
namespace {

using std::chrono::day;
using std::chrono::month;
using std::chrono::year;

Date D(int y, unsigned m, unsigned d) { return Date{year{y}, month{m}, day{d}}; }
Period P(int y, unsigned m) { return Period{year{y}, month{m}}; }

StatementLine Line(std::string txn, Date posted, Yen amount, std::string merchant = "SIM MART") {
    StatementLine l;
    l.txn_id = std::move(txn);
    l.txn_date = FormatDate(posted);
    l.posting_date = posted;
    l.merchant_name = std::move(merchant);
    l.amount = amount;
    l.payment_this_month = amount;
    return l;
}

// --- calendar ------------------------------------------------------------------------------------

TEST(Calendar, JstDateTurnsAtMidnightJst) {
    auto t = core::ParseIso8601("2027-01-31T14:59:59Z").value();  // 23:59:59 JST
    EXPECT_EQ(JstDate(t), D(2027, 1, 31));
    EXPECT_EQ(JstDate(t + std::chrono::seconds(1)), D(2027, 2, 1));
    EXPECT_EQ(core::FormatIso8601(JstMidnight(D(2027, 2, 1))), "2027-01-31T15:00:00Z");
}

TEST(Calendar, MonthEndCloseAt235959Jst) {
    EXPECT_EQ(core::FormatIso8601(ClosingInstant(P(2027, 1))), "2027-01-31T14:59:59Z");
    EXPECT_EQ(core::FormatIso8601(ClosingInstant(P(2028, 2))), "2028-02-29T14:59:59Z");  // leap year
}

TEST(Calendar, DueDateIsLastDayOfNextMonthMovedToNextBusinessDay) {
    EXPECT_EQ(DueDate(P(2027, 2)), D(2027, 3, 31));  // Wednesday
    EXPECT_EQ(DueDate(P(2027, 1)), D(2027, 3, 1));   // Sun 2027-02-28 -> Mon
    EXPECT_EQ(DueDate(P(2026, 12)), D(2027, 2, 1));  // Sun 2027-01-31 -> Mon
    EXPECT_EQ(DueDate(P(2027, 6)), D(2027, 8, 2));   // Sat 2027-07-31 -> Mon
    EXPECT_EQ(DueDate(P(2027, 11)), D(2027, 12, 31));  // Friday; never earlier
}

TEST(Calendar, ParsesDatesAndPeriods) {
    EXPECT_EQ(ParseDate("2027-02-28"), D(2027, 2, 28));
    EXPECT_FALSE(ParseDate("2027-02-29").has_value());
    EXPECT_FALSE(ParseDate("2027-2-28").has_value());
    EXPECT_EQ(ParsePeriod("2027-01"), P(2027, 1));
    EXPECT_FALSE(ParsePeriod("2027-13").has_value());
    EXPECT_EQ(PeriodOf(D(2027, 1, 31)), "2027-01");
}

// --- interest ------------------------------------------------------------------------------------

TEST(Interest, JaccsExampleTruncatesBelowOneYen) {
    InterestPolicy p{1800, 365};
    PrincipalSpan s{100000, 27};
    EXPECT_EQ(Interest(std::span<const PrincipalSpan>(&s, 1), p), 1331);  // 1,331.5 -> 1,331
}

TEST(Interest, SplitAtPrincipalChangesIsSummedBeforeTruncating) {
    InterestPolicy p{1800, 365};
    std::vector<PrincipalSpan> spans = {{90000, 3}, {90000, 27}};  // 133.15 + 1198.36 = 1331.5
    EXPECT_EQ(Interest(spans, p), 1331);
    // Each part truncated alone would lose a yen here: 0.64 + 0.64 = 1.28 -> 1 (not 0 + 0).
    std::vector<PrincipalSpan> small = {{1300, 1}, {1300, 1}};
    EXPECT_EQ(Interest(std::span<const PrincipalSpan>(&small[0], 1), p), 0);
    EXPECT_EQ(Interest(small, p), 1);
}

TEST(Interest, RateAndDayCountAreConfigurable) {
    PrincipalSpan s{100000, 366};
    EXPECT_EQ(Interest(std::span<const PrincipalSpan>(&s, 1), InterestPolicy{1500, 366}), 15000);
    EXPECT_EQ(Interest(std::span<const PrincipalSpan>(&s, 1), InterestPolicy{1500, 365}), 15041);
    EXPECT_EQ(Interest(std::span<const PrincipalSpan>(&s, 1), InterestPolicy{0, 365}), 0);
}

// --- statements ----------------------------------------------------------------------------------

TEST(CardStatements, PostingsGoToThePeriodOfTheirPostingDateOnce) {
    CardStatements c;
    EXPECT_TRUE(*c.AddPosting(Line("PT1", D(2027, 1, 2), 1280)));
    EXPECT_TRUE(*c.AddPosting(Line("PT2", D(2027, 1, 31), 5000)));
    EXPECT_TRUE(*c.AddPosting(Line("PT3", D(2027, 2, 1), 700)));
    EXPECT_FALSE(*c.AddPosting(Line("PT1", D(2027, 1, 2), 1280)));  // re-delivered in a later file
    ASSERT_NE(c.Find(P(2027, 1)), nullptr);
    EXPECT_EQ(c.Find(P(2027, 1))->total(), 6280);
    EXPECT_EQ(c.Find(P(2027, 2))->total(), 700);
    EXPECT_FALSE(c.AddPosting(Line("", D(2027, 1, 2), 1)).ok());
}

TEST(CardStatements, ClosingOnTheFirstBillsLastMonthWithItsDueDate) {
    CardStatements c;
    ASSERT_TRUE(c.AddPosting(Line("PT1", D(2027, 1, 10), 30000)).ok());
    ASSERT_TRUE(c.AddPosting(Line("PT2", D(2027, 1, 20), -2000)).ok());  // refund
    EXPECT_TRUE(c.CloseThrough(D(2027, 1, 31)).empty());                  // not before month end
    auto closed = c.CloseThrough(D(2027, 2, 1));
    ASSERT_EQ(closed.size(), 1u);
    EXPECT_EQ(closed[0].period, P(2027, 1));
    EXPECT_EQ(closed[0].billed, 28000);
    EXPECT_EQ(closed[0].due_date, D(2027, 3, 1));
    EXPECT_TRUE(c.CloseThrough(D(2027, 2, 1)).empty());  // idempotent
    EXPECT_EQ(c.Find(P(2027, 1))->StatusOn(D(2027, 2, 1)), "CLOSED");
    // A late posting for January lands on February's statement.
    ASSERT_TRUE(c.AddPosting(Line("PT3", D(2027, 1, 31), 500)).ok());
    EXPECT_EQ(c.Find(P(2027, 2))->total(), 500);
}

TEST(CardStatements, NegativeTotalBecomesCreditForTheNextStatement) {
    CardStatements c;
    ASSERT_TRUE(c.AddPosting(Line("PT1", D(2027, 1, 10), -3000)).ok());
    c.CloseThrough(D(2027, 2, 1));
    EXPECT_EQ(c.Find(P(2027, 1))->billed, 0);
    EXPECT_EQ(c.credit(), 3000);
    ASSERT_TRUE(c.AddPosting(Line("PT2", D(2027, 2, 10), 5000)).ok());
    c.CloseThrough(D(2027, 3, 1));
    EXPECT_EQ(c.Find(P(2027, 2))->billed, 2000);
    EXPECT_EQ(c.Find(P(2027, 2))->credit_applied, 3000);
    EXPECT_EQ(c.credit(), 0);
}

TEST(CardStatements, InterestRunsFromTheDayAfterTheDueDate) {
    CardStatements c(InterestPolicy{1800, 365});
    ASSERT_TRUE(c.AddPosting(Line("PT1", D(2027, 1, 10), 100000)).ok());
    c.CloseThrough(D(2027, 2, 1));  // due 2027-03-01
    EXPECT_TRUE(c.AccrueInterest(D(2027, 3, 1)).empty());
    EXPECT_EQ(c.Find(P(2027, 1))->interest, 0);
    auto notices = c.AccrueInterest(D(2027, 3, 2));
    ASSERT_EQ(notices.size(), 1u);  // first overdue day
    EXPECT_EQ(c.Find(P(2027, 1))->StatusOn(D(2027, 3, 2)), "OVERDUE");
    EXPECT_TRUE(c.AccrueInterest(D(2027, 3, 3)).empty());  // noticed once
    c.AccrueInterest(D(2027, 3, 28));                       // 27 days: 2027-03-02 .. 03-28
    EXPECT_EQ(c.Find(P(2027, 1))->interest, 1331);
    c.AccrueInterest(D(2027, 3, 28));  // same day again: nothing more
    EXPECT_EQ(c.Find(P(2027, 1))->interest, 1331);
}

TEST(CardStatements, RepaymentSplitsThePrincipalAndTheDaysSumBeforeTruncating) {
    // ¥100,000 overdue for 3 days, ¥10,000 repaid on the 3rd day, then ¥90,000 for 27 days.
    CardStatements c(InterestPolicy{1800, 365});
    ASSERT_TRUE(c.AddPosting(Line("PT1", D(2027, 1, 10), 100000)).ok());
    c.CloseThrough(D(2027, 2, 1));
    c.AccrueInterest(D(2027, 3, 2));
    auto a = c.Allocate("RP1", 10147, D(2027, 3, 4));  // accrues 03-02..03-04 first: 147.9 -> 147 owed
    ASSERT_TRUE(a.ok());
    ASSERT_EQ(a->parts.size(), 1u);
    EXPECT_EQ(a->parts[0].interest, 147);
    EXPECT_EQ(a->parts[0].principal, 10000);
    EXPECT_EQ(a->PrincipalTotal(), 10000);
    c.AccrueInterest(D(2027, 3, 31));  // 27 more days at ¥90,000
    const Statement* s = c.Find(P(2027, 1));
    // exact: (100000×3 + 90000×27) × 0.18 / 365 = 1346.30 -> 1346 in total
    EXPECT_EQ(s->interest, 1346);
    EXPECT_EQ(s->unpaid_interest(), 1346 - 147);
    EXPECT_LE(s->paid(), s->total() + s->interest);
}

TEST(CardStatements, AllocationIsOldestDueFirstInterestBeforePrincipal) {
    CardStatements c(InterestPolicy{1800, 365});
    ASSERT_TRUE(c.AddPosting(Line("PT1", D(2027, 1, 10), 20000)).ok());
    c.CloseThrough(D(2027, 2, 1));
    ASSERT_TRUE(c.AddPosting(Line("PT2", D(2027, 2, 10), 5000)).ok());
    c.CloseThrough(D(2027, 3, 1));
    ASSERT_TRUE(c.AddPosting(Line("PT3", D(2027, 3, 10), 4000)).ok());  // open, unbilled
    c.AccrueInterest(D(2027, 3, 31));  // January overdue 30 days: 20000×.18×30/365 = 295.8
    ASSERT_EQ(c.Find(P(2027, 1))->interest, 295);
    auto a = c.Allocate("RP1", 30000, D(2027, 3, 31));
    ASSERT_TRUE(a.ok());
    ASSERT_EQ(a->parts.size(), 2u);
    EXPECT_EQ(a->parts[0].period, P(2027, 1));
    EXPECT_EQ(a->parts[0].interest, 295);
    EXPECT_EQ(a->parts[0].principal, 20000);
    EXPECT_EQ(a->parts[1].period, P(2027, 2));
    EXPECT_EQ(a->parts[1].principal, 5000);
    EXPECT_EQ(a->unbilled, 4000);
    EXPECT_EQ(a->prepayment, 30000 - 295 - 20000 - 5000 - 4000);
    Yen sum = a->unbilled + a->prepayment;
    for (const auto& p : a->parts) sum += p.interest + p.principal;
    EXPECT_EQ(sum, 30000);
    EXPECT_EQ(c.Find(P(2027, 1))->StatusOn(D(2027, 4, 1)), "PAID");
    // The open statement closes against the credit: nothing more due, the rest stays prepaid.
    c.CloseThrough(D(2027, 4, 1));
    EXPECT_EQ(c.Find(P(2027, 3))->billed, 0);
    EXPECT_EQ(c.credit(), 705);
    EXPECT_EQ(c.PostedUnpaid(), -705);
}

TEST(CardStatements, AllocationIsIdempotentByRepaymentId) {
    CardStatements c;
    ASSERT_TRUE(c.AddPosting(Line("PT1", D(2027, 1, 10), 20000)).ok());
    c.CloseThrough(D(2027, 2, 1));
    auto first = c.Allocate("RP1", 5000, D(2027, 2, 5));
    ASSERT_TRUE(first.ok());
    auto again = c.Allocate("RP1", 5000, D(2027, 2, 6));
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(again->duplicate);
    EXPECT_EQ(c.Find(P(2027, 1))->paid_principal, 5000);
    auto other = c.Allocate("RP1", 6000, D(2027, 2, 6));
    ASSERT_FALSE(other.ok());
    EXPECT_EQ(other.error().kind, core::ErrorKind::kConflict);
    EXPECT_FALSE(c.Allocate("RP2", 0, D(2027, 2, 6)).ok());
}

TEST(CardStatements, PostedUnpaidMatchesTheLedgerIdentity) {
    // Postings 20000 + 5000 - 1000, principal repaid 12000: the ledger says 12000 unpaid.
    CardStatements c(InterestPolicy{1500, 365});
    ASSERT_TRUE(c.AddPosting(Line("PT1", D(2027, 1, 10), 20000)).ok());
    c.CloseThrough(D(2027, 2, 1));
    ASSERT_TRUE(c.AddPosting(Line("PT2", D(2027, 2, 3), 5000)).ok());
    ASSERT_TRUE(c.AddPosting(Line("PT3", D(2027, 2, 4), -1000)).ok());
    c.AccrueInterest(D(2027, 3, 10));  // January overdue since 03-02
    Yen interest = c.Find(P(2027, 1))->interest;
    auto a = c.Allocate("RP1", 12000 + interest, D(2027, 3, 10));
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->PrincipalTotal(), 12000);
    EXPECT_EQ(c.PostedUnpaid(), 20000 + 5000 - 1000 - 12000);
    EXPECT_EQ(c.InterestOwed(), 0);
}

}  // namespace
}  // namespace sim::platform::statement::domain
