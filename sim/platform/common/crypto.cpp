#include "sim/platform/common/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <memory>
#include <stdexcept>

namespace sim::platform {

namespace {

const unsigned char* Bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

constexpr std::size_t kIvBytes = 12;
constexpr std::size_t kTagBytes = 16;
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kPasswordKeyBytes = 32;

struct CipherCtxFree {
    void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

std::string Pbkdf2(std::string_view password, std::string_view salt, int iterations) {
    std::string key(kPasswordKeyBytes, '\0');
    if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), Bytes(salt), static_cast<int>(salt.size()),
                          iterations, EVP_sha256(), static_cast<int>(key.size()),
                          reinterpret_cast<unsigned char*>(key.data())) != 1)
        throw std::runtime_error("PBKDF2 failed");
    return key;
}

}  // namespace

std::string Sha256(std::string_view data) {
    std::string out(SHA256_DIGEST_LENGTH, '\0');
    SHA256(Bytes(data), data.size(), reinterpret_cast<unsigned char*>(out.data()));
    return out;
}

std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256(data)); }

std::string HmacSha256(std::string_view key, std::string_view data) {
    std::string out(32, '\0');
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), Bytes(data), data.size(),
         reinterpret_cast<unsigned char*>(out.data()), &len);
    out.resize(len);
    return out;
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) { return HexEncode(HmacSha256(key, data)); }

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string HexEncode(std::string_view bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += kDigits[c >> 4];
        out += kDigits[c & 0xF];
    }
    return out;
}

std::optional<std::string> HexDecode(std::string_view hex) {
    if (hex.size() % 2 != 0) return std::nullopt;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    out.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
    }
    return out;
}

std::string Base64UrlEncode(std::string_view data) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        std::uint32_t v = (std::uint32_t(std::uint8_t(data[i])) << 16) | (std::uint32_t(std::uint8_t(data[i + 1])) << 8) |
                          std::uint8_t(data[i + 2]);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    std::size_t rest = data.size() - i;
    if (rest > 0) {
        std::uint32_t v = std::uint32_t(std::uint8_t(data[i])) << 16;
        if (rest == 2) v |= std::uint32_t(std::uint8_t(data[i + 1])) << 8;
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        if (rest == 2) out += kAlphabet[(v >> 6) & 63];
    }
    return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
    while (!text.empty() && text.back() == '=') text.remove_suffix(1);
    if (text.size() % 4 == 1) return std::nullopt;
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '-') return 62;
        if (c == '_') return 63;
        return -1;
    };
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        int v = value(c);
        if (v < 0) return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xFF);
        }
    }
    return out;
}

std::string SecureRandomBytes(std::size_t n) {
    std::string out(n, '\0');
    if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
        throw std::runtime_error("RAND_bytes failed");
    return out;
}

std::string NewBearerToken(core::IdGenerator& ids, std::string_view prefix) {
    std::string raw;
    raw.reserve(32);
    for (int i = 0; i < 4; ++i) {
        std::uint64_t v = ids.random().NextU64();
        for (int b = 0; b < 8; ++b) raw += static_cast<char>((v >> (8 * b)) & 0xFF);
    }
    return std::string(prefix) + Base64UrlEncode(raw);
}

std::string HashToken(std::string_view token) { return Sha256Hex(token); }

std::string HashPassword(std::string_view password, int iterations) {
    if (iterations < 1) throw std::invalid_argument("HashPassword: iterations must be positive");
    std::string salt = SecureRandomBytes(kSaltBytes);
    return "pbkdf2-sha256$" + std::to_string(iterations) + "$" + Base64UrlEncode(salt) + "$" +
           Base64UrlEncode(Pbkdf2(password, salt, iterations));
}

