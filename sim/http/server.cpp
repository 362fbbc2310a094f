// Server: Beast HTTP/1.1 listeners and sessions (the "session vs request handling" split of
// Beast's examples: a Session moves bytes and enforces limits; the Router decides what to answer).
//
// A session is a small state machine, one phase at a time:
//   idle (keep-alive, waiting for a first byte; idle_timeout)
//   -> head (a request head is arriving; header_timeout)
//   -> body (limits checked, optional 100 Continue; idle_timeout between reads)
//   -> handling (the router has the request; no timeout: long polls are legitimate)
//   -> writing (idle_timeout per write) -> idle again, or closing.
// Bytes of a pipelined next request stay in the session's buffer and are parsed after the current
// response is written, so responses go out in request order.

#include "sim/http/server.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <exception>
#include <filesystem>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

namespace sim::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kFileChunkBytes = 64 * 1024;
constexpr std::size_t kFirstReadBytes = 4 * 1024;
/// A session's read buffer holds at most a request head and one read beyond it. Bodies are
/// consumed as they arrive, so only an endless chunk-size line or trailer section can hit this
/// bound (without it Beast keeps buffering them: memory grows with what the client sends).
constexpr std::size_t kReadSlackBytes = 64 * 1024;
/// How long a closing connection keeps draining what the client still sends, so that closing
/// with unread bytes does not turn into a TCP reset that destroys our error response in flight.
constexpr std::chrono::milliseconds kLingerTime{1'000};
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

/// Raises the soft RLIMIT_NOFILE to the hard limit (once per process): a thousand concurrent
/// connections exceed the usual soft limit of 1024.
void RaiseFileLimit() {
    static std::atomic<bool> raised{false};
    if (raised.exchange(true)) return;
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    if (limit.rlim_cur >= limit.rlim_max) return;
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) spdlog::warn("could not raise the open-file limit");
}

/// A parse failure of the client's bytes (answered 400), as opposed to the connection ending.
bool IsMalformed(const ErrorCode& ec) {
    if (ec.category() != bhttp::make_error_code(bhttp::error::bad_method).category()) return false;
    return ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message && ec != bhttp::error::need_more &&
           ec != bhttp::error::need_buffer;
}

bool NoBodyStatus(int status) { return (status >= 100 && status < 200) || status == 204 || status == 304; }

}  // namespace

class Session;

/// One bound address and the router its requests go to.
struct Listener {
    Listener(asio::io_context& io, std::string n, const core::Router& r)
        : name(std::move(n)), router(r), acceptor(io) {}
    std::string name;
    const core::Router& router;
    tcp::acceptor acceptor;
    std::uint16_t port = 0;
};

/// Everything sessions share with the server; kept alive by the sessions themselves so a
/// session outliving the Server object (its last handler still queued) stays safe.
struct ServerState : std::enable_shared_from_this<ServerState> {
    ServerState(asio::io_context& io_context, ServerOptions opts) : io(io_context), options(std::move(opts)) {}

    asio::io_context& io;
    ServerOptions options;
    std::function<void(const RequestRecord&)> observer;
    std::vector<std::shared_ptr<Listener>> listeners;
    /// Open sessions. The strong reference keeps a session alive while its request is with a
    /// handler (no asio operation pending then); Close() drops it.
    std::unordered_map<Session*, std::shared_ptr<Session>> sessions;
    bool shutting_down = false;
    std::function<void()> shutdown_done;
    std::unique_ptr<asio::steady_timer> grace_timer;
    std::uint64_t spool_counter = 0;

    void Accept(const std::shared_ptr<Listener>& listener);
    void Report(const RequestRecord& record) const;
    void Remove(Session* session);
    void FinishShutdownIfDone();
    void CloseAcceptors();
};

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(std::shared_ptr<ServerState> state, std::shared_ptr<Listener> listener, tcp::socket socket)
        : state_(std::move(state)),
          listener_(std::move(listener)),
          stream_(std::move(socket)),
          buffer_(state_->options.max_header_bytes + kReadSlackBytes) {
        ErrorCode ec;
        auto remote = stream_.socket().remote_endpoint(ec);
        if (!ec) remote_ = remote.address().to_string() + ":" + std::to_string(remote.port());
        stream_.socket().set_option(tcp::no_delay(true), ec);
    }
    ~Session() { RemoveSpoolFile(); }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    void Start() { ReadNext(); }

    /// Waiting for a next request with nothing of it received: safe to close at shutdown.
    bool idle() const { return phase_ == Phase::kIdle && buffer_.size() == 0; }

    /// Closes the socket at once and leaves the registry. Idempotent.
    void Close() {
        if (phase_ == Phase::kClosed) return;
        auto self = shared_from_this();  // the registry may hold the last reference
        phase_ = Phase::kClosed;
        ErrorCode ec;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        stream_.socket().close(ec);
        out_file_.reset();
        RemoveSpoolFile();
        state_->Remove(this);
    }

