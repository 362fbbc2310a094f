#pragma once
// The one HTTP-shaped message type every handler, transport and server speaks (DESIGN, "Architecture").

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "sim/core/headers.hpp"

namespace sim::core {

/// A byte range of a file on disk, streamed by the HTTP layer instead of being held in memory.
struct FileSlice {
    std::filesystem::path path;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    /// Delete the file once the message is done with (request bodies spooled to a temporary file).
    bool remove_when_done = false;
};

struct Request {
    std::string method = "GET";  ///< upper-case HTTP method
    std::string target = "/";    ///< raw request target: path plus "?query"
    Headers headers;
    std::string body;                     ///< the body, unless it was spooled to `body_file`
    std::optional<FileSlice> body_file;   ///< set when a route asked for large bodies on disk
    std::map<std::string, std::string> path_params;  ///< filled by the Router from `{name}` segments
    std::string route;       ///< the matched route's pattern (metrics label), filled by the Router
    std::string remote;      ///< peer "ip:port", empty for in-process calls
    std::uint16_t local_port = 0;  ///< listener port the request arrived on, 0 in-process

    /// Path part of the target (before '?'), still percent-encoded.
    std::string_view Path() const;
    /// Query part of the target (after '?'), still percent-encoded; empty if none.
    std::string_view Query() const;
    /// Decoded value of query parameter `name`, if present.
    std::optional<std::string> QueryParam(std::string_view name) const;
};

struct Response {
    int status = 200;
    Headers headers;
    std::string body;
    std::optional<FileSlice> body_file;  ///< streamed from disk when set (body is then ignored)

    /// A JSON body with Content-Type application/json.
    static Response Json(int status, const nlohmann::json& body);
    /// A problem body (RFC 9457 shape: {"type","title","status","detail"}) for platform/fake/control errors.
    static Response Problem(int status, std::string_view title, std::string_view detail);
    static Response Text(int status, std::string body, std::string_view content_type = "text/plain; charset=utf-8");
};

/// Called exactly once with the response. May be called later (long polls) from the event loop.
using Respond = std::function<void(Response)>;
/// Every service, emulator and control endpoint is one of these.
using Handler = std::function<void(Request, Respond)>;
/// Convenience for handlers that answer immediately.
using SyncHandler = std::function<Response(const Request&)>;
Handler FromSync(SyncHandler fn);

/// The body of `response` as bytes in memory: `body`, or the slice of `body_file` when the server
/// streams it from disk (S3 GetObject answers in-process with the object's file). For callers that
/// need the whole body, such as in-process clients of S3; large objects should be streamed instead.
std::string BodyText(const Response& response);

/// Reads `slice` from disk in pieces of at most `piece_bytes`, handing each to `sink`, which
/// returns false to stop early. Returns false when the sink stopped, true when the whole slice was
/// read. Throws std::runtime_error when the file cannot be opened or ends before the slice does.
/// Safe on any thread (large bodies are read on S3's body I/O pool).
bool ReadSlice(const FileSlice& slice, const std::function<bool(std::string_view piece)>& sink,
               std::size_t piece_bytes = 1 << 20);

/// Percent-decodes `text`; '+' becomes a space when `plus_is_space` (form encoding).
std::string PercentDecode(std::string_view text, bool plus_is_space = false);
/// Percent-encodes everything outside RFC 3986 unreserved characters (and '/' when `keep_slash`).
std::string PercentEncode(std::string_view text, bool keep_slash = false);

/// Standard reason phrase for an HTTP status ("Not Found").
std::string_view ReasonPhrase(int status);

}  // namespace sim::core
