#include <algorithm>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sim/clock/virtual_clock.hpp"
#include "sim/core/manual_loop.hpp"
#include "sim/scenario/load/open_model.hpp"
#include "sim/scenario/load/profile.hpp"
#include "sim/scenario/load/rate.hpp"
#include "sim/scenario/load/report.hpp"
#include "sim/scenario/load/thresholds.hpp"

namespace sim::scenario::load {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

RateCurve Curve(const json& spec, core::Duration run = 10s) {
    auto c = RateCurve::Parse(spec, "rate", run);
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
    return c.ok() ? *c : RateCurve::Constant(0);
}

std::string ParseError(const json& spec) {
    auto c = RateCurve::Parse(spec, "flows.card_use.rate", 10s);
    return c.ok() ? "" : c.error().message;
}

TEST(RateCurve, ConstantRateSpacesArrivalsEvenlyFromHalfAPeriod) {
    auto arrivals = Curve({{"kind", "constant"}, {"per_second", 10}}).Arrivals(1s, 1.0);
    ASSERT_EQ(arrivals.size(), 10u);
    EXPECT_NEAR(std::chrono::duration<double>(arrivals[0]).count(), 0.05, 1e-3);
    EXPECT_NEAR(std::chrono::duration<double>(arrivals[9]).count(), 0.95, 1e-3);
}

TEST(RateCurve, ScaleMultipliesTheRate) {
    EXPECT_EQ(Curve({{"kind", "constant"}, {"per_second", 10}}).Arrivals(2s, 3.0).size(), 60u);
}

TEST(RateCurve, RampIntegratesToTheAverageRateAndGetsDenser) {
    auto arrivals = Curve({{"kind", "ramp"}, {"from", 0}, {"to", 20}}).Arrivals(10s, 1.0);
    EXPECT_EQ(arrivals.size(), 100u);  // average 10/s over 10 s
    auto first_half = std::count_if(arrivals.begin(), arrivals.end(), [](auto t) { return t < 5s; });
    EXPECT_EQ(first_half, 25);  // the integral of the first half is a quarter
}

TEST(RateCurve, StepsJumpAtTheirTimes) {
    auto c = Curve({{"kind", "steps"}, {"steps", json::array({{{"at", "PT0S"}, {"per_second", 5}}, {{"at", "PT5S"}, {"per_second", 20}}})}});
    EXPECT_DOUBLE_EQ(c.At(2s), 5);
    EXPECT_DOUBLE_EQ(c.At(7s), 20);
    EXPECT_EQ(c.Arrivals(10s, 1.0).size(), 125u);
}

TEST(RateCurve, SpikeRisesForItsWindowThenFallsBack) {
    auto c = Curve({{"kind", "spike"}, {"base", 10}, {"peak", 100}, {"at", "PT2S"}, {"for", "PT1S"}});
    EXPECT_DOUBLE_EQ(c.At(1s), 10);
    EXPECT_DOUBLE_EQ(c.At(2500ms), 100);
    EXPECT_DOUBLE_EQ(c.At(4s), 10);
    EXPECT_EQ(c.Arrivals(5s, 1.0).size(), 140u);
}

TEST(RateCurve, ShardsTogetherAreExactlyTheWholeSchedule) {
    auto c = Curve({{"kind", "ramp"}, {"from", 3}, {"to", 37}});
    auto whole = c.Arrivals(10s, 1.0);
    std::vector<core::Duration> merged;
    for (std::uint32_t i = 0; i < 3; ++i) {
        auto part = c.Arrivals(10s, 1.0, i, 3);
        merged.insert(merged.end(), part.begin(), part.end());
    }
    std::sort(merged.begin(), merged.end());
    EXPECT_EQ(merged, whole);
}

TEST(RateCurve, BadSpecsNameTheField) {
    EXPECT_EQ(ParseError({{"kind", "burst"}}),
              "flows.card_use.rate.kind: unknown rate kind \"burst\" (expected constant, ramp, steps or spike)");
    EXPECT_EQ(ParseError({{"kind", "constant"}, {"per_second", -1}}),
              "flows.card_use.rate.per_second: must be a finite number >= 0, got -1");
    EXPECT_EQ(ParseError({{"kind", "constant"}, {"per_second", "fast"}}),
              "flows.card_use.rate.per_second: must be a number (arrivals per second)");
    EXPECT_EQ(ParseError({{"kind", "constant"}, {"per_second", 1}, {"burst", 2}}),
              "flows.card_use.rate.burst: unknown field (expected kind, per_second)");
    EXPECT_EQ(ParseError({{"kind", "spike"}, {"base", 1}, {"peak", 2}, {"at", "soon"}, {"for", "PT1S"}}).rfind("flows.card_use.rate.at: ", 0), 0u);
    EXPECT_NE(ParseError({{"kind", "steps"}, {"steps", json::array({{{"at", "PT1S"}, {"per_second", 1}}})}}), "");
}

TEST(Threshold, ParsesLatencyErrorRateAndThroughput) {
    auto p99 = ParseThreshold("card_use.e2e.p99 < 50ms");
    ASSERT_TRUE(p99.ok());
    EXPECT_EQ(p99->flow, "card_use");
    EXPECT_EQ(p99->hop, "e2e");
    EXPECT_DOUBLE_EQ(p99->percentile, 99);
    EXPECT_DOUBLE_EQ(p99->limit, 50e6);
    EXPECT_TRUE(p99->Holds(49e6));
    EXPECT_FALSE(p99->Holds(50e6));

    auto p999 = ParseThreshold("application.submit.p99.9 <= 1.5s");
    ASSERT_TRUE(p999.ok());
    EXPECT_DOUBLE_EQ(p999->percentile, 99.9);
    EXPECT_EQ(p999->op, Threshold::Op::kLessEqual);
    EXPECT_DOUBLE_EQ(p999->limit, 1.5e9);

    auto errors = ParseThreshold("errors.rate < 0.1%");
    ASSERT_TRUE(errors.ok());
    EXPECT_EQ(errors->metric, Threshold::Metric::kErrorRate);
    EXPECT_TRUE(errors->flow.empty());
    EXPECT_DOUBLE_EQ(errors->limit, 0.001);

    auto flow_errors = ParseThreshold("card_use.errors.rate<1%");
    ASSERT_TRUE(flow_errors.ok());
    EXPECT_EQ(flow_errors->flow, "card_use");

    auto rate = ParseThreshold("card_use.throughput >= 20/s");
    ASSERT_TRUE(rate.ok());
    EXPECT_EQ(rate->metric, Threshold::Metric::kThroughput);
    EXPECT_TRUE(rate->Holds(20));
}

TEST(Threshold, RejectsWhatItCannotReadWithTheReason) {
    for (const char* bad : {"card_use.e2e.p99 50ms", "card_use.e2e.p99 < fast", "card_use.e2e.p101 < 5ms",
                            "errors.rate < 0.1", "errors.rate < 200%", "card_use < 5ms", "< 5ms", "card_use.e2e.p99 <",
                            "a.b.p99 < 1ms < 2ms", "card_use.throughput > many"}) {
        auto t = ParseThreshold(bad);
        EXPECT_FALSE(t.ok()) << bad;
        if (!t.ok()) {
            EXPECT_EQ(t.error().message.rfind(std::string("threshold \"") + bad + "\": ", 0), 0u) << t.error().message;
        }
    }
}

const std::set<std::string> kFlows = {"card_use", "app_browse"};

json SmokeProfile() {
    return {{"name", "smoke"},
            {"duration", "PT10S"},
            {"warmup", "PT1S"},
            {"population", {{"members", 5}}},
            {"flows", {{"card_use", {{"rate", {{"kind", "constant"}, {"per_second", 10}}}}}}},
            {"thresholds", json::array({"card_use.e2e.p99 < 50ms", "errors.rate < 1%"})}};
}

TEST(LoadProfile, ParsesEveryField) {
    auto p = ParseProfile(SmokeProfile(), kFlows);
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(p->name, "smoke");
    EXPECT_EQ(p->duration, 10s);
    EXPECT_EQ(p->warmup, 1s);
    EXPECT_EQ(p->members, 5u);
    ASSERT_EQ(p->flows.size(), 1u);
    EXPECT_EQ(p->thresholds.size(), 2u);
    auto shorter = ParseProfile(SmokeProfile(), kFlows, {3s, 1.0});
    ASSERT_TRUE(shorter.ok());
    EXPECT_EQ(shorter->duration, 3s);
}

TEST(LoadProfile, RejectsUnknownFlowsBadRatesAndThresholdsNamingTheField) {
    auto with = [](const char* path, json value) {
        json p = SmokeProfile();
        p[json::json_pointer(path)] = std::move(value);
        auto r = ParseProfile(p, kFlows);
        return r.ok() ? std::string() : r.error().message;
    };
    json flows = {{"card_usee", {{"rate", {{"kind", "constant"}, {"per_second", 1}}}}}};
    EXPECT_EQ(with("/flows", flows), "flows.card_usee: unknown flow (known: app_browse, card_use)");
    EXPECT_EQ(with("/flows/card_use/rate/per_second", -3), "flows.card_use.rate.per_second: must be a finite number >= 0, got -3");
    EXPECT_EQ(with("/thresholds/1", "errors.rate < lots").rfind("thresholds[1]: threshold \"errors.rate < lots\"", 0), 0u);
    EXPECT_EQ(with("/thresholds/0", "app_browse.e2e.p99 < 5ms"),
              "thresholds[0]: threshold \"app_browse.e2e.p99 < 5ms\" names flow \"app_browse\", which the profile does not run");
    EXPECT_EQ(with("/duration", "forever").rfind("duration: ", 0), 0u);
    EXPECT_EQ(with("/rampup", "PT1S").rfind("rampup: unknown field", 0), 0u);
    auto scaled = ParseProfile(SmokeProfile(), kFlows, {std::nullopt, 0.0});
    ASSERT_FALSE(scaled.ok());
    EXPECT_EQ(scaled.error().message, "--rate-scale: must be a number > 0");
}

TEST(LoadProfile, WithTheFlowsHopsALatencyThresholdMustNameOneOfThem) {
    const std::map<std::string, std::set<std::string>> hops = {{"card_use", {"authorize", "record_and_push"}}};
    auto check = [&](const char* threshold) {
        json p = SmokeProfile();
        p["thresholds"] = json::array({"errors.rate < 1%", threshold});
        auto r = ParseProfile(p, kFlows, {}, &hops);
        return r.ok() ? std::string() : r.error().message;
    };
    EXPECT_EQ(check("card_use.autorize.p99 < 5ms"),
              "thresholds[1]: threshold \"card_use.autorize.p99 < 5ms\" names hop \"autorize\" of card_use (known: "
              "authorize, e2e, record_and_push, server_e2e)");
    for (const char* good : {"card_use.authorize.p99 < 5ms", "card_use.record_and_push.max < 1s", "card_use.e2e.p50 < 5ms",
                             "card_use.server_e2e.p99.9 < 50ms", "card_use.throughput > 1/s", "card_use.errors.rate < 1%"})
        EXPECT_EQ(check(good), "") << good;
    // Without the list (as `cardsim report merge` judges a saved run), any hop name is accepted.
    json p = SmokeProfile();
    p["thresholds"] = json::array({"card_use.autorize.p99 < 5ms"});
    EXPECT_TRUE(ParseProfile(p, kFlows).ok());
}

TEST(LoadReport, CountsEveryArrivalAndRoundTripsThroughJsonExactly) {
    LoadReport r("smoke", 10s, 1s);
    r.RecordSuccess("card_use", 500ms, 12ms, {{"authorize", 2ms}, {"push", 8ms}});
    r.RecordSuccess("card_use", 1500ms, 40ms, {{"authorize", 3ms}});
    r.RecordError("card_use", 2500ms, "http_503");
    r.AddSample({1.0, "1/1", 20480, 55.5, {{"platform-notifications", 3}}});
    EXPECT_EQ(r.Requests(), 3u);
    EXPECT_EQ(r.Errors(), 1u);
    EXPECT_EQ(r.Flows().at("card_use").hops.at("e2e").Count(), 2u);
    EXPECT_EQ(r.Flows().at("card_use").e2e_by_interval.size(), 10u);
    auto back = LoadReport::FromJson(json::parse(r.ToJson().dump()));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->ToJson(), r.ToJson());
    EXPECT_EQ(back->Flows().at("card_use").hops.at("e2e"), r.Flows().at("card_use").hops.at("e2e"));
}

