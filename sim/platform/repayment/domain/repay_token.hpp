#pragma once
// The ATM repay token the app shows as a QR code (DOMAIN.md §6, fakes/atm/README.md):
//   token   = base64url(payload_json) "." base64url(HMAC-SHA256(secret, base64url(payload_json)))
//   payload = {"member_id","nonce","exp":<epoch seconds>,"amount"?:<yen>}
// base64url without padding; the HMAC is over the encoded payload text; the secret is the one the
// ATM network shares (--atm-hmac-secret). A token lives at most 5 minutes; an amount, when given,
// is what the ATM must receive: a positive multiple of ¥1,000, at most ¥500,000 (notes only).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sim/core/result.hpp"
#include "sim/core/time.hpp"

namespace sim::platform::repayment::domain {

using Yen = std::int64_t;

inline constexpr std::chrono::seconds kMaxTokenLifetime{300};
inline constexpr Yen kMaxAtmAmount = 500000;

struct RepayTokenPayload {
    std::string member_id;
    std::string nonce;
    std::int64_t exp = 0;  ///< epoch seconds
    std::optional<Yen> amount;
};

struct IssuedToken {
    std::string token;
    RepayTokenPayload payload;
};

/// A field-level refusal (the api layer turns it into a problem body naming `field`).
struct TokenError {
    std::string field;
    std::string message;
};

/// Checks an optional requested amount (field "amount").
core::Status<TokenError> ValidateAtmAmount(std::optional<Yen> amount);

/// Signs a token for `member_id`, expiring `lifetime` after `now` (1 s .. 5 min).
core::Result<IssuedToken, TokenError> IssueRepayToken(std::string_view secret, const std::string& member_id,
                                                      const std::string& nonce, core::TimePoint now,
                                                      std::chrono::seconds lifetime = kMaxTokenLifetime,
                                                      std::optional<Yen> amount = std::nullopt);

/// Verifies signature, shape and expiry at `now` (what the ATM does; used by tests and tools).
core::Result<RepayTokenPayload, TokenError> VerifyRepayToken(std::string_view secret, std::string_view token,
                                                             core::TimePoint now);

}  // namespace sim::platform::repayment::domain
