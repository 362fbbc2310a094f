#include "sim/aws/s3/engine/checksums.hpp"

#include <openssl/evp.h>

#include <cstring>
#include <stdexcept>

#include "sim/core/headers.hpp"

namespace sim::aws::s3::engine {

namespace {

// Slicing-by-8 tables for reflected CRCs: table[0] is the classic byte table, table[k][b] the CRC
// of byte b followed by k zero bytes. Eight bytes per step keeps hashing far below disk speed.
template <typename T>
struct CrcTables {
    std::array<std::array<T, 256>, 8> t{};
    explicit CrcTables(T poly) {
        for (unsigned i = 0; i < 256; ++i) {
            T c = static_cast<T>(i);
            for (int k = 0; k < 8; ++k) c = (c & 1) ? static_cast<T>((c >> 1) ^ poly) : static_cast<T>(c >> 1);
            t[0][i] = c;
        }
        for (unsigned i = 0; i < 256; ++i) {
            for (int k = 1; k < 8; ++k) t[k][i] = static_cast<T>((t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff]);
        }
    }
};

template <typename T>
T CrcUpdate(const CrcTables<T>& tables, T crc, std::string_view data) {
    const auto& t = tables.t;
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    std::size_t n = data.size();
    T c = static_cast<T>(~crc);
    while (n >= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, 8);  // little-endian hosts only (x86-64, aarch64)
        if constexpr (sizeof(T) == 4) {
            std::uint32_t lo = static_cast<std::uint32_t>(word) ^ c;
            std::uint32_t hi = static_cast<std::uint32_t>(word >> 32);
            c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
                t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
        } else {
            std::uint64_t x = word ^ c;
            c = t[7][x & 0xff] ^ t[6][(x >> 8) & 0xff] ^ t[5][(x >> 16) & 0xff] ^ t[4][(x >> 24) & 0xff] ^
                t[3][(x >> 32) & 0xff] ^ t[2][(x >> 40) & 0xff] ^ t[1][(x >> 48) & 0xff] ^ t[0][x >> 56];
        }
        p += 8;
        n -= 8;
    }
    while (n--) c = static_cast<T>((c >> 8) ^ t[0][(c ^ *p++) & 0xff]);
    return static_cast<T>(~c);
}

const CrcTables<std::uint32_t>& Crc32Tables() {
    static const CrcTables<std::uint32_t> tables(0xEDB88320u);
    return tables;
}
const CrcTables<std::uint32_t>& Crc32cTables() {
    static const CrcTables<std::uint32_t> tables(0x82F63B78u);
    return tables;
}
const CrcTables<std::uint64_t>& Crc64Tables() {
    static const CrcTables<std::uint64_t> tables(0x9A6C9329AC4BC9B5ull);
    return tables;
}

std::string BigEndian(std::uint64_t value, int bytes) {
    std::string out(static_cast<std::size_t>(bytes), '\0');
    for (int i = bytes - 1; i >= 0; --i) {
        out[static_cast<std::size_t>(i)] = static_cast<char>(value & 0xff);
        value >>= 8;
    }
    return out;
}

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

std::string_view ToString(ChecksumAlgorithm algorithm) {
    switch (algorithm) {
        case ChecksumAlgorithm::kCrc32: return "CRC32";
        case ChecksumAlgorithm::kCrc32c: return "CRC32C";
        case ChecksumAlgorithm::kCrc64Nvme: return "CRC64NVME";
        case ChecksumAlgorithm::kSha1: return "SHA1";
        case ChecksumAlgorithm::kSha256: return "SHA256";
    }
    return "CRC32";
}

std::optional<ChecksumAlgorithm> ParseChecksumAlgorithm(std::string_view name) {
    for (auto a : {ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc32c, ChecksumAlgorithm::kCrc64Nvme,
                   ChecksumAlgorithm::kSha1, ChecksumAlgorithm::kSha256}) {
        if (core::EqualsIgnoreCase(name, ToString(a))) return a;
    }
    return std::nullopt;
}

std::uint32_t Crc32Update(std::uint32_t crc, std::string_view data) { return CrcUpdate(Crc32Tables(), crc, data); }
std::uint32_t Crc32cUpdate(std::uint32_t crc, std::string_view data) { return CrcUpdate(Crc32cTables(), crc, data); }
std::uint64_t Crc64NvmeUpdate(std::uint64_t crc, std::string_view data) { return CrcUpdate(Crc64Tables(), crc, data); }

std::string Base64Encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    auto at = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
    for (; i + 3 <= bytes.size(); i += 3) {
        std::uint32_t v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
        out += kBase64[(v >> 18) & 63];
        out += kBase64[(v >> 12) & 63];
        out += kBase64[(v >> 6) & 63];
        out += kBase64[v & 63];
    }
    if (std::size_t rest = bytes.size() - i; rest > 0) {
        std::uint32_t v = at(i) << 16;
        if (rest == 2) v |= at(i + 1) << 8;
        out += kBase64[(v >> 18) & 63];
        out += kBase64[(v >> 12) & 63];
        out += rest == 2 ? kBase64[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
    while (!text.empty() && text.back() == '=') text.remove_suffix(1);
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char ch : text) {
        const char* pos = std::strchr(kBase64, ch);
        if (ch == '\0' || pos == nullptr) return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(pos - kBase64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    if (bits >= 6) return std::nullopt;  // a lone trailing character carries no full byte
    return out;
}

std::string HexEncode(std::string_view bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
    return out;
}

struct Digest::Evp {
    EVP_MD_CTX* ctx = nullptr;
    ~Evp() { EVP_MD_CTX_free(ctx); }
};

Digest::Digest(Kind kind) : kind_(kind) {
    const EVP_MD* md = nullptr;
    if (kind == Kind::kMd5) md = EVP_md5();
    if (kind == Kind::kSha1) md = EVP_sha1();
    if (kind == Kind::kSha256) md = EVP_sha256();
    if (md) {
        evp_ = std::make_unique<Evp>();
        evp_->ctx = EVP_MD_CTX_new();
        if (!evp_->ctx || EVP_DigestInit_ex(evp_->ctx, md, nullptr) != 1) throw std::runtime_error("EVP init failed");
    }
}

Digest Digest::Md5() { return Digest(Kind::kMd5); }

Digest Digest::For(ChecksumAlgorithm algorithm) {
    switch (algorithm) {
        case ChecksumAlgorithm::kCrc32: return Digest(Kind::kCrc32);
        case ChecksumAlgorithm::kCrc32c: return Digest(Kind::kCrc32c);
        case ChecksumAlgorithm::kCrc64Nvme: return Digest(Kind::kCrc64);
        case ChecksumAlgorithm::kSha1: return Digest(Kind::kSha1);
        case ChecksumAlgorithm::kSha256: return Digest(Kind::kSha256);
    }
    return Digest(Kind::kCrc32);
}

Digest::Digest(Digest&&) noexcept = default;
Digest& Digest::operator=(Digest&&) noexcept = default;
Digest::~Digest() = default;

void Digest::Update(std::string_view data) {
    switch (kind_) {
        case Kind::kCrc32: crc_ = Crc32Update(static_cast<std::uint32_t>(crc_), data); break;
        case Kind::kCrc32c: crc_ = Crc32cUpdate(static_cast<std::uint32_t>(crc_), data); break;
        case Kind::kCrc64: crc_ = Crc64NvmeUpdate(crc_, data); break;
        default:
            if (EVP_DigestUpdate(evp_->ctx, data.data(), data.size()) != 1) throw std::runtime_error("EVP update failed");
    }
}

std::string Digest::Final() {
    switch (kind_) {
        case Kind::kCrc32:
        case Kind::kCrc32c: return BigEndian(crc_, 4);
        case Kind::kCrc64: return BigEndian(crc_, 8);
        default: {
            unsigned char out[EVP_MAX_MD_SIZE];
            unsigned int len = 0;
            if (EVP_DigestFinal_ex(evp_->ctx, out, &len) != 1) throw std::runtime_error("EVP final failed");
            return std::string(reinterpret_cast<const char*>(out), len);
        }
    }
}

std::string DigestOf(ChecksumAlgorithm algorithm, std::string_view data) {
    Digest d = Digest::For(algorithm);
    d.Update(data);
    return d.Final();
}

std::string Md5Of(std::string_view data) {
    Digest d = Digest::Md5();
    d.Update(data);
    return d.Final();
}

}  // namespace sim::aws::s3::engine