TEST(LoadReport, ShardReportsMergeIntoExactlyTheWholeRun) {
    LoadReport whole("smoke", 10s, 1s), a("smoke", 10s, 1s), b("smoke", 10s, 1s);
    for (int i = 0; i < 1000; ++i) {
        auto due = std::chrono::milliseconds(i * 10);
        auto latency = std::chrono::microseconds(100 + (i * 7919) % 50000);
        whole.RecordSuccess("card_use", due, latency, {{"push", latency / 2}});
        (i % 2 ? a : b).RecordSuccess("card_use", due, latency, {{"push", latency / 2}});
    }
    whole.RecordError("card_use", 1s, "timeout");
    a.RecordError("card_use", 1s, "timeout");
    ASSERT_TRUE(a.Merge(b).ok());
    const auto& merged = a.Flows().at("card_use");
    const auto& expected = whole.Flows().at("card_use");
    EXPECT_EQ(merged.hops.at("e2e"), expected.hops.at("e2e"));
    EXPECT_EQ(merged.hops.at("push"), expected.hops.at("push"));
    EXPECT_EQ(merged.hops.at("e2e").Percentile(99), expected.hops.at("e2e").Percentile(99));
    for (std::size_t i = 0; i < expected.e2e_by_interval.size(); ++i) EXPECT_EQ(merged.e2e_by_interval[i], expected.e2e_by_interval[i]);
    EXPECT_EQ(a.Requests(), whole.Requests());
    LoadReport other("other", 10s, 1s);
    EXPECT_FALSE(a.Merge(other).ok());
}