private:
    enum class Phase { kIdle, kHead, kBody, kHandling, kWriting, kClosing, kClosed };

    // --- reading -------------------------------------------------------------------------------

    void ReadNext() {
        if (phase_ == Phase::kClosed) return;
        if (state_->shutting_down) return Close();
        phase_ = Phase::kIdle;
        if (buffer_.size() > 0) return ReadHead();  // a pipelined request is already here
        stream_.expires_after(state_->options.idle_timeout);
        stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                                [self = shared_from_this()](const ErrorCode& ec, std::size_t n) {
                                    if (ec) return self->Close();
                                    self->buffer_.commit(n);
                                    self->ReadHead();
                                });
    }

    void ReadHead() {
        if (phase_ == Phase::kClosed) return;
        // RFC 9112 section 2.2: empty lines before a request-line are ignored (a stray CRLF a
        // client sends after a body), rather than answered 400.
        const auto* bytes = static_cast<const char*>(buffer_.data().data());
        std::size_t blank = 0;
        while (blank + 1 < buffer_.size() && bytes[blank] == '\r' && bytes[blank + 1] == '\n') blank += 2;
        if (blank > 0) {
            buffer_.consume(blank);
            if (buffer_.size() == 0) return ReadNext();
        }
        phase_ = Phase::kHead;
        head_parser_.emplace();
        head_parser_->header_limit(state_->options.max_header_bytes);
        head_parser_->body_limit(boost::none);  // the route's limit is applied once the head is known
        stream_.expires_after(state_->options.header_timeout);
        bhttp::async_read_header(stream_, buffer_, *head_parser_,
                                 [self = shared_from_this()](const ErrorCode& ec, std::size_t) {
                                     self->Guarded([&] { self->OnHead(ec); });
                                 });
    }

    void OnHead(const ErrorCode& ec) {
        if (phase_ == Phase::kClosed) return;
        stream_.expires_never();
        started_ = SteadyClock::now();
        const auto& msg = head_parser_->get();
        method_ = std::string(msg.method_string());
        route_.clear();
        if (ec == bhttp::error::header_limit) {
            return Reject(431, "the request head exceeds the limit of " +
                                   std::to_string(state_->options.max_header_bytes) + " bytes");
        }
        if (IsMalformed(ec)) return Reject(400, "malformed HTTP request: " + ec.message());
        if (ec) return Close();  // the client went away, or the head timed out
        // A Transfer-Encoding that does not end in chunked (or any in HTTP/1.0) leaves the body's
        // length undetermined: the next "request" would be read from the body (request smuggling).
        // RFC 9112 section 6.3: answer 400 and close. (Beast already refuses Content-Length together
        // with chunked, and differing Content-Length values.)
        if (msg.find(bhttp::field::transfer_encoding) != msg.end() && (!head_parser_->chunked() || msg.version() < 11)) {
            return Reject(400, "unsupported Transfer-Encoding '" + std::string(msg[bhttp::field::transfer_encoding]) +
                                   "': a request's transfer coding must end with chunked (HTTP/1.1 only)");
        }

        request_ = core::Request{};
        request_.method = method_;
        request_.target = std::string(msg.target());
        for (const auto& field : msg) request_.headers.Add(field.name_string(), field.value());
        request_.remote = remote_;
        request_.local_port = listener_->port;
        keep_alive_ = msg.keep_alive();
        is_head_request_ = msg.method() == bhttp::verb::head;

        const core::Router& router = listener_->router;
        core::RouteOptions options = router.OptionsFor(request_);
        route_ = router.RouteFor(request_);
        if (options.answer_from_head) {
            if (auto early = options.answer_from_head(request_)) {
                head_parser_.reset();
                return WriteResponse(std::move(*early), /*force_close=*/true);
            }
        }
        std::uint64_t limit = options.max_body_bytes.value_or(router.default_max_body_bytes());
        if (auto length = head_parser_->content_length(); length && *length > limit) {
            return Reject(413, "request body of " + std::to_string(*length) + " bytes exceeds the limit of " +
                                   std::to_string(limit) + " bytes for this route");
        }
        body_limit_ = limit;
        const bool expects_continue =
            msg.version() >= 11 && beast::iequals(msg[bhttp::field::expect], "100-continue");
        if (head_parser_->is_done()) {
            head_parser_.reset();
            if (!expects_continue) return Dispatch();
            // A request that expects 100-continue but has no body still gets the interim response:
            // botocore (AWSConnection.request) reuses the status line of an "early" final response
            // for the next 100-continue request on the same keep-alive connection and then hangs.
            phase_ = Phase::kBody;
            stream_.expires_after(state_->options.idle_timeout);
            asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                              [self = shared_from_this()](const ErrorCode& wec, std::size_t) {
                                  if (wec) return self->Close();
                                  self->stream_.expires_never();
                                  self->Dispatch();
                              });
            return;
        }
        if (expects_continue) {
            phase_ = Phase::kBody;
            stream_.expires_after(state_->options.idle_timeout);
            asio::async_write(
                stream_, asio::buffer(kContinue.data(), kContinue.size()),
                [self = shared_from_this(), spool = options.spool_body_to_file](const ErrorCode& wec, std::size_t) {
                    if (wec) return self->Close();
                    self->StartBody(spool);
                });
            return;
        }
        StartBody(options.spool_body_to_file);
    }

    void StartBody(bool spool) {
        if (phase_ == Phase::kClosed) return;
        phase_ = Phase::kBody;
        if (!spool) {
            string_parser_.emplace(std::move(*head_parser_));
            head_parser_.reset();
            string_parser_->body_limit(body_limit_);
            return ReadBody(*string_parser_);
        }
        std::filesystem::path path =
            std::filesystem::path(state_->options.spool_dir) /
            ("cardsim-spool-" + std::to_string(::getpid()) + "-" + std::to_string(++state_->spool_counter) + ".body");
        file_parser_.emplace(std::move(*head_parser_));
        head_parser_.reset();
        file_parser_->body_limit(body_limit_);
        ErrorCode ec;
        file_parser_->get().body().open(path.c_str(), beast::file_mode::write, ec);
        if (ec) {
            spdlog::error("cannot create spool file {}: {}", path.string(), ec.message());
            file_parser_.reset();
            return WriteResponse(
                core::Response::Problem(500, "Internal Server Error", "the request body could not be stored"),
                /*force_close=*/true);
        }
        spool_path_ = path;
        ReadBody(*file_parser_);
    }

    template <typename Parser>
    void ReadBody(Parser& parser) {
        stream_.expires_after(state_->options.idle_timeout);
        bhttp::async_read_some(
            stream_, buffer_, parser,
            [self = shared_from_this(), &parser](const ErrorCode& ec, std::size_t) {
                self->Guarded([&] { self->OnBodyRead(parser, ec); });
            });
    }

    template <typename Parser>
    void OnBodyRead(Parser& parser, const ErrorCode& ec) {
        if (phase_ == Phase::kClosed) return;
        if (ec == bhttp::error::body_limit) {
            return Reject(413,
                          "request body exceeds the limit of " + std::to_string(body_limit_) + " bytes for this route");
        }
        if (ec == bhttp::error::buffer_overflow) {
            return Reject(400, "malformed HTTP request body: a chunk header or the trailers exceed " +
                                   std::to_string(buffer_.max_size()) + " bytes");
        }
        if (IsMalformed(ec)) return Reject(400, "malformed HTTP request body: " + ec.message());
        if (ec) return Close();
        if (!parser.is_done()) return ReadBody(parser);
        stream_.expires_never();
        if (string_parser_) {
            request_.body = std::move(string_parser_->get().body());
            string_parser_.reset();
        } else {
            ErrorCode close_ec;
            file_parser_->get().body().close();
            file_parser_.reset();
            std::uint64_t size = std::filesystem::file_size(*spool_path_, close_ec);
            request_.body_file = core::FileSlice{*spool_path_, 0, close_ec ? 0 : size, true};
        }
        Dispatch();
    }

    // --- handling ------------------------------------------------------------------------------

    void Dispatch() {
        phase_ = Phase::kHandling;
        std::uint64_t seq = ++request_seq_;
        auto responded = std::make_shared<bool>(false);
        std::weak_ptr<Session> weak = weak_from_this();
        core::Respond respond = [weak, seq, responded](core::Response response) {
            if (*responded) {
                spdlog::warn("a handler answered the same request twice; the second answer is dropped");
                return;
            }
            *responded = true;
            if (auto self = weak.lock()) self->OnResponse(seq, std::move(response));
        };
        std::string method = request_.method;
        std::string target = request_.target;
        try {
            listener_->router.Handle(std::move(request_), respond);
        } catch (const std::exception& e) {
            spdlog::error("handler for {} {} threw: {}", method, target, e.what());
            if (!*responded) respond(InternalError());
        } catch (...) {
            spdlog::error("handler for {} {} threw a non-standard exception", method, target);
            if (!*responded) respond(InternalError());
        }
    }

    static core::Response InternalError() {
        return core::Response::Problem(500, "Internal Server Error",
                                       "the request handler failed; the server log has the details");
    }

    void OnResponse(std::uint64_t seq, core::Response response) {
        if (phase_ != Phase::kHandling || seq != request_seq_) return;  // the connection is gone
        Guarded([&] { WriteResponse(std::move(response), /*force_close=*/false); });
    }

    /// Runs a step of the session; an exception (a bug, or memory exhausted) closes this
    /// connection instead of leaving it open and unanswered forever.
    template <typename Step>
    void Guarded(Step&& step) {
        try {
            step();
        } catch (const std::exception& e) {
            spdlog::error("connection from {} closed: {}", remote_, e.what());
            Close();
        }
    }

    // --- writing -------------------------------------------------------------------------------

    /// Answers a request that will not reach the router, then closes the connection.
    void Reject(int status, const std::string& detail) {
        route_.clear();
        head_parser_.reset();
        string_parser_.reset();
        file_parser_.reset();
        WriteResponse(core::Response::Problem(status, core::ReasonPhrase(status), detail), /*force_close=*/true);
    }

    template <typename Message>
    void FillHead(Message& res, const core::Response& response, bool keep) const {
        res.result(static_cast<unsigned>(response.status));
        for (const auto& [name, value] : response.headers.fields()) {
            if (beast::iequals(name, "Content-Length") || beast::iequals(name, "Transfer-Encoding") ||
                beast::iequals(name, "Connection") || beast::iequals(name, "Server")) {
                continue;
            }
            res.insert(name, value);
        }
        res.set(bhttp::field::server, "cardsim");
        res.keep_alive(keep);
    }

    void WriteResponse(core::Response response, bool force_close) {
        if (phase_ == Phase::kClosed) return;
        phase_ = Phase::kWriting;
        auto connection = response.headers.Get("Connection");
        bool keep = keep_alive_ && !force_close && !state_->shutting_down &&
                    !(connection && beast::iequals(*connection, "close"));
        keep_after_write_ = keep;
        std::uint64_t length = response.body.size();
        if (response.body_file) {
            ErrorCode ec;
            out_file_.emplace();
            out_file_->open(response.body_file->path.c_str(), beast::file_mode::read, ec);
            if (!ec) out_file_->seek(response.body_file->offset, ec);
            if (ec) {
                spdlog::error("cannot stream response file {}: {}", response.body_file->path.string(), ec.message());
                out_file_.reset();
                response = InternalError();
                length = response.body.size();
            } else {
                length = response.body_file->length;
                out_remaining_ = length;
            }
        }
        const int status = response.status;
        state_->Report(RequestRecord{listener_->name, method_, route_, status, SteadyClock::now() - started_});

        bool head_only = is_head_request_ || out_file_ || NoBodyStatus(status);
        if (head_only) {
            auto res = std::make_shared<bhttp::response<bhttp::empty_body>>();
            FillHead(*res, response, keep);
            if (!NoBodyStatus(status)) res->content_length(length);
            if (is_head_request_) out_file_.reset();  // HEAD: the GET's length, no body
            stream_.expires_after(state_->options.idle_timeout);
            bhttp::async_write(stream_, *res, [self = shared_from_this(), res](const ErrorCode& ec, std::size_t) {
                if (ec) return self->Close();
                if (self->out_file_) return self->WriteFileChunk();
                self->OnWritten();
            });
            return;
        }
        auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
        FillHead(*res, response, keep);
        res->body() = std::move(response.body);
        res->content_length(length);
        stream_.expires_after(state_->options.idle_timeout);
        bhttp::async_write(stream_, *res, [self = shared_from_this(), res](const ErrorCode& ec, std::size_t) {
            if (ec) return self->Close();
            self->OnWritten();
        });
    }

    /// Streams the response file a chunk at a time: never more than one chunk in memory.
    void WriteFileChunk() {
        if (phase_ == Phase::kClosed) return;
        if (out_remaining_ == 0) {
            out_file_.reset();
            return OnWritten();
        }
        std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(out_remaining_, kFileChunkBytes));
        out_chunk_.resize(kFileChunkBytes);
        ErrorCode ec;
        std::size_t got = out_file_->read(out_chunk_.data(), want, ec);
        if (ec || got == 0) {
            // The file shrank under us: the promised Content-Length cannot be met, so cut the connection.
            spdlog::error("response file ended early ({} bytes short)", out_remaining_);
            return Close();
        }
        out_remaining_ -= got;
        stream_.expires_after(state_->options.idle_timeout);
        asio::async_write(stream_, asio::buffer(out_chunk_.data(), got),
                          [self = shared_from_this()](const ErrorCode& wec, std::size_t) {
                              if (wec) return self->Close();
                              self->WriteFileChunk();
                          });
    }

    void OnWritten() {
        stream_.expires_never();
        RemoveSpoolFile();
        request_ = core::Request{};
        if (keep_after_write_) return ReadNext();
        CloseGracefully();
    }

    /// Sends FIN, then drains whatever the client still sends for a short while before closing.
    void CloseGracefully() {
        if (phase_ == Phase::kClosed) return;
        phase_ = Phase::kClosing;
        ErrorCode ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        if (ec) return Close();
        stream_.expires_after(kLingerTime);
        Drain();
    }

    void Drain() {
        stream_.async_read_some(asio::buffer(discard_), [self = shared_from_this()](const ErrorCode& ec, std::size_t) {
            if (ec) return self->Close();
            self->Drain();
        });
    }

    void RemoveSpoolFile() {
        if (!spool_path_) return;
        std::error_code ec;
        std::filesystem::remove(*spool_path_, ec);  // the handler may have moved it away: fine
        spool_path_.reset();
    }

    std::shared_ptr<ServerState> state_;
    std::shared_ptr<Listener> listener_;
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::string remote_;
    Phase phase_ = Phase::kIdle;

    std::optional<bhttp::request_parser<bhttp::empty_body>> head_parser_;
    std::optional<bhttp::request_parser<bhttp::string_body>> string_parser_;
    std::optional<bhttp::request_parser<bhttp::file_body>> file_parser_;
    core::Request request_;
    std::string method_;
    std::string route_;
    bool keep_alive_ = false;
    bool is_head_request_ = false;
    std::uint64_t body_limit_ = 0;
    std::optional<std::filesystem::path> spool_path_;
    SteadyClock::time_point started_ = SteadyClock::now();
    std::uint64_t request_seq_ = 0;

    bool keep_after_write_ = false;
    std::optional<beast::file> out_file_;
    std::uint64_t out_remaining_ = 0;
    std::vector<char> out_chunk_;
    std::array<char, 4096> discard_{};
};

