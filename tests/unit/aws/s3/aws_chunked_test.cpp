#include "sim/aws/s3/api/aws_chunked.hpp"

#include <gtest/gtest.h>

namespace sim::aws::s3::api {
namespace {

const std::string kEncoded =
    "5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";

TEST(AwsChunked, DecodesPayloadAndTrailersWhateverThePieceBoundaries) {
    for (std::size_t piece = 1; piece <= kEncoded.size(); ++piece) {
        AwsChunkedDecoder d;
        std::string out;
        for (std::size_t i = 0; i < kEncoded.size(); i += piece) {
            ASSERT_TRUE(d.Feed(std::string_view(kEncoded).substr(i, piece), [&](std::string_view b) { out += b; }).ok());
        }
        ASSERT_TRUE(d.Finish().ok());
        EXPECT_EQ(out, "hello world");
        ASSERT_EQ(d.trailers().size(), 1u);
        EXPECT_EQ(d.trailers()[0].first, "x-amz-checksum-crc32");
        EXPECT_EQ(d.trailers()[0].second, "DUoRhQ==");
        EXPECT_EQ(d.decoded_bytes(), 11u);
    }
}

TEST(AwsChunked, RejectsTruncatedAndMalformedStreams) {
    AwsChunkedDecoder truncated;
    ASSERT_TRUE(truncated.Feed("10\r\n0123", [](std::string_view) {}).ok());
    EXPECT_FALSE(truncated.Finish().ok());
    AwsChunkedDecoder bad_size;
    EXPECT_FALSE(bad_size.Feed("zz\r\n", [](std::string_view) {}).ok());
    AwsChunkedDecoder missing_crlf;
    EXPECT_FALSE(missing_crlf.Feed("1\r\naXX\r\n", [](std::string_view) {}).ok());
}

}  // namespace
}  // namespace sim::aws::s3::api
