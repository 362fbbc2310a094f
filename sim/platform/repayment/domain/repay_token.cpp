#include "sim/platform/repayment/domain/repay_token.hpp"

#include <nlohmann/json.hpp>

#include "sim/platform/common/crypto.hpp"

namespace sim::platform::repayment::domain {

namespace {

std::int64_t EpochSeconds(core::TimePoint t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

core::Failure<TokenError> Bad(std::string field, std::string message) {
    return core::Fail(TokenError{std::move(field), std::move(message)});
}

}  // namespace

core::Status<TokenError> ValidateAtmAmount(std::optional<Yen> amount) {
    if (!amount) return core::Unit{};
    if (*amount <= 0 || *amount % 1000 != 0) return Bad("amount", "must be a positive multiple of 1000 yen (notes only)");
    if (*amount > kMaxAtmAmount) return Bad("amount", "must be at most 500000 yen");
    return core::Unit{};
}

core::Result<IssuedToken, TokenError> IssueRepayToken(std::string_view secret, const std::string& member_id,
                                                      const std::string& nonce, core::TimePoint now,
                                                      std::chrono::seconds lifetime, std::optional<Yen> amount) {
    if (member_id.empty()) return Bad("member_id", "is required");
    if (nonce.empty()) return Bad("nonce", "is required");
    if (lifetime <= std::chrono::seconds(0) || lifetime > kMaxTokenLifetime) {
        return Bad("ttl_seconds", "a token lives 1 to 300 seconds");
    }
    if (auto ok = ValidateAtmAmount(amount); !ok) return core::Fail(ok.error());
    IssuedToken out;
    out.payload = {member_id, nonce, EpochSeconds(now) + lifetime.count(), amount};
    nlohmann::json j = {{"member_id", member_id}, {"nonce", nonce}, {"exp", out.payload.exp}};
    if (amount) j["amount"] = *amount;
    std::string body = Base64UrlEncode(j.dump());
    out.token = body + "." + Base64UrlEncode(HmacSha256(secret, body));
    return out;
}

core::Result<RepayTokenPayload, TokenError> VerifyRepayToken(std::string_view secret, std::string_view token,
                                                             core::TimePoint now) {
    auto dot = token.find('.');
    if (dot == std::string_view::npos) return Bad("repay_token", "is malformed (payload.signature)");
    std::string_view body = token.substr(0, dot);
    auto sig = Base64UrlDecode(token.substr(dot + 1));
    if (!sig || !ConstantTimeEquals(*sig, HmacSha256(secret, body))) return Bad("repay_token", "signature does not verify");
    auto text = Base64UrlDecode(body);
    nlohmann::json j = text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
    if (!j.is_object() || !j.contains("member_id") || !j["member_id"].is_string() || !j.contains("nonce") ||
        !j["nonce"].is_string() || !j.contains("exp") || !j["exp"].is_number_integer()) {
        return Bad("repay_token", "payload must be {member_id, nonce, exp[, amount]}");
    }
    RepayTokenPayload p{j["member_id"].get<std::string>(), j["nonce"].get<std::string>(), j["exp"].get<std::int64_t>(),
                        std::nullopt};
    if (j.contains("amount")) {
        if (!j["amount"].is_number_integer()) return Bad("repay_token", "amount must be an integer");
        p.amount = j["amount"].get<Yen>();
    }
    const std::int64_t t = EpochSeconds(now);
    if (p.exp < t) return Bad("repay_token", "has expired");
    if (p.exp > t + kMaxTokenLifetime.count()) return Bad("repay_token", "expires more than 5 minutes ahead");
    return p;
}

}  // namespace sim::platform::repayment::domain
