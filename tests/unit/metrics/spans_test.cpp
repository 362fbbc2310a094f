#include "sim/metrics/spans.hpp"

#include <gtest/gtest.h>

#include "sim/clock/virtual_clock.hpp"
#include "sim/core/manual_loop.hpp"

namespace sim::metrics {
namespace {

using std::chrono::milliseconds;

class SpanRecorderTest : public ::testing::Test {
protected:
    core::ManualLoop loop_;
    clock::VirtualClock clock_{loop_, core::ParseIso8601("2027-01-01T00:00:00Z").value()};
};

TEST_F(SpanRecorderTest, KeepsAHistogramPerHop) {
    SpanRecorder spans;
    auto t0 = clock_.Now();
    spans.Record("t1", "platform GET /app/v1/balance", t0, t0 + milliseconds(2));
    spans.Record("t2", "platform GET /app/v1/balance", t0, t0 + milliseconds(4));
    spans.Record("t1", "sqs.dwell q", t0, t0 + milliseconds(1));
    ASSERT_EQ(spans.Hops().size(), 2u);
    const auto& h = spans.Hops().at("platform GET /app/v1/balance");
    EXPECT_EQ(h.Count(), 2u);
    EXPECT_EQ(h.Min(), milliseconds(2));
    EXPECT_EQ(h.Max(), milliseconds(4));
    EXPECT_EQ(spans.Hops().at("sqs.dwell q").Count(), 1u);
    EXPECT_EQ(spans.Recorded(), 3u);
}

TEST_F(SpanRecorderTest, SpansOfATraceComeInStartOrder) {
    SpanRecorder spans;
    auto t0 = clock_.Now();
    clock_.Advance(milliseconds(5));
    auto t1 = clock_.Now();
    spans.Record("trace-a", "function f", t1, t1 + milliseconds(1));
    spans.Record("trace-b", "other", t0, t1);
    spans.Record("trace-a", "fakes GET /payment/v1/authorizations", t0, t0 + milliseconds(3));
    auto got = spans.SpansOf("trace-a");
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].hop, "fakes GET /payment/v1/authorizations");
    EXPECT_EQ(got[0].end - got[0].start, milliseconds(3));
    EXPECT_EQ(got[1].hop, "function f");
    EXPECT_TRUE(spans.SpansOf("trace-c").empty());
    EXPECT_TRUE(spans.SpansOf("").empty());
}

TEST_F(SpanRecorderTest, RecentSpansOfAHopComeNewestFirst) {
    SpanRecorder spans;
    auto t0 = clock_.Now();
    spans.Record("t1", "function f", t0, t0);
    spans.Record("t2", "other", t0, t0);
    spans.Record("t3", "function f", t0, t0);
    spans.Record("t4", "function f", t0, t0);
    auto got = spans.RecentOf("function f", 2);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].trace_id, "t4");
    EXPECT_EQ(got[1].trace_id, "t3");
    EXPECT_EQ(spans.RecentOf("function f", 10).size(), 3u);
    EXPECT_TRUE(spans.RecentOf("nothing", 10).empty());
}

TEST_F(SpanRecorderTest, TheRingKeepsOnlyTheMostRecentSpansButHistogramsCountAll) {
    SpanRecorder spans(4);
    auto t0 = clock_.Now();
    for (int i = 0; i < 10; ++i) spans.Record("t", "hop", t0 + milliseconds(i), t0 + milliseconds(i + 1));
    auto got = spans.SpansOf("t");
    ASSERT_EQ(got.size(), 4u);
    EXPECT_EQ(got.front().start, t0 + milliseconds(6));
    EXPECT_EQ(got.back().start, t0 + milliseconds(9));
    EXPECT_EQ(spans.Hops().at("hop").Count(), 10u);
    EXPECT_EQ(spans.Recorded(), 10u);
}

TEST_F(SpanRecorderTest, AnEndBeforeTheStartCountsAsZero) {
    SpanRecorder spans;
    auto t0 = clock_.Now();
    spans.Record("t", "hop", t0 + milliseconds(3), t0);
    EXPECT_EQ(spans.Hops().at("hop").Max(), std::chrono::nanoseconds(0));
    EXPECT_EQ(spans.SpansOf("t").at(0).end, t0 + milliseconds(3));
}

TEST_F(SpanRecorderTest, HopNamesAreBounded) {
    SpanRecorder spans;
    auto t0 = clock_.Now();
    for (std::size_t i = 0; i < SpanRecorder::kMaxHops + 3; ++i) spans.Record("t", "hop " + std::to_string(i), t0, t0);
    EXPECT_EQ(spans.Hops().size(), SpanRecorder::kMaxHops);
    EXPECT_EQ(spans.Dropped(), 3u);
    spans.Record("t", "hop 0", t0, t0);  // a known name still counts
    EXPECT_EQ(spans.Hops().at("hop 0").Count(), 2u);
}

