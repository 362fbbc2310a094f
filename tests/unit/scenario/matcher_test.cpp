#include "sim/scenario/matcher.hpp"

#include <gtest/gtest.h>

namespace sim::scenario {
namespace {

std::optional<std::string> M(const char* spec, const char* actual) {
    Json a = Json::parse(actual);
    return Match(Json::parse(spec), &a);
}

TEST(ScenarioMatcher, PlainValuesMeanEquality) {
    EXPECT_FALSE(M("1280", "1280"));
    EXPECT_FALSE(M("1", "1.0"));
    EXPECT_FALSE(M(R"({"a": [1, {"b": 2}]})", R"({"a": [1, {"b": 2.0}]})"));
    EXPECT_EQ(*M("\"CLEARED\"", "\"PENDING\""), R"(expected "CLEARED", got "PENDING")");
    EXPECT_EQ(*Match(Json(1), nullptr), "expected 1, got nothing (missing)");
}

TEST(ScenarioMatcher, Operators) {
    EXPECT_FALSE(M(R"({"gt": 5, "lte": 10})", "10"));
    EXPECT_EQ(*M(R"({"gt": 5})", "3"), "expected > 5, got 3");
    EXPECT_FALSE(M(R"({"gte": "2027-01-01T00:00:00Z"})", R"("2027-01-02T00:00:00Z")"));
    EXPECT_FALSE(M(R"({"regex": "^AU\\d{10}$"})", R"("AU0000000001")"));
    EXPECT_TRUE(M(R"({"regex": "^AU"})", "12"));
    EXPECT_FALSE(M(R"({"length": 2})", "[1, 2]"));
    EXPECT_FALSE(M(R"({"length": {"gte": 2}})", R"("abc")"));
    EXPECT_EQ(*M(R"({"length": 3})", "[1]"), "length: expected 3, got 1");
    EXPECT_FALSE(M(R"({"contains": "MART"})", R"("SIM MART")"));
    EXPECT_FALSE(M(R"({"contains": {"gt": 2}})", "[1, 3]"));
    EXPECT_FALSE(M(R"({"contains": "k"})", R"({"k": 1})"));
    EXPECT_FALSE(M(R"({"in": ["A", "B"]})", R"("B")"));
    EXPECT_FALSE(M(R"({"type": "number"})", "3"));
    EXPECT_TRUE(M(R"({"type": "integer"})", "3.5"));
    EXPECT_FALSE(M(R"({"not": {"contains": "4111111111111111"}})", R"("card ****1111")"));
    EXPECT_FALSE(M(R"({"any": [1, 2]})", "2"));
    EXPECT_TRUE(M(R"({"all": [{"gt": 1}, {"lt": 2}]})", "5"));
    EXPECT_FALSE(M(R"({"ne": 1})", "2"));
}

TEST(ScenarioMatcher, ExistsLooksAtPresence) {
    EXPECT_FALSE(Match(Json::parse(R"({"exists": false})"), nullptr));
    Json null_value;
    EXPECT_FALSE(Match(Json::parse(R"({"exists": true})"), &null_value));  // present, even if null
    EXPECT_TRUE(Match(Json::parse(R"({"exists": true})"), nullptr));
}

TEST(ScenarioMatcher, ValidationRefusesUnknownOperatorsAndBadOperands) {
    EXPECT_TRUE(ValidateMatcher(Json::parse(R"({"a": 1})")).ok());  // an object compared for equality
    EXPECT_TRUE(ValidateMatcher(Json::parse(R"({"gt": "${limit}"})")).ok());
    EXPECT_NE(ValidateMatcher(Json::parse(R"({"gt": 1, "lenght": 2})")).error().message.find("unknown operator 'lenght'"),
              std::string::npos);
    EXPECT_FALSE(ValidateMatcher(Json::parse(R"({"regex": "("})")).ok());
    EXPECT_FALSE(ValidateMatcher(Json::parse(R"({"exists": 1})")).ok());
    EXPECT_FALSE(ValidateMatcher(Json::parse(R"({"type": "float"})")).ok());
    EXPECT_FALSE(ValidateMatcher(Json::parse(R"({"length": {"gt": [1]}})")).ok());
}

}  // namespace
}  // namespace sim::scenario
