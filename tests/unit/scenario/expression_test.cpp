#include "sim/scenario/expression.hpp"

#include <gtest/gtest.h>

namespace sim::scenario {
namespace {

Json Vars() {
    return Json::parse(R"({"amount": 1280, "member": {"id": "m-0001", "given_name": "ツウジョウ", "tags": ["a", "b"]},
                           "rate": 1.5, "now": "2027-01-04T20:30:00Z", "items": [{"id": "x"}, {"id": "y"}]})");
}

Json Eval(const std::string& text) {
    Json vars = Vars();
    auto v = RenderString(text, Scope{&vars});
    EXPECT_TRUE(v.ok()) << text << ": " << (v.ok() ? "" : v.error().message);
    return v.ok() ? *v : Json("<error>");
}

std::string Error(const std::string& text) {
    Json vars = Vars();
    auto v = RenderString(text, Scope{&vars});
    EXPECT_FALSE(v.ok()) << text;
    return v.ok() ? "" : v.error().message;
}

TEST(ScenarioTemplate, AWholeTemplateKeepsTheValueType) {
    EXPECT_EQ(Eval("${amount}"), Json(1280));
    EXPECT_EQ(Eval("${member.tags}"), Json::parse(R"(["a","b"])"));
    EXPECT_EQ(Eval("${amount * 2 + 1}"), Json(2561));
    EXPECT_EQ(Eval("${amount / 3}"), Json(426));  // integer arithmetic on integers
    EXPECT_EQ(Eval("${rate * 2}"), Json(3.0));
    EXPECT_EQ(Eval("${-amount}"), Json(-1280));
    EXPECT_EQ(Eval("${amount > 1000 && member.id == 'm-0001'}"), Json(true));
    EXPECT_EQ(Eval("${amount < 1000 ? 'small' : 'large'}"), Json("large"));
    EXPECT_EQ(Eval("${items[-1].id}"), Json("y"));
    EXPECT_EQ(Eval("${member['given_name']}"), Json("ツウジョウ"));
}

TEST(ScenarioTemplate, TextAroundATemplateSplicesIt) {
    EXPECT_EQ(Eval("amount=${amount} id=${member.id}"), Json("amount=1280 id=m-0001"));
    EXPECT_EQ(Eval("tags ${member.tags}"), Json(R"(tags ["a","b"])"));
    EXPECT_EQ(Eval("$${literal} and ${'}'}"), Json("${literal} and }"));
    EXPECT_EQ(Eval("no templates $ here"), Json("no templates $ here"));
    EXPECT_EQ(Eval("${'k-' + str(amount)}"), Json("k-1280"));
}

TEST(ScenarioTemplate, Functions) {
    EXPECT_EQ(Eval("${len(member.given_name)}"), Json(5));  // characters, not bytes
    EXPECT_EQ(Eval("${len(items)}"), Json(2));
    EXPECT_EQ(Eval("${range(3)}"), Json::parse("[0,1,2]"));
    EXPECT_EQ(Eval("${range(2, 4)}"), Json::parse("[2,3]"));
    EXPECT_EQ(Eval("${int('42') + 1}"), Json(43));
    EXPECT_EQ(Eval("${pad(7, 4)}"), Json("0007"));
    EXPECT_EQ(Eval("${date(now)}"), Json("2027-01-04"));
    EXPECT_EQ(Eval("${date(now, 'Asia/Tokyo')}"), Json("2027-01-05"));  // 05:30 JST the next day
    EXPECT_EQ(Eval("${time(now, '%Y/%m/%d %H:%M', 'Asia/Tokyo')}"), Json("2027/01/05 05:30"));
    EXPECT_EQ(Eval("${add_time(now, 'P1D')}"), Json("2027-01-05T20:30:00Z"));
    EXPECT_EQ(Eval("${add_time(now, '-PT30M')}"), Json("2027-01-04T20:00:00Z"));
    EXPECT_EQ(Eval("${contains(member.tags, 'b')}"), Json(true));
    EXPECT_EQ(Eval("${upper('abc')}"), Json("ABC"));
    EXPECT_EQ(Eval("${append(items, amount)}"), Json::parse(R"([{"id": "x"}, {"id": "y"}, 1280])"));
    EXPECT_EQ(Eval("${put(member, 'card', items[0].id)}")["card"], Json("x"));
    EXPECT_EQ(Eval("${put(member, 'card', 1)}")["id"], Json("m-0001"));
    EXPECT_EQ(Eval("${min(amount, 1000)}"), Json(1000));
    EXPECT_EQ(Eval("${max(amount, 1000)}"), Json(1280));
    EXPECT_EQ(Eval("${max(rate, 1)}"), Json(1.5));
}

TEST(ScenarioTemplate, CollectionFunctionsNeedTheirKindOfValue) {
    EXPECT_NE(Error("${append(member, 1)}").find("append() needs an array"), std::string::npos);
    EXPECT_NE(Error("${put(items, 'k', 1)}").find("put() needs an object"), std::string::npos);
    EXPECT_NE(Error("${min('a', 1)}").find("min() needs numbers"), std::string::npos);
}

TEST(ScenarioTemplate, ErrorsNameWhatIsWrong) {
    EXPECT_NE(Error("${amont}").find("unknown variable 'amont'"), std::string::npos);
    EXPECT_NE(Error("${member.nmae}").find("'member' has no field 'nmae'"), std::string::npos);
    EXPECT_NE(Error("${items[5]}").find("has no element 5"), std::string::npos);
    EXPECT_NE(Error("${amount / 0}").find("division by zero"), std::string::npos);
    EXPECT_NE(Error("${nope(1)}").find("unknown function 'nope'"), std::string::npos);
    EXPECT_NE(Error("x ${amount").find("unterminated"), std::string::npos);
    EXPECT_NE(Error("${date(now, 'Mars/Base')}").find("Mars/Base"), std::string::npos);
}

TEST(ScenarioTemplate, RangeAndPadRefuseSizesThatWouldExhaustTheMachine) {
    // pad() prepended one '0' at a time (quadratic: pad(1, 300000) ran fuzz_scenario_loader out of
    // memory) and range() computed hi - lo, which overflows for far-apart bounds.
    EXPECT_EQ(Eval("${pad(7, 1000)}").get<std::string>().size(), 1000u);
    EXPECT_EQ(Eval("${pad('12345', 3)}"), Json("12345"));
    EXPECT_NE(Error("${pad(1, 300000)}").find("pad() is limited to a width of 1,000"), std::string::npos);
    EXPECT_NE(Error("${range(-9223372036854775807, 9223372036854775807)}").find("limited to 1,000,000"),
              std::string::npos);
    EXPECT_EQ(Eval("${range(5, 2)}"), Json::array());
    EXPECT_EQ(Eval("${len(range(-1000000, 0))}"), Json(1000000));
}

TEST(ScenarioTemplate, ArithmeticBeyondIntegersAndTimesIsAnErrorNotAWrap) {
    // Found by fuzz_scenario_loader (corpus crash-integer-overflow): -922555555556 * 555230352.
    for (const char* overflow : {"${-922555555556 * 555230352}", "${9223372036854775807 + 1}",
                                 "${-9223372036854775807 - 2}", "${(-9223372036854775807 - 1) / -1}",
                                 "${(-9223372036854775807 - 1) % -1}", "${-(-9223372036854775807 - 1)}"})
        EXPECT_NE(Error(overflow).find("integer overflow"), std::string::npos) << overflow;
    EXPECT_EQ(Eval("${9223372036854775806 + 1}"), Json(9223372036854775807LL));
    EXPECT_EQ(Eval("${-7 / 2}"), Json(-3));
    EXPECT_NE(Error("${add_time('2261-12-31T00:00:00Z', 'P36500D')}").find("beyond the times"), std::string::npos);
    EXPECT_NE(Error("${add_time('1678-01-01T00:00:00Z', '-P36500D')}").find("beyond the times"), std::string::npos);
    EXPECT_EQ(Eval("${add_time('2261-12-31T00:00:00Z', 'P1D')}"), Json("2262-01-01T00:00:00Z"));
}

TEST(ScenarioTemplate, UntakenBranchesAreNotEvaluated) {
    EXPECT_EQ(Eval("${false && missing.field}"), Json(false));
    EXPECT_EQ(Eval("${true || missing}"), Json(true));
    EXPECT_EQ(Eval("${amount > 0 ? 'ok' : missing}"), Json("ok"));
}

TEST(ScenarioTemplate, RenderWalksObjectsArraysAndKeys) {
    Json vars = Vars();
    auto v = Render(Json::parse(R"({"card_${member.id}": ["${amount}", "x${amount}", 3]})"), Scope{&vars});
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(*v, Json::parse(R"({"card_m-0001": [1280, "x1280", 3]})"));
}

}  // namespace
}  // namespace sim::scenario
