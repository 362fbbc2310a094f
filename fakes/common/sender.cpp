#include "fakes/common/sender.hpp"

#include <spdlog/spdlog.h>

namespace sim::fakes::common {

struct Sender::State {
    OutboundCall call;
    std::uint64_t generation = 0;
    int attempt = 0;
    std::string fault;
};

core::Duration BackoffAfter(const RetryPolicy& policy, int attempt) {
    core::Duration d = policy.initial_backoff;
    for (int i = 1; i < attempt && d < policy.max_backoff; ++i) d *= 2;
    return d < policy.max_backoff ? d : policy.max_backoff;
}

bool Sender::Retryable(const RetryPolicy& policy, int status) {
    if (status >= 500 || status == 408 || status == 425 || status == 429) return true;
    return status >= 400 && policy.retry_client_errors;
}

void Sender::Send(OutboundCall call) {
    CallbackDecision d = faults_.DecideCallback(call.system, call.operation);
    for (int copy = 0; copy < d.copies; ++copy) {
        auto state = std::make_shared<State>();
        state->call = call;
        state->generation = generation_;
        if (!d.rule_id.empty()) state->fault = copy > 0 ? "duplicate" : (d.delay.count() > 0 ? "delayed" : "");
        // A duplicate is a second, independent delivery; only the first reports completion.
        if (copy > 0) state->call.on_done = nullptr;
        ++pending_;
        if (d.delay.count() > 0) {
            clock_.ScheduleAfter(d.delay, [this, state] { Attempt(state); });
        } else {
            Attempt(state);
        }
    }
}

void Sender::Attempt(std::shared_ptr<State> state) {
    if (state->generation != generation_) return;
    ++state->attempt;
    const core::Request& req = state->call.request;
    JournalEntry e;
    e.at = clock_.Now();
    e.system = state->call.system;
    e.kind = state->call.kind;
    e.operation = state->call.operation;
    e.method = req.method;
    e.path = state->call.service + ":" + req.target;
    // Files can be large; the journal keeps the head only (JournalBody cuts it).
    e.request_body = req.body;
    e.fault = state->fault;
    // A callback meets the platform's front door first, where injected faults may answer for it.
    FaultDecision front;
    if (state->call.kind == JournalKind::kCallback) front = faults_.DecideAtPlatform(state->call.operation);
    if (const char* label = FaultLabel(front); *label) e.fault = label;
    e.attempt = state->attempt;
    if (auto k = req.headers.Get("Idempotency-Key")) e.idempotency_key = std::string(*k);
    std::uint64_t seq = journal_.Append(std::move(e));

    auto answered = std::make_shared<bool>(false);
    auto timer = std::make_shared<clock::TimerId>(0);
    auto on_answer = [this, state, seq, answered, timer](core::Response response, bool timed_out) {
        if (*answered) return;
        *answered = true;
        if (!timed_out && *timer != 0) clock_.Cancel(*timer);
        if (state->generation != generation_) return;
        if (!timed_out && state->attempt <= state->call.policy.ignore_first_answers) {
            // The receiver got it; the sender "did not hear back in time".
            journal_.Complete(seq, response.status, "(answer ignored: simulated timeout) " + response.body);
            response = core::Response::Problem(504, "Gateway Timeout", "simulated sender timeout");
            timed_out = true;
        } else {
            journal_.Complete(seq, response.status, response.body);
        }
        bool ok = response.status >= 200 && response.status < 300;
        const RetryPolicy& p = state->call.policy;
        if (ok) return Finish(state, response, true);
        bool retry = timed_out || Retryable(p, response.status);
        if (retry && (p.max_attempts == 0 || state->attempt < p.max_attempts)) {
            clock_.ScheduleAfter(BackoffAfter(p, state->attempt), [this, state] { Attempt(state); });
            return;
        }
        spdlog::warn("[fakes] {} {} gave up after {} attempts (status {})", state->call.system,
                     state->call.operation, state->attempt, response.status);
        Finish(state, response, false);
    };
    if (state->call.policy.attempt_timeout.count() > 0) {
        *timer = clock_.ScheduleAfter(state->call.policy.attempt_timeout, [on_answer] {
            on_answer(core::Response::Problem(504, "Gateway Timeout", "no answer within the attempt timeout"), true);
        });
    }
    auto deliver = [this, state, on_answer, front] {
        switch (front.outcome) {
            case FaultOutcome::kError: {
                auto r = front.body.is_null()
                             ? core::Response::Problem(front.status, "Injected fault",
                                                       "the platform's front door answered for fault rule " + front.rule_id)
                             : core::Response::Json(front.status, front.body);
                return on_answer(std::move(r), false);
            }
            case FaultOutcome::kTimeout:
                // No answer: the attempt timeout (else the release of inbound timeouts) ends it.
                if (state->call.policy.attempt_timeout.count() == 0)
                    clock_.ScheduleAfter(no_answer_release_, [on_answer] {
                        on_answer(core::Response::Problem(504, "Gateway Timeout", "injected: no answer"), true);
                    });
                return;
            case FaultOutcome::kReset:
                return transport_.Send(state->call.service, state->call.request, [on_answer](core::Response) {
                    on_answer(core::Response::Problem(502, "Bad Gateway", "injected: connection reset"), false);
                });
            case FaultOutcome::kNone: break;
        }
        transport_.Send(state->call.service, state->call.request,
                        [on_answer](core::Response r) { on_answer(std::move(r), false); });
    };
    if (front.latency.count() > 0) {
        clock_.ScheduleAfter(front.latency, std::move(deliver));
    } else {
        deliver();
    }
}

void Sender::Finish(std::shared_ptr<State> state, const core::Response& response, bool acknowledged) {
    if (pending_ > 0) --pending_;
    if (state->call.on_done) state->call.on_done(response, state->attempt, acknowledged);
}

}  // namespace sim::fakes::common