TEST_F(SpanRecorderTest, ResetForgetsEverything) {
    SpanRecorder spans;
    auto t0 = clock_.Now();
    spans.Record("t", "hop", t0, t0 + milliseconds(1));
    spans.Reset();
    EXPECT_TRUE(spans.Hops().empty());
    EXPECT_TRUE(spans.SpansOf("t").empty());
    EXPECT_EQ(spans.Recorded(), 0u);
}

TEST_F(SpanRecorderTest, ATraceExtentRunsFromItsFirstStartToItsLastEnd) {
    SpanRecorder spans;
    auto t0 = clock_.Now();
    // Recorded as replies are released: the outer span (started first) ends last.
    spans.Record("trace-a", "sqs.dwell q", t0 + milliseconds(4), t0 + milliseconds(6));
    spans.Record("trace-a", "fakes POST /payment/simulate/authorizations", t0, t0 + milliseconds(1));
    spans.Record("trace-a", "function f", t0 + milliseconds(6), t0 + milliseconds(9));
    spans.Record("trace-b", "other", t0, t0 + milliseconds(50));
    spans.Record("", "untraced", t0, t0 + milliseconds(70));
    auto a = spans.ExtentOf("trace-a");
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->start, t0);
    EXPECT_EQ(a->end, t0 + milliseconds(9));
    EXPECT_EQ(a->spans, 3u);
    EXPECT_EQ(spans.ExtentOf("trace-b")->end - spans.ExtentOf("trace-b")->start, milliseconds(50));
    EXPECT_FALSE(spans.ExtentOf("").has_value());
    EXPECT_FALSE(spans.ExtentOf("trace-c").has_value());
    spans.Reset();
    EXPECT_FALSE(spans.ExtentOf("trace-a").has_value());
    spans.Record("trace-a", "x", t0 + milliseconds(100), t0 + milliseconds(101));
    EXPECT_EQ(spans.ExtentOf("trace-a")->start, t0 + milliseconds(100)) << "a reset forgets the old extent";
    EXPECT_EQ(spans.ExtentOf("trace-a")->spans, 1u);
}

TEST_F(SpanRecorderTest, TraceExtentsAreBoundedForgettingTheOldestTrace) {
    SpanRecorder spans(/*capacity=*/4, /*max_traces=*/3);
    auto t0 = clock_.Now();
    for (int i = 0; i < 5; ++i) spans.Record("t" + std::to_string(i), "hop", t0, t0 + milliseconds(i));
    EXPECT_FALSE(spans.ExtentOf("t0").has_value());
    EXPECT_FALSE(spans.ExtentOf("t1").has_value());
    for (int i = 2; i < 5; ++i) EXPECT_EQ(spans.ExtentOf("t" + std::to_string(i))->end, t0 + milliseconds(i)) << i;
    // A known trace growing takes no new slot; the next new trace evicts the oldest by first span.
    spans.Record("t3", "hop", t0, t0 + milliseconds(20));
    EXPECT_EQ(spans.ExtentOf("t3")->end, t0 + milliseconds(20));
    EXPECT_EQ(spans.ExtentOf("t3")->spans, 2u);
    EXPECT_TRUE(spans.ExtentOf("t2").has_value());
    spans.Record("t5", "hop", t0, t0);
    EXPECT_FALSE(spans.ExtentOf("t2").has_value());
    EXPECT_TRUE(spans.ExtentOf("t3").has_value());
    EXPECT_TRUE(spans.ExtentOf("t4").has_value());
    EXPECT_TRUE(spans.ExtentOf("t5").has_value());
}

TEST_F(SpanRecorderTest, ATraceIdThatIsNotPlainCountsAsUntraced) {
    SpanRecorder spans;
    auto t0 = clock_.Now();
    const std::string long_id(200, 't');
    spans.Record(long_id, "function f", t0, t0 + milliseconds(3));
    spans.Record("has space", "function f", t0, t0 + milliseconds(1));
    EXPECT_EQ(spans.Hops().at("function f").Count(), 2u) << "the hop still counts";
    EXPECT_FALSE(spans.ExtentOf(long_id).has_value());
    EXPECT_FALSE(spans.ExtentOf("has space").has_value());
    EXPECT_TRUE(spans.SpansOf(long_id).empty());
    auto recent = spans.RecentOf("function f", 10);
    ASSERT_EQ(recent.size(), 2u);
    for (const auto& s : recent) EXPECT_EQ(s.trace_id, "");
}

}  // namespace
}  // namespace sim::metrics
