#include "sim/aws/s3/api/aws_chunked.hpp"

#include <algorithm>
#include <cctype>

namespace sim::aws::s3::api {

namespace {
constexpr std::size_t kMaxLine = 8192;

std::string_view Trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}
}  // namespace

core::Status<> AwsChunkedDecoder::Feed(std::string_view in, const Sink& sink) {
    while (!in.empty()) {
        switch (state_) {
            case State::kData: {
                auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size()));
                sink(in.substr(0, n));
                decoded_ += n;
                remaining_ -= n;
                in.remove_prefix(n);
                if (remaining_ == 0) state_ = State::kDataEnd;
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
                if (line_.size() > kMaxLine) return core::Fail(core::Error::InvalidArgument("aws-chunked line too long"));
                if (nl == std::string_view::npos) break;
                std::string_view line = line_;
                line.remove_suffix(1);
                if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
                if (state_ == State::kDataEnd) {
                    if (!line.empty()) return core::Fail(core::Error::InvalidArgument("aws-chunked: missing CRLF after chunk"));
                    state_ = State::kSize;
                } else if (state_ == State::kSize) {
                    std::string_view size = line.substr(0, line.find(';'));
                    size = Trim(size);
                    if (size.empty() || size.size() > 15) {
                        return core::Fail(core::Error::InvalidArgument("aws-chunked: bad chunk size"));
                    }
                    std::uint64_t value = 0;
                    for (char c : size) {
                        if (!std::isxdigit(static_cast<unsigned char>(c))) {
                            return core::Fail(core::Error::InvalidArgument("aws-chunked: bad chunk size"));
                        }
                        value = value * 16 + static_cast<std::uint64_t>(std::isdigit(static_cast<unsigned char>(c))
                                                                            ? c - '0'
                                                                            : std::tolower(c) - 'a' + 10);
                    }
                    remaining_ = value;
                    state_ = value == 0 ? State::kTrailers : State::kData;
                } else if (state_ == State::kTrailers) {
                    if (line.empty()) {
                        state_ = State::kDone;
                    } else {
                        std::size_t colon = line.find(':');
                        if (colon == std::string_view::npos) {
                            return core::Fail(core::Error::InvalidArgument("aws-chunked: bad trailer"));
                        }
                        std::string name(Trim(line.substr(0, colon)));
                        std::transform(name.begin(), name.end(), name.begin(),
                                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
                        trailers_.emplace_back(std::move(name), std::string(Trim(line.substr(colon + 1))));
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
    if (state_ == State::kDone || (state_ == State::kTrailers && line_.empty())) return core::Ok();
    return core::Fail(core::Error::InvalidArgument("aws-chunked: the body ended before the final chunk"));
}

}  // namespace sim::aws::s3::api
