#include "sim/metrics/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

namespace sim::metrics {

namespace {

using std::chrono::nanoseconds;

// Sub-bucket bits: 128 = 2^7 linear steps per power of two.
constexpr int kSubBucketBits = 7;
static_assert(Histogram::kSubBuckets == (std::int64_t{1} << kSubBucketBits));
// The first power of two that holds kLowestNanos: [512, 1024).
constexpr int kFirstExponent = std::bit_width(static_cast<std::uint64_t>(Histogram::kLowestNanos)) - 1;
static_assert(kFirstExponent == 9);

/// Bucket number counted from the start of the first power of two (value 512).
constexpr std::int64_t RawIndex(std::int64_t value) {
    int msb = std::bit_width(static_cast<std::uint64_t>(value)) - 1;
    int shift = msb - kSubBucketBits;
    std::int64_t sub = (value >> shift) - Histogram::kSubBuckets;
    return (msb - kFirstExponent) * Histogram::kSubBuckets + sub;
}

constexpr std::int64_t kIndexOffset = RawIndex(Histogram::kLowestNanos);
constexpr std::size_t kBucketCount = static_cast<std::size_t>(RawIndex(Histogram::kHighestNanos) - kIndexOffset + 1);
constexpr int kLayoutVersion = 1;

core::Error Invalid(const std::string& what) {
    return core::Error::InvalidArgument("not a serialized histogram: " + what);
}

}  // namespace

std::size_t Histogram::BucketCount() { return kBucketCount; }

Histogram::Histogram() : buckets_(kBucketCount, 0) {}

std::size_t Histogram::IndexOf(std::int64_t value) { return static_cast<std::size_t>(RawIndex(value) - kIndexOffset); }

std::int64_t Histogram::LowerBoundOf(std::size_t index) {
    std::int64_t raw = static_cast<std::int64_t>(index) + kIndexOffset;
    std::int64_t exponent = raw / kSubBuckets + kFirstExponent;
    std::int64_t sub = raw % kSubBuckets;
    return (kSubBuckets + sub) << (exponent - kSubBucketBits);
}

std::int64_t Histogram::UpperBoundOf(std::size_t index) {
    std::int64_t raw = static_cast<std::int64_t>(index) + kIndexOffset;
    std::int64_t exponent = raw / kSubBuckets + kFirstExponent;
    std::int64_t sub = raw % kSubBuckets;
    return (kSubBuckets + sub + 1) << (exponent - kSubBucketBits);
}

void Histogram::Record(nanoseconds value) {
    std::int64_t v = std::max<std::int64_t>(value.count(), 0);
    if (v < kLowestNanos) {
        ++underflow_;
        ++buckets_[0];
    } else if (v > kHighestNanos) {
        ++overflow_;
    } else {
        ++buckets_[IndexOf(v)];
    }
    // Coarse bucket: the first bound >= v (values <= bound), or +Inf.
    auto it = std::lower_bound(kPrometheusBoundsNanos.begin(), kPrometheusBoundsNanos.end(), v);
    ++coarse_[static_cast<std::size_t>(it - kPrometheusBoundsNanos.begin())];
    if (count_ == 0 || v < min_) min_ = v;
    if (count_ == 0 || v > max_) max_ = v;
    ++count_;
    sum_ += static_cast<std::uint64_t>(v);
}

nanoseconds Histogram::Min() const { return nanoseconds(min_); }
nanoseconds Histogram::Max() const { return nanoseconds(max_); }

nanoseconds Histogram::Mean() const {
    if (count_ == 0) return nanoseconds(0);
    return nanoseconds(
        static_cast<std::int64_t>(std::llround(static_cast<double>(sum_) / static_cast<double>(count_))));
}

nanoseconds Histogram::Percentile(double p) const {
    if (count_ == 0) return nanoseconds(0);
    if (!(p > 0)) return Min();  // also NaN
    if (p >= 100) return Max();
    auto rank = static_cast<std::uint64_t>(std::ceil(p * static_cast<double>(count_) / 100.0));
    rank = std::clamp<std::uint64_t>(rank, 1, count_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
        seen += buckets_[i];
        if (seen >= rank) {
            std::int64_t lower = LowerBoundOf(i);
            std::int64_t mid = lower + (UpperBoundOf(i) - lower) / 2;
            return nanoseconds(std::clamp(mid, min_, max_));
        }
    }
    return Max();  // the rank falls in the overflow bucket
}

void Histogram::Merge(const Histogram& other) {
    if (other.count_ == 0) return;
    for (std::size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
    for (std::size_t i = 0; i < coarse_.size(); ++i) coarse_[i] += other.coarse_[i];
    min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
    max_ = count_ == 0 ? other.max_ : std::max(max_, other.max_);
    count_ += other.count_;
    underflow_ += other.underflow_;
    overflow_ += other.overflow_;
    sum_ += other.sum_;
}

void Histogram::Reset() {
    std::fill(buckets_.begin(), buckets_.end(), 0);
    coarse_.fill(0);
    count_ = underflow_ = overflow_ = sum_ = 0;
    min_ = max_ = 0;
}

void Histogram::ForEachBucket(const std::function<void(const Bucket&)>& fn) const {
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
        if (buckets_[i] == 0) continue;
        fn(Bucket{nanoseconds(LowerBoundOf(i)), nanoseconds(UpperBoundOf(i)), buckets_[i]});
    }
}

std::vector<Histogram::CumulativeBucket> Histogram::PrometheusBuckets() const {
    std::vector<CumulativeBucket> out;
    out.reserve(coarse_.size());
    std::uint64_t running = 0;
    for (std::size_t i = 0; i < coarse_.size(); ++i) {
        running += coarse_[i];
        nanoseconds bound =
            i < kPrometheusBoundsNanos.size() ? nanoseconds(kPrometheusBoundsNanos[i]) : nanoseconds::max();
        out.push_back({bound, running});
    }
    return out;
}

nlohmann::json Histogram::ToJson() const {
    nlohmann::json fine = nlohmann::json::array();
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
        if (buckets_[i] == 0) continue;
        fine.push_back(i);
        fine.push_back(buckets_[i]);
    }
    return nlohmann::json{
        {"layout",
         {{"version", kLayoutVersion},
          {"sub_buckets", kSubBuckets},
          {"lowest_ns", kLowestNanos},
          {"highest_ns", kHighestNanos}}},
        {"count", count_},
        {"sum_ns", sum_},
        {"min_ns", min_},
        {"max_ns", max_},
        {"underflow", underflow_},
        {"overflow", overflow_},
        {"buckets", std::move(fine)},
        {"coarse", coarse_},
    };
}

