#pragma once
// AWS Signature Version 4: canonical request, string to sign, signing key, and verification of
// header-signed requests (Authorization: AWS4-HMAC-SHA256 ...) and query-signed ones (presigned
// URLs, X-Amz-Signature). General for every service; S3 differs only in how the path is
// canonicalized (encoded once, not twice).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
//
// Streaming uploads (x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]): each
// aws-chunked chunk carries a signature chained from the seed (header) signature, and the -TRAILER
// variant signs its trailing headers too; ChunkSignatureChain verifies that chain.
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
//
// Limitations: the payload hash is taken from x-amz-content-sha256 when present (it is not
// re-computed over the body); clock skew (RequestTimeTooSkewed) is checked by the caller (sim/app).

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/message.hpp"
#include "sim/core/time.hpp"

namespace sim::aws::protocol {

/// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
/// Raw HMAC-SHA256 of `data` under `key`.
std::string HmacSha256(std::string_view key, std::string_view data);

/// The canonical URI: S3 encodes the decoded path once; other services encode the path as sent again.
std::string CanonicalUri(std::string_view raw_path, bool s3);
/// The canonical query string: parameters decoded, re-encoded (RFC 3986), sorted by name then
/// value; the parameter named `skip` (X-Amz-Signature for presigned URLs) is left out.
std::string CanonicalQueryString(std::string_view raw_query, std::string_view skip = {});
/// "name:value\n" for each signed header (lower-case names, trimmed values, repeats joined by ',').
std::string CanonicalHeaders(const core::Headers& headers, const std::vector<std::string>& signed_headers);

std::string CanonicalRequest(std::string_view method, std::string_view canonical_uri, std::string_view canonical_query,
                             std::string_view canonical_headers, std::string_view signed_headers,
                             std::string_view payload_hash);
/// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256 of canonical request>".
std::string StringToSign(std::string_view amz_date, std::string_view scope, std::string_view canonical_request);
/// HMAC chain "AWS4"+secret → date → region → service → "aws4_request" (raw bytes).
std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service);

/// The parts of an `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
struct SigV4Authorization {
    std::string access_key;
    std::string date;
    std::string region;
    std::string service;
    std::vector<std::string> signed_headers;
    std::string signature;
};
std::optional<SigV4Authorization> ParseAuthorization(std::string_view header);

enum class SigV4Status {
    kUnsigned,          ///< neither an Authorization header nor X-Amz-Signature: anonymous
    kValid,
    kMalformed,         ///< an Authorization / presign parameters that cannot be parsed
    kUnknownAccessKey,  ///< InvalidAccessKeyId
    kMismatch,          ///< SignatureDoesNotMatch
    kExpired,           ///< presigned URL past X-Amz-Date + X-Amz-Expires ("Request has expired")
};

struct SigV4Verdict {
    SigV4Status status = SigV4Status::kUnsigned;
    std::string access_key;
    std::string message;         ///< for errors: what went wrong, for a human
    std::string canonical_request;  ///< for kMismatch, as S3 reports it
    std::string string_to_sign;
};

/// Returns the secret key of `access_key`, or nullopt when the key is unknown.
using SecretLookup = std::function<std::optional<std::string>(std::string_view access_key)>;

/// Verifies `request`'s signature (header or query form) against the secret `secrets` gives for
/// its access key; `now` (from the Clock) decides presigned-URL expiry. `s3` selects S3's path
/// canonicalization and its default payload hash for presigned URLs (UNSIGNED-PAYLOAD).
SigV4Verdict VerifySigV4(const core::Request& request, const SecretLookup& secrets, core::TimePoint now, bool s3);

/// "20270101T000000Z".
std::string AmzDate(core::TimePoint t);

/// Signs `request` in place (client side: tests and in-process callers): sets X-Amz-Date,
/// x-amz-content-sha256 (= `payload_hash`) and Authorization, signing host and every x-amz-* header.
/// The request must carry a Host header.
void SignRequest(core::Request& request, std::string_view access_key, std::string_view secret,
                 std::string_view region, std::string_view service, core::TimePoint now,
                 std::string_view payload_hash = "UNSIGNED-PAYLOAD");

/// A presigned target ("/path?X-Amz-Algorithm=...&X-Amz-Signature=...") for `method` on
/// `raw_target` at `host`, valid for `expires_seconds` from `now`.
std::string PresignTarget(std::string_view method, std::string_view raw_target, std::string_view host,
                          std::string_view access_key, std::string_view secret, std::string_view region,
                          std::string_view service, core::TimePoint now, long expires_seconds);

/// What the chunk signatures of a streaming upload chain from: the seed request's signing key (raw
/// bytes), its X-Amz-Date, credential scope ("20270101/us-east-1/s3/aws4_request") and signature.
struct ChunkSigningContext {
    std::string signing_key;
    std::string amz_date;
    std::string scope;
    std::string seed_signature;
};

/// The signing context of a header-signed request, given its access key's secret; nullopt when the
/// request has no parseable SigV4 Authorization header or no X-Amz-Date.
std::optional<ChunkSigningContext> ChunkSigningContextOf(const core::Request& request, std::string_view secret);

/// Hex signature of one chunk whose payload hashes to `payload_sha256_hex`, following `previous`
/// (the seed signature for the first chunk).
std::string ChunkSignature(const ChunkSigningContext& context, std::string_view previous,
                           std::string_view payload_sha256_hex);
/// Hex signature of the trailing headers (`canonical_trailers`: "name:value\n" per header, in the
/// order sent) following the final chunk's signature `previous`.
std::string TrailerSignature(const ChunkSigningContext& context, std::string_view previous,
                             std::string_view canonical_trailers);

/// Verifies a streaming upload's chain of signatures as the body arrives: Update with each chunk's
/// payload bytes (in pieces), then EndChunk with the signature the chunk claimed; the final
/// zero-length chunk is a chunk like any other. VerifyTrailer checks the -TRAILER variant's
/// x-amz-trailer-signature. Each check returns false on a mismatch (the chain is then broken).
class ChunkSignatureChain {
public:
    explicit ChunkSignatureChain(ChunkSigningContext context);
    ~ChunkSignatureChain();
    ChunkSignatureChain(ChunkSignatureChain&& other) noexcept;
    ChunkSignatureChain& operator=(ChunkSignatureChain&& other) noexcept;
    ChunkSignatureChain(const ChunkSignatureChain&) = delete;
    ChunkSignatureChain& operator=(const ChunkSignatureChain&) = delete;

    void Update(std::string_view bytes);
    bool EndChunk(std::string_view claimed_signature);
    bool VerifyTrailer(std::string_view canonical_trailers, std::string_view claimed_signature);

private:
    void Restart();
    ChunkSigningContext context_;
    std::string previous_;
    void* digest_ = nullptr;  ///< EVP_MD_CTX of the current chunk's payload (OpenSSL stays out of the header)
};

/// Parses an X-Amz-Date value ("20270101T000000Z"); nullopt when it is not that shape.
std::optional<core::TimePoint> ParseAmzDate(std::string_view amz_date);

}  // namespace sim::aws::protocol
