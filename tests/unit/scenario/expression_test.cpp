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