void ServerState::Accept(const std::shared_ptr<Listener>& listener) {
    listener->acceptor.async_accept(io, [self = shared_from_this(), listener](const ErrorCode& ec, tcp::socket socket) {
        if (!listener->acceptor.is_open() || self->shutting_down) return;
        if (ec) {
            // Out of descriptors and similar: back off briefly instead of spinning.
            spdlog::warn("accept on {} failed: {}", listener->name, ec.message());
            auto timer = std::make_shared<asio::steady_timer>(self->io, std::chrono::milliseconds(50));
            timer->async_wait([self, listener, timer](const ErrorCode&) { self->Accept(listener); });
            return;
        }
        if (self->sessions.size() >= self->options.max_connections) {
            ErrorCode close_ec;
            socket.close(close_ec);
        } else {
            auto session = std::make_shared<Session>(self, listener, std::move(socket));
            self->sessions.emplace(session.get(), session);
            session->Start();
        }
        self->Accept(listener);
    });
}

void ServerState::Report(const RequestRecord& record) const {
    if (!observer) return;
    try {
        observer(record);
    } catch (const std::exception& e) {
        spdlog::error("request observer threw: {}", e.what());
    }
}

void ServerState::Remove(Session* session) {
    sessions.erase(session);
    FinishShutdownIfDone();
}

