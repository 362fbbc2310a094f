#pragma once
// The anti-corruption layer's transport (DESIGN: the external-integration service is the only
// caller of external systems). Each system is a transport service (`payment-processor`, `ekyc`,
// `bureau`, `screening`, `printing`, `atm`, `push`); every call gets
//   - a per-attempt timeout on the Clock (an answer arriving after it is ignored),
//   - retries of 408/425/429/5xx answers, transport failures and timeouts, with exponential
//     backoff (initial × 2^(n−1), capped) and seeded jitter (uniform in [½, 1] of that), the same
//     Idempotency-Key on every attempt so a retry never acts twice,
//   - a circuit breaker per system (circuit_breaker.hpp): while open, calls fail at once,
//   - errors as domain-level kinds: kUnavailable (gave up on 5xx/timeouts), kCircuitOpen,
//     kRejected (a 4xx: the system understood and refused; `code` is its machine-readable reason),
//     kBadResponse (2xx that is not JSON).
// The per-system gateways (ekyc_gateway.hpp, …) map each system's codes to domain results.
//
// Limitations: with a virtual clock and a system reached over TCP, a clock advance during a call
// can declare it timed out although the answer is on its way (wall time ≠ virtual time).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "sim/clock/clock.hpp"
#include "sim/core/random.hpp"
#include "sim/core/result.hpp"
#include "sim/core/transport.hpp"
#include "sim/metrics/registry.hpp"
#include "sim/platform/common/types.hpp"
#include "sim/platform/external/circuit_breaker.hpp"

namespace sim::platform::external {

struct ExternalOptions {
    core::Duration timeout = std::chrono::seconds(10);  ///< per attempt
    int max_attempts = 4;
    core::Duration initial_backoff = std::chrono::milliseconds(500);
    core::Duration max_backoff = std::chrono::seconds(30);
    BreakerOptions breaker;
    std::uint64_t seed = 1;
};

enum class ExternalErrorKind { kUnavailable, kCircuitOpen, kRejected, kBadResponse };
std::string_view ToString(ExternalErrorKind kind);

struct ExternalError {
    ExternalErrorKind kind = ExternalErrorKind::kUnavailable;
    int status = 0;        ///< last HTTP status (0 for a timeout or an open circuit)
    std::string code;      ///< the system's reason/code field, "timeout", "circuit_open", …
    std::string message;
    Json body;             ///< the last answer's body (null when none)
    int attempts = 0;
    /// "ekyc unavailable after 4 attempts: HTTP 503 …": for logs and failed functions.
    std::string Describe(const std::string& system) const;
};

struct ExternalCall {
    std::string method = "POST";
    std::string path;                ///< "/ekyc/v1/verifications"
    std::optional<Json> body;        ///< sent as JSON when set
    std::string idempotency_key;     ///< sent on every attempt when set
    std::map<std::string, std::string> headers;
    std::string trace_id;            ///< X-Cardsim-Trace-Id when set
    std::string operation;           ///< metrics label ("submit_verification")
    /// False: one attempt only (the caller retries by other means, e.g. an SQS redelivery).
    bool retry = true;
};

struct ExternalResponse {
    int status = 0;
    Json body;
    core::Headers headers;
    int attempts = 0;
};

using ExternalResult = core::Result<ExternalResponse, ExternalError>;
using ExternalDone = std::function<void(ExternalResult)>;

class ExternalClient {
public:
    /// `metrics` may be null. All references must outlive this object.
    ExternalClient(clock::Clock& clock, core::Transport& transport, metrics::Registry* metrics, ExternalOptions options);
    ~ExternalClient();

    /// Calls `system` (its transport service name). `done` runs exactly once, later on the loop.
    void Call(const std::string& system, ExternalCall call, ExternalDone done);
    BreakerState Breaker(const std::string& system) const;
    /// {"<system>":{"state","consecutive_failures","times_opened"}} for diagnostics.
    Json BreakerStatus() const;
    /// Drops pending retries (their callers are never answered) and closes every breaker.
    void Reset();
    const ExternalOptions& options() const { return options_; }

private:
    struct Attempt;
    void Try(std::shared_ptr<Attempt> a);
    void Finish(std::shared_ptr<Attempt> a, ExternalResult result);
    void Failed(std::shared_ptr<Attempt> a, int status, std::string code, std::string message, Json body);
    CircuitBreaker& BreakerOf(const std::string& system);
    void Count(const std::string& system, const std::string& operation, std::string_view outcome);

    clock::Clock& clock_;
    core::Transport& transport_;
    metrics::Registry* metrics_;
    ExternalOptions options_;
    core::Random random_;
    std::map<std::string, CircuitBreaker> breakers_;
    std::uint64_t generation_ = 0;
};

/// The backoff before attempt n+1 after n failed attempts (1-based), before jitter.
core::Duration BackoffAfter(const ExternalOptions& options, int attempt);

}  // namespace sim::platform::external