bool VerifyPassword(std::string_view password, std::string_view stored) {
    constexpr std::string_view kScheme = "pbkdf2-sha256$";
    if (!stored.starts_with(kScheme)) return false;
    stored.remove_prefix(kScheme.size());
    auto d1 = stored.find('$');
    if (d1 == std::string_view::npos) return false;
    auto d2 = stored.find('$', d1 + 1);
    if (d2 == std::string_view::npos) return false;
    int iterations = 0;
    for (char c : stored.substr(0, d1)) {
        if (c < '0' || c > '9' || iterations > 100'000'000) return false;
        iterations = iterations * 10 + (c - '0');
    }
    auto salt = Base64UrlDecode(stored.substr(d1 + 1, d2 - d1 - 1));
    auto key = Base64UrlDecode(stored.substr(d2 + 1));
    if (iterations < 1 || !salt || !key || key->size() != kPasswordKeyBytes) return false;
    return ConstantTimeEquals(Pbkdf2(password, *salt, iterations), *key);
}

std::string CallbackSignature(std::string_view secret, std::string_view body) {
    return "sha256=" + HmacSha256Hex(secret, body);
}

bool VerifyCallbackSignature(std::string_view secret, std::string_view body, std::string_view header_value) {
    constexpr std::string_view kPrefix = "sha256=";
    if (!header_value.starts_with(kPrefix)) return false;
    std::string given(header_value.substr(kPrefix.size()));
    for (char& c : given)
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    return ConstantTimeEquals(given, HmacSha256Hex(secret, body));
}

std::string AesGcmSeal(std::string_view key, std::string_view plaintext, std::string_view aad) {
    if (key.size() != 32) throw std::invalid_argument("AES-256-GCM needs a 32-byte key");
    std::string iv = SecureRandomBytes(kIvBytes);
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    std::string out = iv;
    out.resize(kIvBytes + plaintext.size() + kTagBytes);
    int len = 0, total = 0;
    auto* dst = reinterpret_cast<unsigned char*>(out.data()) + kIvBytes;
    bool ok = ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kIvBytes), nullptr) == 1 &&
              EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, Bytes(key), Bytes(iv)) == 1 &&
              (aad.empty() || EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) == 1) &&
              EVP_EncryptUpdate(ctx.get(), dst, &len, Bytes(plaintext), static_cast<int>(plaintext.size())) == 1;
    total = len;
    ok = ok && EVP_EncryptFinal_ex(ctx.get(), dst + total, &len) == 1;
    total += len;
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes), dst + total) == 1;
    if (!ok) throw std::runtime_error("AES-256-GCM encryption failed");
    return out;
}

core::Result<std::string> AesGcmOpen(std::string_view key, std::string_view sealed, std::string_view aad) {
    if (key.size() != 32) return core::Fail(core::Error::InvalidArgument("AES-256-GCM needs a 32-byte key"));
    if (sealed.size() < kIvBytes + kTagBytes) return core::Fail(core::Error::InvalidArgument("ciphertext too short"));
    std::string_view iv = sealed.substr(0, kIvBytes);
    std::string_view body = sealed.substr(kIvBytes, sealed.size() - kIvBytes - kTagBytes);
    std::string tag(sealed.substr(sealed.size() - kTagBytes));
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    std::string out(body.size(), '\0');
    int len = 0, total = 0;
    auto* dst = reinterpret_cast<unsigned char*>(out.data());
    bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kIvBytes), nullptr) == 1 &&
              EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, Bytes(key), Bytes(iv)) == 1 &&
              (aad.empty() || EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) == 1) &&
              EVP_DecryptUpdate(ctx.get(), dst, &len, Bytes(body), static_cast<int>(body.size())) == 1;
    total = len;
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes), tag.data()) == 1;
    ok = ok && EVP_DecryptFinal_ex(ctx.get(), dst + total, &len) == 1;
    if (!ok) return core::Fail(core::Error::FailedPrecondition("authentication tag mismatch"));
    total += len;
    out.resize(static_cast<std::size_t>(total));
    return out;
}

}  // namespace sim::platform
