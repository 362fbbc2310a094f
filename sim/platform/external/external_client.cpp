#include "sim/platform/external/external_client.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "sim/core/trace.hpp"

namespace sim::platform::external {

namespace {
std::string Millis(core::Duration d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}
}  // namespace

std::string_view ToString(ExternalErrorKind k) {
    switch (k) {
        case ExternalErrorKind::kUnavailable: return "unavailable";
        case ExternalErrorKind::kCircuitOpen: return "circuit_open";
        case ExternalErrorKind::kRejected: return "rejected";
        case ExternalErrorKind::kBadResponse: return "bad_response";
    }
    return "unavailable";
}

std::string ExternalError::Describe(const std::string& system) const {
    std::string s = system + " " + std::string(ToString(kind));
    if (attempts > 0) s += " after " + std::to_string(attempts) + " attempt" + (attempts == 1 ? "" : "s");
    if (status > 0) s += ": HTTP " + std::to_string(status);
    if (!code.empty()) s += " " + code;
    if (!message.empty()) s += " (" + message + ")";
    return s;
}

core::Duration BackoffAfter(const ExternalOptions& o, int attempt) {
    core::Duration d = o.initial_backoff;
    for (int i = 1; i < attempt && d < o.max_backoff; ++i) d *= 2;
    return std::min(d, o.max_backoff);
}

struct ExternalClient::Attempt {
    std::string system;
    ExternalCall call;
    ExternalDone done;
    int attempts = 0;
    std::uint64_t generation = 0;
    // Per attempt: whether this attempt is settled (answered or timed out) and its timer.
    std::shared_ptr<bool> settled;
    clock::TimerId timer = 0;
};

ExternalClient::ExternalClient(clock::Clock& clock, core::Transport& transport, metrics::Registry* metrics,
                               ExternalOptions options)
    : clock_(clock), transport_(transport), metrics_(metrics), options_(options), random_(options.seed ^ 0x4558545f434cull) {}

ExternalClient::~ExternalClient() { ++generation_; }

CircuitBreaker& ExternalClient::BreakerOf(const std::string& system) {
    auto it = breakers_.find(system);
    if (it == breakers_.end()) it = breakers_.emplace(system, CircuitBreaker(options_.breaker)).first;
    return it->second;
}

BreakerState ExternalClient::Breaker(const std::string& system) const {
    auto it = breakers_.find(system);
    return it == breakers_.end() ? BreakerState::kClosed : it->second.State(clock_.Now());
}

Json ExternalClient::BreakerStatus() const {
    Json out = Json::object();
    for (const auto& [name, b] : breakers_)
        out[name] = {{"state", ToString(b.State(clock_.Now()))},
                     {"consecutive_failures", b.consecutive_failures()},
                     {"times_opened", b.times_opened()}};
    return out;
}

void ExternalClient::Reset() {
    ++generation_;
    breakers_.clear();
}

void ExternalClient::Count(const std::string& system, const std::string& operation, std::string_view outcome) {
    if (!metrics_) return;
    metrics_
        ->GetCounter("cardsim_platform_external_calls_total",
                     {{"system", system}, {"operation", operation}, {"outcome", std::string(outcome)}},
                     "Calls of the platform to external systems, by final outcome")
        .Add(1);
}

void ExternalClient::Call(const std::string& system, ExternalCall call, ExternalDone done) {
    auto a = std::make_shared<Attempt>();
    a->system = system;
    a->call = std::move(call);
    if (a->call.operation.empty()) a->call.operation = a->call.method + " " + a->call.path;
    a->done = std::move(done);
    a->generation = generation_;
    Try(std::move(a));
}

void ExternalClient::Try(std::shared_ptr<Attempt> a) {
    if (a->generation != generation_) return;
    if (!BreakerOf(a->system).Allow(clock_.Now())) {
        ExternalError e{ExternalErrorKind::kCircuitOpen, 0, "circuit_open",
                        "the circuit breaker of " + a->system + " is open", nullptr, a->attempts};
        return Finish(std::move(a), core::Fail(std::move(e)));
    }
    ++a->attempts;
    core::Request req;
    req.method = a->call.method;
    req.target = a->call.path;
    if (a->call.body) {
        req.body = a->call.body->dump();
        req.headers.Set("Content-Type", "application/json");
    }
    req.headers.Set("Accept", "application/json");
    if (!a->call.idempotency_key.empty()) req.headers.Set("Idempotency-Key", a->call.idempotency_key);
    if (!a->call.trace_id.empty()) req.headers.Set(core::kTraceHeader, a->call.trace_id);
    req.headers.Set("User-Agent", "cardsim-platform");
    for (const auto& [k, v] : a->call.headers) req.headers.Set(k, v);

    auto settled = std::make_shared<bool>(false);
    a->settled = settled;
    a->timer = clock_.ScheduleAfter(options_.timeout, [this, a, settled, gen = generation_] {
        if (*settled || gen != generation_) return;
        *settled = true;
        Failed(a, 0, "timeout", "no answer within " + Millis(options_.timeout), nullptr);
    });
    transport_.Send(a->system, std::move(req), [this, a, settled, gen = generation_](core::Response r) {
        if (*settled || gen != generation_) return;  // timed out already, or reset
        *settled = true;
        clock_.Cancel(a->timer);
        Json body = r.body.empty() ? Json() : Json::parse(r.body, nullptr, false);
        if (r.status / 100 == 2) {
            BreakerOf(a->system).OnSuccess();
            if (body.is_discarded()) {
                ExternalError e{ExternalErrorKind::kBadResponse, r.status, "bad_response", "the answer is not JSON",
                                nullptr, a->attempts};
                return Finish(a, core::Fail(std::move(e)));
            }
            ExternalResponse ok{r.status, std::move(body), r.headers, a->attempts};
            return Finish(a, std::move(ok));
        }
        if (body.is_discarded()) body = Json();
        std::string code, message;
        if (body.is_object()) {
            for (const char* k : {"reason", "code", "error"})
                if (body.contains(k) && body[k].is_string()) {
                    code = body[k].get<std::string>();
                    break;
                }
            message = body.value("detail", body.value("message", std::string{}));
        }
        bool retryable = r.status == 408 || r.status == 425 || r.status == 429 || r.status >= 500;
        if (!retryable) {
            BreakerOf(a->system).OnSuccess();  // the system is up: it understood and refused
            ExternalError e{ExternalErrorKind::kRejected, r.status, code, message, body, a->attempts};
            return Finish(a, core::Fail(std::move(e)));
        }
        if (auto t = r.headers.Get("X-Cardsim-Transport-Error")) code = "transport_" + std::string(*t);
        Failed(a, r.status, code, message, body);
    });
}

void ExternalClient::Failed(std::shared_ptr<Attempt> a, int status, std::string code, std::string message, Json body) {
    BreakerOf(a->system).OnFailure(clock_.Now());
    if (!a->call.retry || a->attempts >= options_.max_attempts) {
        ExternalError e{ExternalErrorKind::kUnavailable, status, std::move(code), std::move(message), std::move(body),
                        a->attempts};
        return Finish(std::move(a), core::Fail(std::move(e)));
    }
    core::Duration d = BackoffAfter(options_, a->attempts);
    // Jitter: uniform in [d/2, d], from the seeded generator (same seed, same schedule).
    auto half = d / 2;
    auto jitter = core::Duration(static_cast<core::Duration::rep>(random_.Below(static_cast<std::uint64_t>(half.count()) + 1)));
    spdlog::debug("[platform.external] {} {} attempt {} failed ({} {}); retry in {}", a->system, a->call.operation,
                  a->attempts, status, code, Millis(half + jitter));
    clock_.ScheduleAfter(half + jitter, [this, a] { Try(a); });
}

void ExternalClient::Finish(std::shared_ptr<Attempt> a, ExternalResult result) {
    Count(a->system, a->call.operation, result ? "ok" : ToString(result.error().kind));
    if (!result) spdlog::info("[platform.external] {} {}: {}", a->system, a->call.operation, result.error().Describe(a->system));
    auto done = std::move(a->done);
    done(std::move(result));
}

}  // namespace sim::platform::external
