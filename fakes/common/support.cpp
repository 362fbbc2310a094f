#include "fakes/common/support.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

namespace sim::fakes::common {

std::chrono::year_month_day JstDate(core::TimePoint t) {
    return std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(t + kJstOffset)};
}

core::TimePoint JstMidnight(std::chrono::year_month_day date) {
    return core::TimePoint{std::chrono::sys_days{date}.time_since_epoch()} - kJstOffset;
}

std::string FormatDate(std::chrono::year_month_day d) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                  static_cast<unsigned>(d.day()));
    return buf;
}

std::string FormatCompactDate(std::chrono::year_month_day d) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d%02u%02u", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                  static_cast<unsigned>(d.day()));
    return buf;
}

std::string FormatJst(core::TimePoint t) {
    auto local = std::chrono::floor<std::chrono::seconds>(t + kJstOffset);
    auto day = std::chrono::floor<std::chrono::days>(local);
    std::chrono::hh_mm_ss hms{local - day};
    char buf[40];
    std::snprintf(buf, sizeof buf, "%sT%02d:%02d:%02d+09:00", FormatDate(std::chrono::year_month_day{day}).c_str(),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    return buf;
}

core::TimePoint NextJstTimeOfDay(core::TimePoint now, std::chrono::minutes time_of_day) {
    core::TimePoint candidate = JstMidnight(JstDate(now)) + time_of_day;
    while (candidate <= now) candidate += std::chrono::days{1};
    return candidate;
}

core::TimePoint AddBusinessDays(core::TimePoint t, int days) {
    while (days > 0) {
        t += std::chrono::days{1};
        std::chrono::weekday wd{std::chrono::sys_days{JstDate(t)}};
        if (wd != std::chrono::Saturday && wd != std::chrono::Sunday) --days;
    }
    return t;
}

std::string Sha256(std::string_view data) {
    unsigned char out[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
    return std::string(reinterpret_cast<const char*>(out), sizeof out);
}

std::string HexEncode(std::string_view bytes) {
    static const char* kHex = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
    return out;
}

std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256(data)); }

std::string HmacSha256(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), out, &len);
    return std::string(reinterpret_cast<const char*>(out), len);
}

namespace {
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
}

std::string Base64UrlEncode(std::string_view data) {
    std::string out;
    std::size_t i = 0;
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(data[k]); };
    for (; i + 2 < data.size(); i += 3) {
        std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
        for (int s : {18, 12, 6, 0}) out += kB64[(v >> s) & 63];
    }
    if (data.size() - i == 1) {
        std::uint32_t v = byte(i) << 16;
        out += kB64[(v >> 18) & 63];
        out += kB64[(v >> 12) & 63];
    } else if (data.size() - i == 2) {
        std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8);
        for (int s : {18, 12, 6}) out += kB64[(v >> s) & 63];
    }
    return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
    while (!text.empty() && text.back() == '=') text.remove_suffix(1);
    if (text.size() % 4 == 1) return std::nullopt;
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        const char* p = c ? std::char_traits<char>::find(kB64, 64, c) : nullptr;
        if (!p) return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(p - kB64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xFF);
        }
    }
    return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

std::string CsvField(std::string_view value) {
    if (value.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(value);
    std::string out = "\"";
    for (char c : value) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::uint64_t StableHash(std::string_view text) {
    std::string h = Sha256(text);
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(h[i]);
    return v;
}

std::string ZeroPad(std::uint64_t n, int width) {
    std::string s = std::to_string(n);
    if (static_cast<int>(s.size()) < width) s.insert(0, static_cast<std::size_t>(width) - s.size(), '0');
    return s;
}

}  // namespace sim::fakes::common
