#include "sim/metrics/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sim/core/random.hpp"

namespace sim::metrics {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

/// Nearest-rank percentile of `sorted` values.
std::int64_t TruePercentile(const std::vector<std::int64_t>& sorted, double p) {
    if (p <= 0) return sorted.front();
    auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size()) / 100.0));
    rank = std::clamp<std::size_t>(rank, 1, sorted.size());
    return sorted[rank - 1];
}

void ExpectPercentilesWithinOnePercent(const std::vector<std::int64_t>& values) {
    Histogram h;
    for (auto v : values) h.Record(nanoseconds(v));
    std::vector<std::int64_t> sorted = values;
    std::sort(sorted.begin(), sorted.end());
    for (double p : {0.0, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.9, 99.99, 100.0}) {
        double truth = static_cast<double>(TruePercentile(sorted, p));
        double got = static_cast<double>(h.Percentile(p).count());
        EXPECT_LE(std::abs(got - truth), 0.01 * truth) << "p" << p << " true " << truth << " got " << got;
    }
}

TEST(Histogram, StartsEmpty) {
    Histogram h;
    EXPECT_EQ(h.Count(), 0u);
    EXPECT_EQ(h.Min(), nanoseconds(0));
    EXPECT_EQ(h.Max(), nanoseconds(0));
    EXPECT_EQ(h.Mean(), nanoseconds(0));
    EXPECT_EQ(h.Percentile(50), nanoseconds(0));
}

