#pragma once
// What every fake shares: the clock, the transport, the journal, the fault injector, the
// idempotency cache and the outbound sender, plus the HTTP glue that applies them to each route,
// and the control-plane endpoints /_sim/journal and /_sim/faults.
//
// Per inbound request of a fake route (FakeEnv::Route):
//   1. `Idempotency-Key` header: a repeat of a finished request replays the first response
//      (header `Idempotent-Replayed: true`); the same key with another request is 422; while the
//      first is still being answered, 409.
//   2. Fault decision for (system, operation): latency delays the handling on the Clock; an
//      injected error answers without running the handler (nothing changes state); "timeout" and
//      "reset" run the handler (the state change happens) and lose the answer: timeout answers
//      nothing until `no_response_release` of clock time has passed, then 504; reset answers 502
//      with `X-Cardsim-Fault: reset` and `Connection: close` (the HTTP layer cannot cut a socket
//      mid-answer, so this marker stands for a connection reset).
//   3. The request and its response are journaled.

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "fakes/common/faults.hpp"
#include "fakes/common/idempotency.hpp"
#include "fakes/common/journal.hpp"
#include "fakes/common/problem.hpp"
#include "fakes/common/sender.hpp"
#include "sim/clock/clock.hpp"
#include "sim/core/router.hpp"
#include "sim/core/transport.hpp"

namespace sim::fakes::common {

/// Attempts to store one file in the batch bucket: 1, 2, 4, ... 32 minutes, then hourly — about 24 h
/// of retrying before the drop is given up (journaled as failed).
inline constexpr int kFileDropAttempts = 30;


struct FakeOptions {
    std::uint64_t seed = 1;
    std::size_t journal_size = 10'000;
    /// Transport service names of the platform's external API and of S3.
    std::string platform_service = "platform";
    std::string aws_service = "aws";
    /// The platform's batch bucket: cashflow and reconciliation files go here.
    std::string batch_bucket = "cardsim-batch";
    /// System -> the shared secret its callbacks are signed with (X-Cardsim-Signature:
    /// sha256=<hex HMAC-SHA256(secret, body)>); systems not listed use DefaultCallbackSecret.
    std::map<std::string, std::string> callback_secrets;
    /// How long an injected "no response" holds the request before a 504 (clock time); also how
    /// long a callback meeting a timeout at the platform's front door waits when its retry policy
    /// has no attempt timeout.
    core::Duration no_response_release = std::chrono::minutes(5);
    /// Told of every injected latency once it has passed: the request's trace id (X-Cardsim-Trace-Id),
    /// "fake.latency <system> <operation>", and the delay's start and end on the clock. The
    /// composition root records it as a trace span (docs/load.md, "Server-side hops"). Optional.
    std::function<void(const std::string& trace_id, const std::string& hop, core::TimePoint start, core::TimePoint end)>
        on_latency;
};

/// "cardsim-<system>-callback-secret" (the platform's default too, docs/platform.md).
std::string DefaultCallbackSecret(const std::string& system);

class FakeEnv {
public:
    FakeEnv(clock::Clock& clock, core::Transport& transport, FakeOptions options);

    clock::Clock& clock() { return clock_; }
    Journal& journal() { return journal_; }
    FaultInjector& faults() { return faults_; }
    IdempotencyCache& idempotency() { return idempotency_; }
    Sender& sender() { return sender_; }
    const FakeOptions& options() const { return options_; }
    const std::set<std::string>& systems() const { return systems_; }

    /// Adds `method pattern` to `router`, wrapped as described above, under `system`/`operation`.
    void Route(core::Router& router, const std::string& method, const std::string& pattern, const std::string& system,
               const std::string& operation, core::Handler handler);
    /// Synchronous convenience for Route.
    void Route(core::Router& router, const std::string& method, const std::string& pattern, const std::string& system,
               const std::string& operation, core::SyncHandler handler) {
        Route(router, method, pattern, system, operation, core::FromSync(std::move(handler)));
    }

    /// POSTs `body` (JSON) to the platform's `path` with `Idempotency-Key: idempotency_key` and
    /// the system's X-Cardsim-Signature, retried per `policy`. `trace_id`, when set, is the
    /// X-Cardsim-Trace-Id of every attempt (and of injected duplicates): the trace of the request
    /// that caused the callback, so the platform's handling continues it (docs/load.md,
    /// "Server-side hops"); empty: the platform's runtime assigns each attempt a new trace.
    void Callback(const std::string& system, const std::string& operation, const std::string& path,
                  const nlohmann::json& body, const std::string& idempotency_key, RetryPolicy policy = {},
                  std::function<void(const core::Response&, int, bool)> on_done = nullptr,
                  const std::string& trace_id = "");
    /// PUTs an object into the batch bucket through the S3 API (retried on any failure, since the
    /// bucket may not exist yet); journaled as a file.
    void PutBatchObject(const std::string& system, const std::string& operation, const std::string& key,
                        std::string body, const std::string& content_type,
                        std::function<void(const core::Response&, int, bool)> on_done = nullptr);

    /// Clears the journal, the faults, the idempotency cache and pending deliveries.
    void Reset();

private:
    clock::Clock& clock_;
    core::Transport& transport_;
    FakeOptions options_;
    Journal journal_;
    FaultInjector faults_;
    IdempotencyCache idempotency_;
    Sender sender_;
    std::set<std::string> systems_;
};

/// GET /_sim/journal?system=&path=&since=&limit=, POST/GET/DELETE /_sim/faults, DELETE /_sim/faults/{id}.
void AddControlRoutes(core::Router& router, FakeEnv& env);

}  // namespace sim::fakes::common