void ServerState::FinishShutdownIfDone() {
    if (!shutting_down || !sessions.empty() || !shutdown_done) return;
    if (grace_timer) grace_timer->cancel();
    asio::post(io, [done = std::move(shutdown_done)] { done(); });
    shutdown_done = nullptr;
}

void ServerState::CloseAcceptors() {
    for (auto& listener : listeners) {
        ErrorCode ec;
        listener->acceptor.close(ec);
    }
}

struct Server::Impl {
    std::shared_ptr<ServerState> state;
};

Server::Server(AsioLoop& loop, ServerOptions options)
    : impl_(std::make_unique<Impl>(Impl{
          std::make_shared<ServerState>(*static_cast<asio::io_context*>(loop.native_handle()), std::move(options))})) {}

Server::~Server() {
    auto& state = *impl_->state;
    state.shutting_down = true;
    state.shutdown_done = nullptr;
    state.observer = nullptr;
    state.CloseAcceptors();
    if (state.grace_timer) state.grace_timer->cancel();
    auto sessions = state.sessions;  // Close() edits the registry
    for (auto& [ptr, session] : sessions) session->Close();
}

core::Result<std::uint16_t> Server::Listen(const std::string& name, const std::string& bind_address, std::uint16_t port,
                                           const core::Router& router) {
    auto& state = *impl_->state;
    std::string where = bind_address + ":" + std::to_string(port);
    if (state.shutting_down) return core::Fail(core::Error::FailedPrecondition("server is shutting down"));
    ErrorCode ec;
    auto address = asio::ip::make_address(bind_address, ec);
    if (ec) return core::Fail(core::Error::InvalidArgument("bad bind address " + bind_address + ": " + ec.message()));
    RaiseFileLimit();

    auto listener = std::make_shared<Listener>(state.io, name, router);
    tcp::endpoint endpoint(address, port);
    listener->acceptor.open(endpoint.protocol(), ec);
    if (!ec) listener->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) listener->acceptor.bind(endpoint, ec);
    if (!ec) listener->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        return core::Fail(
            core::Error{core::ErrorKind::kUnavailable, "cannot listen on " + where + ": " + ec.message()});
    }
    listener->port = listener->acceptor.local_endpoint().port();
    state.listeners.push_back(listener);
    state.Accept(listener);
    spdlog::info("listener {} on {}:{}", name, bind_address, listener->port);
    return listener->port;
}