TEST(LoadReport, EvaluatesThresholdsAgainstWhatWasMeasured) {
    LoadReport r("smoke", 10s, 1s);
    for (int i = 0; i < 100; ++i) r.RecordSuccess("card_use", 0s, std::chrono::milliseconds(i < 99 ? 10 : 200), {});
    r.RecordError("card_use", 0s, "timeout");
    std::vector<Threshold> ts;
    for (const char* t : {"card_use.e2e.p50 < 20ms", "card_use.e2e.max < 100ms", "errors.rate < 0.5%", "card_use.throughput >= 10/s",
                          "card_use.push.p99 < 1s"})
        ts.push_back(*ParseThreshold(t));
    auto results = r.Evaluate(ts);
    ASSERT_EQ(results.size(), 5u);
    EXPECT_TRUE(results[0].passed);
    EXPECT_FALSE(results[1].passed);  // 200 ms
    EXPECT_FALSE(results[2].passed);  // 1 of 101
    EXPECT_TRUE(results[3].passed);   // 100 in 10 s
    EXPECT_FALSE(results[4].passed);  // no such hop: no data counts as failed
    EXPECT_FALSE(results[4].measured);
    std::string html = RenderHtmlReport(r, results);
    EXPECT_NE(html.find("<svg"), std::string::npos);
    EXPECT_NE(html.find("card_use.e2e.max &lt; 100ms"), std::string::npos);
    EXPECT_EQ(html.find("<script"), std::string::npos);
    EXPECT_EQ(html.find("http://"), std::string::npos);
    EXPECT_EQ(html.find("https://"), std::string::npos);
    std::string console = FormatConsoleReport(r, results);
    EXPECT_NE(console.find("FAIL  card_use.e2e.max < 100ms"), std::string::npos);
}

