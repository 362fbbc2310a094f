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

// The example of https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html: 66,560
// bytes of 'a' in chunks of 65,536 and 1,024, with AWS's own seed and chunk signatures.
protocol::ChunkSigningContext DocsContext(std::string seed) {
    return protocol::ChunkSigningContext{
        protocol::SigningKey("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3"),
        "20130524T000000Z", "20130524/us-east-1/s3/aws4_request", std::move(seed)};
}

std::string DocsBody(const std::string& last_signature) {
    return "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n" +
           std::string(65536, 'a') +
           "\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n" +
           std::string(1024, 'a') + "\r\n0;chunk-signature=" + last_signature + "\r\n\r\n";
}

constexpr const char* kDocsSeed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
constexpr const char* kDocsFinal = "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9";

TEST(AwsChunked, VerifiesTheChunkSignaturesOfAwsDocumentedExample) {
    const std::string body = DocsBody(kDocsFinal);
    for (std::size_t piece : {std::size_t{1000}, std::size_t{7}, body.size()}) {
        AwsChunkedDecoder d;
        d.VerifySignatures(DocsContext(kDocsSeed), /*signed_trailer=*/false);
        std::uint64_t got = 0;
        for (std::size_t i = 0; i < body.size(); i += piece) {
            auto s = d.Feed(std::string_view(body).substr(i, piece), [&](std::string_view b) { got += b.size(); });
            ASSERT_TRUE(s.ok()) << s.error().message;
        }
        ASSERT_TRUE(d.Finish().ok());
        EXPECT_EQ(got, 66560u);
    }
}

TEST(AwsChunked, RefusesAWrongMissingOrReplayedChunkSignature) {
    auto run = [](const std::string& seed, const std::string& body) {
        AwsChunkedDecoder d;
        d.VerifySignatures(DocsContext(seed), false);
        auto s = d.Feed(body, [](std::string_view) {});
        if (s.ok()) s = d.Finish();
        return s;
    };
    // A different seed signature breaks the whole chain (a chunk replayed from another upload).
    auto other_seed = run(std::string(64, '0'), DocsBody(kDocsFinal));
    ASSERT_FALSE(other_seed.ok());
    EXPECT_EQ(other_seed.error().kind, core::ErrorKind::kPermissionDenied);
    auto wrong_final = run(kDocsSeed, DocsBody(std::string(64, 'f')));
    ASSERT_FALSE(wrong_final.ok());
    EXPECT_EQ(wrong_final.error().kind, core::ErrorKind::kPermissionDenied);
    // One changed payload byte.
    std::string tampered = DocsBody(kDocsFinal);
    tampered[200] = 'b';
    EXPECT_EQ(run(kDocsSeed, tampered).error().kind, core::ErrorKind::kPermissionDenied);
    auto unsigned_chunk = run(kDocsSeed, "5\r\nhello\r\n0\r\n\r\n");
    ASSERT_FALSE(unsigned_chunk.ok());
    EXPECT_EQ(unsigned_chunk.error().kind, core::ErrorKind::kPermissionDenied);
}

TEST(AwsChunked, VerifiesTheTrailerSignatureOfTheTrailerVariant) {
    auto context = DocsContext(kDocsSeed);
    std::string c1 = protocol::ChunkSignature(context, kDocsSeed, protocol::Sha256Hex("hello"));
    std::string c0 = protocol::ChunkSignature(context, c1, protocol::Sha256Hex(""));
    std::string trailer = "x-amz-checksum-crc32:NhCmhg==\n";
    std::string ts = protocol::TrailerSignature(context, c0, trailer);
    auto body = [&](const std::string& trailer_signature) {
        std::string b = "5;chunk-signature=" + c1 + "\r\nhello\r\n0;chunk-signature=" + c0 +
                        "\r\nx-amz-checksum-crc32:NhCmhg==\r\n";
        if (!trailer_signature.empty()) b += "x-amz-trailer-signature:" + trailer_signature + "\r\n";
        return b + "\r\n";
    };
    auto run = [&](const std::string& encoded) {
        AwsChunkedDecoder d;
        d.VerifySignatures(context, /*signed_trailer=*/true);
        std::string out;
        auto s = d.Feed(encoded, [&](std::string_view b) { out += b; });
        if (s.ok()) s = d.Finish();
        if (s.ok()) {
            EXPECT_EQ(out, "hello");
            EXPECT_EQ(d.trailers().size(), 1u);  // the signature is not a trailer of the object
        }
        return s;
    };
    EXPECT_TRUE(run(body(ts)).ok());
    EXPECT_EQ(run(body(std::string(64, '0'))).error().kind, core::ErrorKind::kPermissionDenied);
    EXPECT_EQ(run(body("")).error().kind, core::ErrorKind::kPermissionDenied);
    // A changed checksum value no longer matches the trailer signature.
    std::string changed = body(ts);
    changed.replace(changed.find("NhCmhg=="), 8, "AAAAAA==");
    EXPECT_EQ(run(changed).error().kind, core::ErrorKind::kPermissionDenied);
}

}  // namespace
}  // namespace sim::aws::s3::api
