#include "sim/scenario/loader.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "sim/scenario/actors.hpp"

namespace sim::scenario {
namespace {

std::string LoadError(const std::string& text) {
    auto s = ParseScenario("scenarios/x.json", text);
    EXPECT_FALSE(s.ok()) << text;
    return s.ok() ? "" : s.error().message;
}

TEST(ScenarioLoader, ParsesEveryStepType) {
    auto s = ParseScenario("scenarios/dir/card_use.json", R"({
      "description": "d", "tags": ["card_use"], "start": "2027-01-04T00:00:00Z", "seed": 3,
      "vars": {"limit": 100000}, "actors": {"members": {"count": 2, "given_names": {"シンサ": 1}}},
      "invariants": "top_level",
      "steps": [
        {"name": "auth", "call": {"service": "fakes", "path": "/p", "body": {"a": 1}}, "expect": {"status": 200},
         "capture": {"id": "$.id", "trace": {"header": "X-Cardsim-Trace-Id"}}, "span": {"path": "card_use", "hop": "authorized"}},
        {"await": {"path": "/q?x=${id}", "timeout": "PT5M", "every": "PT1M"}, "expect": {"body": {"$.items[?(@.id == '${id}')]": {"length": 1}}}},
        {"advance": {"until": "03:00 Asia/Tokyo", "day": 1}},
        {"fault": {"system": "payment", "error": {"rate": 1.0}}},
        {"clear_faults": true},
        {"set": {"x": "${limit + 1}"}, "snapshot": {"x": "${x}"}},
        {"foreach": {"in": "${members}", "as": "m", "steps": [{"call": {"path": "/m/${m.id}"}, "when": "${m.index > 0}"}]}}
      ]})");
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->name, "card_use");
    EXPECT_EQ(s->seed, 3u);
    EXPECT_EQ(s->invariants, InvariantChecks::kTopLevel);
    ASSERT_EQ(s->steps.size(), 7u);
    EXPECT_EQ(s->steps[0].kind, StepKind::kCall);
    EXPECT_EQ(s->steps[1].kind, StepKind::kAwait);
    EXPECT_EQ(s->steps[1].name, "await GET /q?x=${id}");
    EXPECT_EQ(s->steps[2].name, "advance until 03:00 Asia/Tokyo");
    EXPECT_EQ(s->steps[6].kind, StepKind::kForeach);
    ASSERT_EQ(s->steps[6].steps.size(), 1u);
    EXPECT_EQ(s->steps[6].steps[0].where, "steps[6].foreach.steps[0]");
    EXPECT_EQ(s->steps[6].steps[0].when, "${m.index > 0}");
}

