#pragma once
// Cardholder-data crypto (PCI DSS 3.5.1, DOMAIN §1 "Tokenization"): a PAN is sealed with
// AES-256-GCM under the vault key (random 96-bit IV, the pan_token as additional data so a
// ciphertext cannot be moved to another row), looked up by a keyed HMAC-SHA256 (never a plain
// hash, 3.5.1.1), and shown as BIN + last 4 at most. The key id travels with every ciphertext, so
// a rotated key keeps old rows readable (AddRetiredKey). The table holding the sealed rows belongs
// to the payment service (card DB); this class only does the crypto.

#include <map>
#include <string>
#include <string_view>

#include "sim/core/result.hpp"

namespace sim::platform {

/// What is stored for one PAN; never the PAN itself.
struct SealedPan {
    std::string ciphertext;  ///< iv || AES-256-GCM ciphertext || tag (raw bytes: store as BLOB)
    std::string key_id;      ///< which vault key sealed it
    std::string pan_hmac;    ///< hex HMAC-SHA256(lookup key, PAN): find/dedup without decrypting
    std::string bin;         ///< first 6 digits
    std::string last4;
};

class CardVault {
public:
    /// The development key used when none is configured (logged as such by the composition root).
    static constexpr std::string_view kDevelopmentKeyHex =
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    /// `key_hex`: 64 hex digits (32 bytes). InvalidArgument otherwise.
    static core::Result<CardVault> Create(std::string_view key_hex);

    /// Seals `pan` (12-19 digits; std::invalid_argument otherwise) for the row `pan_token`.
    SealedPan Seal(std::string_view pan, std::string_view pan_token) const;
    /// Decrypts a sealed PAN (kNotFound for an unknown key id, kFailedPrecondition when the tag
    /// does not verify). Every caller must audit the read.
    core::Result<std::string> Open(std::string_view ciphertext, std::string_view key_id,
                                   std::string_view pan_token) const;
    /// The lookup HMAC of `pan` under the active key.
    std::string LookupHmac(std::string_view pan) const;
    /// Keeps an older key for Open (rotation).
    core::Status<> AddRetiredKey(std::string_view key_hex);

    const std::string& ActiveKeyId() const { return active_key_id_; }
    /// "411111******1111"-style: BIN + last 4, the rest masked.
    static std::string Masked(std::string_view pan);
    /// "k-" + first 8 hex digits of SHA-256(key): names a key without revealing it.
    static std::string KeyIdOf(std::string_view key);

private:
    CardVault() = default;
    std::map<std::string, std::string> keys_;  // key id -> raw 32-byte key
    std::string active_key_id_;
    std::string lookup_key_;  // derived from the active key
};

}  // namespace sim::platform
