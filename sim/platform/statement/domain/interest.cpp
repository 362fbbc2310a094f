#include "sim/platform/statement/domain/interest.hpp"

namespace sim::platform::statement::domain {

std::int64_t InterestNumerator(std::span<const PrincipalSpan> spans, const InterestPolicy& policy) {
    std::int64_t sum = 0;
    for (const PrincipalSpan& s : spans) {
        if (s.principal > 0 && s.days > 0) sum += s.principal * policy.rate_bp * s.days;
    }
    return sum;
}

Yen InterestFromNumerator(std::int64_t numerator, const InterestPolicy& policy) {
    if (numerator <= 0 || policy.day_count <= 0) return 0;
    return numerator / (10000 * policy.day_count);
}

Yen Interest(std::span<const PrincipalSpan> spans, const InterestPolicy& policy) {
    return InterestFromNumerator(InterestNumerator(spans, policy), policy);
}

}  // namespace sim::platform::statement::domain
