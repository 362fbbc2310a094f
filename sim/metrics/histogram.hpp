#pragma once
// A log-linear latency histogram (HdrHistogram-style), the shape DESIGN "Observability" asks for.
//
// Layout (fixed, identical in every process, so histograms merge and serialize without
// conversion): values are nanoseconds; each power of two [2^k, 2^(k+1)) is split into 128 linear
// sub-buckets, so a bucket is at most 1/128 (0.78 %) of its values wide and a bucket midpoint is
// within 0.4 % of any value in it. Buckets cover 1 µs .. 1 h:
//   - values below 1 µs (and negative ones) are counted in the lowest bucket and in Underflow();
//   - values above 1 h are counted in an overflow bucket (Overflow()) outside the fine buckets.
// Min, Max, Sum and Mean are exact (computed from the recorded values, outliers included).
//
// Beside the fine buckets the histogram keeps exact counts for a coarse 1-2-5 scale
// (1 µs, 2 µs, 5 µs, ... 1000 s, 2000 s, 1 h, +Inf) used for Prometheus `_bucket` lines, so that
// `le` boundaries are exact and the exposition text stays small.
//
// Record is O(1) and never allocates. Not thread-safe: a histogram belongs to the one event-loop
// thread (CONVENTIONS principle 4); merge copies from other threads/processes instead.

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sim/core/result.hpp"

namespace sim::metrics {

class Histogram {
public:
    /// Linear sub-buckets per power of two.
    static constexpr std::int64_t kSubBuckets = 128;
    /// Lowest value with its own precision: 1 µs.
    static constexpr std::int64_t kLowestNanos = 1'000;
    /// Highest value kept in the fine buckets: 1 h; larger values go to the overflow bucket.
    static constexpr std::int64_t kHighestNanos = 3'600'000'000'000;
    /// Number of fine buckets.
    static std::size_t BucketCount();

    /// Upper bounds (inclusive, ns) of the coarse Prometheus buckets: 1-2-5 from 1 µs, then 2000 s
    /// and 1 h; +Inf is implied after the last.
    static constexpr std::array<std::int64_t, 30> kPrometheusBoundsNanos = [] {
        std::array<std::int64_t, 30> bounds{};
        std::size_t i = 0;
        for (std::int64_t decade = 1'000; decade <= 100'000'000'000; decade *= 10)
            for (std::int64_t step : {1, 2, 5}) bounds[i++] = step * decade;  // 1 µs .. 500 s
        bounds[i++] = 1'000'000'000'000;
        bounds[i++] = 2'000'000'000'000;
        bounds[i++] = kHighestNanos;
        return bounds;
    }();

    Histogram();

    /// Records one value. O(1), no allocation.
    void Record(std::chrono::nanoseconds value);

    /// Number of values recorded (underflow and overflow included).
    std::uint64_t Count() const { return count_; }
    /// Values recorded below 1 µs (also included in the lowest bucket and in Count()).
    std::uint64_t Underflow() const { return underflow_; }
    /// Values recorded above 1 h (included in Count(), not in any fine bucket).
    std::uint64_t Overflow() const { return overflow_; }
    /// Smallest / largest value recorded, exactly; 0 when empty. Negative values count as 0.
    std::chrono::nanoseconds Min() const;
    std::chrono::nanoseconds Max() const;
    /// Sum of all values recorded (exact; wraps only after ~584 years of total time).
    std::chrono::nanoseconds Sum() const { return std::chrono::nanoseconds(static_cast<std::int64_t>(sum_)); }
    /// Arithmetic mean, rounded to whole nanoseconds; 0 when empty.
    std::chrono::nanoseconds Mean() const;
    /// The value at percentile `p` (0..100, clamped) by the nearest-rank definition: the smallest
    /// recorded value v such that at least p % of the values are <= v. Within 1 % of that value for
    /// values in 1 µs..1 h (it is the midpoint of the bucket holding it, clamped to [Min, Max]).
    /// p = 0 gives Min(), p = 100 gives Max(); values in the overflow bucket are reported as Max().
    /// 0 when empty.
    std::chrono::nanoseconds Percentile(double p) const;

    /// Adds every value recorded in `other` to this histogram (same layout by construction).
    void Merge(const Histogram& other);
    /// Forgets everything recorded.
    void Reset();

    /// One fine bucket: values in [lower, upper), and how many were recorded there.
    struct Bucket {
        std::chrono::nanoseconds lower;
        std::chrono::nanoseconds upper;
        std::uint64_t count;
    };
    /// Calls `fn` for every non-empty fine bucket, lowest first (for charts in reports).
    void ForEachBucket(const std::function<void(const Bucket&)>& fn) const;

    /// One coarse Prometheus bucket: values <= upper_bound, cumulative.
    struct CumulativeBucket {
        std::chrono::nanoseconds upper_bound;  ///< nanoseconds::max() stands for +Inf
        std::uint64_t cumulative_count;
    };
    /// kPrometheusBoundsNanos.size() + 1 buckets (the last is +Inf and equals Count()).
    std::vector<CumulativeBucket> PrometheusBuckets() const;

    /// Compact JSON: layout parameters, count, sum/min/max, under/overflow, the non-empty fine
    /// buckets as a flat [index, count, index, count, ...] array, and the coarse counts.
    nlohmann::json ToJson() const;
    /// The figures a reader wants without decoding buckets: count, p50/p90/p99, max, mean and sum,
    /// in ns (GET /_sim/spans, the load report's "summary").
    nlohmann::json SummaryJson() const;
    std::string Serialize() const;
    /// Inverse of ToJson / Serialize. InvalidArgument when the text is not such JSON, the layout
    /// differs from this build's, or the counts are inconsistent.
    static core::Result<Histogram> FromJson(const nlohmann::json& json);
    static core::Result<Histogram> Deserialize(std::string_view text);

    friend bool operator==(const Histogram&, const Histogram&) = default;

private:
    static std::size_t IndexOf(std::int64_t value);
    static std::int64_t LowerBoundOf(std::size_t index);
    static std::int64_t UpperBoundOf(std::size_t index);

    std::vector<std::uint64_t> buckets_;  // fine buckets, sized once in the constructor
    std::array<std::uint64_t, kPrometheusBoundsNanos.size() + 1> coarse_{};  // not cumulative
    std::uint64_t count_ = 0;
    std::uint64_t underflow_ = 0;
    std::uint64_t overflow_ = 0;
    std::uint64_t sum_ = 0;
    std::int64_t min_ = 0;
    std::int64_t max_ = 0;
};

}  // namespace sim::metrics
