#pragma once
// Outbound calls of the fakes (callbacks to the platform, files into S3), through the Transport,
// with retries and exponential backoff on the Clock like the real senders, journaled per attempt,
// and subject to callback faults (duplicated, delayed, reordered deliveries).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "fakes/common/faults.hpp"
#include "fakes/common/journal.hpp"
#include "sim/clock/clock.hpp"
#include "sim/core/transport.hpp"

namespace sim::fakes::common {

struct RetryPolicy {
    /// Attempts in all; 0 = retry until acknowledged.
    int max_attempts = 8;
    core::Duration initial_backoff = std::chrono::seconds(1);
    /// Backoff doubles after each failed attempt, up to this.
    core::Duration max_backoff = std::chrono::hours(1);
    /// An attempt not answered within this much clock time counts as a timeout and is retried;
    /// 0 = rely on the transport's own timeouts (the default: over TCP, answers arrive in wall
    /// time, and a virtual clock jumping ahead must not declare them lost).
    core::Duration attempt_timeout{0};
    /// Retry 4xx answers too (except none); by default only 408, 425, 429, 5xx and transport
    /// failures are retried, as real senders do.
    bool retry_client_errors = false;
    /// The first N answers are treated as timeouts (magic "late" behaviours): the receiver sees
    /// the request, the sender does not see the answer and retries.
    int ignore_first_answers = 0;
};

/// Backoff before attempt `attempt + 1` after `attempt` failed attempts (1-based): initial * 2^(attempt-1), capped.
core::Duration BackoffAfter(const RetryPolicy& policy, int attempt);

struct OutboundCall {
    std::string system;     ///< journal/fault system
    std::string operation;  ///< fault operation name ("callback_verdict", "cashflow_file", ...)
    std::string service;    ///< transport service ("platform", "aws")
    core::Request request;
    RetryPolicy policy;
    JournalKind kind = JournalKind::kCallback;
    /// Called once: the acknowledged response, or the last failure when attempts ran out.
    std::function<void(const core::Response& last, int attempts, bool acknowledged)> on_done;
};

class Sender {
public:
    /// `no_answer_release`: how long an injected front-door timeout holds an attempt that has no
    /// attempt timeout of its own before it counts as a 504 (FakeOptions::no_response_release).
    Sender(core::Transport& transport, clock::Clock& clock, Journal& journal, FaultInjector& faults,
           core::Duration no_answer_release)
        : transport_(transport),
          clock_(clock),
          journal_(journal),
          faults_(faults),
          no_answer_release_(no_answer_release) {}

    /// Sends `call` (callback faults applied: a duplicate is a second independent delivery).
    void Send(OutboundCall call);
    /// Drops every pending retry (POST /_sim/reset).
    void Reset() { ++generation_; }
    /// Deliveries not yet acknowledged or given up.
    std::size_t pending() const { return pending_; }

private:
    struct State;
    void Attempt(std::shared_ptr<State> state);
    void Finish(std::shared_ptr<State> state, const core::Response& response, bool acknowledged);
    static bool Retryable(const RetryPolicy& policy, int status);

    core::Transport& transport_;
    clock::Clock& clock_;
    Journal& journal_;
    FaultInjector& faults_;
    core::Duration no_answer_release_;
    std::uint64_t generation_ = 0;
    std::size_t pending_ = 0;
};

}  // namespace sim::fakes::common
