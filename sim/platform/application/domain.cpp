#include "sim/platform/application/domain.hpp"

#include <algorithm>
#include <utility>

namespace sim::platform::application {

namespace {
constexpr std::pair<Status, std::string_view> kNames[] = {
    {Status::kSubmitted, "SUBMITTED"},
    {Status::kEkycVerified, "EKYC_VERIFIED"},
    {Status::kEkycRejected, "EKYC_REJECTED"},
    {Status::kEkycManualReview, "EKYC_MANUAL_REVIEW"},
    {Status::kListed, "LISTED"},
    {Status::kChecked, "CHECKED"},
    {Status::kApproved, "APPROVED"},
    {Status::kRejected, "REJECTED"},
    {Status::kConfirmed, "CONFIRMED"},
    {Status::kCardAccountRegistered, "CARD_ACCOUNT_REGISTERED"},
    {Status::kCardOrdered, "CARD_ORDERED"},
    {Status::kShipped, "SHIPPED"},
    {Status::kActive, "ACTIVE"},
    {Status::kCardReturned, "CARD_RETURNED"},
};
}  // namespace

std::string_view ToString(Status s) {
    for (const auto& [st, name] : kNames)
        if (st == s) return name;
    return "SUBMITTED";
}

std::optional<Status> ParseStatus(std::string_view s) {
    for (const auto& [st, name] : kNames)
        if (name == s) return st;
    return std::nullopt;
}

bool CanTransition(Status from, Status to) {
    using S = Status;
    switch (from) {
        case S::kSubmitted: return to == S::kEkycVerified || to == S::kEkycRejected || to == S::kEkycManualReview;
        case S::kEkycManualReview: return to == S::kEkycVerified || to == S::kEkycRejected;
        case S::kEkycVerified: return to == S::kListed;
        case S::kListed: return to == S::kChecked || to == S::kRejected;
        case S::kChecked: return to == S::kApproved || to == S::kRejected;
        case S::kApproved: return to == S::kConfirmed;
        case S::kConfirmed: return to == S::kCardAccountRegistered;
        case S::kCardAccountRegistered: return to == S::kCardOrdered;
        case S::kCardOrdered: return to == S::kShipped || to == S::kCardReturned;
        case S::kShipped: return to == S::kActive || to == S::kCardReturned;
        case S::kEkycRejected:
        case S::kRejected:
        case S::kActive:
        case S::kCardReturned: return false;
    }
    return false;
}

bool IsFinal(Status s) {
    return s == Status::kEkycRejected || s == Status::kRejected || s == Status::kActive || s == Status::kCardReturned;
}

std::string_view ApplicantView(Status s) {
    switch (s) {
        case Status::kListed:
        case Status::kChecked: return "UNDER_REVIEW";
        case Status::kEkycRejected: return "EKYC_REJECTED";
        default: return ToString(s);
    }
}

std::optional<Housing> ParseHousing(std::string_view s) {
    if (s == "OWNED") return Housing::kOwned;
    if (s == "RENTED") return Housing::kRented;
    if (s == "MORTGAGED") return Housing::kMortgaged;
    return std::nullopt;
}

Yen LivingCostTable::For(Housing housing, int household_size) const {
    std::size_t i = static_cast<std::size_t>(std::clamp(household_size, 1, 4) - 1);
    return housing == Housing::kOwned ? owned[i] : rented_or_mortgaged[i];
}

Yen PaymentCapacity(Yen annual_income, Housing housing, int household_size, Yen annual_credit_debt,
                    const LivingCostTable& table) {
    Yen c = annual_income - table.For(housing, household_size) - annual_credit_debt;
    return c > 0 ? c : 0;
}

Yen MaxCreditLimit(Yen payment_capacity) {
    Yen ninety = payment_capacity / 10 * 9 + (payment_capacity % 10) * 9 / 10;  // floor(c × 0.9), no overflow
    return std::min(kSmallAmountCeiling, ninety);
}

std::string CheckCreditLimit(Yen requested, Yen payment_capacity) {
    if (requested <= 0) return "must be a positive amount of yen";
    if (requested > kSmallAmountCeiling) return "must be at most 100000 (the small-amount product's ceiling)";
    Yen max = MaxCreditLimit(payment_capacity);
    if (requested > max)
        return "exceeds 90% of the payment capacity (包括支払可能見込額 " + std::to_string(payment_capacity) +
               "): at most " + std::to_string(max);
    return {};
}

std::string AutoRejectReason(const CheckResults& r) {
    if (r.screening_result == "HIT") return "SCREENING_HIT";
    if (r.screening_result == "PEP_HIT") return "SCREENING_PEP_HIT";
    if (r.bureau_incident) return "BUREAU_INCIDENT";
    return {};
}

bool IsLocked(const LoginState& s, core::TimePoint now) { return s.locked_until && now < *s.locked_until; }

LoginState AfterFailure(LoginState s, core::TimePoint now, const LockoutPolicy& policy) {
    if (s.locked_until && now >= *s.locked_until) s = {};
    ++s.failures;
    if (s.failures >= policy.max_failures) s.locked_until = now + policy.lock_for;
    return s;
}

bool IsKatakana(std::string_view t) {
    if (t.empty()) return false;
    std::size_t i = 0;
    while (i < t.size()) {
        auto c = static_cast<unsigned char>(t[i]);
        if (c == ' ') {
            ++i;
            continue;
        }
        if ((c & 0xF0) != 0xE0 || i + 3 > t.size()) return false;
        char32_t cp = (char32_t(c & 0x0F) << 12) | (char32_t(static_cast<unsigned char>(t[i + 1]) & 0x3F) << 6) |
                      (static_cast<unsigned char>(t[i + 2]) & 0x3F);
        bool ok = (cp >= U'ァ' && cp <= U'ヺ') || cp == U'ー' || cp == U'・' || cp == U'\u3000';
        if (!ok) return false;
        i += 3;
    }
    return true;
}

std::string EmbossedName(std::string_view text) {
    std::string out;
    for (char c : text) {
        char u = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
        if (!((u >= 'A' && u <= 'Z') || u == ' ' || u == '.' || u == '-' || u == '\'')) return {};
        out += u;
    }
    if (out.size() < 2 || out.size() > 26) return {};
    return out;
}

}  // namespace sim::platform::application
