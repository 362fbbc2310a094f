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
//   Bodies: streamed to and from files (large uploads are spooled by the HTTP layer; a spooled
//     body is hashed on the body I/O pool and renamed into place, never copied), or kept in the
//     object's row up to 64 KiB (see s3_engine.hpp); the
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
//   partNumber is not supported. PutObject and UploadPart bodies larger than the inline limit are
//   read, decoded and hashed, and CompleteMultipartUpload's parts concatenated, on
//   S3ApiOptions::body_pool, and so are UploadPartCopy's copies; CopyObject's (of multipart or
//   re-checksummed sources; others are hard links) still run on the event-loop thread. GET bodies
//   are streamed by the HTTP layer from the loop, 64 KiB at a time.

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
#include "sim/core/work_pool.hpp"

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
    /// Where PutObject/UploadPart bodies bigger than the engine's inline limit are read, decoded
    /// and hashed (off the event loop; an inline pool on the virtual clock). Null: on the loop.
    core::WorkPool* body_pool = nullptr;
};

/// A request body being read into an engine BodyWriter (defined in s3_api.cpp).
struct BodyJob;

class S3Api {
public:
    S3Api(engine::S3Engine& engine, clock::Clock& clock, S3ApiOptions options = {});

    /// Adds S3's catch-all routes (install after every other AWS service).
    void Install(core::Router& router);
    /// Handles one request: answers at once, or (a large body) once the body pool has read it.
    void Handle(core::Request request, core::Respond respond);

    /// One request in flight (defined in s3_api.cpp).
    struct Context;

    /// EntityTooLarge (S3's XML error) when a PUT declares a payload above the engine's object
    /// limit (Content-Length, or x-amz-decoded-content-length for aws-chunked): decided from the
    /// head, before the body is read (RouteOptions::answer_from_head); nullopt otherwise.
    std::optional<core::Response> RefuseTooLarge(const core::Request& head);

private:
    using BodyThen = std::function<core::Response(BodyJob job)>;
    std::string NewRequestId();
    /// True when a PUT declares a payload above the engine's object limit (see RefuseTooLarge).
    bool DeclaresTooLarge(const core::Request& head) const;
    /// S3's EntityTooLarge for the request in `ctx`.
    static core::Response TooLarge(const Context& ctx);
    /// Fills ctx.bucket/key from the path or a virtual-hosted Host header; returns the Host's bucket ("" path style).
    std::string Address(Context& ctx);
    /// nullopt: the answer comes later (through Guarded, from the pool's completion).
    std::optional<core::Response> Dispatch(const std::shared_ptr<Context>& ctx);
    /// Runs `step`; answers its response (500 InternalError if it throws) unless it is nullopt.
    void Guarded(Context& ctx, const std::function<std::optional<core::Response>()>& step);
    /// Runs `work` (blob I/O touching no loop state) on the body pool when `bytes` is above the
    /// engine's inline limit, else here; then answers `then()` on the loop. nullopt: answered later.
    std::optional<core::Response> Offload(const std::shared_ptr<Context>& ctx, std::uint64_t bytes, core::Task work,
                                          std::function<core::Response()> then);
    /// Reads the request's body into `job` (on the body pool when it is large), then answers
    /// `then(job)`; nullopt when that happens later.
    std::optional<core::Response> ReadBodyThen(const std::shared_ptr<Context>& ctx, BodyJob job, BodyThen then);

    engine::S3Engine& engine_;
    clock::Clock& clock_;
    S3ApiOptions options_;
    core::IdGenerator ids_;
};

}  // namespace sim::aws::s3::api
