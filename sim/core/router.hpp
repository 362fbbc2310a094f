#pragma once
// Routes requests by method, path pattern and header predicates (DESIGN: port 4566 routes by
// X-Amz-Target, credential scope, else S3; ports 8080/8090 by path).

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/message.hpp"

namespace sim::core {

/// Limits a route asks of the HTTP layer, known before the body is read.
struct RouteOptions {
    /// Largest accepted body; larger gets 413. Unset: the router's default.
    std::optional<std::uint64_t> max_body_bytes;
    /// Stream the body into a temporary file (Request::body_file) instead of memory.
    bool spool_body_to_file = false;
    /// Answers from the request head alone, before any of the body is read (and before any
    /// 100 Continue or the 413 of max_body_bytes): the HTTP layer sends what it returns and closes
    /// the connection. nullopt: read the body and dispatch as usual. For refusals a handler words
    /// itself (S3's EntityTooLarge from Content-Length); middlewares and guards do not run.
    std::function<std::optional<Response>(const Request& head)> answer_from_head = nullptr;
};

/// Decides on a request's method, target and headers only (the body may not be read yet).
using RoutePredicate = std::function<bool(const Request&)>;

/// Matches `X-Amz-Target`-style headers: present and starting with `prefix` (case-insensitive).
RoutePredicate HeaderPrefix(std::string header, std::string prefix);

/// Runs before dispatch on every request a Router handles (matched or not): it may change the
/// request (assign a trace id) and wrap `respond` (hold replies until a commit, record metrics).
using Middleware = std::function<void(Request& request, Respond& respond)>;

/// Runs after the middlewares, before dispatch: a response it returns answers the request (through
/// the middlewares' wrapped `respond`) and no route is called; nullopt lets the request through.
/// For checks that reject before any handler runs (authentication, authorization).
using Guard = std::function<std::optional<Response>(Request& request)>;

/// Routes are tried in the order they were added; the first match wins.
///
/// Pattern syntax: literal segments, `{name}` for one segment (stored percent-decoded in
/// Request::path_params), and a final `{name...}` for the rest of the path (possibly empty).
/// Method "*" matches any method.
class Router {
public:
    static constexpr std::uint64_t kDefaultMaxBodyBytes = 8ull * 1024 * 1024;

    explicit Router(std::uint64_t default_max_body_bytes = kDefaultMaxBodyBytes)
        : default_max_body_bytes_(default_max_body_bytes) {}

    Router& Add(std::string method, std::string pattern, Handler handler, RouteOptions options = {});
    Router& AddWhen(std::string method, std::string pattern, RoutePredicate when, Handler handler,
                    RouteOptions options = {});

    /// Adds a middleware; middlewares run in the order added.
    Router& Use(Middleware middleware);
    /// Adds a guard; guards run in the order added, the first response wins.
    Router& UseGuard(Guard guard);

    /// The options of the route that would handle `head` (router defaults when none would).
    RouteOptions OptionsFor(const Request& head) const;
    /// The pattern of the route that would handle `head` ("" when none would): the metrics label
    /// the HTTP layer reports, since Handle() hands the request (and its `route`) to the handler.
    std::string RouteFor(const Request& head) const;

    /// Dispatches to the first matching route. No route: 404 problem naming the path; the path
    /// matches but not the method: 405 with an Allow header.
    void Handle(Request request, Respond respond) const;

    std::uint64_t default_max_body_bytes() const { return default_max_body_bytes_; }

private:
    struct Segment {
        std::string text;
        bool is_param = false;
        bool is_rest = false;
    };
    struct Route {
        std::string method;
        std::string pattern;
        std::vector<Segment> segments;
        RoutePredicate when;
        Handler handler;
        RouteOptions options;
    };
    enum class MatchKind { kNone, kPathOnly, kFull };

    static std::vector<Segment> ParsePattern(const std::string& pattern);
    static MatchKind Match(const Route& route, const Request& req, std::map<std::string, std::string>* params);

    std::uint64_t default_max_body_bytes_;
    std::vector<Route> routes_;
    std::vector<Middleware> middlewares_;
    std::vector<Guard> guards_;
};

}  // namespace sim::core
