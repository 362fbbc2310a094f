#pragma once
// Test helpers for sim/http: an AsioLoop on a background thread, and a plain POSIX socket client
// that speaks just enough HTTP/1.1 to check the server byte for byte. Every wait is bounded.

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "sim/http/asio_loop.hpp"

namespace sim::http::testing {

using namespace std::chrono_literals;

/// Longest any test waits for a socket or the loop before failing.
inline constexpr std::chrono::milliseconds kWait{5'000};

/// Runs an AsioLoop on its own thread for the lifetime of the object.
class LoopThread {
public:
    explicit LoopThread(AsioLoop& loop) : loop_(loop), thread_([this] { loop_.Run(); }) {}
    ~LoopThread() { StopAndJoin(); }
    LoopThread(const LoopThread&) = delete;
    LoopThread& operator=(const LoopThread&) = delete;

    void StopAndJoin() {
        if (!thread_.joinable()) return;
        loop_.Stop();
        thread_.join();
    }

private:
    AsioLoop& loop_;
    std::thread thread_;
};

/// Runs `fn` on the loop thread and returns its result (throws if the loop does not answer in kWait).
template <typename Fn>
auto OnLoop(AsioLoop& loop, Fn fn) -> decltype(fn()) {
    using R = decltype(fn());
    auto promise = std::make_shared<std::promise<R>>();
    auto future = promise->get_future();
    loop.Post([promise, fn = std::move(fn)]() mutable {
        if constexpr (std::is_void_v<R>) {
            fn();
            promise->set_value();
        } else {
            promise->set_value(fn());
        }
    });
    if (future.wait_for(kWait) != std::future_status::ready) throw std::runtime_error("loop did not answer");
    return future.get();
}

/// Polls `condition` until it holds or `limit` passes (for effects with no event to wait on).
bool Eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit = kWait);

struct Reply {
    int status = 0;
    std::map<std::string, std::string> headers;  ///< names lower-cased
    std::string body;
    std::string Header(const std::string& lower_name) const {
        auto it = headers.find(lower_name);
        return it == headers.end() ? std::string{} : it->second;
    }
};

/// A blocking TCP client socket with receive/send timeouts of kWait.
class Socket {
public:
    /// Connects to 127.0.0.1:port; fd() is -1 when that failed.
    explicit Socket(std::uint16_t port);
    ~Socket();
    Socket(Socket&& other) noexcept : fd_(other.fd_), pending_(std::move(other.pending_)) { other.fd_ = -1; }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;

    int fd() const { return fd_; }
    bool Send(const std::string& bytes);
    /// Reads one response (Content-Length bodies; none for 1xx/204/304 or when `head_request`).
    std::optional<Reply> ReadReply(bool head_request = false);
    /// True when the peer closes (EOF or reset) within `limit`; data received meanwhile is dropped.
    bool WaitClosed(std::chrono::milliseconds limit = kWait);
    /// True when nothing at all arrives within `limit` (and the connection stays open).
    bool StaysQuiet(std::chrono::milliseconds limit);

private:
    bool Fill();  ///< reads more bytes into pending_; false on EOF/error/timeout
    int fd_ = -1;
    std::string pending_;
};

/// Convenience: one request, one reply, on a fresh connection.
std::optional<Reply> RoundTrip(std::uint16_t port, const std::string& request, bool head_request = false);

}  // namespace sim::http::testing
