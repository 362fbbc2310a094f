#pragma once
// S3 over REST-XML: turns HTTP requests into S3Engine calls and engine results into S3's wire
// format (XML bodies, x-amz-* headers, XML errors with RequestId).
//
// Supported operations
//   Buckets: CreateBucket (LocationConstraint), HeadBucket, ListBuckets, DeleteBucket,
//     GetBucketLocation, PutBucketVersioning, GetBucketVersioning.
//   Objects: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects, CopyObject (metadata
//     and tagging directives, x-amz-copy-source-if-* conditions), ListObjectsV2 (prefix,
//     delimiter, start-after, continuation-token, max-keys, encoding-type=url, fetch-owner),
//     ListObjects (v1, marker), ListObjectVersions, Put/Get/DeleteObjectTagging.
//   Multipart: CreateMultipartUpload, UploadPart, UploadPartCopy (x-amz-copy-source-range),
//     CompleteMultipartUpload, AbortMultipartUpload, ListParts, ListMultipartUploads.
//   Addressing: path-style (`/bucket/key`) and virtual-hosted-style (`bucket.localhost:4566`,
//     `bucket.s3.localhost:4566`, `bucket.s3[.region].amazonaws.com`).
//   Bodies: streamed to and from files (large uploads are spooled by the HTTP layer); the
//     `aws-chunked` content encoding with trailing checksums; Content-MD5 and x-amz-checksum-*
//     (CRC32, CRC32C, CRC64NVME, SHA1, SHA256) verified (BadDigest) and returned on GET/HEAD with
//     x-amz-checksum-mode: ENABLED; Range (206/416); conditional reads (If-Match, If-None-Match,
//     If-Modified-Since, If-Unmodified-Since) and writes (If-None-Match: *, If-Match);
//     response-* overrides on GET.
//   Auth: delegated to S3ApiOptions::authenticate (sim/app's AwsAuth, the edge's one credential
//     check: SigV4 headers and presigned URLs, SigV2 presigned URLs), whose failures are rendered
//     as S3 XML errors (SignatureDoesNotMatch, InvalidAccessKeyId, AccessDenied "Request has
//     expired"). Without it, or with --auth enforce (checked at the edge), S3 checks nothing.
//     Chunk and trailer signatures of signed streaming uploads are verified through
//     S3ApiOptions::chunk_signing (SignatureDoesNotMatch, nothing stored).
//
// Limitations
//   No ACLs, bucket policies, CORS, lifecycle, encryption, object lock, website, notifications,
//   bucket tagging or POST-form uploads (NotImplemented). One owner for everything. GetObject by
//   partNumber is not supported. Bodies
//   are read and written on the event-loop thread (a 1 GiB upload blocks other requests while it
//   is hashed and moved into place). EntityTooLarge is enforced on the decoded size (5 GiB).

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <map>
#include <memory>
#include <string>

#include "sim/aws/protocol/sigv4.hpp"
#include "sim/aws/s3/engine/s3_engine.hpp"
#include "sim/clock/clock.hpp"
#include "sim/core/message.hpp"
#include "sim/core/random.hpp"
#include "sim/core/router.hpp"

namespace sim::aws::s3::api {

/// An authentication failure decided outside the api: HTTP status, S3 error code and message.
struct AuthDenial {
    int status = 403;
    std::string code;
    std::string message;
};

/// The bucket a virtual-hosted-style Host header names (`bucket.localhost:4566`,
/// `bucket.s3.localhost`, `bucket.s3[.region].amazonaws.com`, ...); "" for path style.
std::string VirtualHostedBucket(std::string_view host_header);

struct S3ApiOptions {
    /// Checks a request's credentials (`virtual_bucket`: the bucket named by the Host header, "" for
    /// path style); a denial is answered as an S3 XML error. Empty: no checks.
    std::function<std::optional<AuthDenial>(const core::Request& request, std::string_view virtual_bucket)>
        authenticate;
    /// The signing context of a header-signed request whose seed signature is (or was, at the edge)
    /// verified: aws-chunked bodies of STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] uploads must then
    /// carry valid chunk signatures (SignatureDoesNotMatch otherwise). Empty, or nullopt for a
    /// request: chunk signatures are not checked.
    std::function<std::optional<protocol::ChunkSigningContext>(const core::Request& request)> chunk_signing;
    /// Bodies up to this size (with a Content-Length) are read into memory; larger ones are
    /// spooled to a file by the HTTP layer.
    std::uint64_t in_memory_body_bytes = 1024 * 1024;
    /// Largest request body accepted (5 GiB of payload plus aws-chunked framing).
    std::uint64_t max_body_bytes = 5ull * 1024 * 1024 * 1024 + 64ull * 1024 * 1024;
    /// Seed of request ids.
    std::uint64_t seed = 1;
};

class S3Api {
public:
    S3Api(engine::S3Engine& engine, clock::Clock& clock, S3ApiOptions options = {});

    /// Adds S3's catch-all routes (install after every other AWS service).
    void Install(core::Router& router);
    /// Handles one request (answers synchronously).
    void Handle(core::Request request, core::Respond respond);
    core::Response HandleSync(core::Request& request);

private:
    struct Context;
    core::Response Dispatch(Context& ctx);

    engine::S3Engine& engine_;
    clock::Clock& clock_;
    S3ApiOptions options_;
    core::IdGenerator ids_;
};

}  // namespace sim::aws::s3::api
