// libFuzzer target: what S3 parses out of request bodies: XML documents (sim/aws/protocol/xml:
// CreateBucket, CompleteMultipartUpload, DeleteObjects, tagging, versioning, notifications) and the
// aws-chunked content encoding (sim/aws/s3/api/aws_chunked), fed in pieces of a fuzzed size, with
// and without chunk-signature verification.
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/aws/protocol/sigv4.hpp"
#include "sim/aws/protocol/xml.hpp"
#include "sim/aws/s3/api/aws_chunked.hpp"

namespace protocol = sim::aws::protocol;

namespace {
void Walk(const protocol::XmlElement& e, int depth) {
    if (depth > 64) return;
    (void)e.ChildText("Key");
    for (const auto& child : e.children) Walk(child, depth + 1);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
    const std::uint8_t mode = data[0];
    if (mode % 2 == 0) {
        if (auto doc = protocol::ParseXml(body)) Walk(*doc, 0);
        return 0;
    }
    sim::aws::s3::api::AwsChunkedDecoder decoder;
    if (mode & 2) {
        decoder.VerifySignatures(protocol::ChunkSigningContext{protocol::SigningKey("test", "20270101", "us-east-1", "s3"),
                                                               "20270101T000000Z", "20270101/us-east-1/s3/aws4_request",
                                                               std::string(64, '0')},
                                 (mode & 4) != 0);
    }
    const std::size_t piece = 1 + (mode >> 3) * 97;
    std::uint64_t seen = 0;
    bool ok = true;
    for (std::size_t i = 0; ok && i < body.size(); i += piece) {
        ok = decoder.Feed(body.substr(i, piece), [&](std::string_view b) { seen += b.size(); }).ok();
    }
    if (ok) (void)decoder.Finish();
    if (seen != decoder.decoded_bytes()) __builtin_trap();
    return 0;
}
