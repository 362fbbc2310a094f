#include <gtest/gtest.h>

#include "fake_test_env.hpp"
#include "fakes/bureau/bureau.hpp"

namespace sim::fakes::bureau {
namespace {

using testing::World;

Identity Person(std::string given, std::string dob = "1990-01-01") {
    return {"テスト", std::move(given), std::move(dob), "090-0000-0000", "テスト 太郎"};
}

TEST(CreditBureau, MagicApplicantsGetTheirReports) {
    World w;
    CreditBureau b(w.clock, 1);
    auto clean = b.Inquire(Person("ツウジョウ"), "SIMISSUER01", "NEW_CONTRACT").value();
    EXPECT_TRUE(clean.found);
    ASSERT_EQ(clean.contracts.size(), 1u);
    EXPECT_EQ(clean.contracts[0].payment_history, std::string(24, '$'));
    EXPECT_FALSE(clean.incident);

    auto ido = b.Inquire(Person("イドウ"), "SIMISSUER01", "NEW_CONTRACT").value();
    EXPECT_TRUE(ido.incident);
    EXPECT_EQ(ido.incident_since, "2025-05");
    EXPECT_EQ(ido.contracts[0].payment_history.substr(21), "AAA");
    EXPECT_LT(ido.score, clean.score);

    auto entai = b.Inquire(Person("エンタイ"), "SIMISSUER01", "NEW_CONTRACT").value();
    EXPECT_FALSE(entai.incident);
    EXPECT_EQ(entai.contracts[0].payment_history.back(), 'A');

    auto taju = b.Inquire(Person("タジュウ"), "SIMISSUER01", "NEW_CONTRACT").value();
    EXPECT_EQ(taju.contracts.size(), 5u);
    EXPECT_EQ(taju.total_annual_billing, 2'400'000);
    EXPECT_EQ(taju.inquiries_6m, 4);

    auto none = b.Inquire(Person("ﾐﾄｳﾛｸ"), "SIMISSUER01", "NEW_CONTRACT").value();
    EXPECT_FALSE(none.found);
    EXPECT_TRUE(none.contracts.empty());
}

TEST(CreditBureau, ReportsAreDeterministicAndEveryInquiryIsRecorded) {
    World w;
    CreditBureau b(w.clock, 1);
    auto a = b.Inquire(Person("ハナコ", "1980-02-03"), "SIMISSUER01", "NEW_CONTRACT").value();
    auto again = b.Inquire(Person("はなこ", "1980-02-03"), "OTHER", "MONITORING").value();
    EXPECT_EQ(a.contracts.size(), again.contracts.size());
    EXPECT_EQ(again.inquiries_6m, a.inquiries_6m + 1);  // the first inquiry now shows
    ASSERT_EQ(b.inquiries().size(), 2u);
    EXPECT_EQ(b.inquiries()[1].inquirer, "OTHER");
    w.Advance(std::chrono::days(200));
    EXPECT_EQ(b.Inquire(Person("ハナコ", "1980-02-03"), "X", "RENEWAL")->inquiries_6m, a.inquiries_6m);
    EXPECT_EQ(b.Inquire(Person("ハナコ", "1980-13-03"), "X", "RENEWAL").error().field, "birth_date");
}

TEST(CreditBureau, RegisteredContractsAppearInLaterReports) {
    World w;
    CreditBureau b(w.clock, 1);
    auto c = b.RegisterContract({Person("ミトウロク"), "SIMISSUER01", "REVOLVING", "2027-01-01", 100'000}).value();
    EXPECT_EQ(c.id, "CC0000000001");
    auto rep = b.Inquire(Person("ミトウロク"), "SIMISSUER01", "MONITORING").value();
    EXPECT_TRUE(rep.found);
    ASSERT_EQ(rep.contracts.size(), 1u);
    EXPECT_EQ(rep.contracts[0].limit, 100'000);
    EXPECT_EQ(b.UpdatePaymentStatus(c.id, '$', 5'000)->payment_history.back(), '$');
    EXPECT_EQ(b.UpdatePaymentStatus(c.id, 'X', 0).error().field, "symbol");
    EXPECT_EQ(b.RegisterContract({Person("A"), "S", "LEASE", "2027-01-01", 1}).error().field, "contract_type");
    EXPECT_EQ(b.GetContract("CC404").error().kind, core::ErrorKind::kNotFound);
}

}  // namespace
}  // namespace sim::fakes::bureau
