// Client: HTTP/1.1 over Beast with keep-alive connections pooled per host:port.
//
// One Exchange per Send: take an idle pooled connection (or open one), write, read the response,
// hand the connection back to the pool when the response allows keep-alive. A pooled connection
// the peer closed while it sat idle fails before any response byte; that exchange is retried once
// on a fresh connection (the request never reached a handler, so the retry is safe).

#include "sim/http/client.hpp"

#include <exception>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

namespace sim::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;

namespace {

using core::kTransportErrorHeader;

struct ParsedUrl {
    std::string host;
    std::string port;
    std::string path;  ///< base path without a trailing '/', "" for none
};

/// Parses "http://host[:port][/path]"; nullopt for anything else (https included: not supported).
std::optional<ParsedUrl> ParseBaseUrl(std::string_view url) {
    constexpr std::string_view kScheme = "http://";
    if (url.substr(0, kScheme.size()) != kScheme) return std::nullopt;
    url.remove_prefix(kScheme.size());
    auto slash = url.find('/');
    std::string_view authority = url.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? std::string_view{} : url.substr(slash);
    if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
    ParsedUrl out;
    std::string_view host = authority;
    std::string_view port = "80";
    if (authority.front() == '[') {  // [ipv6]:port
        auto close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = authority.substr(1, close - 1);
        std::string_view rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return std::nullopt;
            port = rest.substr(1);
        }
    } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (host.empty() || port.empty() || port.size() > 5) return std::nullopt;
    unsigned value = 0;
    for (char c : port) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) return std::nullopt;
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    out.host = std::string(host);
    out.port = std::string(port);
    out.path = std::string(path);
    return out;
}

core::Response TransportError(int status, std::string_view kind, const std::string& detail) {
    core::Response r = core::Response::Problem(status, core::ReasonPhrase(status), detail);
    r.headers.Set(kTransportErrorHeader, kind);
    return r;
}

bool IsPeerGone(const ErrorCode& ec) {
    return ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
           ec == asio::error::broken_pipe || ec == bhttp::error::partial_message;
}

}  // namespace

/// One TCP connection to a host:port.
struct Connection {
    explicit Connection(asio::io_context& io) : stream(io) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    std::string key;  ///< "host:port" pool key
};

struct ClientState : std::enable_shared_from_this<ClientState> {
    ClientState(asio::io_context& io_context, ClientOptions opts)
        : io(io_context), options(opts), resolver(io_context) {}

    asio::io_context& io;
    ClientOptions options;
    tcp::resolver resolver;
    std::map<std::string, std::vector<std::shared_ptr<Connection>>> idle;
    std::size_t opened = 0;
    bool closed = false;

    std::shared_ptr<Connection> TakeIdle(const std::string& key) {
        auto it = idle.find(key);
        if (it == idle.end()) return nullptr;
        while (!it->second.empty()) {
            auto conn = std::move(it->second.back());
            it->second.pop_back();
            if (conn->stream.socket().is_open()) return conn;
        }
        return nullptr;
    }

    void GiveBack(std::shared_ptr<Connection> conn) {
        auto& list = idle[conn->key];
        if (closed || list.size() >= options.max_idle_per_host) return;  // dropping it closes it
        conn->buffer.clear();
        list.push_back(std::move(conn));
    }
};

/// One request/response, including at most one retry.
class Exchange : public std::enable_shared_from_this<Exchange> {
public:
    Exchange(std::shared_ptr<ClientState> state, ParsedUrl url, core::Request request, core::Respond respond)
        : state_(std::move(state)), url_(std::move(url)), respond_(std::move(respond)) {
        key_ = url_.host + ":" + url_.port;
        BuildRequest(std::move(request));
    }

    void Start() {
        if (auto conn = state_->TakeIdle(key_)) {
            reused_ = true;
            conn_ = std::move(conn);
            return Write();
        }
        Connect();
    }

private:
    void BuildRequest(core::Request request) {
        out_.version(11);
        out_.method_string(request.method);
        std::string target =
            request.target.empty() || request.target.front() != '/' ? "/" + request.target : request.target;
        out_.target(url_.path + target);
        for (const auto& [name, value] : request.headers.fields()) {
            if (beast::iequals(name, "Host") || beast::iequals(name, "Content-Length") ||
                beast::iequals(name, "Transfer-Encoding") || beast::iequals(name, "Connection")) {
                continue;
            }
            out_.insert(name, value);
        }
        out_.set(bhttp::field::host, url_.port == "80" ? url_.host : key_);
        if (request.body_file) {
            // Limitation: the client reads a body file into memory (bodies it sends are small).
            beast::file file;
            ErrorCode ec;
            file.open(request.body_file->path.c_str(), beast::file_mode::read, ec);
            if (!ec) file.seek(request.body_file->offset, ec);
            std::string body(static_cast<std::size_t>(request.body_file->length), '\0');
            std::size_t got = ec ? 0 : file.read(body.data(), body.size(), ec);
            body.resize(got);
            out_.body() = std::move(body);
        } else {
            out_.body() = std::move(request.body);
        }
        if (!out_.body().empty() || request.method == "POST" || request.method == "PUT" || request.method == "PATCH") {
            out_.content_length(out_.body().size());
        }
        out_.keep_alive(true);
        is_head_ = request.method == "HEAD";
    }