/// A flow whose "server" answers in 1 ms, except that it is stalled until `stall_end` from
/// `stall_begin` on: everything sent meanwhile completes at `stall_end`.
class StallingFlow : public LoadFlow {
public:
    StallingFlow(clock::Clock& clock, clock::TimePoint stall_begin, clock::TimePoint stall_end)
        : clock_(clock), stall_begin_(stall_begin), stall_end_(stall_end) {}
    void Start(std::uint64_t, const std::string&, std::function<void(ArrivalOutcome)> done) override {
        ++started;
        auto now = clock_.Now();
        auto at = now + 1ms;
        if (now >= stall_begin_ && now < stall_end_) at = stall_end_;
        clock_.Schedule(at, [done] { done({}); });
    }
    int started = 0;

private:
    clock::Clock& clock_;
    clock::TimePoint stall_begin_, stall_end_;
};

class NeverAnswers : public LoadFlow {
public:
    void Start(std::uint64_t, const std::string&, std::function<void(ArrivalOutcome)> done) override { pending.push_back(std::move(done)); }
    std::vector<std::function<void(ArrivalOutcome)>> pending;
};

LoadProfile Profile(const char* name, double per_second, core::Duration duration, core::Duration warmup = 0s) {
    LoadProfile p;
    p.name = name;
    p.duration = duration;
    p.warmup = warmup;
    p.flows.push_back({"card_use", RateCurve::Constant(per_second)});
    return p;
}

