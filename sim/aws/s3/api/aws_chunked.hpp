#pragma once
// The `aws-chunked` content encoding that SDKs and the CLI use for streaming uploads:
//   <hex size>[;chunk-signature=<sig>]\r\n<bytes>\r\n ... 0[;chunk-signature=<sig>]\r\n
//   [<trailer name>:<value>\r\n ...]\r\n
// Trailers carry the flexible checksum (x-amz-checksum-crc32: ...) computed while streaming.
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
// Limitation: chunk and trailer signatures are parsed and skipped, not verified.

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/core/result.hpp"

namespace sim::aws::s3::api {

class AwsChunkedDecoder {
public:
    using Sink = std::function<void(std::string_view)>;

    /// Decodes the next piece of the encoded stream, passing payload bytes to `sink`. Pieces may
    /// split anywhere. Errors (malformed framing) are final.
    core::Status<> Feed(std::string_view input, const Sink& sink);
    /// Call at end of input: an error unless the final chunk was seen.
    core::Status<> Finish();

    /// Trailer fields (names lower-case), available once the final chunk was read.
    const std::vector<std::pair<std::string, std::string>>& trailers() const { return trailers_; }
    std::uint64_t decoded_bytes() const { return decoded_; }

private:
    enum class State { kSize, kData, kDataEnd, kTrailers, kDone };
    State state_ = State::kSize;
    std::string line_;
    std::uint64_t remaining_ = 0;
    std::uint64_t decoded_ = 0;
    std::vector<std::pair<std::string, std::string>> trailers_;
};

}  // namespace sim::aws::s3::api
