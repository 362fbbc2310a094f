#include "sim/platform/statement/domain/cashflow.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sim/platform/common/crypto.hpp"

namespace sim::platform::statement::domain {
namespace {

using std::chrono::day;
using std::chrono::month;
using std::chrono::year;

constexpr char kHeader[] = "H,cashflow,1.0,SIMPROC01,SIMISSUER01,20270102,2027-01-03T04:00:00+09:00\n";
constexpr char kD1[] =
    "D,1,PT00000000000000000001,AU0000000001,5BYSH0,7f0c1d2e-0000-4000-8000-000000000001,0013,VISA,PURCHASE,D,1280,"
    "JPY,,,2027-01-01T09:00:00+09:00,2027-01-01T09:00:00+09:00,2027-01-02,000896943652675,SIM MART,TOKYO,JP,5499,"
    "705538553626,ONE_TIME\n";
constexpr char kD2[] =
    "D,2,PT00000000000000000002,,,7f0c1d2e-0000-4000-8000-000000000001,0013,VISA,REFUND,C,300,JPY,,,"
    "2027-01-02T10:00:00+09:00,,2027-01-02,000896943652675,\"SIM, \"\"MART\"\"\",TOKYO,JP,5499,,ONE_TIME\n";

std::string File(const std::string& details, const std::string& trailer) { return kHeader + details + trailer; }

std::string Marker(const std::string& csv, std::int64_t records, Yen debit, Yen credit) {
    return nlohmann::json{{"records", records}, {"debit_total", debit}, {"credit_total", credit}, {"sha256", Sha256Hex(csv)}}
        .dump();
}

TEST(Cashflow, ParsesTheFakesFormat) {
    std::string csv = File(std::string(kD1) + kD2, "T,2,1,1280,1,300\n");
    auto f = ParseCashflow(csv, Date{year{2027}, month{1}, day{2}});
    ASSERT_TRUE(f.ok()) << f.error().ToString();
    EXPECT_EQ(f->processor_id, "SIMPROC01");
    ASSERT_EQ(f->records.size(), 2u);
    const CashflowRecord& r = f->records[0];
    EXPECT_EQ(r.txn_id, "PT00000000000000000001");
    EXPECT_EQ(r.amount, 1280);
    EXPECT_FALSE(r.credit);
    EXPECT_EQ(r.last4, "0013");
    EXPECT_EQ(r.posting_date, (Date{year{2027}, month{1}, day{2}}));
    EXPECT_EQ(f->records[1].merchant_name, "SIM, \"MART\"");
    EXPECT_EQ(f->records[1].Signed(), -300);
    EXPECT_EQ(f->debit_total, 1280);
    EXPECT_EQ(f->credit_total, 300);
}

TEST(Cashflow, EmptyDayIsHeaderAndTrailerOnly) {
    auto f = ParseCashflow(File("", "T,0,0,0,0,0\n"));
    ASSERT_TRUE(f.ok()) << f.error().ToString();
    EXPECT_TRUE(f->records.empty());
}

TEST(Cashflow, AcceptsCrlfAndAMissingFinalNewline) {
    std::string csv = File(kD1, "T,1,1,1280,0,0");
    for (std::size_t p = csv.find('\n'); p != std::string::npos; p = csv.find('\n', p + 2)) csv.replace(p, 1, "\r\n");
    EXPECT_TRUE(ParseCashflow(csv).ok());
}

TEST(Cashflow, QuotedFieldMayHoldALineBreak) {
    auto rows = ParseCsv("a,\"x\ny\",c\nd\n");
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ(rows->size(), 2u);
    EXPECT_EQ((*rows)[0][1], "x\ny");
}

struct BadCase {
    const char* name;
    std::string csv;
    std::string field;
};

TEST(Cashflow, RefusesBrokenFilesNamingTheField) {
    auto with = [](std::string d, std::string from, std::string to) {
        d.replace(d.find(from), from.size(), to);
        return d;
    };
    const std::string ok_trailer = "T,1,1,1280,0,0\n";
    std::vector<BadCase> cases = {
        {"trailer count", File(kD1, "T,2,1,1280,0,0\n"), "record_count"},
        {"trailer total", File(kD1, "T,1,1,1281,0,0\n"), "debit_total"},
        {"no trailer", File(kD1, ""), "record"},
        {"after trailer", File(kD1, ok_trailer + kD1), "record"},
        {"seq gap", File(with(kD1, "D,1,", "D,2,"), ok_trailer), "seq"},
        {"txn id", File(with(kD1, "PT00000000000000000001", "PT0001"), ok_trailer), "txn_id"},
        {"amount", File(with(kD1, ",D,1280,", ",D,-1280,"), "T,1,1,-1280,0,0\n"), "amount"},
        {"amount decimal", File(with(kD1, ",D,1280,", ",D,12.80,"), ok_trailer), "amount"},
        {"dc", File(with(kD1, ",D,1280,", ",X,1280,"), ok_trailer), "dc"},
        {"currency", File(with(kD1, ",JPY,", ",USD,"), ok_trailer), "currency"},
        {"posting date", File(with(kD1, "2027-01-02,", "2027-02-30,"), ok_trailer), "posting_date"},
        {"mcc", File(with(kD1, ",5499,", ",54,"), ok_trailer), "mcc"},
        {"merchant too long", File(with(kD1, "SIM MART", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"), ok_trailer), "merchant_name"},
        {"plan", File(with(kD1, "ONE_TIME", "LATER"), ok_trailer), "payment_plan"},
        {"fields", File(with(kD1, ",ONE_TIME", ""), ok_trailer), "record"},
        {"unterminated quote", File(with(kD1, "SIM MART", "\"SIM MART"), ok_trailer), "record"},
        {"bom", "\xEF\xBB\xBF" + File(kD1, ok_trailer), "file"},
        {"header type", with(File(kD1, ok_trailer), "H,cashflow", "H,recon"), "file_type"},
        {"duplicate txn", File(std::string(kD1) + with(kD1, "D,1,", "D,2,"), "T,2,2,2560,0,0\n"), "txn_id"},
    };
    for (const BadCase& c : cases) {
        auto f = ParseCashflow(c.csv);
        ASSERT_FALSE(f.ok()) << c.name;
        EXPECT_EQ(f.error().field, c.field) << c.name << ": " << f.error().ToString();
    }
}

TEST(Cashflow, ChecksTheExpectedDate) {
    auto f = ParseCashflow(File("", "T,0,0,0,0,0\n"), Date{year{2027}, month{1}, day{3}});
    ASSERT_FALSE(f.ok());
    EXPECT_EQ(f.error().field, "file_date");
}

TEST(Cashflow, MarkerMustMatchTheBytesAndTotals) {
    std::string csv = File(kD1, "T,1,1,1280,0,0\n");
    EXPECT_TRUE(VerifyCashflow(csv, Marker(csv, 1, 1280, 0)).ok());
    auto tampered = VerifyCashflow(csv + " ", Marker(csv, 1, 1280, 0));
    ASSERT_FALSE(tampered.ok());
    EXPECT_EQ(tampered.error().field, "sha256");
    auto count = VerifyCashflow(csv, Marker(csv, 2, 1280, 0));
    ASSERT_FALSE(count.ok());
    EXPECT_EQ(count.error().field, "records");
    auto total = VerifyCashflow(csv, Marker(csv, 1, 1000, 0));
    ASSERT_FALSE(total.ok());
    EXPECT_EQ(total.error().field, "debit_total");
    EXPECT_FALSE(VerifyCashflow(csv, "{\"records\":1}").ok());
    EXPECT_FALSE(VerifyCashflow(csv, "not json").ok());
}

TEST(Cashflow, KeysFollowTheBucketLayout) {
    Date d{year{2026}, month{11}, day{30}};
    EXPECT_EQ(CashflowKey(d), "cashflow/2026/11/30/cashflow_20261130_01.csv");
    EXPECT_EQ(CashflowKey(d, true), "cashflow/2026/11/30/cashflow_20261130_01.done");
}

}  // namespace
}  // namespace sim::platform::statement::domain
