#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "sim/aws/events/engine/event_pattern.hpp"

namespace sim::aws::events {
namespace {

using Json = nlohmann::ordered_json;

std::vector<std::string> FixtureFiles() {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(SIM_EVENTS_FIXTURES))
        if (e.path().extension() == ".json") out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

class EventPatternFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(EventPatternFixture, MatchesAsDocumented) {
    std::ifstream in(std::string(SIM_EVENTS_FIXTURES) + "/" + GetParam());
    Json fixture = Json::parse(in);
    if (fixture.contains("invalid")) {
        for (const auto& p : fixture["invalid"]) EXPECT_FALSE(EventPattern::Parse(p.dump()).ok()) << p.dump();
        return;
    }
    auto pattern = EventPattern::Parse(fixture["pattern"].dump());
    ASSERT_TRUE(pattern.ok()) << pattern.error().message;
    for (const auto& c : fixture["cases"])
        EXPECT_EQ(pattern->Matches(c["event"]), c["match"].get<bool>())
            << c["event"].dump() << " " << c.value("why", std::string());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, EventPatternFixture, ::testing::ValuesIn(FixtureFiles()),
                         [](const auto& param_info) {
                             std::string name = param_info.param.substr(0, param_info.param.size() - 5);
                             for (auto& c : name)
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             return name;
                         });

}  // namespace
}  // namespace sim::aws::events