void Server::OnRequest(std::function<void(const RequestRecord&)> observer) {
    impl_->state->observer = std::move(observer);
}

void Server::Shutdown(std::chrono::milliseconds grace, std::function<void()> done) {
    auto& state = *impl_->state;
    state.shutting_down = true;
    state.shutdown_done = std::move(done);
    state.CloseAcceptors();
    std::vector<std::shared_ptr<Session>> idle;
    for (auto& [ptr, session] : state.sessions) {
        if (session->idle()) idle.push_back(session);
    }
    for (auto& session : idle) session->Close();
    if (state.sessions.empty()) return state.FinishShutdownIfDone();
    state.grace_timer = std::make_unique<asio::steady_timer>(state.io, grace);
    state.grace_timer->async_wait([weak = std::weak_ptr<ServerState>(impl_->state)](const ErrorCode& ec) {
        auto locked = weak.lock();
        if (ec || !locked) return;
        auto remaining = locked->sessions;
        if (!remaining.empty()) spdlog::warn("shutdown grace over: cutting {} connections", remaining.size());
        for (auto& [ptr, session] : remaining) session->Close();
        locked->FinishShutdownIfDone();
    });
}

std::size_t Server::open_connections() const { return impl_->state->sessions.size(); }

}  // namespace sim::http
