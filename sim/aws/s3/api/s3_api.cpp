#include "sim/aws/s3/api/s3_api.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>
#include <optional>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <spdlog/spdlog.h>

#include "sim/aws/protocol/aws_request.hpp"
#include "sim/aws/protocol/errors.hpp"
#include "sim/aws/protocol/sigv4.hpp"
#include "sim/aws/protocol/xml.hpp"
#include "sim/aws/s3/api/aws_chunked.hpp"

namespace sim::aws::s3::api {

namespace {

using engine::ChecksumAlgorithm;
using engine::ObjectVersion;
using engine::S3Error;
using engine::S3ErrorKind;
using protocol::XmlWriter;

constexpr std::string_view kXmlns = "http://s3.amazonaws.com/doc/2006-03-01/";
constexpr std::string_view kOwnerId = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a";
constexpr std::string_view kOwnerName = "webfile";
constexpr std::uint64_t kMaxXmlBody = 16 * 1024 * 1024;

std::string Lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string FormatHttpDate(core::TimePoint t) {
    std::time_t secs = std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(t));
    std::tm tm{};
    gmtime_r(&secs, &tm);
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday], tm.tm_mday,
                  kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

std::optional<core::TimePoint> ParseHttpDate(std::string_view text) {
    std::tm tm{};
    std::string s(text);
    const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
    if (!end) {
        auto iso = core::ParseIso8601(text);
        if (iso) return *iso;
        return std::nullopt;
    }
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

/// S3's XML timestamps: ISO 8601 with milliseconds.
std::string XmlTime(core::TimePoint t) {
    auto ms = std::chrono::floor<std::chrono::milliseconds>(t);
    std::string s = core::FormatIso8601(ms);
    if (s.find('.') == std::string::npos) s.insert(s.size() - 1, ".000");
    return s;
}

std::string Quoted(std::string_view etag) { return "\"" + std::string(etag) + "\""; }


struct WireError {
    int status;
    std::string_view code;
};

/// The one table from engine errors to S3 status and code.
WireError ToWire(S3ErrorKind kind) {
    switch (kind) {
        case S3ErrorKind::kBucketNotFound: return {404, "NoSuchBucket"};
        case S3ErrorKind::kBucketAlreadyOwned: return {409, "BucketAlreadyOwnedByYou"};
        case S3ErrorKind::kBucketNotEmpty: return {409, "BucketNotEmpty"};
        case S3ErrorKind::kInvalidBucketName: return {400, "InvalidBucketName"};
        case S3ErrorKind::kKeyNotFound: return {404, "NoSuchKey"};
        case S3ErrorKind::kVersionNotFound: return {404, "NoSuchVersion"};
        case S3ErrorKind::kUploadNotFound: return {404, "NoSuchUpload"};
        case S3ErrorKind::kInvalidArgument: return {400, "InvalidArgument"};
        case S3ErrorKind::kInvalidRequest: return {400, "InvalidRequest"};
        case S3ErrorKind::kInvalidPart: return {400, "InvalidPart"};
        case S3ErrorKind::kInvalidPartOrder: return {400, "InvalidPartOrder"};
        case S3ErrorKind::kEntityTooSmall: return {400, "EntityTooSmall"};
        case S3ErrorKind::kEntityTooLarge: return {400, "EntityTooLarge"};
        case S3ErrorKind::kBadDigest: return {400, "BadDigest"};
        case S3ErrorKind::kPreconditionFailed: return {412, "PreconditionFailed"};
        case S3ErrorKind::kNotModified: return {304, "NotModified"};
        case S3ErrorKind::kDeleteMarkerTarget: return {405, "MethodNotAllowed"};
    }
    return {500, "InternalError"};
}

std::optional<std::string> ChecksumHeaderValue(const core::Headers& h, ChecksumAlgorithm a) {
    if (auto v = h.Get("x-amz-checksum-" + Lower(engine::ToString(a)))) return std::string(*v);
    return std::nullopt;
}

std::string ChecksumElement(ChecksumAlgorithm a) { return "Checksum" + std::string(engine::ToString(a)); }

}  // namespace

/// A PutObject/UploadPart body on its way from the request (memory or spooled file), aws-chunked
/// decoded, into a writer. Prepared on the loop (begin_body in Dispatch); filled by ReadBody.
struct BodyJob {
    engine::BodyWriter writer;
    AwsChunkedDecoder decoder;
    bool chunked = false;
    std::optional<engine::ChecksumAlgorithm> algorithm;
    engine::BodyExpectations expect;
    std::optional<core::Response> error;  ///< set by ReadBody when the body is refused
};

struct S3Api::Context {
    Context(core::Request request, core::Respond respond_to, std::string id)
        : req(std::move(request)),
          respond(std::move(respond_to)),
          request_id(std::move(id)),
          head(req.method == "HEAD"),
          query(protocol::ParseQueryPairs(req.Query())) {}

    core::Request req;
    core::Respond respond;
    std::string request_id;
    std::string bucket;
    std::string key;
    bool has_key = false;
    bool head = false;
    std::vector<std::pair<std::string, std::string>> query;

    bool Has(std::string_view name) const {
        return std::any_of(query.begin(), query.end(), [&](const auto& p) { return p.first == name; });
    }
    std::optional<std::string> Param(std::string_view name) const {
        for (const auto& [k, v] : query)
            if (k == name) return v;
        return std::nullopt;
    }
    std::optional<std::string> Header(std::string_view name) const {
        auto v = req.headers.Get(name);
        if (!v) return std::nullopt;
        return std::string(*v);
    }
    std::string Resource() const { return "/" + bucket + (has_key ? "/" + key : ""); }

