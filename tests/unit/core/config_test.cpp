#include "sim/core/config.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace sim::core {
namespace {

struct Settings {
    std::string bind = "127.0.0.1";
    std::uint16_t port = 4566;
    std::string clock = "real";
    bool ephemeral = false;
    std::chrono::milliseconds idle{60'000};
    std::map<std::string, std::string> services;
    std::uint64_t seed = 1;
};

FlagSet Flags(Settings& s) {
    FlagSet f("cardsim serve [FLAGS]", "Serves.");
    f.String("bind", &s.bind, "address to bind");
    f.Port("aws-port", &s.port, "AWS edge port");
    f.String("clock", &s.clock, "time source", {"real", "virtual"});
    f.Bool("ephemeral", &s.ephemeral, "in-memory state");
    f.Millis("idle-timeout", &s.idle, "idle keep-alive timeout");
    f.StringMap("service", &s.services, "service endpoint");
    f.UInt("seed", &s.seed, "seed");
    return f;
}

TEST(FlagSet, ParsesEveryFormAndCollectsPositionals) {
    Settings s;
    FlagSet f = Flags(s);
    std::vector<std::string> pos;
    auto st = f.Parse({"--bind", "0.0.0.0", "--aws-port=0", "--ephemeral", "--clock", "virtual", "--idle-timeout",
                       "2s", "--service", "payment=http://127.0.0.1:9000", "scenarios/"},
                      &pos);
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_EQ(s.bind, "0.0.0.0");
    EXPECT_EQ(s.port, 0);
    EXPECT_TRUE(s.ephemeral);
    EXPECT_EQ(s.clock, "virtual");
    EXPECT_EQ(s.idle, std::chrono::milliseconds(2000));
    EXPECT_EQ(s.services.at("payment"), "http://127.0.0.1:9000");
    EXPECT_EQ(pos, (std::vector<std::string>{"scenarios/"}));
}

TEST(FlagSet, UnknownFlagIsNamedWithTheAcceptedOnes) {
    Settings s;
    FlagSet f = Flags(s);
    auto st = f.Parse({"--colour", "red"});
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("--colour"), std::string::npos);
    EXPECT_NE(st.error().message.find("--bind"), std::string::npos);
}

TEST(FlagSet, BadValuesNameTheFlagAndTheAcceptedValues) {
    Settings s;
    FlagSet f = Flags(s);
    auto clock = f.Parse({"--clock", "sundial"});
    ASSERT_FALSE(clock.ok());
    EXPECT_NE(clock.error().message.find("--clock"), std::string::npos);
    EXPECT_NE(clock.error().message.find("real, virtual"), std::string::npos);
    auto port = f.Parse({"--aws-port", "70000"});
    ASSERT_FALSE(port.ok());
    EXPECT_NE(port.error().message.find("0 to 65535"), std::string::npos);
    EXPECT_FALSE(f.Parse({"--aws-port"}).ok());  // missing value
    EXPECT_FALSE(f.Parse({"--idle-timeout", "forever"}).ok());
    EXPECT_FALSE(f.Parse({"positional-not-allowed"}).ok());
}

TEST(FlagSet, JsonFileKeysAreFlagNamesAndCommandLineWins) {
    Settings s;
    FlagSet f = Flags(s);
    auto st = f.ApplyJson(nlohmann::json{{"bind", "10.0.0.1"}, {"aws-port", 5000}, {"ephemeral", true},
                                         {"service", {{"ekyc", "http://x"}}}});
    ASSERT_TRUE(st.ok()) << st.error().message;
    ASSERT_TRUE(f.Parse({"--bind", "127.0.0.2"}).ok());
    EXPECT_EQ(s.bind, "127.0.0.2");
    EXPECT_EQ(s.port, 5000);
    EXPECT_TRUE(s.ephemeral);
    EXPECT_EQ(s.services.at("ekyc"), "http://x");
}

TEST(FlagSet, JsonRejectsUnknownKeysAndWrongTypes) {
    Settings s;
    FlagSet f = Flags(s);
    EXPECT_FALSE(f.ApplyJson(nlohmann::json{{"nope", 1}}).ok());
    EXPECT_FALSE(f.ApplyJson(nlohmann::json{{"ephemeral", "yes"}}).ok());
    EXPECT_FALSE(f.ApplyJson(nlohmann::json{{"aws-port", nlohmann::json::array()}}).ok());
    EXPECT_FALSE(f.ApplyJsonFile("/nonexistent/cardsim.json").ok());
}

TEST(FlagSet, HelpListsEveryFlagWithDefaultsAndChoices) {
    Settings s;
    FlagSet f = Flags(s);
    std::string help = f.Help();
    for (const char* needle : {"--bind", "--aws-port PORT", "--clock", "[real|virtual]", "--ephemeral",
                               "--idle-timeout DURATION", "--service KEY=VALUE", "(default: 4566)"})
        EXPECT_NE(help.find(needle), std::string::npos) << needle;
}

}  // namespace
}  // namespace sim::core
