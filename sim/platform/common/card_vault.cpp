#include "sim/platform/common/card_vault.hpp"

#include <stdexcept>

#include "sim/platform/common/crypto.hpp"

namespace sim::platform {

namespace {

core::Result<std::string> DecodeKey(std::string_view key_hex) {
    auto key = HexDecode(key_hex);
    if (!key || key->size() != 32)
        return core::Fail(core::Error::InvalidArgument("a vault key is 64 hex digits (32 bytes)"));
    return *key;
}

bool AllDigits(std::string_view s) {
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return !s.empty();
}

}  // namespace

std::string CardVault::KeyIdOf(std::string_view key) { return "k-" + Sha256Hex(key).substr(0, 8); }

core::Result<CardVault> CardVault::Create(std::string_view key_hex) {
    auto key = DecodeKey(key_hex);
    if (!key) return core::Fail(key.error());
    CardVault vault;
    vault.active_key_id_ = KeyIdOf(*key);
    // A separate key for the lookup HMAC: the encryption key is never used for two purposes.
    vault.lookup_key_ = HmacSha256(*key, "cardsim-vault-lookup-v1");
    vault.keys_[vault.active_key_id_] = std::move(key).value();
    return vault;
}

core::Status<> CardVault::AddRetiredKey(std::string_view key_hex) {
    auto key = DecodeKey(key_hex);
    if (!key) return core::Fail(key.error());
    keys_.emplace(KeyIdOf(*key), std::move(key).value());
    return core::Ok();
}

SealedPan CardVault::Seal(std::string_view pan, std::string_view pan_token) const {
    if (pan.size() < 12 || pan.size() > 19 || !AllDigits(pan)) throw std::invalid_argument("not a card number");
    SealedPan s;
    s.ciphertext = AesGcmSeal(keys_.at(active_key_id_), pan, pan_token);
    s.key_id = active_key_id_;
    s.pan_hmac = LookupHmac(pan);
    s.bin = std::string(pan.substr(0, 6));
    s.last4 = std::string(pan.substr(pan.size() - 4));
    return s;
}

core::Result<std::string> CardVault::Open(std::string_view ciphertext, std::string_view key_id,
                                          std::string_view pan_token) const {
    auto it = keys_.find(std::string(key_id));
    if (it == keys_.end()) return core::Fail(core::Error::NotFound("unknown vault key " + std::string(key_id)));
    return AesGcmOpen(it->second, ciphertext, pan_token);
}

std::string CardVault::LookupHmac(std::string_view pan) const { return HmacSha256Hex(lookup_key_, pan); }

std::string CardVault::Masked(std::string_view pan) {
    if (pan.size() < 10) return std::string(pan.size(), '*');
    return std::string(pan.substr(0, 6)) + std::string(pan.size() - 10, '*') + std::string(pan.substr(pan.size() - 4));
}

}  // namespace sim::platform