TEST(ScenarioLoader, ErrorsNameTheFileTheStepAndTheField) {
    EXPECT_EQ(LoadError(R"({"steps": [{"name": "authorize", "call": {"path": "/p", "bdy": {}}}]})"),
              "scenarios/x.json: steps[0] \"authorize\": unknown field \"call.bdy\" (accepted: service, method, path, "
              "headers, body, raw_body, bearer)");
    EXPECT_NE(LoadError(R"({"steps": [{"call": {"path": "/p"}}, {"name": "s", "cal": {}}]})")
                  .find("scenarios/x.json: steps[1] \"s\": unknown field \"cal\""),
              std::string::npos);
    EXPECT_NE(LoadError(R"({"steps": [{"name": "n"}]})").find("steps[0] \"n\": no step type"), std::string::npos);
    EXPECT_NE(LoadError(R"({"steps": [{"call": {"path": "/"}, "set": {"a": 1}}]})").find("more than one step type"),
              std::string::npos);
    EXPECT_NE(LoadError(R"({"stepz": []})").find("scenarios/x.json: unknown field \"stepz\""), std::string::npos);
    EXPECT_NE(LoadError(R"({"steps": [{"foreach": {"in": [1], "steps": [{"call": {"path": "/"}, "expect": {"stauts": 1}}]}}]})")
                  .find("steps[0].foreach.steps[0] \"call GET /\": unknown field \"expect.stauts\""),
              std::string::npos);
    EXPECT_NE(LoadError(R"({"steps": [{"call": {"path": "/"}, "expect": {"body": {"items": 1}}}]})").find("not a JSONPath"),
              std::string::npos);
    EXPECT_NE(LoadError(R"({"steps": [{"call": {"path": "/"}, "expect": {"body": {"$.a[": 1}}}]})").find("bad JSONPath"),
              std::string::npos);
    EXPECT_NE(LoadError(R"({"steps": [{"call": {"path": "/"}, "expect": {"body": {"$.a": {"gt": 1, "lenght": 2}}}}]})")
                  .find("unknown operator 'lenght'"),
              std::string::npos);
    EXPECT_NE(LoadError(R"({"steps": [{"await": {"path": "/", "timeout": "soon"}}]})").find("await.timeout"), std::string::npos);
    EXPECT_NE(LoadError(R"({"steps": [{"advance": {"by": "PT1H", "to": "2027-01-01"}}]})").find("exactly one"), std::string::npos);
    EXPECT_NE(LoadError(R"({"steps": [{"set": {"a": 1}, "expect": {}}]})").find("only for call and await"), std::string::npos);
    EXPECT_NE(LoadError(R"({"steps": [{"call": {"path": "/"}, "capture": {"a": "${x}"}}]})").find("must be a JSONPath"),
              std::string::npos);
    EXPECT_NE(LoadError(R"({"steps": [{"call": {"path": "/"}, "span": {"path": "p"}}]})").find("missing field \"span.hop\""),
              std::string::npos);
    EXPECT_NE(LoadError(R"({"actors": {"m": {"count": 2, "weights": {}}}, "steps": [{"set": {"a": 1}}]})")
                  .find("actors.m: unknown field \"weights\""),
              std::string::npos);
    EXPECT_NE(LoadError("{not json").find("scenarios/x.json: not valid JSON"), std::string::npos);
    EXPECT_NE(LoadError(R"({"steps": []})").find("non-empty"), std::string::npos);
}

TEST(ScenarioLoader, TimesAndDurationsBeyondWhatTheClockHoldsAreErrors) {
    // Found by fuzz_scenario_loader (tests/fuzz/corpus/fuzz_scenario_loader/crash-start-year-9822):
    // the start time overflowed the clock's nanosecond count instead of being refused.
    EXPECT_NE(LoadError(R"({"start": "9822-01-04T00:00:00Z", "steps": [{"set": {"a": 1}}]})")
                  .find("scenarios/x.json: \"start\": '9822-01-04T00:00:00Z' is outside the years 1678 to 2261"),
              std::string::npos);
    EXPECT_NE(LoadError(R"({"steps": [{"advance": {"by": "P99999999999999D"}}]})").find("longer than the 100 years"),
              std::string::npos);
}

TEST(ScenarioLoader, ANumberBeyondADoubleIsInvalidJsonNotAnEscapedException) {
    // Found by fuzz_scenario_loader (corpus crash-number-1e500): nlohmann throws out_of_range, not
    // parse_error, for it, and the loader let that escape.
    EXPECT_NE(LoadError(R"({"steps": [{"set": {"amount": 1e500}}]})").find("scenarios/x.json: not valid JSON: "),
              std::string::npos);
}

/// A scratch directory with a scenario and fragment files; removed at the end of the test.
class IncludeFiles : public testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / ("cardsim-include-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_ / "include");
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string Write(const std::string& relative, const std::string& text) {
        auto path = dir_ / relative;
        std::ofstream(path) << text;
        return path.string();
    }
    std::filesystem::path dir_;
};

TEST_F(IncludeFiles, AFragmentsStepsAreParsedInPlaceRelativeToTheIncludingFile) {
    Write("include/sign_up.json", R"({"description": "signs ${member} up",
      "steps": [{"name": "sign up", "call": {"path": "/app/v1/members", "body": {"email": "${member}"}}, "expect": {"status": 201}},
                {"include": "sign_in.json"}]})");
    Write("include/sign_in.json", R"({"steps": [{"name": "sign in", "call": {"path": "/app/v1/sessions"}}]})");
    auto file = Write("a.json", R"({"steps": [{"set": {"member": "a@example.test"}}, {"include": "include/sign_up.json", "when": "${true}"}]})");
    auto s = LoadScenarioFile(file);
    ASSERT_TRUE(s.ok()) << s.error().message;
    ASSERT_EQ(s->steps.size(), 2u);
    const Step& inc = s->steps[1];
    EXPECT_EQ(inc.kind, StepKind::kInclude);
    EXPECT_EQ(inc.name, "include include/sign_up.json");
    EXPECT_EQ(inc.when, "${true}");
    ASSERT_EQ(inc.steps.size(), 2u);
    EXPECT_EQ(inc.steps[0].name, "sign up");
    ASSERT_EQ(inc.steps[1].steps.size(), 1u);
    EXPECT_EQ(inc.steps[1].steps[0].name, "sign in");
    // Fragments live in include/ directories, which a directory search skips.
    auto found = FindScenarioFiles({dir_.string()});
    ASSERT_TRUE(found.ok());
    EXPECT_EQ(*found, std::vector<std::string>{file});
}

