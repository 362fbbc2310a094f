#pragma once
// Interest on an unpaid principal (DOMAIN.md §3, after JACCS): interest = floor(principal × rate ×
// days / denominator), split at every principal change and summed *before* truncating. Integer
// arithmetic only: the exact sum Σ principal × rate_bp × days (the "numerator", yen·bp·days) is kept
// and divided once, so no rounding happens before the final truncation below ¥1.

#include <cstdint>
#include <span>

namespace sim::platform::statement::domain {

using Yen = std::int64_t;

/// Annual rate in basis points (1500 = 15.0 % p.a.) and the day-count denominator (365 for
/// Actual/365; 366 for issuers that use it in leap years).
struct InterestPolicy {
    std::int64_t rate_bp = 1500;
    std::int64_t day_count = 365;
};

/// `principal` yen owed for `days` days.
struct PrincipalSpan {
    Yen principal = 0;
    std::int64_t days = 0;
};

/// Σ principal × rate_bp × days (the exact, untruncated interest times 10000 × day_count).
std::int64_t InterestNumerator(std::span<const PrincipalSpan> spans, const InterestPolicy& policy);
/// floor(numerator / (10000 × day_count)).
Yen InterestFromNumerator(std::int64_t numerator, const InterestPolicy& policy);
/// floor(Σ principal × rate × days / day_count).
Yen Interest(std::span<const PrincipalSpan> spans, const InterestPolicy& policy);

}  // namespace sim::platform::statement::domain
