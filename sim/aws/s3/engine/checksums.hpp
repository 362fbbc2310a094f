#pragma once
// Integrity digests of object bodies: MD5 (ETags, Content-MD5) and the flexible checksums S3
// stores and returns (CRC32, CRC32C, CRC64NVME, SHA1, SHA256). All are incremental, so a body is
// hashed while it streams through and never needs to be in memory.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sim::aws::s3::engine {

enum class ChecksumAlgorithm { kCrc32, kCrc32c, kCrc64Nvme, kSha1, kSha256 };

/// "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256" (also the engine's storage names).
std::string_view ToString(ChecksumAlgorithm algorithm);
/// Case-insensitive inverse of ToString.
std::optional<ChecksumAlgorithm> ParseChecksumAlgorithm(std::string_view name);

/// CRC-32 (ISO-HDLC, reflected polynomial 0xEDB88320): `Crc32Update(0, data)` gives the CRC of
/// `data`; feeding pieces in order with the previous result gives the CRC of the concatenation.
std::uint32_t Crc32Update(std::uint32_t crc, std::string_view data);
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), same incremental contract.
std::uint32_t Crc32cUpdate(std::uint32_t crc, std::string_view data);
/// CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5), same incremental contract.
std::uint64_t Crc64NvmeUpdate(std::uint64_t crc, std::string_view data);

/// Standard base64 with padding.
std::string Base64Encode(std::string_view bytes);
/// Decodes standard base64 (padding optional); nullopt on invalid input.
std::optional<std::string> Base64Decode(std::string_view text);
/// Lower-case hex of `bytes`.
std::string HexEncode(std::string_view bytes);

/// One incremental digest of any algorithm, plus MD5. Digest() returns raw bytes (4 for CRC32,
/// 8 for CRC64, 16 for MD5, 20 for SHA1, 32 for SHA256).
class Digest {
public:
    /// MD5.
    static Digest Md5();
    static Digest For(ChecksumAlgorithm algorithm);

    Digest(Digest&&) noexcept;
    Digest& operator=(Digest&&) noexcept;
    ~Digest();

    void Update(std::string_view data);
    /// The digest of everything fed so far (the object can keep being fed afterwards only for CRCs).
    std::string Final();

private:
    enum class Kind { kMd5, kCrc32, kCrc32c, kCrc64, kSha1, kSha256 };
    explicit Digest(Kind kind);

    Kind kind_;
    std::uint64_t crc_ = 0;
    struct Evp;
    std::unique_ptr<Evp> evp_;
};

/// Raw digest of `data` in one call.
std::string DigestOf(ChecksumAlgorithm algorithm, std::string_view data);
std::string Md5Of(std::string_view data);

}  // namespace sim::aws::s3::engine
