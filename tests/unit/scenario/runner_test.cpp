#include "sim/scenario/runner.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/clock/virtual_clock.hpp"
#include "sim/core/manual_loop.hpp"
#include "sim/core/router.hpp"
#include "sim/scenario/loader.hpp"
#include "sim/scenario/report.hpp"

namespace sim::scenario {
namespace {

using core::Request;
using core::Response;
using namespace std::chrono_literals;

/// A tiny system: a control plane over a VirtualClock ("aws"), an order service whose orders ship
/// 90 s after they are placed ("fakes"), and invariants the test sets ("platform").
class TestSystem final : public System {
public:
    TestSystem() : clock_(loop_, core::ParseIso8601("2027-01-01T00:00:00Z").value()), transport_(loop_, nullptr) {
        control_.Add("GET", "/_sim/clock", core::FromSync([this](const Request&) { return Clock(false); }));
        control_.Add("POST", "/_sim/clock", core::FromSync([this](const Request& r) {
                         auto body = nlohmann::json::parse(r.body);
                         bool fired = false;
                         if (body.contains("advance")) clock_.Advance(core::ParseDuration(body["advance"].get<std::string>()).value());
                         if (body.contains("set")) clock_.AdvanceTo(core::ParseIso8601(body["set"].get<std::string>()).value());
                         if (body.contains("step"))
                             fired = clock_.StepUntil(core::ParseIso8601(body["step"]["until"].get<std::string>()).value());
                         return Clock(fired);
                     }));
        control_.Add("POST", "/_sim/faults", core::FromSync([](const Request&) { return Response::Json(201, {{"id", "F1"}}); }));
        orders_.Add("POST", "/orders", core::FromSync([this](const Request&) {
                        std::string id = "O" + std::to_string(++next_);
                        status_[id] = "PLACED";
                        clock_.ScheduleAfter(90s, [this, id] { status_[id] = "SHIPPED"; });
                        return Response::Json(201, {{"order_id", id}, {"items", {1, 2, 3}}});
                    }));
        orders_.Add("GET", "/orders/{id}", core::FromSync([this](const Request& r) {
                        auto it = status_.find(r.path_params.at("id"));
                        if (it == status_.end()) return Response::Problem(404, "Not Found", "no order");
                        Response out = Response::Json(200, {{"status", it->second}});
                        out.headers.Set("X-Cardsim-Trace-Id", "trace-" + it->first);
                        return out;
                    }));
        platform_.Add("GET", "/_sim/invariants", core::FromSync([this](const Request&) {
                          if (!invariants_exist) return Response::Problem(404, "Not Found", "no route");
                          ++invariant_checks;
                          nlohmann::json body = {{"ok", violation.empty()}, {"violations", nlohmann::json::array()}};
                          if (!violation.empty())
                              body["violations"].push_back({{"invariant", "credit_limit"}, {"card_id", "C-1"}, {"detail", violation}});
                          return Response::Json(200, body);
                      }));
        transport_.RegisterInProcess("aws", [this](Request r, core::Respond d) { control_.Handle(std::move(r), std::move(d)); });
        transport_.RegisterInProcess("fakes", [this](Request r, core::Respond d) { orders_.Handle(std::move(r), std::move(d)); });
        transport_.RegisterInProcess("platform", [this](Request r, core::Respond d) { platform_.Handle(std::move(r), std::move(d)); });
    }

    core::Status<> Begin(const Scenario&, std::uint64_t) override { return core::Ok(); }
    void End() override {}
    Response Call(const std::string& service, Request request) override {
        return CallThrough(
            transport_,
            [this](const std::function<bool()>& done) {
                while (!done())
                    if (loop_.RunReady() == 0) return done();
                return true;
            },
            service, std::move(request));
    }
    bool InProcess() const override { return true; }

    bool invariants_exist = true;
    std::string violation;
    int invariant_checks = 0;

private:
    Response Clock(bool fired) {
        return Response::Json(200, {{"mode", "virtual"}, {"now", core::FormatIso8601(clock_.Now())}, {"fired", fired}});
    }
    core::ManualLoop loop_;
    clock::VirtualClock clock_;
    core::Transport transport_;
    core::Router control_, orders_, platform_;
    std::map<std::string, std::string> status_;
    int next_ = 0;
};

Scenario Parse(const std::string& text) {
    auto s = ParseScenario("t.json", text);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? *s : Scenario{};
}

const char* kOrderScenario = R"({"name": "order", "steps": [
  {"name": "place", "call": {"service": "fakes", "path": "/orders", "body": {}}, "expect": {"status": 201, "body": {"$.items": {"length": 3}}},
   "capture": {"order": "$.order_id"}, "span": {"path": "order", "hop": "placed"}},
  {"name": "placed", "call": {"service": "fakes", "path": "/orders/${order}"}, "expect": {"body": {"$.status": "PLACED"}}},
  {"name": "shipped", "await": {"service": "fakes", "path": "/orders/${order}", "timeout": "PT5M"},
   "expect": {"body": {"$.status": "SHIPPED"}}, "span": {"path": "order", "hop": "shipped"}, "snapshot": {"status": "$.status", "order": "${order}"}},
  {"advance": {"by": "PT1H"}}
]})";

