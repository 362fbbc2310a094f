#include "sim/aws/s3/api/aws_chunked.hpp"

#include <algorithm>
#include <cctype>

namespace sim::aws::s3::api {

namespace {
constexpr std::size_t kMaxLine = 8192;
/// More trailers than any SDK sends (one checksum and its signature): a bound on what a body can make us keep.
constexpr std::size_t kMaxTrailers = 64;
constexpr std::string_view kSignatureExtension = "chunk-signature=";

std::string_view Trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

core::Error Malformed(std::string message) { return core::Error::InvalidArgument("aws-chunked: " + std::move(message)); }
core::Error BadSignature(std::string message) {
    return core::Error{core::ErrorKind::kPermissionDenied, "aws-chunked: " + std::move(message)};
}
}  // namespace

void AwsChunkedDecoder::VerifySignatures(protocol::ChunkSigningContext context, bool signed_trailer) {
    chain_.emplace(std::move(context));
    signed_trailer_ = signed_trailer;
}

core::Status<> AwsChunkedDecoder::SizeLine(std::string_view line) {
    std::string_view size = Trim(line.substr(0, line.find(';')));
    if (size.empty() || size.size() > 15) return core::Fail(Malformed("bad chunk size"));
    std::uint64_t value = 0;
    for (char c : size) {
        auto u = static_cast<unsigned char>(c);
        if (!std::isxdigit(u)) return core::Fail(Malformed("bad chunk size"));
        value = value * 16 + static_cast<std::uint64_t>(std::isdigit(u) ? c - '0' : std::tolower(u) - 'a' + 10);
    }
    chunk_signature_.clear();
    if (chain_) {
        auto at = line.find(kSignatureExtension);
        if (at == std::string_view::npos) return core::Fail(BadSignature("chunk without a chunk-signature"));
        chunk_signature_ = std::string(Trim(line.substr(at + kSignatureExtension.size())));
    }
    remaining_ = value;
    if (value > 0) {
        state_ = State::kData;
        return core::Ok();
    }
    state_ = State::kTrailers;
    return EndChunk();  // the final chunk: signed over an empty payload
}

core::Status<> AwsChunkedDecoder::EndChunk() {
    if (chain_ && !chain_->EndChunk(chunk_signature_)) {
        return core::Fail(BadSignature("the chunk signature does not match"));
    }
    return core::Ok();
}

core::Status<> AwsChunkedDecoder::EndTrailers() {
    if (trailers_checked_ || !chain_ || !signed_trailer_) return core::Ok();
    trailers_checked_ = true;
    if (!trailer_signature_) return core::Fail(BadSignature("the trailers carry no x-amz-trailer-signature"));
    if (!chain_->VerifyTrailer(canonical_trailers_, *trailer_signature_)) {
        return core::Fail(BadSignature("the trailer signature does not match"));
    }
    return core::Ok();
}

core::Status<> AwsChunkedDecoder::Feed(std::string_view in, const Sink& sink) {
    while (!in.empty()) {
        switch (state_) {
            case State::kData: {
                auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size()));
                std::string_view bytes = in.substr(0, n);
                if (chain_) chain_->Update(bytes);
                sink(bytes);
                decoded_ += n;
                remaining_ -= n;
                in.remove_prefix(n);
                if (remaining_ == 0) {
                    state_ = State::kDataEnd;
                    if (auto s = EndChunk(); !s) return s;
                }
                break;
            }
            case State::kDone:
                // Anything after the final CRLF is ignored (some clients add a stray CRLF).
                return core::Ok();
            default: {
                std::size_t nl = in.find('\n');
                std::size_t take = nl == std::string_view::npos ? in.size() : nl + 1;
                line_.append(in.substr(0, take));
                in.remove_prefix(take);
                if (line_.size() > kMaxLine) return core::Fail(Malformed("line too long"));
                if (nl == std::string_view::npos) break;
                std::string_view line = line_;
                line.remove_suffix(1);
                if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
                if (state_ == State::kDataEnd) {
                    if (!line.empty()) return core::Fail(Malformed("missing CRLF after chunk"));
                    state_ = State::kSize;
                } else if (state_ == State::kSize) {
                    if (auto s = SizeLine(line); !s) return s;
                } else if (line.empty()) {  // kTrailers: the blank line ends them
                    state_ = State::kDone;
                    if (auto s = EndTrailers(); !s) return s;
                } else {
                    std::size_t colon = line.find(':');
                    if (colon == std::string_view::npos) return core::Fail(Malformed("bad trailer"));
                    if (trailers_.size() >= kMaxTrailers) return core::Fail(Malformed("too many trailers"));
                    std::string name(Trim(line.substr(0, colon)));
                    std::transform(name.begin(), name.end(), name.begin(),
                                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
                    std::string value(Trim(line.substr(colon + 1)));
                    if (name == "x-amz-trailer-signature") {
                        trailer_signature_ = std::move(value);
                    } else {
                        canonical_trailers_ += name + ":" + value + "\n";
                        trailers_.emplace_back(std::move(name), std::move(value));
                    }
                }
                line_.clear();
                break;
            }
        }
    }
    return core::Ok();
}

core::Status<> AwsChunkedDecoder::Finish() {
    // A stream that ends right after its trailers without the blank line is accepted.
    if (state_ == State::kDone || (state_ == State::kTrailers && line_.empty())) return EndTrailers();
    return core::Fail(Malformed("the body ended before the final chunk"));
}

}  // namespace sim::aws::s3::api
