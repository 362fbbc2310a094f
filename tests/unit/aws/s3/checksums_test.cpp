#include "sim/aws/s3/engine/checksums.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace sim::aws::s3::engine {
namespace {

TEST(S3Checksums, CrcCheckValuesMatchTheirSpecifications) {
    EXPECT_EQ(Crc32Update(0, "123456789"), 0xCBF43926u);
    EXPECT_EQ(Crc32cUpdate(0, "123456789"), 0xE3069283u);
    EXPECT_EQ(Crc64NvmeUpdate(0, "123456789"), 0xAE8B14860A799888ull);
    EXPECT_EQ(Crc32Update(0, ""), 0u);
}

TEST(S3Checksums, IncrementalCrcEqualsOneShotForEverySplit) {
    std::string data;
    for (int i = 0; i < 1000; ++i) data += static_cast<char>(i * 7 + 3);
    for (std::size_t split : {0ul, 1ul, 7ul, 8ul, 9ul, 500ul, 999ul, 1000ul}) {
        std::string_view a(data.data(), split), b(data.data() + split, data.size() - split);
        EXPECT_EQ(Crc32Update(Crc32Update(0, a), b), Crc32Update(0, data));
        EXPECT_EQ(Crc32cUpdate(Crc32cUpdate(0, a), b), Crc32cUpdate(0, data));
        EXPECT_EQ(Crc64NvmeUpdate(Crc64NvmeUpdate(0, a), b), Crc64NvmeUpdate(0, data));
    }
}

TEST(S3Checksums, DigestsAreBigEndianAndBase64Encoded) {
    EXPECT_EQ(Base64Encode(DigestOf(ChecksumAlgorithm::kCrc32, "hello")), "NhCmhg==");
    EXPECT_EQ(HexEncode(Md5Of("")), "d41d8cd98f00b204e9800998ecf8427e");
    EXPECT_EQ(Base64Encode(DigestOf(ChecksumAlgorithm::kSha256, "")), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    EXPECT_EQ(HexEncode(DigestOf(ChecksumAlgorithm::kSha1, "abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(S3Checksums, Base64RoundTripsAndRejectsGarbage) {
    for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
        auto back = Base64Decode(Base64Encode(s));
        ASSERT_TRUE(back);
        EXPECT_EQ(*back, s);
    }
    EXPECT_FALSE(Base64Decode("!!!"));
    EXPECT_EQ(ParseChecksumAlgorithm("crc32c"), ChecksumAlgorithm::kCrc32c);
    EXPECT_FALSE(ParseChecksumAlgorithm("md5"));
}

}  // namespace
}  // namespace sim::aws::s3::engine
