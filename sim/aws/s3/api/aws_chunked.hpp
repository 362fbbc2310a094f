#pragma once
// The `aws-chunked` content encoding that SDKs and the CLI use for streaming uploads:
//   <hex size>[;chunk-signature=<sig>]\r\n<bytes>\r\n ... 0[;chunk-signature=<sig>]\r\n
//   [<trailer name>:<value>\r\n ...]\r\n
// Trailers carry the flexible checksum (x-amz-checksum-crc32: ...) computed while streaming.
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
// With VerifySignatures (x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]) every
// chunk must carry the signature chained from the seed signature, and the -TRAILER variant's
// trailers must end with a valid x-amz-trailer-signature; without it signatures are skipped
// (STREAMING-UNSIGNED-PAYLOAD-TRAILER, or an upload whose seed signature nobody checks).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/aws/protocol/sigv4.hpp"
#include "sim/core/result.hpp"

namespace sim::aws::s3::api {

class AwsChunkedDecoder {
public:
    using Sink = std::function<void(std::string_view)>;

    /// Requires and checks chunk signatures from now on (call before the first Feed);
    /// `signed_trailer`: the -TRAILER variant, whose trailers are signed too.
    void VerifySignatures(protocol::ChunkSigningContext context, bool signed_trailer);

    /// Decodes the next piece of the encoded stream, passing payload bytes to `sink`. Pieces may
    /// split anywhere. Errors are final: kInvalidArgument for malformed framing,
    /// kPermissionDenied for a missing or wrong signature. With signatures verified, the payload
    /// of a chunk reaches `sink` before its signature is checked: the caller must discard what it
    /// got when an error comes.
    core::Status<> Feed(std::string_view input, const Sink& sink);
    /// Call at end of input: an error unless the final chunk (and a required trailer signature) was seen.
    core::Status<> Finish();

    /// Trailer fields (names lower-case, x-amz-trailer-signature left out), once the final chunk was read.
    const std::vector<std::pair<std::string, std::string>>& trailers() const { return trailers_; }
    std::uint64_t decoded_bytes() const { return decoded_; }

private:
    enum class State { kSize, kData, kDataEnd, kTrailers, kDone };
    core::Status<> SizeLine(std::string_view line);
    core::Status<> EndChunk();
    core::Status<> EndTrailers();

    State state_ = State::kSize;
    std::string line_;
    std::uint64_t remaining_ = 0;
    std::uint64_t decoded_ = 0;
    std::vector<std::pair<std::string, std::string>> trailers_;
    std::optional<protocol::ChunkSignatureChain> chain_;
    bool signed_trailer_ = false;
    std::string chunk_signature_;      ///< claimed by the chunk being read
    std::string canonical_trailers_;   ///< "name:value\n" of each trailer, as signed
    std::optional<std::string> trailer_signature_;
    bool trailers_checked_ = false;
};

}  // namespace sim::aws::s3::api