    core::Response Error(int status, std::string_view code, std::string_view message) const {
        core::Response r = protocol::RestXmlError(status, code, message, Resource(), request_id, head);
        r.headers.Set("x-amz-id-2", request_id);
        return r;
    }
    core::Response Error(const S3Error& e) const {
        auto w = ToWire(e.kind);
        if (e.kind == S3ErrorKind::kNotModified) {
            core::Response r;
            r.status = 304;
            return r;
        }
        core::Response r = Error(w.status, w.code, e.message);
        if (e.delete_marker) {
            r.headers.Set("x-amz-delete-marker", "true");
            if (!e.version_id.empty()) r.headers.Set("x-amz-version-id", e.version_id);
        }
        return r;
    }
    core::Response Xml(int status, std::string body) const {
        core::Response r;
        r.status = status;
        r.body = std::move(body);
        r.headers.Set("Content-Type", "application/xml");
        return r;
    }
};

namespace {

std::optional<ChecksumAlgorithm> RequestedAlgorithm(const core::Headers& h) {
    for (const char* name : {"x-amz-sdk-checksum-algorithm", "x-amz-checksum-algorithm"}) {
        if (auto v = h.Get(name)) {
            if (auto a = engine::ParseChecksumAlgorithm(*v)) return a;
        }
    }
    if (auto trailer = h.Get("x-amz-trailer")) {
        std::string t = Lower(*trailer);
        if (t.starts_with("x-amz-checksum-")) {
            if (auto a = engine::ParseChecksumAlgorithm(t.substr(15))) return a;
        }
    }
    for (auto a : {ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc32c, ChecksumAlgorithm::kCrc64Nvme,
                   ChecksumAlgorithm::kSha1, ChecksumAlgorithm::kSha256}) {
        if (ChecksumHeaderValue(h, a)) return a;
    }
    return std::nullopt;
}

bool IsChunked(const core::Headers& h) {
    if (auto ce = h.Get("Content-Encoding"); ce && Lower(*ce).find("aws-chunked") != std::string::npos) return true;
    if (auto sha = h.Get("x-amz-content-sha256"); sha && sha->starts_with("STREAMING-")) return true;
    return false;
}

/// Reads all of a (small) request body into a string, aws-chunked decoded if needed.
core::Result<std::string> BodyText(const core::Request& req, AwsChunkedDecoder d) {
    std::string raw;
    if (req.body_file) {
        if (req.body_file->length > kMaxXmlBody) return core::Fail(core::Error::InvalidArgument("body too large"));
        raw.reserve(req.body_file->length);
        core::ReadSlice(*req.body_file, [&](std::string_view piece) {
            raw.append(piece);
            return true;
        });
    } else {
        raw = req.body;
    }
    if (!IsChunked(req.headers)) return raw;
    std::string out;
    if (auto s = d.Feed(raw, [&](std::string_view b) { out.append(b); }); !s) return core::Fail(s.error());
    if (auto s = d.Finish(); !s) return core::Fail(s.error());
    return out;
}

core::Response ChunkError(const S3Api::Context& ctx, const core::Error& e);

/// Reads the request's body into `job.writer` (sets job.error when it is refused). Touches only
/// the request and the job: runs on the body I/O pool for bodies that become files.
void ReadBody(const S3Api::Context& ctx, BodyJob& job) {
    const core::Request& req = ctx.req;
    auto sink = [&](std::string_view bytes) { job.writer.Write(bytes); };
    if (!job.chunked) {
        if (req.body_file) {
            // A spooled body the server gives away becomes the object's file (renamed, not copied).
            job.writer.Append(req.body_file->path, req.body_file->offset, req.body_file->length,
                              req.body_file->remove_when_done);
        } else {
            job.writer.Write(req.body);
        }
    } else {
        auto feed = [&](std::string_view bytes) -> bool {
            if (auto s = job.decoder.Feed(bytes, sink); !s) {
                job.error = ChunkError(ctx, s.error());
                return false;
            }
            return true;
        };
        if (req.body_file) {
            if (!core::ReadSlice(*req.body_file, feed)) return;
        } else if (!feed(req.body)) {
            return;
        }
        if (auto s = job.decoder.Finish(); !s) {
            job.error = s.error().kind == core::ErrorKind::kPermissionDenied
                            ? ChunkError(ctx, s.error())
                            : ctx.Error(400, "IncompleteBody", "The request body terminated unexpectedly");
            return;
        }
        if (auto dl = ctx.Header("x-amz-decoded-content-length")) {
            if (*dl != std::to_string(job.decoder.decoded_bytes())) {
                job.error = ctx.Error(400, "IncompleteBody",
                                      "You did not provide the number of bytes specified by the Content-Length "
                                      "HTTP header");
                return;
            }
        }
        if (job.algorithm) {
            std::string want = "x-amz-checksum-" + Lower(engine::ToString(*job.algorithm));
            for (const auto& [name, value] : job.decoder.trailers()) {
                if (name == want) job.expect.checksum = value;
            }
        }
    }
    if (job.algorithm && !job.expect.checksum) job.expect.checksum = ChecksumHeaderValue(req.headers, *job.algorithm);
}

core::Response ChunkError(const S3Api::Context& ctx, const core::Error& e) {
    if (e.kind == core::ErrorKind::kPermissionDenied) {
        return ctx.Error(403, "SignatureDoesNotMatch",
                         "The request signature we calculated does not match the signature you provided. Check "
                         "your key and signing method. (" + e.message + ")");
    }
    return ctx.Error(400, "InvalidRequest", e.message);
}

std::string StoredContentEncoding(std::string_view header) {
    // aws-chunked is a transfer detail, not part of the object's Content-Encoding.
    std::string out;
    std::size_t pos = 0;
    while (pos <= header.size()) {
        std::size_t comma = header.find(',', pos);
        std::string_view item = header.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (!item.empty() && Lower(item) != "aws-chunked") {
            if (!out.empty()) out += ",";
            out += item;
        }
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
    }
    return out;
}

engine::ContentHeaders ContentFrom(const core::Headers& h) {
    engine::ContentHeaders c;
    c.content_type = std::string(h.Get("Content-Type").value_or(""));
    c.content_disposition = std::string(h.Get("Content-Disposition").value_or(""));
    c.content_encoding = StoredContentEncoding(h.Get("Content-Encoding").value_or(""));
    c.content_language = std::string(h.Get("Content-Language").value_or(""));
    c.cache_control = std::string(h.Get("Cache-Control").value_or(""));
    c.expires = std::string(h.Get("Expires").value_or(""));
    return c;
}

engine::Metadata MetadataFrom(const core::Headers& h) {
    engine::Metadata m;
    for (const auto& [name, value] : h.fields()) {
        if (core::StartsWithIgnoreCase(name, "x-amz-meta-")) m.emplace_back(Lower(name.substr(11)), value);
    }
    return m;
}

std::optional<std::string> ValidateTags(const engine::TagSet& tags) {
    if (tags.size() > 10) return "Object tags cannot be greater than 10";
    for (std::size_t i = 0; i < tags.size(); ++i) {
        if (tags[i].first.empty() || tags[i].first.size() > 128) return "The TagKey you have provided is invalid";
        if (tags[i].second.size() > 256) return "The TagValue you have provided is invalid";
        for (std::size_t j = 0; j < i; ++j) {
            if (tags[j].first == tags[i].first) return "Cannot provide multiple Tags with the same key";
        }
    }
    return std::nullopt;
}

engine::TagSet TagsFromHeader(std::string_view header) {
    engine::TagSet tags;
    for (auto& [k, v] : protocol::ParseQueryPairs(header)) tags.emplace_back(k, v);
    // Form encoding: '+' is a space in x-amz-tagging.
    for (auto& [k, v] : tags) {
        std::replace(k.begin(), k.end(), '+', ' ');
        std::replace(v.begin(), v.end(), '+', ' ');
    }
    return tags;
}

void SetObjectHeaders(core::Response& r, const ObjectVersion& v, bool checksum_mode) {
    r.headers.Set("ETag", Quoted(v.etag));
    r.headers.Set("Last-Modified", FormatHttpDate(v.last_modified));
    r.headers.Set("Accept-Ranges", "bytes");
    r.headers.Set("Content-Type", v.content.content_type.empty() ? "binary/octet-stream" : v.content.content_type);
    if (!v.content.content_disposition.empty()) r.headers.Set("Content-Disposition", v.content.content_disposition);
    if (!v.content.content_encoding.empty()) r.headers.Set("Content-Encoding", v.content.content_encoding);
    if (!v.content.content_language.empty()) r.headers.Set("Content-Language", v.content.content_language);
    if (!v.content.cache_control.empty()) r.headers.Set("Cache-Control", v.content.cache_control);
    if (!v.content.expires.empty()) r.headers.Set("Expires", v.content.expires);
    if (v.version_id != engine::kNullVersionId) r.headers.Set("x-amz-version-id", v.version_id);
    for (const auto& [name, value] : v.metadata) r.headers.Set("x-amz-meta-" + name, value);
    if (!v.tags.empty()) r.headers.Set("x-amz-tagging-count", std::to_string(v.tags.size()));
    if (v.parts_count > 0) r.headers.Set("x-amz-mp-parts-count", std::to_string(v.parts_count));
    r.headers.Set("x-amz-storage-class", "STANDARD");
    if (checksum_mode && v.checksum) {
        r.headers.Set("x-amz-checksum-" + Lower(engine::ToString(v.checksum->algorithm)), v.checksum->value);
        r.headers.Set("x-amz-checksum-type", v.checksum->composite ? "COMPOSITE" : "FULL_OBJECT");
    }
}

engine::ReadConditions ReadConditionsFrom(const core::Headers& h, std::string_view prefix) {
    engine::ReadConditions c;
    std::string p(prefix);
    if (auto v = h.Get(p + "if-match")) c.if_match = std::string(*v);
    if (auto v = h.Get(p + "if-none-match")) c.if_none_match = std::string(*v);
    if (auto v = h.Get(p + "if-modified-since")) c.if_modified_since = ParseHttpDate(*v);
    if (auto v = h.Get(p + "if-unmodified-since")) c.if_unmodified_since = ParseHttpDate(*v);
    return c;
}

void WriteOwner(XmlWriter& w, std::string_view element = "Owner") {
    w.Open(element).Element("ID", kOwnerId).Element("DisplayName", kOwnerName).Close();
}

std::string BoolText(bool b) { return b ? "true" : "false"; }

void SetChecksumHeader(core::Response& r, const std::optional<engine::StoredChecksum>& c) {
    if (!c) return;
    r.headers.Set("x-amz-checksum-" + Lower(engine::ToString(c->algorithm)), c->value);
    r.headers.Set("x-amz-checksum-type", c->composite ? "COMPOSITE" : "FULL_OBJECT");
}

}  // namespace

S3Api::S3Api(engine::S3Engine& engine, clock::Clock& clock, S3ApiOptions options)
    : engine_(engine), clock_(clock), options_(std::move(options)), ids_(options_.seed ^ 0x5353) {}

void S3Api::Install(core::Router& router) {
    auto is_s3 = [](const core::Request& r) { return protocol::DetectService(r) == protocol::AwsService::kS3; };
    std::uint64_t small = options_.in_memory_body_bytes;
    auto small_body = [is_s3, small](const core::Request& r) {
        if (!is_s3(r)) return false;
        auto length = r.headers.Get("Content-Length");
        if (!length) return false;
        try {
            return std::stoull(std::string(*length)) <= small;
        } catch (const std::exception&) {
            return false;
        }
    };
    auto handler = [this](core::Request request, core::Respond respond) { Handle(std::move(request), respond); };
    core::RouteOptions spooled{.max_body_bytes = options_.max_body_bytes, .spool_body_to_file = true};
    spooled.answer_from_head = [this](const core::Request& head) { return RefuseTooLarge(head); };
    for (const char* method : {"PUT", "POST"}) {
        router.AddWhen(method, "/{path...}", small_body, handler, core::RouteOptions{.max_body_bytes = small});
        router.AddWhen(method, "/{path...}", is_s3, handler, spooled);
    }
    router.AddWhen("*", "/{path...}", is_s3, handler);
}

std::string VirtualHostedBucket(std::string_view host_header) {
    std::string host = Lower(host_header);
    if (auto colon = host.rfind(':'); colon != std::string::npos && host.find(']') == std::string::npos) {
        host.resize(colon);
    }
    std::string host_bucket;
    for (std::string_view suffix : {".s3.localhost", ".localhost", ".s3.localhost.localstack.cloud",
                                    ".localhost.localstack.cloud", ".s3.amazonaws.com"}) {
        if (host.size() > suffix.size() && host.ends_with(suffix)) {
            host_bucket = host.substr(0, host.size() - suffix.size());
            break;
        }
    }
    if (host_bucket.empty() && host.ends_with(".amazonaws.com")) {
        if (auto pos = host.find(".s3."); pos != std::string::npos && pos > 0) host_bucket = host.substr(0, pos);
    }
    if (host_bucket == "s3") host_bucket.clear();
    return host_bucket;
}

std::string S3Api::NewRequestId() {
    std::string id = ids_.Hex(8);
    for (auto& c : id) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return id;
}

std::string S3Api::Address(Context& ctx) {
    // Virtual-hosted style names the bucket in the Host header.
    const core::Request& req = ctx.req;
    std::string host_bucket = VirtualHostedBucket(req.headers.Get("Host").value_or(""));
    std::string_view path = req.Path();
    if (path.starts_with('/')) path.remove_prefix(1);
    if (!host_bucket.empty()) {
        ctx.bucket = host_bucket;
        ctx.key = core::PercentDecode(path);
        ctx.has_key = !path.empty();
    } else if (!path.empty()) {
        std::size_t slash = path.find('/');
        ctx.bucket = core::PercentDecode(path.substr(0, slash));
        if (slash != std::string_view::npos && slash + 1 < path.size()) {
            ctx.key = core::PercentDecode(path.substr(slash + 1));
            ctx.has_key = true;
        }
    }
    return host_bucket;
}

bool S3Api::DeclaresTooLarge(const core::Request& head) const {
    if (head.method != "PUT") return false;
    // The payload size a client declares: x-amz-decoded-content-length for aws-chunked bodies
    // (Content-Length then includes the chunk framing), else Content-Length.
    auto declared = head.headers.Get(IsChunked(head.headers) ? "x-amz-decoded-content-length" : "Content-Length");
    if (!declared) return false;
    std::uint64_t size = 0;
    auto [end, ec] = std::from_chars(declared->data(), declared->data() + declared->size(), size);
    if (ec != std::errc() || end != declared->data() + declared->size()) return false;
    return size > engine_.options().max_object_bytes;
}

core::Response S3Api::TooLarge(const Context& ctx) {
    return ctx.Error(S3Error{S3ErrorKind::kEntityTooLarge, "Your proposed upload exceeds the maximum allowed size",
                             false, {}});
}

std::optional<core::Response> S3Api::RefuseTooLarge(const core::Request& head) {
    if (!DeclaresTooLarge(head)) return std::nullopt;
    core::Request copy;
    copy.method = head.method;
    copy.target = head.target;
    copy.headers = head.headers;
    Context ctx(std::move(copy), nullptr, NewRequestId());
    Address(ctx);
    core::Response r = TooLarge(ctx);
    r.headers.Set("x-amz-request-id", ctx.request_id);
    return r;
}

void S3Api::Handle(core::Request request, core::Respond respond) {
    auto shared = std::make_shared<Context>(std::move(request), std::move(respond), NewRequestId());
    Context& ctx = *shared;
    Guarded(ctx, [&]() -> std::optional<core::Response> {
        std::string host_bucket = Address(ctx);
        // Authentication: the edge's one credential check (sim/app's AwsAuth), when it is given.
        if (options_.authenticate) {
            if (auto denial = options_.authenticate(ctx.req, host_bucket))
                return ctx.Error(denial->status, denial->code, denial->message);
        }
        // In-process and small requests: the same size refusal the HTTP layer makes from the head,
        // in this request's context (its request id in the body as in the header).
        if (DeclaresTooLarge(ctx.req)) return TooLarge(ctx);
        return Dispatch(shared);
    });
}

void S3Api::Guarded(Context& ctx, const std::function<std::optional<core::Response>()>& step) {
    std::optional<core::Response> response;
    try {
        response = step();
    } catch (const std::exception& e) {
        spdlog::error("[s3] {} {} failed (request {}): {}", ctx.req.method, ctx.req.target, ctx.request_id, e.what());
        response = ctx.Error(500, "InternalError", "We encountered an internal error. Please try again.");
    }
    if (!response) return;  // answered later, from the body I/O pool's completion
    response->headers.Set("x-amz-request-id", ctx.request_id);
    // HEAD answers carry no body; an object's inline bytes stay so the server reports their length.
    if (ctx.head && response->status >= 300) response->body.clear();
    ctx.respond(std::move(*response));
}

std::optional<core::Response> S3Api::Offload(const std::shared_ptr<Context>& shared, std::uint64_t bytes,
                                             core::Task work, std::function<core::Response()> then) {
    if (!options_.body_pool || bytes <= engine_.options().inline_body_bytes) {
        // Small bodies stay in memory and in the row: cheaper here than a trip to the pool.
        work();
        return then();
    }
    options_.body_pool->Submit(std::move(work), [this, shared, then = std::move(then)](std::exception_ptr failure) {
        Guarded(*shared, [&]() -> std::optional<core::Response> {
            if (failure) std::rethrow_exception(failure);
            return then();
        });
    });
    return std::nullopt;
}

std::optional<core::Response> S3Api::ReadBodyThen(const std::shared_ptr<Context>& shared, BodyJob job, BodyThen then) {
    const core::Request& req = shared->req;
    std::uint64_t bytes = req.body_file ? req.body_file->length : req.body.size();
    auto state = std::make_shared<BodyJob>(std::move(job));
    return Offload(
        shared, bytes, [shared, state] { ReadBody(*shared, *state); },
        [state, then = std::move(then)] {
            if (state->error) return std::move(*state->error);
            return then(std::move(*state));
        });
}

std::optional<core::Response> S3Api::Dispatch(const std::shared_ptr<Context>& shared) {
    Context& ctx = *shared;
    core::Request& req = ctx.req;
    const std::string& m = req.method;
    auto fail = [&](const S3Error& e) { return ctx.Error(e); };
    auto not_implemented = [&] {
        return ctx.Error(501, "NotImplemented", "A header or query you provided implies functionality that is not implemented");
    };
    auto method_not_allowed = [&] {
        core::Response r = ctx.Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
        return r;
    };

    // An aws-chunked decoder that checks the chunk signatures of a signed streaming upload.
    auto chunk_decoder = [&] {
        AwsChunkedDecoder decoder;
        auto sha = req.headers.Get("x-amz-content-sha256").value_or("");
        bool signed_stream = sha == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
        bool signed_trailer = sha == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
        if ((signed_stream || signed_trailer) && options_.chunk_signing) {
            if (auto context = options_.chunk_signing(req)) decoder.VerifySignatures(std::move(*context), signed_trailer);
        }
        return decoder;
    };
    auto chunk_error = [&](const core::Error& e) { return ChunkError(ctx, e); };

    // --- body reading for PutObject / UploadPart (ReadBody does the reading) --------------------
    auto begin_body = [&](std::optional<ChecksumAlgorithm> fallback) -> core::Result<BodyJob, core::Response> {
        std::optional<ChecksumAlgorithm> algorithm = RequestedAlgorithm(req.headers);
        if (!algorithm) algorithm = fallback;
        engine::BodyExpectations expect;
        if (auto md5 = ctx.Header("Content-MD5")) {
            auto raw = engine::Base64Decode(*md5);
            if (!raw || raw->size() != 16) {
                return core::Fail(ctx.Error(400, "InvalidDigest", "The Content-MD5 you specified is not valid."));
            }
            expect.md5 = *raw;
        }
        return BodyJob{engine_.NewBody(algorithm), chunk_decoder(), IsChunked(req.headers), algorithm, expect, {}};
    };

    auto xml_body = [&]() -> core::Result<protocol::XmlElement, core::Response> {
        auto text = BodyText(req, chunk_decoder());
        if (!text && text.error().kind == core::ErrorKind::kPermissionDenied) return core::Fail(chunk_error(text.error()));
        if (!text) return core::Fail(ctx.Error(400, "MalformedXML", "The XML you provided was not well-formed"));
        auto doc = protocol::ParseXml(*text);
        if (!doc) {
            return core::Fail(ctx.Error(400, "MalformedXML",
                                        "The XML you provided was not well-formed or did not validate against our "
                                        "published schema"));
        }
        return std::move(doc).value();
    };

    // --- service level -------------------------------------------------------------------------
    if (ctx.bucket.empty()) {
        if (m != "GET") return method_not_allowed();
        XmlWriter w;
        w.Declaration().Open("ListAllMyBucketsResult", kXmlns);
        WriteOwner(w);
        w.Open("Buckets");
        for (const auto& b : engine_.ListBuckets()) {
            w.Open("Bucket")
                .Element("Name", b.name)
                .Element("CreationDate", XmlTime(b.created))
                .Element("BucketRegion", b.region)
                .Close();
        }
        w.Close();
        return ctx.Xml(200, w.Finish());
    }

    // --- bucket level --------------------------------------------------------------------------
    if (!ctx.has_key) {
        if (m == "PUT") {
            if (ctx.Has("versioning")) {
                auto doc = xml_body();
                if (!doc) return doc.error();
                auto status = doc->ChildText("Status");
                engine::Versioning state;
                if (status == "Enabled") {
                    state = engine::Versioning::kEnabled;
                } else if (status == "Suspended") {
                    state = engine::Versioning::kSuspended;
                } else {
                    return ctx.Error(400, "MalformedXML", "The XML you provided was not well-formed or did not validate "
                                                          "against our published schema");
                }
                auto r = engine_.SetVersioning(ctx.bucket, state);
                if (!r) return fail(r.error());
                return core::Response{};
            }
            if (!ctx.query.empty()) return not_implemented();
            std::string region;
            auto text = BodyText(req, chunk_decoder());
            if (!text && text.error().kind == core::ErrorKind::kPermissionDenied) return chunk_error(text.error());
            if (text && !text->empty()) {
                auto doc = protocol::ParseXml(*text);
                if (!doc) return ctx.Error(400, "MalformedXML", "The XML you provided was not well-formed");
                region = doc->ChildText("LocationConstraint").value_or("");
            }
            if (region.empty()) region = protocol::RegionOf(req, "us-east-1");
            auto b = engine_.CreateBucket(ctx.bucket, region);
            if (!b) return fail(b.error());
            core::Response r;
            r.headers.Set("Location", "/" + ctx.bucket);
            return r;
        }
        if (m == "HEAD") {
            auto b = engine_.GetBucket(ctx.bucket);
            if (!b) return fail(b.error());
            core::Response r;
            r.headers.Set("x-amz-bucket-region", b->region);
            return r;
        }
        if (m == "DELETE") {
            if (!ctx.query.empty()) return not_implemented();
            auto r = engine_.DeleteBucket(ctx.bucket);
            if (!r) return fail(r.error());
            core::Response resp;
            resp.status = 204;
            return resp;
        }
        if (m == "POST") {
            if (!ctx.Has("delete")) return not_implemented();
            auto doc = xml_body();
            if (!doc) return doc.error();
            auto objects = doc->Children("Object");
            if (objects.size() > 1000 || objects.empty()) {
                return ctx.Error(400, "MalformedXML", "The XML you provided was not well-formed or did not validate "
                                                      "against our published schema");
            }
            if (auto b = engine_.GetBucket(ctx.bucket); !b) return fail(b.error());
            bool quiet = doc->ChildText("Quiet") == "true";
            XmlWriter w;
            w.Declaration().Open("DeleteResult", kXmlns);
            for (const auto* o : objects) {
                std::string key = o->ChildText("Key").value_or("");
                auto version = o->ChildText("VersionId");
                auto r = engine_.DeleteObject(ctx.bucket, key, version);
                if (!r) {
                    auto wire = ToWire(r.error().kind);
                    w.Open("Error").Element("Key", key);
                    if (version) w.Element("VersionId", *version);
                    w.Element("Code", wire.code).Element("Message", r.error().message).Close();
                    continue;
                }
                if (quiet) continue;
                w.Open("Deleted").Element("Key", key);
                if (version) w.Element("VersionId", *version);
                if (r->delete_marker) {
                    w.Element("DeleteMarker", "true");
                    if (!version) w.Element("DeleteMarkerVersionId", r->version_id);
                }
                w.Close();
            }
            return ctx.Xml(200, w.Finish());
        }
        if (m != "GET") return method_not_allowed();
        if (ctx.Has("location")) {
            auto b = engine_.GetBucket(ctx.bucket);
            if (!b) return fail(b.error());
            std::string region = b->region == "us-east-1" ? "" : b->region;
            return ctx.Xml(200, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint xmlns=\"" +
                                    std::string(kXmlns) + "\">" + protocol::XmlEscape(region) + "</LocationConstraint>");
        }
        if (ctx.Has("versioning")) {
            auto b = engine_.GetBucket(ctx.bucket);
            if (!b) return fail(b.error());
            XmlWriter w;
            w.Declaration().Open("VersioningConfiguration", kXmlns);
            if (b->versioning == engine::Versioning::kEnabled) w.Element("Status", "Enabled");
            if (b->versioning == engine::Versioning::kSuspended) w.Element("Status", "Suspended");
            return ctx.Xml(200, w.Finish());
        }
        auto encoding = ctx.Param("encoding-type");
        if (encoding && *encoding != "url") {
            return ctx.Error(400, "InvalidArgument", "Invalid Encoding Method specified in Request");
        }
        bool url = encoding.has_value();
        auto enc = [&](const std::string& s) { return url ? core::PercentEncode(s, true) : s; };
        int max_keys = 1000;
        if (auto mk = ctx.Param(ctx.Has("uploads") ? "max-uploads" : "max-keys")) {
            try {
                std::size_t used = 0;
                max_keys = std::stoi(*mk, &used);
                if (used != mk->size() || max_keys < 0) throw std::invalid_argument("negative");
            } catch (const std::exception&) {
                return ctx.Error(400, "InvalidArgument", "Provided max-keys not an integer or within integer range");
            }
            max_keys = std::min(max_keys, 1000);
        }
        std::string prefix = ctx.Param("prefix").value_or("");
        std::string delimiter = ctx.Param("delimiter").value_or("");
        if (ctx.Has("uploads")) {
            std::string key_marker = ctx.Param("key-marker").value_or("");
            std::string upload_marker = ctx.Param("upload-id-marker").value_or("");
            auto page = engine_.ListMultipartUploads(ctx.bucket, prefix, delimiter, key_marker, upload_marker, max_keys);
            if (!page) return fail(page.error());
            XmlWriter w;
            w.Declaration().Open("ListMultipartUploadsResult", kXmlns).Element("Bucket", ctx.bucket);
            w.Element("KeyMarker", enc(key_marker)).Element("UploadIdMarker", upload_marker);
            if (page->truncated) {
                w.Element("NextKeyMarker", enc(page->next_key_marker))
                    .Element("NextUploadIdMarker", page->next_upload_id_marker);
            }
            w.Element("Prefix", enc(prefix));
            if (!delimiter.empty()) w.Element("Delimiter", enc(delimiter));
            w.Element("MaxUploads", std::to_string(max_keys)).Element("IsTruncated", BoolText(page->truncated));
            if (url) w.Element("EncodingType", "url");
            for (const auto& u : page->uploads) {
                w.Open("Upload").Element("Key", enc(u.key)).Element("UploadId", u.upload_id);
                WriteOwner(w, "Initiator");
                WriteOwner(w);
                w.Element("StorageClass", "STANDARD").Element("Initiated", XmlTime(u.initiated));
                if (u.checksum_algorithm) w.Element("ChecksumAlgorithm", engine::ToString(*u.checksum_algorithm));
                w.Close();
            }
            for (const auto& cp : page->common_prefixes) w.Open("CommonPrefixes").Element("Prefix", enc(cp)).Close();
            return ctx.Xml(200, w.Finish());
        }
        if (ctx.Has("versions")) {
            engine::VersionListQuery q{prefix, delimiter, ctx.Param("key-marker").value_or(""),
                                       ctx.Param("version-id-marker").value_or(""), max_keys};
            auto page = engine_.ListObjectVersions(ctx.bucket, q);
            if (!page) return fail(page.error());
            XmlWriter w;
            w.Declaration().Open("ListVersionsResult", kXmlns).Element("Name", ctx.bucket);
            w.Element("Prefix", enc(prefix)).Element("KeyMarker", enc(q.key_marker));
            w.Element("VersionIdMarker", q.version_id_marker);
            if (page->truncated) {
                w.Element("NextKeyMarker", enc(page->next_key_marker));
                if (!page->next_version_id_marker.empty()) w.Element("NextVersionIdMarker", page->next_version_id_marker);
            }
            w.Element("MaxKeys", std::to_string(max_keys));
            if (!delimiter.empty()) w.Element("Delimiter", enc(delimiter));
            if (url) w.Element("EncodingType", "url");
            w.Element("IsTruncated", BoolText(page->truncated));
            for (const auto& v : page->versions) {
                if (v.is_delete_marker) {
                    w.Open("DeleteMarker").Element("Key", enc(v.key)).Element("VersionId", v.version_id);
                    w.Element("IsLatest", BoolText(v.is_latest)).Element("LastModified", XmlTime(v.last_modified));
                    WriteOwner(w);
                    w.Close();
                    continue;
                }
                w.Open("Version").Element("Key", enc(v.key)).Element("VersionId", v.version_id);
                w.Element("IsLatest", BoolText(v.is_latest)).Element("LastModified", XmlTime(v.last_modified));
                w.Element("ETag", Quoted(v.etag)).Element("Size", std::to_string(v.size));
                w.Element("StorageClass", "STANDARD");
                WriteOwner(w);
                w.Close();
            }
            for (const auto& cp : page->common_prefixes) w.Open("CommonPrefixes").Element("Prefix", enc(cp)).Close();
            return ctx.Xml(200, w.Finish());
        }
        bool v2 = ctx.Param("list-type") == "2";
        if (!v2 && !ctx.query.empty()) {
            for (const auto& [k, v] : ctx.query) {
                static const std::vector<std::string> kV1 = {"prefix",         "delimiter", "marker",  "max-keys",
                                                             "encoding-type",  "x-id",      "Expires", "Signature",
                                                             "AWSAccessKeyId"};
                if (std::find(kV1.begin(), kV1.end(), k) == kV1.end() && !k.starts_with("X-Amz-")) {
                    return not_implemented();
                }
            }
        }
        engine::ListQuery q{prefix, delimiter, "", max_keys};
        std::optional<std::string> token;
        if (v2) {
            token = ctx.Param("continuation-token");
            if (token) {
                auto decoded = engine::Base64Decode(*token);
                if (!decoded || decoded->empty() || (*decoded)[0] != 'c') {
                    return ctx.Error(400, "InvalidArgument", "The continuation token provided is incorrect");
                }
                q.start_after = decoded->substr(1);
            } else {
                q.start_after = ctx.Param("start-after").value_or("");
            }
        } else {
            q.start_after = ctx.Param("marker").value_or("");
        }
        auto page = engine_.ListObjects(ctx.bucket, q);
        if (!page) return fail(page.error());
        bool fetch_owner = !v2 || ctx.Param("fetch-owner") == "true";
        XmlWriter w;
        w.Declaration().Open("ListBucketResult", kXmlns).Element("Name", ctx.bucket).Element("Prefix", enc(prefix));
        if (v2) {
            if (token) w.Element("ContinuationToken", *token);
            if (ctx.Has("start-after")) w.Element("StartAfter", enc(ctx.Param("start-after").value_or("")));
            w.Element("KeyCount", std::to_string(page->objects.size()));
            if (page->truncated) w.Element("NextContinuationToken", engine::Base64Encode("c" + page->next_marker));
        } else {
            w.Element("Marker", enc(q.start_after));
            if (page->truncated && !delimiter.empty()) w.Element("NextMarker", enc(page->next_marker));
        }
        w.Element("MaxKeys", std::to_string(max_keys));
        if (!delimiter.empty()) w.Element("Delimiter", enc(delimiter));
        if (url) w.Element("EncodingType", "url");
        w.Element("IsTruncated", BoolText(page->truncated));
        for (const auto& v : page->objects) {
            if (v.bucket.empty()) continue;  // a common prefix's place holder
            w.Open("Contents").Element("Key", enc(v.key)).Element("LastModified", XmlTime(v.last_modified));
            w.Element("ETag", Quoted(v.etag));
            if (v.checksum) {
                w.Element("ChecksumAlgorithm", engine::ToString(v.checksum->algorithm));
                w.Element("ChecksumType", v.checksum->composite ? "COMPOSITE" : "FULL_OBJECT");
            }
            w.Element("Size", std::to_string(v.size)).Element("StorageClass", "STANDARD");
            if (fetch_owner) WriteOwner(w);
            w.Close();
        }
        for (const auto& cp : page->common_prefixes) w.Open("CommonPrefixes").Element("Prefix", enc(cp)).Close();
        return ctx.Xml(200, w.Finish());
    }

    // --- object level --------------------------------------------------------------------------
    auto version_param = ctx.Param("versionId");
    if (version_param && version_param->empty()) {
        return ctx.Error(400, "InvalidArgument", "Version id cannot be the empty string");
    }

    if (ctx.Has("tagging")) {
        if (m == "GET") {
            auto v = engine_.GetObject(ctx.bucket, ctx.key, version_param);
            if (!v) return fail(v.error());
            XmlWriter w;
            w.Declaration().Open("Tagging", kXmlns).Open("TagSet");
            for (const auto& [k, val] : v->tags) w.Open("Tag").Element("Key", k).Element("Value", val).Close();
            core::Response r = ctx.Xml(200, w.Finish());
            if (v->version_id != engine::kNullVersionId) r.headers.Set("x-amz-version-id", v->version_id);
            return r;
        }
        if (m == "PUT" || m == "DELETE") {
            engine::TagSet tags;
            if (m == "PUT") {
                auto doc = xml_body();
                if (!doc) return doc.error();
                const auto* set = doc->Child("TagSet");
                if (!set) return ctx.Error(400, "MalformedXML", "The XML you provided was not well-formed");
                for (const auto* t : set->Children("Tag")) {
                    tags.emplace_back(t->ChildText("Key").value_or(""), t->ChildText("Value").value_or(""));
                }
                if (auto bad = ValidateTags(tags)) return ctx.Error(400, "InvalidTag", *bad);
            }
            auto r = engine_.PutObjectTagging(ctx.bucket, ctx.key, version_param, std::move(tags));
            if (!r) return fail(r.error());
            core::Response resp;
            resp.status = m == "PUT" ? 200 : 204;
            if (*r != engine::kNullVersionId) resp.headers.Set("x-amz-version-id", *r);
            return resp;
        }
        return method_not_allowed();
    }

    auto upload_id = ctx.Param("uploadId");
    if (m == "POST") {
        if (ctx.Has("uploads")) {
            engine::CreateUploadInput in{ctx.bucket, ctx.key, ContentFrom(req.headers), MetadataFrom(req.headers), {},
                                         std::nullopt, false};
            if (auto t = ctx.Header("x-amz-tagging")) {
                in.tags = TagsFromHeader(*t);
                if (auto bad = ValidateTags(in.tags)) return ctx.Error(400, "InvalidTag", *bad);
            }
            if (auto a = ctx.Header("x-amz-checksum-algorithm")) {
                in.checksum_algorithm = engine::ParseChecksumAlgorithm(*a);
                if (!in.checksum_algorithm) {
                    return ctx.Error(400, "InvalidRequest", "Checksum algorithm provided is unsupported.");
                }
            }
            in.full_object_checksum = ctx.Header("x-amz-checksum-type") == "FULL_OBJECT";
            auto u = engine_.CreateMultipartUpload(in);
            if (!u) return fail(u.error());
            XmlWriter w;
            w.Declaration().Open("InitiateMultipartUploadResult", kXmlns).Element("Bucket", ctx.bucket);
            w.Element("Key", ctx.key).Element("UploadId", u->upload_id);
            core::Response r = ctx.Xml(200, w.Finish());
            if (u->checksum_algorithm) {
                r.headers.Set("x-amz-checksum-algorithm", engine::ToString(*u->checksum_algorithm));
                r.headers.Set("x-amz-checksum-type", u->full_object_checksum ? "FULL_OBJECT" : "COMPOSITE");
            }
            return r;
        }
        if (upload_id) {
            auto doc = xml_body();
            if (!doc) return doc.error();
            std::vector<engine::CompletePart> parts;
            for (const auto* p : doc->Children("Part")) {
                engine::CompletePart cp;
                try {
                    cp.number = std::stoi(p->ChildText("PartNumber").value_or(""));
                } catch (const std::exception&) {
                    return ctx.Error(400, "MalformedXML", "The XML you provided was not well-formed");
                }
                cp.etag = p->ChildText("ETag").value_or("");
                for (auto a : {ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc32c, ChecksumAlgorithm::kCrc64Nvme,
                               ChecksumAlgorithm::kSha1, ChecksumAlgorithm::kSha256}) {
                    if (auto c = p->ChildText(ChecksumElement(a))) cp.checksum = *c;
                }
                parts.push_back(std::move(cp));
            }
            engine::WriteConditions wc;
            if (auto v = ctx.Header("If-Match")) wc.if_match = *v;
            if (auto v = ctx.Header("If-None-Match")) wc.if_none_match_any = *v == "*";
            auto prepared = engine_.PrepareCompleteMultipartUpload(ctx.bucket, ctx.key, *upload_id, parts, wc);
            if (!prepared) return fail(prepared.error());
            // Concatenating the parts is large blob I/O: on the body pool, then committed here.
            auto pending = std::make_shared<engine::PendingCompletion>(std::move(prepared).value());
            std::uint64_t bytes = pending->size();
            return Offload(shared, bytes, [pending] { pending->Assemble(); }, [this, shared, pending] {
                Context& c = *shared;
                auto v = engine_.FinishCompleteMultipartUpload(std::move(*pending));
                if (!v) return c.Error(v.error());
                XmlWriter w;
                w.Declaration().Open("CompleteMultipartUploadResult", kXmlns);
                w.Element("Location", "/" + c.bucket + "/" + core::PercentEncode(c.key, true));
                w.Element("Bucket", c.bucket).Element("Key", c.key).Element("ETag", Quoted(v->etag));
                if (v->checksum) {
                    w.Element(ChecksumElement(v->checksum->algorithm), v->checksum->value);
                    w.Element("ChecksumType", v->checksum->composite ? "COMPOSITE" : "FULL_OBJECT");
                }
                core::Response r = c.Xml(200, w.Finish());
                if (v->version_id != engine::kNullVersionId) r.headers.Set("x-amz-version-id", v->version_id);
                return r;
            });
        }
        return not_implemented();
    }

    if (m == "PUT") {
        auto copy_source = ctx.Header("x-amz-copy-source");
        std::optional<ObjectVersion> source;
        std::string source_bucket, source_key;
        std::optional<std::string> source_version;
        if (copy_source) {
            std::string cs = *copy_source;
            if (auto q = cs.find('?'); q != std::string::npos) {
                for (auto& [k, v] : protocol::ParseQueryPairs(std::string_view(cs).substr(q + 1))) {
                    if (k == "versionId") source_version = v;
                }
                cs.resize(q);
            }
            cs = core::PercentDecode(cs);
            if (cs.starts_with('/')) cs.erase(0, 1);
            std::size_t slash = cs.find('/');
            if (slash == std::string::npos || slash == 0 || slash + 1 == cs.size()) {
                return ctx.Error(400, "InvalidArgument", "Invalid copy source object key");
            }
            source_bucket = cs.substr(0, slash);
            source_key = cs.substr(slash + 1);
        }
        if (upload_id || ctx.Has("partNumber")) {
            if (!upload_id) return ctx.Error(400, "InvalidRequest", "uploadId is required with partNumber");
            int part_number = 0;
            try {
                part_number = std::stoi(ctx.Param("partNumber").value_or(""));
            } catch (const std::exception&) {
                return ctx.Error(400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive");
            }
            if (copy_source) {
                auto src = engine_.GetObject(source_bucket, source_key, source_version);
                if (!src) return fail(src.error());
                if (engine::Evaluate(ReadConditionsFrom(req.headers, "x-amz-copy-source-"), *src) !=
                    engine::ConditionOutcome::kProceed) {
                    return ctx.Error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
                }
                std::optional<std::pair<std::uint64_t, std::uint64_t>> range;
                if (auto cr = ctx.Header("x-amz-copy-source-range")) {
                    unsigned long long a = 0, b = 0;
                    if (std::sscanf(cr->c_str(), "bytes=%llu-%llu", &a, &b) != 2) {
                        return ctx.Error(400, "InvalidArgument", "The x-amz-copy-source-range value must be of the form "
                                                                 "bytes=first-last where first and last are the "
                                                                 "zero-based offsets of the first and last bytes to copy");
                    }
                    range = std::make_pair(static_cast<std::uint64_t>(a), static_cast<std::uint64_t>(b));
                }
                auto prepared = engine_.PrepareUploadPartCopy(ctx.bucket, ctx.key, *upload_id, part_number, *src, range);
                if (!prepared) return fail(prepared.error());
                // Copying the range is large blob I/O: on the body pool, then stored here.
                auto pending = std::make_shared<engine::PendingPartCopy>(std::move(prepared).value());
                std::uint64_t bytes = pending->size();
                return Offload(shared, bytes, [pending] { pending->Copy(); },
                               [this, shared, pending, upload = *upload_id, part_number,
                                source_version = src->version_id] {
                                   Context& c = *shared;
                                   auto p = engine_.UploadPart(c.bucket, c.key, upload, part_number,
                                                               pending->TakeBody(), {});
                                   if (!p) return c.Error(p.error());
                                   XmlWriter w;
                                   w.Declaration().Open("CopyPartResult", kXmlns);
                                   w.Element("LastModified", XmlTime(p->last_modified)).Element("ETag", Quoted(p->etag));
                                   core::Response r = c.Xml(200, w.Finish());
                                   if (source_version != engine::kNullVersionId) {
                                       r.headers.Set("x-amz-copy-source-version-id", source_version);
                                   }
                                   return r;
                               });
            }
            std::optional<ChecksumAlgorithm> upload_algorithm;
            // The upload's algorithm is needed for composite checksums even when a part names none.
            if (auto pages = engine_.ListParts(ctx.bucket, ctx.key, *upload_id, 0, 0)) {
                upload_algorithm = pages->upload.checksum_algorithm;
            } else {
                return fail(pages.error());
            }
            auto job = begin_body(upload_algorithm);
            if (!job) return job.error();
            return ReadBodyThen(shared, std::move(job).value(),
                                [this, shared, upload_id = *upload_id, part_number, upload_algorithm](BodyJob body) {
                                    Context& c = *shared;
                                    auto p = engine_.UploadPart(c.bucket, c.key, upload_id, part_number,
                                                                std::move(body.writer), body.expect);
                                    if (!p) return c.Error(p.error());
                                    core::Response r;
                                    r.headers.Set("ETag", Quoted(p->etag));
                                    if (p->checksum && upload_algorithm) {
                                        r.headers.Set("x-amz-checksum-" + Lower(engine::ToString(*upload_algorithm)),
                                                      *p->checksum);
                                    }
                                    return r;
                                });
        }
        if (copy_source) {
            engine::CopyObjectInput in;
            in.source_bucket = source_bucket;
            in.source_key = source_key;
            in.source_version_id = source_version;
            in.source_conditions = ReadConditionsFrom(req.headers, "x-amz-copy-source-");
            in.bucket = ctx.bucket;
            in.key = ctx.key;
            auto directive = ctx.Header("x-amz-metadata-directive").value_or("COPY");
            if (directive != "COPY" && directive != "REPLACE") {
                return ctx.Error(400, "InvalidArgument", "Unknown metadata directive.");
            }
            in.replace_metadata = directive == "REPLACE";
            if (in.replace_metadata) {
                in.content = ContentFrom(req.headers);
                in.metadata = MetadataFrom(req.headers);
            }
            if (ctx.Header("x-amz-tagging-directive") == "REPLACE") {
                in.replace_tags = true;
                in.tags = TagsFromHeader(ctx.Header("x-amz-tagging").value_or(""));
                if (auto bad = ValidateTags(in.tags)) return ctx.Error(400, "InvalidTag", *bad);
            }
            if (auto a = ctx.Header("x-amz-checksum-algorithm")) in.checksum_algorithm = engine::ParseChecksumAlgorithm(*a);
            auto r = engine_.CopyObject(in);
            if (!r) return fail(r.error());
            XmlWriter w;
            w.Declaration().Open("CopyObjectResult", kXmlns).Element("LastModified", XmlTime(r->object.last_modified));
            w.Element("ETag", Quoted(r->object.etag));
            if (r->object.checksum) {
                w.Element(ChecksumElement(r->object.checksum->algorithm), r->object.checksum->value);
            }
            core::Response resp = ctx.Xml(200, w.Finish());
            if (r->object.version_id != engine::kNullVersionId) resp.headers.Set("x-amz-version-id", r->object.version_id);
            if (r->source_version_id != engine::kNullVersionId) {
                resp.headers.Set("x-amz-copy-source-version-id", r->source_version_id);
            }
            return resp;
        }
        for (const auto& [k, v] : ctx.query) {
            static const std::vector<std::string> kAuth = {"AWSAccessKeyId", "Signature", "Expires", "x-id"};
            if (!k.starts_with("X-Amz-") && std::find(kAuth.begin(), kAuth.end(), k) == kAuth.end()) {
                return not_implemented();
            }
        }
        engine::PutObjectInput in;
        in.bucket = ctx.bucket;
        in.key = ctx.key;
        in.content = ContentFrom(req.headers);
        in.metadata = MetadataFrom(req.headers);
        if (auto t = ctx.Header("x-amz-tagging")) {
            in.tags = TagsFromHeader(*t);
            if (auto bad = ValidateTags(in.tags)) return ctx.Error(400, "InvalidTag", *bad);
        }
        if (auto v = ctx.Header("If-Match")) in.conditions.if_match = *v;
        if (auto v = ctx.Header("If-None-Match")) {
            if (*v != "*") return ctx.Error(501, "NotImplemented", "If-None-Match only supports *");
            in.conditions.if_none_match_any = true;
        }
        // The bucket is checked before any body work (nothing is hashed or written for a missing one).
        if (auto b = engine_.GetBucket(ctx.bucket); !b) return fail(b.error());
        auto job = begin_body(std::nullopt);
        if (!job) return job.error();
        return ReadBodyThen(shared, std::move(job).value(), [this, shared, in = std::move(in)](BodyJob body) mutable {
            in.expect = body.expect;
            auto v = engine_.PutObject(in, std::move(body.writer));
            if (!v) return shared->Error(v.error());
            core::Response r;
            r.headers.Set("ETag", Quoted(v->etag));
            if (v->version_id != engine::kNullVersionId) r.headers.Set("x-amz-version-id", v->version_id);
            SetChecksumHeader(r, v->checksum);
            return r;
        });
    }

    if (m == "DELETE") {
        if (upload_id) {
            auto r = engine_.AbortMultipartUpload(ctx.bucket, ctx.key, *upload_id);
            if (!r) return fail(r.error());
            core::Response resp;
            resp.status = 204;
            return resp;
        }
        auto r = engine_.DeleteObject(ctx.bucket, ctx.key, version_param);
        if (!r) return fail(r.error());
        core::Response resp;
        resp.status = 204;
        if (r->delete_marker) resp.headers.Set("x-amz-delete-marker", "true");
        if (!r->version_id.empty() && r->version_id != engine::kNullVersionId) {
            resp.headers.Set("x-amz-version-id", r->version_id);
        }
        return resp;
    }

    if (m == "GET" && upload_id) {
        int marker = 0, max_parts = 1000;
        try {
            if (auto v = ctx.Param("part-number-marker")) marker = std::stoi(*v);
            if (auto v = ctx.Param("max-parts")) max_parts = std::clamp(std::stoi(*v), 0, 1000);
        } catch (const std::exception&) {
            return ctx.Error(400, "InvalidArgument", "Provided part-number-marker or max-parts is not an integer");
        }
        auto page = engine_.ListParts(ctx.bucket, ctx.key, *upload_id, marker, max_parts);
        if (!page) return fail(page.error());
        XmlWriter w;
        w.Declaration().Open("ListPartsResult", kXmlns).Element("Bucket", ctx.bucket).Element("Key", ctx.key);
        w.Element("UploadId", *upload_id);
        WriteOwner(w, "Initiator");
        WriteOwner(w);
        w.Element("StorageClass", "STANDARD");
        w.Element("PartNumberMarker", std::to_string(marker));
        w.Element("NextPartNumberMarker", std::to_string(page->next_marker));
        w.Element("MaxParts", std::to_string(max_parts)).Element("IsTruncated", BoolText(page->truncated));
        const auto& alg = page->upload.checksum_algorithm;
        if (alg) w.Element("ChecksumAlgorithm", engine::ToString(*alg));
        for (const auto& p : page->parts) {
            w.Open("Part").Element("PartNumber", std::to_string(p.number));
            w.Element("LastModified", XmlTime(p.last_modified)).Element("ETag", Quoted(p.etag));
            w.Element("Size", std::to_string(p.size));
            if (alg && p.checksum) w.Element(ChecksumElement(*alg), *p.checksum);
            w.Close();
        }
        return ctx.Xml(200, w.Finish());
    }

    if (m != "GET" && m != "HEAD") return method_not_allowed();

    // --- GetObject / HeadObject ----------------------------------------------------------------
    auto v = engine_.GetObject(ctx.bucket, ctx.key, version_param);
    if (!v) return fail(v.error());
    switch (engine::Evaluate(ReadConditionsFrom(req.headers, ""), *v)) {
        case engine::ConditionOutcome::kProceed: break;
        case engine::ConditionOutcome::kNotModified: {
            core::Response r;
            r.status = 304;
            r.headers.Set("ETag", Quoted(v->etag));
            r.headers.Set("Last-Modified", FormatHttpDate(v->last_modified));
            if (v->version_id != engine::kNullVersionId) r.headers.Set("x-amz-version-id", v->version_id);
            return r;
        }
        case engine::ConditionOutcome::kPreconditionFailed:
            return ctx.Error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
    }
    core::Response r;
    std::uint64_t first = 0, length = v->size;
    bool partial = false;
    if (auto range = ctx.Header("Range"); range && range->starts_with("bytes=") && range->find(',') == std::string::npos) {
        // Syntactically invalid ranges are ignored (the whole object is returned), as S3 does.
        std::string spec = range->substr(6);
        std::size_t dash = spec.find('-');
        auto number = [](const std::string& s) -> std::optional<std::uint64_t> {
            if (s.empty() || s.size() > 19 || !std::all_of(s.begin(), s.end(), ::isdigit)) return std::nullopt;
            return std::stoull(s);
        };
        if (dash != std::string::npos) {
            auto a = number(spec.substr(0, dash));
            auto b = number(spec.substr(dash + 1));
            bool valid = true, satisfiable = true;
            std::uint64_t last = 0;
            if (a && (!b || *b >= *a)) {
                first = *a;
                last = b ? std::min(*b, v->size - 1) : v->size - 1;
                satisfiable = *a < v->size;
            } else if (!a && b) {
                satisfiable = *b > 0 && v->size > 0;
                first = *b >= v->size ? 0 : v->size - *b;
                last = v->size - 1;
            } else {
                valid = false;
            }
            if (valid && !satisfiable) {
                core::Response e = ctx.Error(416, "InvalidRange", "The requested range is not satisfiable");
                e.headers.Set("Content-Range", "bytes */" + std::to_string(v->size));
                return e;
            }
            if (valid) {
                partial = true;
                length = last - first + 1;
                r.status = 206;
                r.headers.Set("Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" +
                                                   std::to_string(v->size));
            }
        }
    }
    bool checksum_mode = !partial && core::EqualsIgnoreCase(ctx.Header("x-amz-checksum-mode").value_or(""), "ENABLED");
    SetObjectHeaders(r, *v, checksum_mode);
    // response-* overrides (presigned downloads use them to name the file).
    for (const auto& [param, header] : std::vector<std::pair<std::string, std::string>>{
             {"response-content-type", "Content-Type"},
             {"response-content-disposition", "Content-Disposition"},
             {"response-content-encoding", "Content-Encoding"},
             {"response-content-language", "Content-Language"},
             {"response-cache-control", "Cache-Control"},
             {"response-expires", "Expires"}}) {
        if (auto value = ctx.Param(param)) r.headers.Set(header, *value);
    }
    if (v->inline_body) {
        // A small body stored in its row (HEAD keeps it too: the server sends its length, no bytes).
        r.body = v->inline_body->substr(static_cast<std::size_t>(first), static_cast<std::size_t>(length));
    } else {
        r.body_file = core::FileSlice{v->body_path, first, length, false};
    }
    return r;
}

}  // namespace sim::aws::s3::api