    void Connect() {
        reused_ = false;
        conn_ = std::make_shared<Connection>(state_->io);
        conn_->key = key_;
        ++state_->opened;
        state_->resolver.async_resolve(
            url_.host, url_.port,
            [self = shared_from_this()](const ErrorCode& ec, const tcp::resolver::results_type& results) {
                if (ec)
                    return self->Finish(
                        TransportError(502, "connect", "cannot resolve " + self->url_.host + ": " + ec.message()));
                self->conn_->stream.expires_after(self->state_->options.connect_timeout);
                self->conn_->stream.async_connect(
                    results, [self](const ErrorCode& cec, const tcp::endpoint&) { self->OnConnected(cec); });
            });
    }

    void OnConnected(const ErrorCode& ec) {
        if (ec == beast::error::timeout) {
            return Finish(TransportError(504, "timeout",
                                         "connecting to " + key_ + " timed out after " +
                                             std::to_string(state_->options.connect_timeout.count()) + " ms"));
        }
        if (ec) return Finish(TransportError(502, "connect", "cannot connect to " + key_ + ": " + ec.message()));
        ErrorCode opt_ec;
        conn_->stream.socket().set_option(tcp::no_delay(true), opt_ec);
        Write();
    }

    void Write() {
        conn_->stream.expires_after(state_->options.request_timeout);
        bhttp::async_write(conn_->stream, out_, [self = shared_from_this()](const ErrorCode& ec, std::size_t) {
            if (ec) return self->OnFailure(ec, /*got_response_bytes=*/false);
            self->Read();
        });
    }

    void Read() {
        parser_.emplace();
        parser_->body_limit(boost::none);
        if (is_head_) parser_->skip(true);
        bhttp::async_read(conn_->stream, conn_->buffer, *parser_,
                          [self = shared_from_this()](const ErrorCode& ec, std::size_t) {
                              if (ec) return self->OnFailure(ec, self->parser_->got_some());
                              self->OnResponse();
                          });
    }

    void OnFailure(const ErrorCode& ec, bool got_response_bytes) {
        ErrorCode close_ec;
        conn_->stream.socket().close(close_ec);
        if (reused_ && !got_response_bytes && IsPeerGone(ec) && !retried_) {
            retried_ = true;  // the pooled connection had been closed by the peer: try a fresh one
            return Connect();
        }
        if (ec == beast::error::timeout) {
            return Finish(TransportError(504, "timeout",
                                         "no response from " + key_ + " within " +
                                             std::to_string(state_->options.request_timeout.count()) + " ms"));
        }
        if (IsPeerGone(ec)) {
            return Finish(TransportError(502, "reset",
                                         "connection to " + key_ + " closed before a full response: " + ec.message()));
        }
        Finish(TransportError(502, "reset", "exchange with " + key_ + " failed: " + ec.message()));
    }

    void OnResponse() {
        conn_->stream.expires_never();
        auto& msg = parser_->get();
        core::Response response;
        response.status = static_cast<int>(msg.result_int());
        for (const auto& field : msg) response.headers.Add(field.name_string(), field.value());
        response.body = std::move(msg.body());
        if (msg.keep_alive()) {
            state_->GiveBack(std::move(conn_));
        } else {
            ErrorCode ec;
            conn_->stream.socket().close(ec);
        }
        Finish(std::move(response));
    }

    void Finish(core::Response response) {
        conn_.reset();
        if (state_->closed || !respond_) return;  // the client is gone: nobody to tell
        auto respond = std::move(respond_);
        respond_ = nullptr;
        try {
            respond(std::move(response));
        } catch (const std::exception& e) {
            spdlog::error("HTTP client callback threw: {}", e.what());
        }
    }

    std::shared_ptr<ClientState> state_;
    ParsedUrl url_;
    std::string key_;
    core::Respond respond_;
    bhttp::request<bhttp::string_body> out_;
    std::optional<bhttp::response_parser<bhttp::string_body>> parser_;
    std::shared_ptr<Connection> conn_;
    bool is_head_ = false;
    bool reused_ = false;
    bool retried_ = false;
};

struct Client::Impl {
    AsioLoop& loop;
    std::shared_ptr<ClientState> state;
};

Client::Client(AsioLoop& loop, ClientOptions options)
    : impl_(std::make_unique<Impl>(
          Impl{loop, std::make_shared<ClientState>(*static_cast<asio::io_context*>(loop.native_handle()), options)})) {}

Client::~Client() {
    auto& state = *impl_->state;
    state.closed = true;
    state.resolver.cancel();
    state.idle.clear();
}

void Client::Send(const std::string& base_url, core::Request request, core::Respond respond) {
    auto url = ParseBaseUrl(base_url);
    if (!url) {
        // core::Transport promises the answer never arrives inside Send.
        impl_->loop.Post([respond = std::move(respond), base_url] {
            respond(TransportError(502, "bad-url", "not a supported base URL (http://host:port[/path]): " + base_url));
        });
        return;
    }
    auto exchange = std::make_shared<Exchange>(impl_->state, std::move(*url), std::move(request), std::move(respond));
    // Start from the loop, not inside Send: a reused connection could otherwise answer re-entrantly.
    impl_->loop.Post([exchange] { exchange->Start(); });
}

std::size_t Client::connections_opened() const { return impl_->state->opened; }

}  // namespace sim::http