TEST(Histogram, TracksCountMinMaxMeanAndSumExactly) {
    Histogram h;
    h.Record(microseconds(3));
    h.Record(milliseconds(7));
    h.Record(nanoseconds(1'234'567));
    EXPECT_EQ(h.Count(), 3u);
    EXPECT_EQ(h.Min(), microseconds(3));
    EXPECT_EQ(h.Max(), milliseconds(7));
    EXPECT_EQ(h.Sum(), nanoseconds(3'000 + 7'000'000 + 1'234'567));
    EXPECT_EQ(h.Mean(), nanoseconds((3'000 + 7'000'000 + 1'234'567 + 1) / 3));
}

TEST(Histogram, PercentilesOfAUniformDistributionAreWithinOnePercent) {
    core::Random random(42);
    std::vector<std::int64_t> values;
    for (int i = 0; i < 100'000; ++i) values.push_back(random.Between(1'000, 10'000'000'000));
    ExpectPercentilesWithinOnePercent(values);
}

TEST(Histogram, PercentilesOfALogNormalLikeDistributionAreWithinOnePercent) {
    // Latencies spread over many powers of two: 10^(3..12) ns, log-uniform.
    core::Random random(7);
    std::vector<std::int64_t> values;
    for (int i = 0; i < 50'000; ++i)
        values.push_back(static_cast<std::int64_t>(std::pow(10.0, 3.0 + 9.0 * random.NextDouble())));
    ExpectPercentilesWithinOnePercent(values);
}

TEST(Histogram, PercentilesOfKnownStepsAreWithinOnePercent) {
    // 1..1000 ms: p50 = 500 ms, p99 = 990 ms exactly by nearest rank.
    Histogram h;
    for (int i = 1; i <= 1000; ++i) h.Record(milliseconds(i));
    EXPECT_NEAR(static_cast<double>(h.Percentile(50).count()), 500e6, 5e6);
    EXPECT_NEAR(static_cast<double>(h.Percentile(99).count()), 990e6, 9.9e6);
    EXPECT_EQ(h.Percentile(0), milliseconds(1));
    EXPECT_EQ(h.Percentile(100), milliseconds(1000));
}

TEST(Histogram, SingleValueIsReportedExactly) {
    Histogram h;
    h.Record(microseconds(1234));
    for (double p : {0.0, 50.0, 99.0, 100.0}) EXPECT_EQ(h.Percentile(p), microseconds(1234));
}

TEST(Histogram, CountsUnderflowInTheLowestBucket) {
    Histogram h;
    h.Record(nanoseconds(10));
    h.Record(nanoseconds(-5));  // counted as 0
    h.Record(microseconds(1));
    EXPECT_EQ(h.Count(), 3u);
    EXPECT_EQ(h.Underflow(), 2u);
    EXPECT_EQ(h.Overflow(), 0u);
    EXPECT_EQ(h.Min(), nanoseconds(0));
    std::uint64_t first_bucket = 0;
    h.ForEachBucket([&](const Histogram::Bucket& b) {
        if (first_bucket == 0) {
            EXPECT_EQ(b.lower, microseconds(1));
            first_bucket = b.count;
        }
    });
    EXPECT_EQ(first_bucket, 3u);
}

TEST(Histogram, CountsOverflowAboveOneHour) {
    Histogram h;
    h.Record(hours(1));  // the highest value still in range
    h.Record(hours(2));
    h.Record(hours(5));
    EXPECT_EQ(h.Count(), 3u);
    EXPECT_EQ(h.Overflow(), 2u);
    EXPECT_EQ(h.Max(), hours(5));
    EXPECT_EQ(h.Percentile(90), hours(5));  // overflow ranks report the exact maximum
    EXPECT_NEAR(static_cast<double>(h.Percentile(30).count()), 3.6e12, 3.6e10);
    std::uint64_t in_buckets = 0;
    h.ForEachBucket([&](const Histogram::Bucket& b) { in_buckets += b.count; });
    EXPECT_EQ(in_buckets, 1u);
}

TEST(Histogram, FineBucketsAreNarrowerThanOnePercent) {
    Histogram h;
    for (std::int64_t v = 1'000; v <= 3'600'000'000'000; v = v * 11 / 10 + 1) h.Record(nanoseconds(v));
    h.ForEachBucket([](const Histogram::Bucket& b) {
        EXPECT_LE(static_cast<double>((b.upper - b.lower).count()), 0.0079 * static_cast<double>(b.lower.count()));
    });
}

TEST(Histogram, MergeEqualsRecordingIntoOne) {
    core::Random random(3);
    Histogram a, b, all;
    for (int i = 0; i < 10'000; ++i) {
        nanoseconds v(random.Between(0, 8'000'000'000'000));
        (i % 3 == 0 ? a : b).Record(v);
        all.Record(v);
    }
    Histogram merged;
    merged.Merge(a);
    merged.Merge(b);
    EXPECT_EQ(merged, all);
    EXPECT_EQ(merged.Count(), all.Count());
    EXPECT_EQ(merged.Min(), all.Min());
    EXPECT_EQ(merged.Max(), all.Max());
    EXPECT_EQ(merged.Overflow(), all.Overflow());
    EXPECT_EQ(merged.Percentile(99), all.Percentile(99));
}

TEST(Histogram, MergeOfAnEmptyHistogramChangesNothing) {
    Histogram h;
    h.Record(milliseconds(3));
    Histogram copy = h;
    h.Merge(Histogram{});
    EXPECT_EQ(h, copy);
}

TEST(Histogram, SerializeDeserializeRoundTrips) {
    core::Random random(11);
    Histogram h;
    for (int i = 0; i < 5'000; ++i) h.Record(nanoseconds(random.Between(0, 5'000'000'000'000)));
    std::string text = h.Serialize();
    auto back = Histogram::Deserialize(text);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, h);
    EXPECT_EQ(back->Serialize(), text);

    auto empty = Histogram::Deserialize(Histogram{}.Serialize());
    ASSERT_TRUE(empty.ok());
    EXPECT_EQ(*empty, Histogram{});
}

TEST(Histogram, SerializedFormIsCompact) {
    Histogram h;
    for (int i = 0; i < 1000; ++i) h.Record(milliseconds(5));
    EXPECT_LT(h.Serialize().size(), 400u);
}

TEST(Histogram, DeserializeRejectsBadInput) {
    EXPECT_FALSE(Histogram::Deserialize("not json").ok());
    EXPECT_FALSE(Histogram::Deserialize("[]").ok());
    Histogram h;
    h.Record(milliseconds(1));
    auto json = h.ToJson();

    auto other_layout = json;
    other_layout["layout"]["sub_buckets"] = 64;
    auto r = Histogram::FromJson(other_layout);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, core::ErrorKind::kInvalidArgument);
    EXPECT_NE(r.error().message.find("layout"), std::string::npos);

    auto wrong_count = json;
    wrong_count["count"] = 2;
    EXPECT_FALSE(Histogram::FromJson(wrong_count).ok());

    auto bad_index = json;
    bad_index["buckets"] = {Histogram::BucketCount(), 1};
    EXPECT_FALSE(Histogram::FromJson(bad_index).ok());

    auto missing = json;
    missing.erase("coarse");
    EXPECT_FALSE(Histogram::FromJson(missing).ok());
}

TEST(Histogram, ResetForgetsEverything) {
    Histogram h;
    h.Record(milliseconds(1));
    h.Record(hours(3));
    h.Reset();
    EXPECT_EQ(h, Histogram{});
    EXPECT_EQ(h.Count(), 0u);
}

TEST(Histogram, PrometheusBucketsAreCumulativeWithExactBounds) {
    Histogram h;
    h.Record(microseconds(1));         // le 1e-06
    h.Record(milliseconds(1));         // exactly on a bound: le 0.001
    h.Record(nanoseconds(1'000'001));  // just above: le 0.002
    h.Record(hours(2));                // +Inf only
    auto buckets = h.PrometheusBuckets();
    ASSERT_EQ(buckets.size(), Histogram::kPrometheusBoundsNanos.size() + 1);
    EXPECT_EQ(buckets.front().upper_bound, microseconds(1));
    EXPECT_EQ(buckets.front().cumulative_count, 1u);
    auto at = [&](nanoseconds bound) {
        for (const auto& b : buckets)
            if (b.upper_bound == bound) return b.cumulative_count;
        ADD_FAILURE() << "no bound " << bound.count();
        return std::uint64_t{0};
    };
    EXPECT_EQ(at(microseconds(500)), 1u);
    EXPECT_EQ(at(milliseconds(1)), 2u);
    EXPECT_EQ(at(milliseconds(2)), 3u);
    EXPECT_EQ(at(hours(1)), 3u);
    EXPECT_EQ(buckets.back().upper_bound, nanoseconds::max());
    EXPECT_EQ(buckets.back().cumulative_count, 4u);
}

}  // namespace
}  // namespace sim::metrics