TEST(ScenarioRunner, CallsAwaitsAndAdvancesOnTheVirtualClock) {
    TestSystem system;
    Runner runner(system, RunOptions{});
    auto r = runner.Run(Parse(kOrderScenario));
    EXPECT_TRUE(r.passed) << r.failed_step << ": " << r.message;
    EXPECT_EQ(r.steps_run, 4u);
    EXPECT_EQ(r.virtual_start, "2027-01-01T00:00:00Z");
    EXPECT_EQ(r.virtual_end, "2027-01-01T01:01:30Z");  // the await stopped when the order shipped
    EXPECT_DOUBLE_EQ(r.virtual_seconds, 3690);
    ASSERT_EQ(r.hops.size(), 2u);
    EXPECT_EQ(r.hops[0].hop, "shipped");
    EXPECT_DOUBLE_EQ(r.hops[0].virtual_seconds, 90);
    EXPECT_EQ(r.hops[1].hop, "total");
    EXPECT_EQ(system.invariant_checks, 4);  // after every step
}

TEST(ScenarioRunner, AFailedExpectationNamesTheStepExpectedActualAndTheTrace) {
    TestSystem system;
    Runner runner(system, RunOptions{});
    auto r = runner.Run(Parse(R"({"steps": [
      {"name": "place", "call": {"service": "fakes", "path": "/orders", "body": {}}, "capture": {"order": "$.order_id"}},
      {"foreach": {"in": [1, 2], "steps": [
        {"name": "check", "call": {"service": "fakes", "path": "/orders/${order}"}, "expect": {"body": {"$.status": "${item == 1 ? 'PLACED' : 'LOST'}"}}}]}}
    ]})"));
    EXPECT_FALSE(r.passed);
    EXPECT_EQ(r.failed_step, "steps[1].foreach.steps[0] \"check\" (iteration 1)");
    EXPECT_NE(r.message.find(R"($.status: expected "LOST", got "PLACED")"), std::string::npos) << r.message;
    ASSERT_GE(r.trace.size(), 3u);
    EXPECT_EQ(r.trace.back().target, "/orders/O1");
    EXPECT_EQ(r.trace.back().trace_id, "trace-O1");
    std::string text = FailureText(r);
    EXPECT_NE(text.find("last requests"), std::string::npos);
    EXPECT_NE(text.find("/orders/O1  200  trace-O1"), std::string::npos) << text;
}

TEST(ScenarioRunner, AnAwaitTimesOutAtItsVirtualDeadline) {
    TestSystem system;
    Runner runner(system, RunOptions{});
    auto r = runner.Run(Parse(R"({"steps": [
      {"call": {"service": "fakes", "path": "/orders", "body": {}}, "capture": {"order": "$.order_id"}},
      {"name": "too soon", "await": {"service": "fakes", "path": "/orders/${order}", "timeout": "PT1M"}, "expect": {"body": {"$.status": "SHIPPED"}}}
    ]})"));
    EXPECT_FALSE(r.passed);
    EXPECT_NE(r.message.find("await timed out after PT1M of virtual time"), std::string::npos) << r.message;
    EXPECT_EQ(r.virtual_end, "2027-01-01T00:01:00Z");
}

TEST(ScenarioRunner, AnInvariantViolationFailsTheStepWithItsText) {
    TestSystem system;
    system.violation = "available 90000 + outstanding 20000 != credit_limit 100000";
    Runner runner(system, RunOptions{});
    auto r = runner.Run(Parse(kOrderScenario));
    EXPECT_FALSE(r.passed);
    EXPECT_EQ(r.failed_step, "steps[0] \"place\"");
    EXPECT_NE(r.message.find("credit_limit card C-1: available 90000 + outstanding 20000 != credit_limit 100000"),
              std::string::npos)
        << r.message;
}

TEST(ScenarioRunner, NoInvariantRouteMeansNoInvariants) {
    TestSystem system;
    system.invariants_exist = false;
    system.violation = "ignored";
    Runner runner(system, RunOptions{});
    EXPECT_TRUE(runner.Run(Parse(kOrderScenario)).passed);
}

