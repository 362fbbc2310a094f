#include "sim/core/router.hpp"

#include <stdexcept>

namespace sim::core {

RoutePredicate HeaderPrefix(std::string header, std::string prefix) {
    return [header = std::move(header), prefix = std::move(prefix)](const Request& r) {
        auto v = r.headers.Get(header);
        return v && StartsWithIgnoreCase(*v, prefix);
    };
}

Router& Router::Add(std::string method, std::string pattern, Handler handler, RouteOptions options) {
    return AddWhen(std::move(method), std::move(pattern), nullptr, std::move(handler), options);
}

Router& Router::AddWhen(std::string method, std::string pattern, RoutePredicate when, Handler handler,
                        RouteOptions options) {
    auto segments = ParsePattern(pattern);
    routes_.push_back(
        Route{std::move(method), std::move(pattern), std::move(segments), std::move(when), std::move(handler), options});
    return *this;
}

std::vector<Router::Segment> Router::ParsePattern(const std::string& pattern) {
    if (pattern.empty() || pattern[0] != '/') throw std::invalid_argument("route pattern must start with '/': " + pattern);
    std::vector<Segment> out;
    std::string_view rest = std::string_view(pattern).substr(1);
    while (true) {
        auto slash = rest.find('/');
        std::string_view seg = rest.substr(0, slash);
        Segment s;
        if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}') {
            std::string_view name = seg.substr(1, seg.size() - 2);
            s.is_param = true;
            if (name.size() > 3 && name.substr(name.size() - 3) == "...") {
                s.is_rest = true;
                name.remove_suffix(3);
                if (slash != std::string_view::npos)
                    throw std::invalid_argument("'{name...}' must be the last segment: " + pattern);
            }
            s.text = std::string(name);
        } else {
            s.text = std::string(seg);
        }
        out.push_back(std::move(s));
        if (slash == std::string_view::npos) break;
        rest.remove_prefix(slash + 1);
    }
    return out;
}

namespace {
/// "/a/b/" -> {"a", "b", ""}; "/" -> {""}.
std::vector<std::string_view> SplitPath(std::string_view path) {
    std::vector<std::string_view> out;
    path.remove_prefix(1);
    while (true) {
        auto slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) return out;
        path.remove_prefix(slash + 1);
    }
}
}  // namespace

Router::MatchKind Router::Match(const Route& route, const Request& req, std::map<std::string, std::string>* params) {
    std::string_view path = req.Path();
    if (path.empty() || path[0] != '/') return MatchKind::kNone;
    std::vector<std::string_view> pieces = SplitPath(path);
    std::map<std::string, std::string> found;
    std::size_t i = 0;
    bool consumed_rest = false;
    for (const Segment& seg : route.segments) {
        if (seg.is_rest) {
            // The rest of the path, from this piece on (the raw text keeps its inner slashes).
            std::string_view tail = i < pieces.size() ? path.substr(static_cast<std::size_t>(pieces[i].data() - path.data()))
                                                      : std::string_view{};
            found[seg.text] = PercentDecode(tail);
            consumed_rest = true;
            break;
        }
        if (i >= pieces.size()) return MatchKind::kNone;
        if (seg.is_param) {
            if (pieces[i].empty()) return MatchKind::kNone;
            found[seg.text] = PercentDecode(pieces[i]);
        } else if (pieces[i] != seg.text) {
            return MatchKind::kNone;
        }
        ++i;
    }
    if (!consumed_rest && i != pieces.size()) return MatchKind::kNone;
    if (route.when && !route.when(req)) return MatchKind::kNone;
    if (route.method != "*" && route.method != req.method && !(route.method == "GET" && req.method == "HEAD"))
        return MatchKind::kPathOnly;
    if (params) *params = std::move(found);
    return MatchKind::kFull;
}

RouteOptions Router::OptionsFor(const Request& head) const {
    for (const auto& route : routes_) {
        if (Match(route, head, nullptr) == MatchKind::kFull) {
            RouteOptions o = route.options;
            if (!o.max_body_bytes) o.max_body_bytes = default_max_body_bytes_;
            return o;
        }
    }
    return RouteOptions{.max_body_bytes = default_max_body_bytes_};
}

Router& Router::Use(Middleware middleware) {
    middlewares_.push_back(std::move(middleware));
    return *this;
}

Router& Router::UseGuard(Guard guard) {
    guards_.push_back(std::move(guard));
    return *this;
}

std::string Router::RouteFor(const Request& head) const {
    for (const auto& route : routes_) {
        if (Match(route, head, nullptr) == MatchKind::kFull) return route.pattern;
    }
    return {};
}

void Router::Handle(Request request, Respond respond) const {
    for (const auto& middleware : middlewares_) middleware(request, respond);
    for (const auto& guard : guards_) {
        if (auto answer = guard(request)) {
            respond(std::move(*answer));
            return;
        }
    }
    std::string allowed;
    for (const auto& route : routes_) {
        std::map<std::string, std::string> params;
        MatchKind kind = Match(route, request, &params);
        if (kind == MatchKind::kFull) {
            request.path_params = std::move(params);
            request.route = route.pattern;
            route.handler(std::move(request), std::move(respond));
            return;
        }
        if (kind == MatchKind::kPathOnly && allowed.find(route.method) == std::string::npos) {
            if (!allowed.empty()) allowed += ", ";
            allowed += route.method;
        }
    }
    if (!allowed.empty()) {
        Response r = Response::Problem(405, "Method Not Allowed",
                                       request.method + " is not allowed on " + std::string(request.Path()) +
                                           "; allowed: " + allowed);
        r.headers.Set("Allow", allowed);
        respond(std::move(r));
        return;
    }
    respond(Response::Problem(404, "Not Found", "no route for " + request.method + " " + std::string(request.Path())));
}

}  // namespace sim::core
