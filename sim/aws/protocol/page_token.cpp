#include "sim/aws/protocol/page_token.hpp"

namespace sim::aws::protocol {

namespace {
constexpr std::string_view kPrefix = "cs1.";
constexpr char kHex[] = "0123456789abcdef";

int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}
}  // namespace

std::string EncodePageToken(std::string_view key) {
    std::string out(kPrefix);
    for (unsigned char c : key) {
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
    return out;
}

std::optional<std::string> DecodePageToken(std::string_view token) {
    if (token.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
    token.remove_prefix(kPrefix.size());
    if (token.empty() || token.size() % 2) return std::nullopt;
    std::string key;
    for (std::size_t i = 0; i < token.size(); i += 2) {
        int hi = HexValue(token[i]), lo = HexValue(token[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        key += static_cast<char>(hi * 16 + lo);
    }
    return key;
}

}  // namespace sim::aws::protocol
