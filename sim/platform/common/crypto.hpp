#pragma once
// The platform's cryptography (OpenSSL libcrypto behind this header): SHA-256, HMAC-SHA256,
// constant-time compares, hex/base64url, password hashing (PBKDF2-HMAC-SHA256 with a per-password
// salt), bearer-token hashing and AES-256-GCM. Strings hold raw bytes unless a name says Hex.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sim/core/random.hpp"
#include "sim/core/result.hpp"

namespace sim::platform {

/// Raw 32-byte SHA-256 of `data`.
std::string Sha256(std::string_view data);
/// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
/// Raw 32-byte HMAC-SHA256(key, data).
std::string HmacSha256(std::string_view key, std::string_view data);
/// Lower-case hex HMAC-SHA256(key, data).
std::string HmacSha256Hex(std::string_view key, std::string_view data);
/// True when `a` and `b` are equal, in time independent of where they differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

std::string HexEncode(std::string_view bytes);
/// nullopt on an odd length or a non-hex character (either case accepted).
std::optional<std::string> HexDecode(std::string_view hex);
/// RFC 4648 §5 base64url without padding.
std::string Base64UrlEncode(std::string_view data);
/// Padding optional; nullopt on a bad character or length.
std::optional<std::string> Base64UrlDecode(std::string_view text);

/// `n` bytes from OpenSSL's CSPRNG (for IVs and salts: never reproduced, never observable).
std::string SecureRandomBytes(std::size_t n);

/// An opaque bearer token: "<prefix>" + 43 base64url characters (32 random bytes from `ids`, the
/// seeded generator, so runs repeat). Only HashToken(token) is ever stored.
std::string NewBearerToken(core::IdGenerator& ids, std::string_view prefix);
/// What is stored for a bearer token: lower-case hex SHA-256 (a token has 256 bits of entropy, so
/// an unsalted fast hash is enough; a stolen table gives no usable token).
std::string HashToken(std::string_view token);

/// Password hashing: PBKDF2-HMAC-SHA256, 16-byte salt, `iterations` rounds, 32-byte key, stored as
/// "pbkdf2-sha256$<iterations>$<salt b64url>$<key b64url>" (the iteration count travels with the
/// hash, so changing the setting keeps old hashes verifiable).
std::string HashPassword(std::string_view password, int iterations);
/// Verifies `password` against a stored HashPassword string (false for a malformed one).
bool VerifyPassword(std::string_view password, std::string_view stored);

/// "sha256=<hex HMAC-SHA256(secret, body)>": the X-Cardsim-Signature of a callback.
std::string CallbackSignature(std::string_view secret, std::string_view body);
/// Checks a received X-Cardsim-Signature header value against `body` (constant time).
bool VerifyCallbackSignature(std::string_view secret, std::string_view body, std::string_view header_value);

/// AES-256-GCM with a random 96-bit IV: returns iv (12) || ciphertext || tag (16). `key` must be
/// 32 bytes (std::invalid_argument otherwise). `aad` is authenticated, not encrypted.
std::string AesGcmSeal(std::string_view key, std::string_view plaintext, std::string_view aad = {});
/// Opens AesGcmSeal output; an error when the tag does not verify (wrong key, aad or tampering).
core::Result<std::string> AesGcmOpen(std::string_view key, std::string_view sealed, std::string_view aad = {});

}  // namespace sim::platform
