#include "sim/aws/sqs/engine/checksum.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace sim::aws::sqs {

namespace {

std::string DigestHex(std::string_view data, const EVP_MD* md) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) throw std::runtime_error("EVP_Digest failed");
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex(len * 2, '0');
    for (unsigned int i = 0; i < len; ++i) {
        hex[2 * i] = kHex[out[i] >> 4];
        hex[2 * i + 1] = kHex[out[i] & 15];
    }
    return hex;
}

// Fetched once: implicit fetching on every call costs more than hashing a small message.
const EVP_MD* Md5() {
    static EVP_MD* md = EVP_MD_fetch(nullptr, "MD5", nullptr);
    return md;
}
const EVP_MD* Sha256() {
    static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return md;
}

void AppendLengthPrefixed(std::string& out, std::string_view bytes) {
    auto n = static_cast<std::uint32_t>(bytes.size());
    out.push_back(static_cast<char>((n >> 24) & 0xff));
    out.push_back(static_cast<char>((n >> 16) & 0xff));
    out.push_back(static_cast<char>((n >> 8) & 0xff));
    out.push_back(static_cast<char>(n & 0xff));
    out.append(bytes);
}

}  // namespace

std::string Md5Hex(std::string_view data) { return DigestHex(data, Md5()); }
std::string Sha256Hex(std::string_view data) { return DigestHex(data, Sha256()); }

std::string AttributesMd5Hex(const AttributeMap& attributes) {
    if (attributes.empty()) return {};
    std::string buf;
    for (const auto& [name, value] : attributes) {
        AppendLengthPrefixed(buf, name);
        AppendLengthPrefixed(buf, value.data_type);
        if (value.is_binary) {
            buf.push_back(2);
            AppendLengthPrefixed(buf, value.binary);
        } else {
            buf.push_back(1);
            AppendLengthPrefixed(buf, value.text);
        }
    }
    return Md5Hex(buf);
}

}  // namespace sim::aws::sqs
