#include "sim/aws/protocol/sigv4.hpp"

#include "sim/aws/protocol/aws_request.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>
#include <new>
#include <utility>

namespace sim::aws::protocol {

namespace {

std::string Hex(const unsigned char* data, std::size_t n) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(n * 2);
    for (std::size_t i = 0; i < n; ++i) {
        out += kHex[data[i] >> 4];
        out += kHex[data[i] & 15];
    }
    return out;
}

std::string Lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::vector<std::string> SplitSemicolons(std::string_view s) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos <= s.size()) {
        std::size_t semi = s.find(';', pos);
        auto item = s.substr(pos, semi == std::string_view::npos ? std::string_view::npos : semi - pos);
        if (!item.empty()) out.push_back(Lower(item));
        if (semi == std::string_view::npos) break;
        pos = semi + 1;
    }
    return out;
}

std::string Join(const std::vector<std::string>& parts, char sep) {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i) out += sep;
        out += parts[i];
    }
    return out;
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr);
    return Hex(out, len);
}

std::string HmacSha256(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), out, &len);
    return std::string(reinterpret_cast<const char*>(out), len);
}

std::string CanonicalUri(std::string_view raw_path, bool s3) {
    if (raw_path.empty()) return "/";
    if (s3) return core::PercentEncode(core::PercentDecode(raw_path), /*keep_slash=*/true);
    return core::PercentEncode(raw_path, /*keep_slash=*/true);
}

std::string CanonicalQueryString(std::string_view raw_query, std::string_view skip) {
    std::vector<std::pair<std::string, std::string>> encoded;
    for (auto& [name, value] : ParseQueryPairs(raw_query)) {
        if (!skip.empty() && name == skip) continue;
        encoded.emplace_back(core::PercentEncode(name), core::PercentEncode(value));
    }
    std::sort(encoded.begin(), encoded.end());
    std::string out;
    for (const auto& [name, value] : encoded) {
        if (!out.empty()) out += '&';
        out += name;
        out += '=';
        out += value;
    }
    return out;
}

std::string CanonicalHeaders(const core::Headers& headers, const std::vector<std::string>& signed_headers) {
    std::string out;
    for (const auto& name : signed_headers) {
        std::string value;
        bool first = true;
        for (const auto& [field, field_value] : headers.fields()) {
            if (!core::EqualsIgnoreCase(field, name)) continue;
            // Trim, and collapse runs of spaces inside the value to one.
            std::string collapsed;
            bool space = false;
            for (char c : Trim(field_value)) {
                if (c == ' ' || c == '\t') {
                    space = true;
                    continue;
                }
                if (space && !collapsed.empty()) collapsed += ' ';
                space = false;
                collapsed += c;
            }
            if (!first) value += ',';
            value += collapsed;
            first = false;
        }
        out += name;
        out += ':';
        out += value;
        out += '\n';
    }
    return out;
}

std::string CanonicalRequest(std::string_view method, std::string_view canonical_uri, std::string_view canonical_query,
                             std::string_view canonical_headers, std::string_view signed_headers,
                             std::string_view payload_hash) {
    std::string out;
    out.append(method).append("\n").append(canonical_uri).append("\n").append(canonical_query).append("\n");
    out.append(canonical_headers).append("\n").append(signed_headers).append("\n").append(payload_hash);
    return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope, std::string_view canonical_request) {
    std::string out = "AWS4-HMAC-SHA256\n";
    out.append(amz_date).append("\n").append(scope).append("\n").append(Sha256Hex(canonical_request));
    return out;
}

std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service) {
    std::string k = HmacSha256("AWS4" + std::string(secret), date);
    k = HmacSha256(k, region);
    k = HmacSha256(k, service);
    return HmacSha256(k, "aws4_request");
}

