#pragma once
// The application service's domain rules, free of storage and HTTP (docs/platform.md, "The
// application flow"; DOMAIN §3): the application state machine, the credit-limit ceiling
// (包括支払可能見込額 × 90 %, 少額 ≤ ¥100,000), the automatic rejection rules of the review batch, and
// the sign-in lockout policy (PCI DSS 8.3.4).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/result.hpp"
#include "sim/core/time.hpp"

namespace sim::platform::application {

using Yen = std::int64_t;

enum class Status {
    kSubmitted,
    kEkycVerified,
    kEkycRejected,
    kEkycManualReview,
    kListed,
    kChecked,
    kApproved,
    kRejected,
    kConfirmed,
    kCardAccountRegistered,
    kCardOrdered,
    kShipped,
    kActive,
    kCardReturned,
};

std::string_view ToString(Status s);
std::optional<Status> ParseStatus(std::string_view s);
/// Whether the state machine allows `from` → `to`.
bool CanTransition(Status from, Status to);
/// Final states: nothing follows.
bool IsFinal(Status s);
/// What the applicant sees (internal states such as LISTED/CHECKED show as UNDER_REVIEW; the
/// reason of an automatic rejection is never shown).
std::string_view ApplicantView(Status s);

enum class Housing { kOwned, kRented, kMortgaged };
std::optional<Housing> ParseHousing(std::string_view s);

/// 生活維持費 (annual living costs, yen) by household size 1/2/3/4+ (DOMAIN §3 [S24b]): owners
/// without a mortgage vs renters/mortgage payers. Configurable because sources disagree on a cell.
struct LivingCostTable {
    std::array<Yen, 4> owned = {900'000, 1'360'000, 1'690'000, 2'000'000};
    std::array<Yen, 4> rented_or_mortgaged = {1'160'000, 1'770'000, 2'090'000, 2'400'000};
    Yen For(Housing housing, int household_size) const;
};

/// The product's ceiling (登録少額包括信用購入あっせん業者: every limit ≤ ¥100,000).
inline constexpr Yen kSmallAmountCeiling = 100'000;

/// 包括支払可能見込額 = 年収 − 生活維持費 − 年間クレジット債務 (floored at 0).
Yen PaymentCapacity(Yen annual_income, Housing housing, int household_size, Yen annual_credit_debt,
                    const LivingCostTable& table = {});
/// The highest limit allowed: min(¥100,000, floor(capacity × 90 %)).
Yen MaxCreditLimit(Yen payment_capacity);

/// Why a limit is refused ("" when allowed): positive, ≤ ¥100,000, ≤ 90 % of the capacity.
std::string CheckCreditLimit(Yen requested, Yen payment_capacity);

/// Results of the review batch's checks, as the rules see them.
struct CheckResults {
    bool bureau_found = false;
    bool bureau_incident = false;  ///< 異動
    Yen bureau_annual_billing = 0; ///< 年間請求予定額 of existing contracts
    std::string screening_result;  ///< NO_HIT | POSSIBLE_HIT | HIT | PEP_HIT
};

/// The automatic rejection reason for `r` ("" when a credit officer decides): screening HIT →
/// "SCREENING_HIT", PEP_HIT → "SCREENING_PEP_HIT", bureau 異動 → "BUREAU_INCIDENT".
std::string AutoRejectReason(const CheckResults& r);

/// Sign-in lockout (PCI DSS 8.3.4: ≤ 10 attempts, ≥ 30 minutes).
struct LockoutPolicy {
    int max_failures = 10;
    core::Duration lock_for = std::chrono::minutes(30);
};

struct LoginState {
    int failures = 0;
    std::optional<core::TimePoint> locked_until;
};

/// Whether a sign-in may be tried at `now`.
bool IsLocked(const LoginState& s, core::TimePoint now);
/// The state after a failed sign-in at `now` (locks on the max_failures-th failure; a lock that
/// has expired starts a fresh count).
LoginState AfterFailure(LoginState s, core::TimePoint now, const LockoutPolicy& policy = {});
/// The state after a successful sign-in.
inline LoginState AfterSuccess() { return {}; }

/// Katakana check for kana name fields (full-width katakana, the long-vowel mark, spaces).
bool IsKatakana(std::string_view utf8);
/// "Jane Q. Public" → valid embossing (2–26 of A-Z space . - ') after upper-casing; "" if invalid.
std::string EmbossedName(std::string_view text);

}  // namespace sim::platform::application
