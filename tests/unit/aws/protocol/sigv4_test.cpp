#include "sim/aws/protocol/sigv4.hpp"

#include <gtest/gtest.h>

namespace sim::aws::protocol {
namespace {

// The worked examples of the S3 SigV4 documentation (sig-v4-header-based-auth.html and
// sigv4-query-string-auth.html): same keys, same requests, same signatures.
constexpr const char* kAccessKey = "AKIAIOSFODNN7EXAMPLE";
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr const char* kEmptySha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::optional<std::string> Lookup(std::string_view key) {
    if (key == kAccessKey) return std::string(kSecret);
    return std::nullopt;
}

core::TimePoint At(const char* iso) { return core::ParseIso8601(iso).value(); }

core::Request DocGetObject() {
    core::Request r;
    r.method = "GET";
    r.target = "/test.txt";
    r.headers.Add("Host", "examplebucket.s3.amazonaws.com");
    r.headers.Add("Range", "bytes=0-9");
    r.headers.Add("x-amz-content-sha256", kEmptySha);
    r.headers.Add("x-amz-date", "20130524T000000Z");
    r.headers.Add("Authorization",
                  "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                  "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                  "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    return r;
}

TEST(SigV4, VerifiesTheDocumentedHeaderSignedGetObject) {
    auto v = VerifySigV4(DocGetObject(), Lookup, At("2013-05-24T00:00:00Z"), /*s3=*/true);
    EXPECT_EQ(v.status, SigV4Status::kValid) << v.canonical_request;
    EXPECT_EQ(v.access_key, kAccessKey);
}

TEST(SigV4, ReportsMismatchUnknownKeyAndMalformedHeaders) {
    auto tampered = DocGetObject();
    tampered.headers.Set("Range", "bytes=0-10");
    EXPECT_EQ(VerifySigV4(tampered, Lookup, At("2013-05-24T00:00:00Z"), true).status, SigV4Status::kMismatch);
    auto unknown = DocGetObject();
    unknown.headers.Set("Authorization",
                        "AWS4-HMAC-SHA256 Credential=NOBODY/20130524/us-east-1/s3/aws4_request,"
                        "SignedHeaders=host,Signature=00");
    EXPECT_EQ(VerifySigV4(unknown, Lookup, At("2013-05-24T00:00:00Z"), true).status, SigV4Status::kUnknownAccessKey);
    auto malformed = DocGetObject();
    malformed.headers.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x");
    EXPECT_EQ(VerifySigV4(malformed, Lookup, At("2013-05-24T00:00:00Z"), true).status, SigV4Status::kMalformed);
    core::Request anonymous;
    EXPECT_EQ(VerifySigV4(anonymous, Lookup, At("2013-05-24T00:00:00Z"), true).status, SigV4Status::kUnsigned);
}

TEST(SigV4, VerifiesTheDocumentedPresignedUrlAndItsExpiry) {
    core::Request r;
    r.method = "GET";
    r.target =
        "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2F"
        "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature="
        "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
    r.headers.Add("Host", "examplebucket.s3.amazonaws.com");
    EXPECT_EQ(VerifySigV4(r, Lookup, At("2013-05-24T12:00:00Z"), true).status, SigV4Status::kValid);
    EXPECT_EQ(VerifySigV4(r, Lookup, At("2013-05-25T00:00:00Z"), true).status, SigV4Status::kValid);
    auto expired = VerifySigV4(r, Lookup, At("2013-05-25T00:00:01Z"), true);
    EXPECT_EQ(expired.status, SigV4Status::kExpired);
    EXPECT_EQ(expired.message, "Request has expired");
}

TEST(SigV4, SignRequestAndPresignTargetProduceWhatVerifyAccepts) {
    auto now = At("2027-01-01T10:00:00Z");
    core::Request r;
    r.method = "PUT";
    r.target = "/bucket/key%20with%20space?tagging";
    r.headers.Add("Host", "localhost:4566");
    r.headers.Add("x-amz-meta-a", "  spaced   value ");
    SignRequest(r, kAccessKey, kSecret, "us-east-1", "s3", now);
    EXPECT_EQ(VerifySigV4(r, Lookup, now, true).status, SigV4Status::kValid);

    core::Request p;
    p.method = "GET";
    p.target = PresignTarget("GET", "/bucket/a+b", "localhost:4566", kAccessKey, kSecret, "eu-west-1", "s3", now, 60);
    p.headers.Add("Host", "localhost:4566");
    EXPECT_EQ(VerifySigV4(p, Lookup, now + std::chrono::seconds(60), true).status, SigV4Status::kValid);
    EXPECT_EQ(VerifySigV4(p, Lookup, now + std::chrono::seconds(61), true).status, SigV4Status::kExpired);
}

TEST(SigV4, SigningKeyAndCanonicalPieces) {
    // The signing-key example of the IAM documentation.
    std::string key = SigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam");
    std::string hex;
    for (unsigned char c : key) {
        static constexpr char kHex[] = "0123456789abcdef";
        hex += kHex[c >> 4];
        hex += kHex[c & 15];
    }
    EXPECT_EQ(hex, "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
    EXPECT_EQ(CanonicalQueryString("b=2&a=1&a=0&c"), "a=0&a=1&b=2&c=");
    EXPECT_EQ(CanonicalUri("/my%20key/a+b", true), "/my%20key/a%2Bb");
    EXPECT_EQ(Sha256Hex(""), kEmptySha);
}

}  // namespace
}  // namespace sim::aws::protocol