std::optional<SigV4Authorization> ParseAuthorization(std::string_view header) {
    constexpr std::string_view kPrefix = "AWS4-HMAC-SHA256";
    header = Trim(header);
    if (!header.starts_with(kPrefix)) return std::nullopt;
    header.remove_prefix(kPrefix.size());
    SigV4Authorization a;
    bool have_credential = false, have_headers = false, have_signature = false;
    std::size_t pos = 0;
    while (pos < header.size()) {
        std::size_t comma = header.find(',', pos);
        auto item = Trim(header.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
        std::size_t eq = item.find('=');
        if (eq != std::string_view::npos) {
            auto name = item.substr(0, eq);
            auto value = item.substr(eq + 1);
            if (name == "Credential") {
                std::vector<std::string> parts;
                std::size_t p = 0;
                while (p <= value.size()) {
                    std::size_t slash = value.find('/', p);
                    parts.emplace_back(value.substr(p, slash == std::string_view::npos ? std::string_view::npos : slash - p));
                    if (slash == std::string_view::npos) break;
                    p = slash + 1;
                }
                if (parts.size() != 5 || parts[4] != "aws4_request") return std::nullopt;
                a.access_key = parts[0];
                a.date = parts[1];
                a.region = parts[2];
                a.service = parts[3];
                have_credential = true;
            } else if (name == "SignedHeaders") {
                a.signed_headers = SplitSemicolons(value);
                have_headers = true;
            } else if (name == "Signature") {
                a.signature = std::string(value);
                have_signature = true;
            }
        }
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
    }
    if (!have_credential || !have_headers || !have_signature) return std::nullopt;
    return a;
}

std::string AmzDate(core::TimePoint t) {
    std::time_t secs = std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(t));
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

SigV4Verdict VerifySigV4(const core::Request& request, const SecretLookup& secrets, core::TimePoint now, bool s3) {
    SigV4Verdict v;
    auto authorization = request.headers.Get("Authorization");
    auto query_signature = request.QueryParam("X-Amz-Signature");
    if (!authorization && !query_signature) return v;  // anonymous
    SigV4Authorization a;
    std::string amz_date;
    std::string payload_hash;
    std::string canonical_query;
    if (authorization) {
        auto parsed = ParseAuthorization(*authorization);
        if (!parsed) {
            v.status = SigV4Status::kMalformed;
            v.message = "The authorization header is malformed";
            return v;
        }
        a = std::move(*parsed);
        amz_date = std::string(request.headers.Get("X-Amz-Date").value_or(request.headers.Get("Date").value_or("")));
        if (auto h = request.headers.Get("x-amz-content-sha256")) {
            payload_hash = std::string(*h);
        } else {
            payload_hash = Sha256Hex(request.body);
        }
        canonical_query = CanonicalQueryString(request.Query());
    } else {
        auto credential = request.QueryParam("X-Amz-Credential");
        auto algorithm = request.QueryParam("X-Amz-Algorithm");
        auto date = request.QueryParam("X-Amz-Date");
        auto signed_headers = request.QueryParam("X-Amz-SignedHeaders");
        auto expires = request.QueryParam("X-Amz-Expires");
        if (!credential || !date || !signed_headers || algorithm != "AWS4-HMAC-SHA256") {
            v.status = SigV4Status::kMalformed;
            v.message = "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
                        "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.";
            return v;
        }
        auto parsed = ParseAuthorization("AWS4-HMAC-SHA256 Credential=" + *credential + ", SignedHeaders=" +
                                         *signed_headers + ", Signature=" + *query_signature);
        if (!parsed) {
            v.status = SigV4Status::kMalformed;
            v.message = "Error parsing the X-Amz-Credential parameter";
            return v;
        }
        a = std::move(*parsed);
        amz_date = *date;
        auto signed_at = ParseAmzDate(amz_date);
        long seconds = 0;
        if (expires) {
            try {
                seconds = std::stol(*expires);
            } catch (const std::exception&) {
                seconds = -1;
            }
        }
        if (!signed_at || !expires || seconds < 0 || seconds > 604800) {
            v.status = SigV4Status::kMalformed;
            v.message = "X-Amz-Expires must be a number of seconds between 0 and 604800";
            return v;
        }
        if (now > *signed_at + std::chrono::seconds(seconds)) {
            v.status = SigV4Status::kExpired;
            v.access_key = a.access_key;
            v.message = "Request has expired";
            return v;
        }
        payload_hash = request.QueryParam("X-Amz-Content-Sha256")
                           .value_or(s3 ? std::string("UNSIGNED-PAYLOAD") : Sha256Hex(request.body));
        canonical_query = CanonicalQueryString(request.Query(), "X-Amz-Signature");
    }
    v.access_key = a.access_key;
    auto secret = secrets(a.access_key);
    if (!secret) {
        v.status = SigV4Status::kUnknownAccessKey;
        v.message = "The AWS Access Key Id you provided does not exist in our records.";
        return v;
    }
    std::string scope = a.date + "/" + a.region + "/" + a.service + "/aws4_request";
    v.canonical_request =
        CanonicalRequest(request.method, CanonicalUri(request.Path(), s3), canonical_query,
                         CanonicalHeaders(request.headers, a.signed_headers), Join(a.signed_headers, ';'), payload_hash);
    v.string_to_sign = StringToSign(amz_date, scope, v.canonical_request);
    std::string key = SigningKey(*secret, a.date, a.region, a.service);
    std::string mac = HmacSha256(key, v.string_to_sign);
    std::string expected = Hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
    if (expected != a.signature) {
        v.status = SigV4Status::kMismatch;
        v.message = "The request signature we calculated does not match the signature you provided. Check your key "
                    "and signing method.";
        return v;
    }
    v.status = SigV4Status::kValid;
    return v;
}

void SignRequest(core::Request& request, std::string_view access_key, std::string_view secret, std::string_view region,
                 std::string_view service, core::TimePoint now, std::string_view payload_hash) {
    std::string amz_date = AmzDate(now);
    std::string date = amz_date.substr(0, 8);
    request.headers.Set("X-Amz-Date", amz_date);
    request.headers.Set("x-amz-content-sha256", payload_hash);
    std::vector<std::string> names;
    for (const auto& [name, value] : request.headers.fields()) {
        std::string lower = Lower(name);
        if (lower == "host" || lower.starts_with("x-amz-") || lower == "content-md5" || lower == "content-type") {
            names.push_back(lower);
        }
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    std::string scope = date + "/" + std::string(region) + "/" + std::string(service) + "/aws4_request";
    bool s3 = service == "s3";
    std::string canonical =
        CanonicalRequest(request.method, CanonicalUri(request.Path(), s3), CanonicalQueryString(request.Query()),
                         CanonicalHeaders(request.headers, names), Join(names, ';'), payload_hash);
    std::string mac = HmacSha256(SigningKey(secret, date, region, service), StringToSign(amz_date, scope, canonical));
    request.headers.Set("Authorization", "AWS4-HMAC-SHA256 Credential=" + std::string(access_key) + "/" + scope +
                                             ", SignedHeaders=" + Join(names, ';') + ", Signature=" +
                                             Hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size()));
}

std::string PresignTarget(std::string_view method, std::string_view raw_target, std::string_view host,
                          std::string_view access_key, std::string_view secret, std::string_view region,
                          std::string_view service, core::TimePoint now, long expires_seconds) {
    std::string amz_date = AmzDate(now);
    std::string date = amz_date.substr(0, 8);
    std::string scope = date + "/" + std::string(region) + "/" + std::string(service) + "/aws4_request";
    std::string_view path = raw_target.substr(0, raw_target.find('?'));
    std::string query = raw_target.find('?') == std::string_view::npos
                            ? std::string()
                            : std::string(raw_target.substr(raw_target.find('?') + 1));
    if (!query.empty()) query += '&';
    query += "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + core::PercentEncode(std::string(access_key) + "/" + scope) +
             "&X-Amz-Date=" + amz_date + "&X-Amz-Expires=" + std::to_string(expires_seconds) +
             "&X-Amz-SignedHeaders=host";
    core::Headers headers;
    headers.Set("host", host);
    bool s3 = service == "s3";
    std::string canonical = CanonicalRequest(method, CanonicalUri(path, s3), CanonicalQueryString(query),
                                             CanonicalHeaders(headers, {"host"}), "host",
                                             s3 ? "UNSIGNED-PAYLOAD" : Sha256Hex(""));
    std::string mac = HmacSha256(SigningKey(secret, date, region, service), StringToSign(amz_date, scope, canonical));
    return std::string(path) + "?" + query +
           "&X-Amz-Signature=" + Hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
}

std::optional<ChunkSigningContext> ChunkSigningContextOf(const core::Request& request, std::string_view secret) {
    auto header = request.headers.Get("Authorization");
    auto amz_date = request.headers.Get("X-Amz-Date");
    if (!header || !amz_date) return std::nullopt;
    auto a = ParseAuthorization(*header);
    if (!a) return std::nullopt;
    return ChunkSigningContext{SigningKey(secret, a->date, a->region, a->service), std::string(*amz_date),
                               a->date + "/" + a->region + "/" + a->service + "/aws4_request", a->signature};
}

namespace {
std::string HexHmac(const std::string& key, std::string_view data) {
    std::string mac = HmacSha256(key, data);
    return Hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
}
constexpr std::string_view kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
}  // namespace

std::string ChunkSignature(const ChunkSigningContext& context, std::string_view previous,
                           std::string_view payload_sha256_hex) {
    std::string to_sign = "AWS4-HMAC-SHA256-PAYLOAD\n";
    to_sign.append(context.amz_date).append("\n").append(context.scope).append("\n").append(previous).append("\n");
    to_sign.append(kEmptySha256).append("\n").append(payload_sha256_hex);
    return HexHmac(context.signing_key, to_sign);
}

std::string TrailerSignature(const ChunkSigningContext& context, std::string_view previous,
                             std::string_view canonical_trailers) {
    std::string to_sign = "AWS4-HMAC-SHA256-TRAILER\n";
    to_sign.append(context.amz_date).append("\n").append(context.scope).append("\n").append(previous).append("\n");
    to_sign.append(Sha256Hex(canonical_trailers));
    return HexHmac(context.signing_key, to_sign);
}

ChunkSignatureChain::ChunkSignatureChain(ChunkSigningContext context)
    : context_(std::move(context)), previous_(context_.seed_signature), digest_(EVP_MD_CTX_new()) {
    if (digest_ == nullptr) throw std::bad_alloc();
    Restart();
}

ChunkSignatureChain::~ChunkSignatureChain() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(digest_)); }