nlohmann::json Histogram::SummaryJson() const {
    return {{"count", Count()},
            {"p50_ns", Percentile(50).count()},
            {"p90_ns", Percentile(90).count()},
            {"p99_ns", Percentile(99).count()},
            {"max_ns", Max().count()},
            {"mean_ns", Mean().count()},
            {"sum_ns", Sum().count()}};
}

std::string Histogram::Serialize() const { return ToJson().dump(); }

core::Result<Histogram> Histogram::FromJson(const nlohmann::json& json) {
    try {
        if (!json.is_object()) return core::Fail(Invalid("expected a JSON object"));
        const auto& layout = json.at("layout");
        if (layout.at("version").get<int>() != kLayoutVersion ||
            layout.at("sub_buckets").get<std::int64_t>() != kSubBuckets ||
            layout.at("lowest_ns").get<std::int64_t>() != kLowestNanos ||
            layout.at("highest_ns").get<std::int64_t>() != kHighestNanos)
            return core::Fail(Invalid("bucket layout differs from this build's (version " +
                                      std::to_string(kLayoutVersion) + ", 128 sub-buckets, 1us..1h)"));
        Histogram h;
        h.count_ = json.at("count").get<std::uint64_t>();
        h.sum_ = json.at("sum_ns").get<std::uint64_t>();
        h.min_ = json.at("min_ns").get<std::int64_t>();
        h.max_ = json.at("max_ns").get<std::int64_t>();
        h.underflow_ = json.at("underflow").get<std::uint64_t>();
        h.overflow_ = json.at("overflow").get<std::uint64_t>();

        const auto& fine = json.at("buckets");
        if (!fine.is_array() || fine.size() % 2 != 0)
            return core::Fail(Invalid("'buckets' must be [index, count, ...]"));
        std::uint64_t fine_total = 0;
        std::size_t next_allowed = 0;
        for (std::size_t k = 0; k < fine.size(); k += 2) {
            auto index = fine[k].get<std::size_t>();
            auto n = fine[k + 1].get<std::uint64_t>();
            if (index < next_allowed || index >= kBucketCount || n == 0)
                return core::Fail(Invalid("bucket indexes must increase, stay below " + std::to_string(kBucketCount) +
                                          " and have non-zero counts"));
            h.buckets_[index] = n;
            fine_total += n;
            next_allowed = index + 1;
        }
        const auto& coarse = json.at("coarse");
        if (!coarse.is_array() || coarse.size() != h.coarse_.size())
            return core::Fail(Invalid("'coarse' must hold " + std::to_string(h.coarse_.size()) + " counts"));
        std::uint64_t coarse_total = 0;
        for (std::size_t i = 0; i < h.coarse_.size(); ++i) {
            h.coarse_[i] = coarse[i].get<std::uint64_t>();
            coarse_total += h.coarse_[i];
        }
        if (fine_total + h.overflow_ != h.count_ || coarse_total != h.count_ || h.underflow_ > h.buckets_[0])
            return core::Fail(Invalid("bucket counts do not add up to 'count'"));
        if (h.count_ == 0 ? (h.min_ != 0 || h.max_ != 0 || h.sum_ != 0) : (h.min_ < 0 || h.min_ > h.max_))
            return core::Fail(Invalid("inconsistent min/max/sum"));
        return h;
    } catch (const nlohmann::json::exception& e) {
        return core::Fail(Invalid(e.what()));
    }
}

core::Result<Histogram> Histogram::Deserialize(std::string_view text) {
    auto json = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) return core::Fail(Invalid("malformed JSON"));
    return FromJson(json);
}

}  // namespace sim::metrics
