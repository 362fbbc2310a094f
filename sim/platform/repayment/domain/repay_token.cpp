#include "sim/platform/repayment/domain/repay_token.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>

namespace sim::platform::repayment::domain {

namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string B64Url(std::string_view data) {
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (unsigned char c : data) {
        acc = (acc << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out += kB64[(acc >> bits) & 63];
        }
    }
    if (bits > 0) out += kB64[(acc << (6 - bits)) & 63];
    return out;
}

std::optional<std::string> UnB64Url(std::string_view text) {
    if (text.size() % 4 == 1) return std::nullopt;
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        const char* p = c ? std::char_traits<char>::find(kB64, 64, c) : nullptr;
        if (!p) return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(p - kB64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xFF);
        }
    }
    return out;
}

std::string Hmac(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), out, &len);
    return std::string(reinterpret_cast<const char*>(out), len);
}

bool SameBytes(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

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
    std::string body = B64Url(j.dump());
    out.token = body + "." + B64Url(Hmac(secret, body));
    return out;
}

core::Result<RepayTokenPayload, TokenError> VerifyRepayToken(std::string_view secret, std::string_view token,
                                                             core::TimePoint now) {
    auto dot = token.find('.');
    if (dot == std::string_view::npos) return Bad("repay_token", "is malformed (payload.signature)");
    std::string_view body = token.substr(0, dot);
    auto sig = UnB64Url(token.substr(dot + 1));
    if (!sig || !SameBytes(*sig, Hmac(secret, body))) return Bad("repay_token", "signature does not verify");
    auto text = UnB64Url(body);
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