ChunkSignatureChain::ChunkSignatureChain(ChunkSignatureChain&& other) noexcept
    : context_(std::move(other.context_)), previous_(std::move(other.previous_)), digest_(other.digest_) {
    other.digest_ = nullptr;
}

ChunkSignatureChain& ChunkSignatureChain::operator=(ChunkSignatureChain&& other) noexcept {
    if (this != &other) {
        EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(digest_));
        context_ = std::move(other.context_);
        previous_ = std::move(other.previous_);
        digest_ = other.digest_;
        other.digest_ = nullptr;
    }
    return *this;
}

void ChunkSignatureChain::Restart() { EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(digest_), EVP_sha256(), nullptr); }

void ChunkSignatureChain::Update(std::string_view bytes) {
    EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(digest_), bytes.data(), bytes.size());
}

bool ChunkSignatureChain::EndChunk(std::string_view claimed_signature) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(digest_), out, &len);
    Restart();
    std::string expected = ChunkSignature(context_, previous_, Hex(out, len));
    if (expected != claimed_signature) return false;
    previous_ = std::move(expected);
    return true;
}

bool ChunkSignatureChain::VerifyTrailer(std::string_view canonical_trailers, std::string_view claimed_signature) {
    std::string expected = TrailerSignature(context_, previous_, canonical_trailers);
    if (expected != claimed_signature) return false;
    previous_ = std::move(expected);
    return true;
}

std::optional<core::TimePoint> ParseAmzDate(std::string_view d) {
    if (d.size() != 16 || d[8] != 'T' || d[15] != 'Z') return std::nullopt;
    std::string iso = std::string(d.substr(0, 4)) + "-" + std::string(d.substr(4, 2)) + "-" +
                      std::string(d.substr(6, 2)) + "T" + std::string(d.substr(9, 2)) + ":" +
                      std::string(d.substr(11, 2)) + ":" + std::string(d.substr(13, 2)) + "Z";
    auto t = core::ParseIso8601(iso);
    if (!t) return std::nullopt;
    return *t;
}

}  // namespace sim::aws::protocol