TEST(OpenModelDriver, AStalledServerShowsTheStallInThePercentiles) {
    core::ManualLoop loop;
    clock::VirtualClock clock(loop, core::ParseIso8601("2027-01-01T00:00:00Z").value());
    auto start = clock.Now();
    StallingFlow flow(clock, start + 2s, start + 3s);
    OpenModelDriver driver(clock, Profile("stall", 100, 10s), {{"card_use", &flow}}, {});
    bool finished = false;
    driver.Run([&] { finished = true; });
    clock.Advance(15s);
    ASSERT_TRUE(finished);
    EXPECT_EQ(flow.started, 1000);  // open model: arrivals kept coming during the stall
    const auto& e2e = driver.Report().Flows().at("card_use").hops.at("e2e");
    EXPECT_EQ(e2e.Count(), 1000u);
    EXPECT_NEAR(std::chrono::duration<double>(e2e.Percentile(50)).count(), 0.001, 0.0001);
    // 10 % of the arrivals were due during the stall; the first waited almost the whole second.
    EXPECT_GT(e2e.Percentile(95), 400ms);
    EXPECT_GT(e2e.Percentile(99), 850ms);
    EXPECT_GT(e2e.Max(), 990ms);
}

/// Answers in 1 ms; every third arrival fails. Keeps the trace ids it was given.
class TraceRecordingFlow : public LoadFlow {
public:
    explicit TraceRecordingFlow(clock::Clock& clock) : clock_(clock) {}
    void Start(std::uint64_t arrival, const std::string& trace_id, std::function<void(ArrivalOutcome)> done) override {
        traces.push_back(trace_id);
        clock_.ScheduleAfter(1ms, [arrival, done] { done(arrival % 3 == 2 ? ArrivalOutcome::Error("x") : ArrivalOutcome{}); });
    }
    std::vector<std::string> traces;

private:
    clock::Clock& clock_;
};