TEST(ScenarioRunner, AnIncludedFragmentRunsInPlaceAndItsFailuresNameTheIncludingStep) {
    auto dir = std::filesystem::temp_directory_path() / ("cardsim-include-run-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir / "include");
    std::ofstream(dir / "include" / "place.json") << R"({"steps": [
      {"name": "place", "call": {"service": "fakes", "path": "/orders", "body": {}}, "capture": {"order": "$.order_id"}},
      {"include": "check.json"}]})";
    std::ofstream(dir / "include" / "check.json") << R"({"steps": [
      {"name": "check", "call": {"service": "fakes", "path": "/orders/${order}"}, "expect": {"body": {"$.status": "${want}"}}}]})";
    std::ofstream(dir / "a.json") << R"({"steps": [
      {"set": {"want": "PLACED"}},
      {"include": "include/place.json"},
      {"name": "the fragment's capture is visible", "call": {"service": "fakes", "path": "/orders/${order}"}},
      {"include": "include/place.json", "when": "${false}"},
      {"set": {"want": "LOST"}},
      {"include": "include/place.json"}]})";
    auto scenario = LoadScenarioFile((dir / "a.json").string());
    std::filesystem::remove_all(dir);
    ASSERT_TRUE(scenario.ok()) << scenario.error().message;
    TestSystem system;
    Runner runner(system, RunOptions{});
    auto r = runner.Run(*scenario);
    EXPECT_FALSE(r.passed);
    EXPECT_EQ(r.failed_step, "steps[5] (include include/place.json) steps[1] (include check.json) steps[0] \"check\"");
    EXPECT_NE(r.message.find(R"($.status: expected "LOST", got "PLACED")"), std::string::npos) << r.message;
    ASSERT_FALSE(r.trace.empty());
    EXPECT_EQ(r.trace.back().target, "/orders/O2");  // the skipped include placed no order
}

TEST(ScenarioRunner, SnapshotsAreWrittenThenCompared) {
    auto dir = std::filesystem::temp_directory_path() / ("cardsim-snap-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    TestSystem system;
    RunOptions o;
    o.snapshot_dir = dir.string();
    {
        Runner runner(system, o);
        auto missing = runner.Run(Parse(kOrderScenario));
        EXPECT_FALSE(missing.passed);
        EXPECT_EQ(missing.snapshot_status, "missing");
        EXPECT_NE(missing.message.find("--update-snapshots"), std::string::npos);
    }
    o.update_snapshots = true;
    TestSystem second;
    EXPECT_EQ(Runner(second, o).Run(Parse(kOrderScenario)).snapshot_status, "updated");
    std::ifstream in(dir / "order.json");
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(nlohmann::json::parse(text.str()), nlohmann::json::parse(R"({"status": "SHIPPED", "order": "O1"})"));
    o.update_snapshots = false;
    TestSystem third;
    EXPECT_EQ(Runner(third, o).Run(Parse(kOrderScenario)).snapshot_status, "matched");
    std::ofstream(dir / "order.json") << R"({"status": "SHIPPED", "order": "O9"})";
    TestSystem fourth;
    auto r = Runner(fourth, o).Run(Parse(kOrderScenario));
    EXPECT_EQ(r.snapshot_status, "mismatch");
    EXPECT_NE(r.message.find(R"(order: expected "O9", got "O1")"), std::string::npos) << r.message;
    std::filesystem::remove_all(dir);
}

TEST(ScenarioReports, JunitAndJsonCarryEveryScenario) {
    ScenarioResult ok;
    ok.name = "a<b";
    ok.file = "s/a.json";
    ok.passed = true;
    ok.steps_run = 3;
    ok.hops.push_back({"card_use", "push_delivered", 60, 0.001});
    ScenarioResult bad;
    bad.name = "bad";
    bad.file = "s/bad.json";
    bad.failed_step = "steps[1] \"x\"";
    bad.message = "expected \"A\" & got \"B\"";
    std::string xml = JunitXml({ok, bad}, 1.5);
    EXPECT_NE(xml.find(R"(<testsuite name="cardsim.scenarios" tests="2" failures="1")"), std::string::npos) << xml;
    EXPECT_NE(xml.find(R"(<testcase name="a&lt;b" classname="s/a.json")"), std::string::npos);
    EXPECT_NE(xml.find("expected &quot;A&quot; &amp; got &quot;B&quot;"), std::string::npos);
    Json j = ReportJson({ok, bad}, 1.5);
    EXPECT_EQ(j["summary"]["failed"], 1);
    EXPECT_EQ(j["scenarios"][1]["failure"]["step"], "steps[1] \"x\"");
    EXPECT_EQ(j["critical_paths"][0]["path"], "card_use");
    EXPECT_EQ(j["critical_paths"][0]["virtual_seconds"]["p50"], 60.0);
    std::ostringstream table;
    PrintCriticalPaths(table, {ok, bad});
    EXPECT_NE(table.str().find("push_delivered"), std::string::npos);
    EXPECT_EQ(FormatVirtual(93784), "1d02h");
    EXPECT_EQ(FormatVirtual(150), "2m30s");
    EXPECT_EQ(FormatWall(0.0123), "12 ms");
}

}  // namespace
}  // namespace sim::scenario
