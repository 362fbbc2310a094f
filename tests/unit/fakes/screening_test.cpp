#include <gtest/gtest.h>

#include "fake_test_env.hpp"
#include "fakes/screening/screening.hpp"

namespace sim::fakes::screening {
namespace {

using testing::World;

class ScreeningTest : public ::testing::Test {
protected:
    World w;
    Screening s{w.clock, DefaultWatchList()};
    CheckResult Check(std::string name, std::string kana, std::string dob, std::string roman = "") {
        return s.Check({std::move(name), std::move(kana), std::move(roman), std::move(dob)}).value();
    }
};

TEST_F(ScreeningTest, ExactNameAndBirthDateIsAHit) {
    auto r = Check("反社 一郎", "ハンシャ イチロウ", "1965-04-01");
    EXPECT_EQ(r.result, "HIT");
    EXPECT_EQ(r.score, 100);
    EXPECT_EQ(r.matched->id, "WL-0001");
    EXPECT_EQ(r.list_version, "cardsim-default-1");
}

TEST_F(ScreeningTest, WidthKanaAndSpacingAreNormalised) {
    EXPECT_EQ(Check("", "ﾊﾝｼｬ ｲﾁﾛｳ", "1965-04-01").result, "HIT");
    EXPECT_EQ(Check("", "はんしゃ　いちろう", "1965-04-01").result, "HIT");
    EXPECT_EQ(Check("高橋 反社", "", "1970-07-07").result, "HIT");  // 髙 folded to 高
}

TEST_F(ScreeningTest, OtherBirthDateOrNearNameIsAPossibleHit) {
    auto other_dob = Check("", "ハンシャ イチロウ", "1990-01-01");
    EXPECT_EQ(other_dob.result, "POSSIBLE_HIT");
    EXPECT_EQ(other_dob.score, 70);
    EXPECT_EQ(Check("", "ハンシャ イチロウ", "").score, 70);
    auto near = Check("", "ハンシャ イチロ", "1965-04-01");
    EXPECT_EQ(near.result, "POSSIBLE_HIT");
    EXPECT_EQ(near.score, 80);
}

TEST_F(ScreeningTest, PepsAndFamilyArePepHits) {
    EXPECT_EQ(Check("", "", "1960-01-01", "john pepson").result, "PEP_HIT");
    EXPECT_EQ(Check("", "", "1962-02-02", "ＭＡＲＹ ＰＥＰＳＯＮ").result, "PEP_HIT");
}

TEST_F(ScreeningTest, OrdinaryApplicantsAreNoHitAndChecksAreKept) {
    auto r = Check("テスト 太郎", "テスト ツウジョウ", "1990-01-01");
    EXPECT_EQ(r.result, "NO_HIT");
    EXPECT_EQ(r.score, 0);
    EXPECT_EQ(s.Get(r.id)->result, "NO_HIT");
    EXPECT_EQ(s.Check({"", "", "", ""}).error().field, "name");
}

TEST_F(ScreeningTest, ListsLoadFromJsonWithFieldErrors) {
    auto l = ParseWatchList({{"version", "v2"},
                             {"entries", {{{"id", "X1"}, {"name_kana", "ワルイ ヒト"}, {"birth_date", "1999-09-09"},
                                           {"category", "ANTI_SOCIAL"}}}}});
    ASSERT_TRUE(l);
    s.Load(*l);
    EXPECT_EQ(Check("", "わるい ひと", "1999-09-09").result, "HIT");
    EXPECT_EQ(Check("", "ハンシャ イチロウ", "1965-04-01").result, "NO_HIT");
    EXPECT_EQ(ParseWatchList({{"entries", nlohmann::json::array()}}).error().field, "version");
    EXPECT_EQ(ParseWatchList({{"version", "v"}, {"entries", {{{"id", "A"}, {"name", "x"}, {"category", "OTHER"}}}}})
                  .error()
                  .field,
              "entries[0].category");
}

}  // namespace
}  // namespace sim::fakes::screening
