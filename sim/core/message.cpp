#include "sim/core/message.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace sim::core {

std::string BodyText(const Response& response) {
    if (!response.body_file) return response.body;
    std::ifstream in(response.body_file->path, std::ios::binary);
    std::string out(response.body_file->length, '\0');
    in.seekg(static_cast<std::streamoff>(response.body_file->offset));
    in.read(out.data(), static_cast<std::streamsize>(out.size()));
    out.resize(static_cast<std::size_t>(in.gcount()));
    return out;
}

bool ReadSlice(const FileSlice& slice, const std::function<bool(std::string_view piece)>& sink,
               std::size_t piece_bytes) {
    int fd = ::open(slice.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("cannot open " + slice.path.string() + ": " + std::strerror(errno));
    // Closed however the loop ends: a short read and a sink that throws (a BodyWriter out of disk) too.
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    std::string buf(static_cast<std::size_t>(std::min<std::uint64_t>(slice.length, piece_bytes)), '\0');
    std::uint64_t offset = slice.offset, left = slice.length;
    while (left > 0) {
        auto want = static_cast<std::size_t>(std::min<std::uint64_t>(left, buf.size()));
        ssize_t got = ::pread(fd, buf.data(), want, static_cast<off_t>(offset));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) throw std::runtime_error("short read from " + slice.path.string());
        offset += static_cast<std::uint64_t>(got);
        left -= static_cast<std::uint64_t>(got);
        if (!sink(std::string_view(buf.data(), static_cast<std::size_t>(got)))) return false;
    }
    return true;
}

std::string_view Request::Path() const {
    std::string_view t = target;
    return t.substr(0, t.find('?'));
}

std::string_view Request::Query() const {
    std::string_view t = target;
    auto q = t.find('?');
    return q == std::string_view::npos ? std::string_view{} : t.substr(q + 1);
}

std::optional<std::string> Request::QueryParam(std::string_view name) const {
    std::string_view q = Query();
    while (!q.empty()) {
        auto amp = q.find('&');
        std::string_view pair = q.substr(0, amp);
        auto eq = pair.find('=');
        std::string key = PercentDecode(pair.substr(0, eq), true);
        if (key == name) return eq == std::string_view::npos ? std::string{} : PercentDecode(pair.substr(eq + 1), true);
        if (amp == std::string_view::npos) break;
        q.remove_prefix(amp + 1);
    }
    return std::nullopt;
}

Response Response::Json(int status, const nlohmann::json& body) {
    Response r;
    r.status = status;
    r.headers.Set("Content-Type", "application/json");
    // Invalid UTF-8 (a client's bytes echoed in a message) becomes U+FFFD instead of throwing:
    // an error answer must never fail to render (found by fuzzing the HTTP layer).
    r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return r;
}

Response Response::Problem(int status, std::string_view title, std::string_view detail) {
    Response r = Json(status, {{"type", "about:blank"}, {"title", title}, {"status", status}, {"detail", detail}});
    r.headers.Set("Content-Type", "application/problem+json");
    return r;
}

Response Response::Text(int status, std::string body, std::string_view content_type) {
    Response r;
    r.status = status;
    r.headers.Set("Content-Type", content_type);
    r.body = std::move(body);
    return r;
}

Handler FromSync(SyncHandler fn) {
    return [fn = std::move(fn)](Request req, Respond respond) { respond(fn(req)); };
}

namespace {
int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace

std::string PercentDecode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '%' && i + 2 < text.size()) {
            int hi = HexValue(text[i + 1]);
            int lo = HexValue(text[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        out.push_back(plus_is_space && c == '+' ? ' ' : c);
    }
    return out;
}

std::string PercentEncode(std::string_view text, bool keep_slash) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                          c == '_' || c == '.' || c == '~' || (keep_slash && c == '/');
        if (unreserved) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
        }
    }
    return out;
}

std::string_view ReasonPhrase(int status) {
    switch (status) {
        case 100: return "Continue";
        case 200: return "OK";
        case 201: return "Created";
        case 202: return "Accepted";
        case 204: return "No Content";
        case 206: return "Partial Content";
        case 301: return "Moved Permanently";
        case 304: return "Not Modified";
        case 307: return "Temporary Redirect";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 409: return "Conflict";
        case 411: return "Length Required";
        case 412: return "Precondition Failed";
        case 413: return "Content Too Large";
        case 416: return "Range Not Satisfiable";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        default: return "Unknown";
    }
}

}  // namespace sim::core