TEST_F(IncludeFiles, ErrorsInAFragmentNameTheFragmentAndWhereItWasIncluded) {
    Write("include/bad.json", R"({"steps": [{"name": "typo", "call": {"path": "/", "bdy": 1}}]})");
    auto file = Write("a.json", R"({"steps": [{"call": {"path": "/"}}, {"include": "include/bad.json"}]})");
    auto s = LoadScenarioFile(file);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("include/bad.json (included at " + file + " steps[1]): steps[0] \"typo\": unknown field \"call.bdy\""),
              std::string::npos)
        << s.error().message;
    file = Write("b.json", R"({"steps": [{"include": "include/missing.json"}]})");
    EXPECT_NE(LoadScenarioFile(file).error().message.find("is not a readable fragment file"), std::string::npos);
    file = Write("e.json", R"({"steps": [{"include": "/dev/zero"}]})");  // never read: it would not end
    EXPECT_NE(LoadScenarioFile(file).error().message.find("must be relative to this file"), std::string::npos);
    file = Write("f.json", R"({"steps": [{"include": "include"}]})");  // a directory
    EXPECT_NE(LoadScenarioFile(file).error().message.find("is not a readable fragment file"), std::string::npos);
    Write("include/loop.json", R"({"steps": [{"include": "loop.json"}]})");
    file = Write("c.json", R"({"steps": [{"include": "include/loop.json"}]})");
    EXPECT_NE(LoadScenarioFile(file).error().message.find("nest deeper than 8"), std::string::npos);
    Write("include/extra.json", R"({"steps": [{"set": {"a": 1}}], "vars": {}})");
    file = Write("d.json", R"({"steps": [{"include": "include/extra.json"}]})");
    EXPECT_NE(LoadScenarioFile(file).error().message.find("unknown field \"vars\" in a fragment"), std::string::npos);
    EXPECT_NE(LoadError(R"({"steps": [{"include": 3}]})").find("must be the path of a fragment file"), std::string::npos);
}

TEST(ScenarioActors, SeededPeopleWithTheWeightedMagicNames) {
    ActorSet set;
    set.name = "members";
    set.id_prefix = "m";
    set.count = 200;
    set.given_names = Json::parse(R"({"ツウジョウ": 3, "シンサ": 1, "ヒニン": 0})");
    Json a = GenerateActors(set, 1), b = GenerateActors(set, 1), c = GenerateActors(set, 2);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    ASSERT_EQ(a.size(), 200u);
    int normal = 0, review = 0;
    for (const auto& m : a) {
        EXPECT_EQ(m["family_name"], "テスト");
        EXPECT_NE(m["given_name"], "ヒニン");  // weight 0
        normal += m["given_name"] == "ツウジョウ";
        review += m["profile"] == "manual_review";
        EXPECT_EQ(m["birth_date"].get<std::string>().size(), 10u);
        EXPECT_EQ(m["phone"].get<std::string>().substr(0, 1), "0");
    }
    EXPECT_EQ(normal + review, 200);
    EXPECT_GT(normal, 120);
    EXPECT_GT(review, 25);
    EXPECT_EQ(a[0]["id"], "m-0001");
    EXPECT_EQ(a[199]["email"], "m-0200.s1@example.test");
}

}  // namespace
}  // namespace sim::scenario