TEST(OpenModelDriver, EachArrivalHasItsOwnTraceAndMeasuredSuccessesAreHandedOverOnce) {
    core::ManualLoop loop;
    clock::VirtualClock clock(loop, core::ParseIso8601("2027-01-01T00:00:00Z").value());
    TraceRecordingFlow flow(clock);
    DriverOptions options;
    options.trace_prefix = "load-7-1of1-";
    // 10/s for 1 s measured after 0.5 s of warm-up: arrivals 0-4 warm-up, 5-14 measured.
    OpenModelDriver driver(clock, Profile("traced", 10, 1s, 500ms), {{"card_use", &flow}}, options);
    bool finished = false;
    driver.Run([&] { finished = true; });
    clock.Advance(1100ms);
    auto early = driver.TakeTraced(clock.Now());
    clock.Advance(1s);
    ASSERT_TRUE(finished);
    ASSERT_EQ(flow.traces.size(), 15u);
    EXPECT_EQ(flow.traces[0], "load-7-1of1-card_use-0");
    EXPECT_EQ(flow.traces[14], "load-7-1of1-card_use-14");
    std::vector<std::string> taken;
    for (const auto& t : early) taken.push_back(t.trace_id);
    for (const auto& t : driver.TakeTraced(clock::TimePoint::max())) {
        EXPECT_EQ(t.flow, "card_use");
        taken.push_back(t.trace_id);
    }
    // Measured (5-14) and successful (not 5, 8, 11, 14), in completion order; warm-up never.
    EXPECT_EQ(taken, (std::vector<std::string>{"load-7-1of1-card_use-6", "load-7-1of1-card_use-7",
                                               "load-7-1of1-card_use-9", "load-7-1of1-card_use-10",
                                               "load-7-1of1-card_use-12", "load-7-1of1-card_use-13"}));
    EXPECT_FALSE(early.empty());
    EXPECT_LT(early.size(), taken.size()) << "what completed later is handed over later";
    EXPECT_TRUE(driver.TakeTraced(clock::TimePoint::max()).empty());
}

TEST(OpenModelDriver, WithoutATracePrefixArrivalsAreUntraced) {
    core::ManualLoop loop;
    clock::VirtualClock clock(loop, core::ParseIso8601("2027-01-01T00:00:00Z").value());
    TraceRecordingFlow flow(clock);
    OpenModelDriver driver(clock, Profile("untraced", 10, 1s), {{"card_use", &flow}}, {});
    driver.Run([] {});
    clock.Advance(2s);
    ASSERT_EQ(flow.traces.size(), 10u);
    for (const auto& t : flow.traces) EXPECT_EQ(t, "");
    EXPECT_TRUE(driver.TakeTraced(clock::TimePoint::max()).empty());
}

TEST(OpenModelDriver, WarmUpArrivalsRunButAreNotMeasured) {
    core::ManualLoop loop;
    clock::VirtualClock clock(loop, core::ParseIso8601("2027-01-01T00:00:00Z").value());
    StallingFlow flow(clock, clock.Now() + 100s, clock.Now() + 100s);
    OpenModelDriver driver(clock, Profile("warm", 10, 5s, 2s), {{"card_use", &flow}}, {});
    driver.Run({});
    clock.Advance(10s);
    EXPECT_EQ(flow.started, 70);
    EXPECT_EQ(driver.Report().Requests(), 50u);
}

TEST(OpenModelDriver, AnArrivalThatNeverFinishesIsATimeoutError) {
    core::ManualLoop loop;
    clock::VirtualClock clock(loop, core::ParseIso8601("2027-01-01T00:00:00Z").value());
    NeverAnswers flow;
    DriverOptions options;
    options.arrival_timeout = 5s;
    OpenModelDriver driver(clock, Profile("hang", 2, 2s), {{"card_use", &flow}}, options);
    bool finished = false;
    driver.Run([&] { finished = true; });
    clock.Advance(4s);
    EXPECT_FALSE(finished);
    clock.Advance(4s);
    ASSERT_TRUE(finished);
    EXPECT_EQ(driver.Report().Errors(), 4u);
    EXPECT_EQ(driver.Report().Flows().at("card_use").errors_by_kind.at("timeout"), 4u);
    for (auto& done : flow.pending) done({});  // late answers are ignored
    EXPECT_EQ(driver.Report().Requests(), 4u);
}

}  // namespace
}  // namespace sim::scenario::load
