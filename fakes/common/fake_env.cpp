#include "fakes/common/fake_env.hpp"

#include <memory>

#include "fakes/common/support.hpp"
#include "sim/core/trace.hpp"

namespace sim::fakes::common {

FakeEnv::FakeEnv(clock::Clock& clock, core::Transport& transport, FakeOptions options)
    : clock_(clock),
      transport_(transport),
      options_(std::move(options)),
      journal_(options_.journal_size),
      faults_(options_.seed ^ 0x46414b455f464c54ull),  // "FAKE_FLT": independent of the models' draws
      sender_(transport, clock, journal_, faults_, options_.no_response_release) {}

void FakeEnv::Reset() {
    journal_.Clear();
    faults_.Clear();
    idempotency_.Clear();
    sender_.Reset();
}

void FakeEnv::Route(core::Router& router, const std::string& method, const std::string& pattern,
                    const std::string& system, const std::string& operation, core::Handler handler) {
    systems_.insert(system);
    auto wrapped = [this, system, operation, handler = std::move(handler)](core::Request request,
                                                                          core::Respond respond) {
        std::string key;
        if (auto k = request.headers.Get("Idempotency-Key")) key = std::string(*k);
        JournalEntry e;
        e.at = clock_.Now();
        e.system = system;
        e.kind = JournalKind::kRequest;
        e.operation = operation;
        e.method = request.method;
        e.path = request.target;
        e.request_body = request.body;
        e.idempotency_key = key;

        if (!key.empty()) {
            core::Response stored;
            switch (idempotency_.Begin(system, key, request, &stored)) {
                case IdempotencyCache::Lookup::kReplay: {
                    stored.headers.Set("Idempotent-Replayed", "true");
                    e.fault = "idempotent_replay";
                    e.status = stored.status;
                    e.response_body = stored.body;
                    journal_.Append(std::move(e));
                    return respond(std::move(stored));
                }
                case IdempotencyCache::Lookup::kMismatch: {
                    auto r = FieldProblem(422, "Idempotency-Key", "was already used with a different request");
                    e.status = r.status;
                    e.response_body = r.body;
                    journal_.Append(std::move(e));
                    return respond(std::move(r));
                }
                case IdempotencyCache::Lookup::kInProgress: {
                    auto r = FieldProblem(409, "Idempotency-Key", "a request with this key is still being processed");
                    e.status = r.status;
                    e.response_body = r.body;
                    journal_.Append(std::move(e));
                    return respond(std::move(r));
                }
                case IdempotencyCache::Lookup::kNew: break;
            }
        }

        FaultDecision d = faults_.Decide(system, operation);
        e.fault = FaultLabel(d);
        std::uint64_t seq = journal_.Append(std::move(e));

        auto finish = [this, system, key, seq](core::Response r, bool cacheable, const core::Respond& out) {
            if (!key.empty()) {
                if (cacheable && r.status < 500)
                    idempotency_.Store(system, key, r);
                else
                    idempotency_.Release(system, key);
            }
            journal_.Complete(seq, r.status, r.body);
            out(std::move(r));
        };

        std::string trace(d.latency.count() > 0 ? request.headers.Get(core::kTraceHeader).value_or("") : "");
        auto run = [this, d, handler, finish, request = std::move(request), respond = std::move(respond)]() mutable {
            if (d.outcome == FaultOutcome::kError) {
                core::Response r;
                if (d.body.is_null()) {
                    r = FieldProblem(d.status, "", "injected fault " + d.rule_id);
                } else if (d.body.is_string()) {
                    r = core::Response::Text(d.status, d.body.get<std::string>());
                } else {
                    r = core::Response::Json(d.status, d.body);
                }
                r.headers.Set("X-Cardsim-Fault", "error");
                return finish(std::move(r), false, respond);
            }
            auto outcome = d.outcome;
            handler(std::move(request), [this, outcome, finish, respond](core::Response r) {
                if (outcome == FaultOutcome::kNone) return finish(std::move(r), true, respond);
                // The handler's effect stands (its answer is cached for an idempotent retry); the
                // caller does not get it.
                finish(std::move(r), true, [](core::Response) {});
                if (outcome == FaultOutcome::kReset) {
                    auto lost = FieldProblem(502, "", "connection reset (injected fault)");
                    lost.headers.Set("X-Cardsim-Fault", "reset");
                    lost.headers.Set("Connection", "close");
                    return respond(std::move(lost));
                }
                clock_.ScheduleAfter(options_.no_response_release, [respond] {
                    auto lost = FieldProblem(504, "", "no response (injected timeout)");
                    lost.headers.Set("X-Cardsim-Fault", "timeout");
                    respond(std::move(lost));
                });
            });
        };
        if (d.latency.count() > 0) {
            auto shared = std::make_shared<decltype(run)>(std::move(run));
            clock_.ScheduleAfter(d.latency, [this, shared, trace = std::move(trace), hop = "fake.latency " + system + " " + operation,
                                             start = clock_.Now()] {
                if (options_.on_latency) options_.on_latency(trace, hop, start, clock_.Now());
                (*shared)();
            });
        } else {
            run();
        }
    };
    router.Add(method, pattern, std::move(wrapped));
}

std::string DefaultCallbackSecret(const std::string& system) { return "cardsim-" + system + "-callback-secret"; }

void FakeEnv::Callback(const std::string& system, const std::string& operation, const std::string& path,
                       const nlohmann::json& body, const std::string& idempotency_key, RetryPolicy policy,
                       std::function<void(const core::Response&, int, bool)> on_done, const std::string& trace_id) {
    OutboundCall call;
    call.system = system;
    call.operation = operation;
    call.service = options_.platform_service;
    call.request.method = "POST";
    call.request.target = path;
    call.request.body = body.dump();
    call.request.headers.Set("Content-Type", "application/json");
    if (!idempotency_key.empty()) call.request.headers.Set("Idempotency-Key", idempotency_key);
    call.request.headers.Set("User-Agent", "cardsim-fake-" + system);
    if (!trace_id.empty()) call.request.headers.Set(core::kTraceHeader, trace_id);
    auto secret = options_.callback_secrets.find(system);
    call.request.headers.Set("X-Cardsim-Signature",
                             "sha256=" + HexEncode(HmacSha256(secret != options_.callback_secrets.end()
                                                              ? secret->second
                                                              : DefaultCallbackSecret(system),
                                                          call.request.body)));
    call.policy = policy;
    call.on_done = std::move(on_done);
    sender_.Send(std::move(call));
}

void FakeEnv::PutBatchObject(const std::string& system, const std::string& operation, const std::string& key,
                             std::string body, const std::string& content_type,
                             std::function<void(const core::Response&, int, bool)> on_done) {
    OutboundCall call;
    call.system = system;
    call.operation = operation;
    call.service = options_.aws_service;
    call.kind = JournalKind::kFile;
    call.request.method = "PUT";
    call.request.target = "/" + options_.batch_bucket + "/" + core::PercentEncode(key, true);
    call.request.body = std::move(body);
    call.request.headers.Set("Content-Type", content_type);
    // The bucket may be created later, so 4xx answers are retried too — but for about a day, as a
    // real sender retries a drop and then raises an alert: retrying every undelivered daily file
    // forever made each virtual day cost more than the one before (timers pile up quadratically).
    call.policy.max_attempts = kFileDropAttempts;
    call.policy.retry_client_errors = true;
    call.policy.initial_backoff = std::chrono::minutes(1);
    call.policy.max_backoff = std::chrono::hours(1);
    call.on_done = std::move(on_done);
    sender_.Send(std::move(call));
}

namespace {

core::Response JournalQueryResponse(FakeEnv& env, const core::Request& r) {
    JournalQuery q;
    q.system = r.QueryParam("system").value_or("");
    q.path_prefix = r.QueryParam("path").value_or("");
    if (!q.system.empty() && !env.systems().count(q.system))
        return FieldProblem(400, "system", "is not a fake system name");
    if (auto since = r.QueryParam("since"); since && !since->empty()) {
        bool digits = since->find_first_not_of("0123456789") == std::string::npos;
        if (digits) {
            q.after_seq = std::stoull(since->substr(0, 18));
        } else if (auto t = core::ParseIso8601(*since)) {
            q.since_time = *t;
        } else {
            return FieldProblem(400, "since", "must be a journal seq (entries after it) or an ISO 8601 time");
        }
    }
    if (auto limit = r.QueryParam("limit"); limit && !limit->empty()) {
        if (limit->find_first_not_of("0123456789") != std::string::npos || limit->size() > 6 || std::stoul(*limit) == 0)
            return FieldProblem(400, "limit", "must be a positive integer");
        q.limit = std::stoul(*limit);
    }
    nlohmann::json entries = nlohmann::json::array();
    for (const auto& e : env.journal().Query(q)) entries.push_back(ToJson(e));
    return core::Response::Json(200, {{"entries", entries},
                                      {"last_seq", env.journal().last_seq()},
                                      {"capacity", env.journal().capacity()}});
}

}  // namespace

void AddControlRoutes(core::Router& router, FakeEnv& env) {
    core::RouteOptions small{64 * 1024, false};
    router.Add("GET", "/_sim/journal", core::FromSync([&env](const core::Request& r) { return JournalQueryResponse(env, r); }));
    router.Add("POST", "/_sim/faults", core::FromSync([&env](const core::Request& r) {
                   auto body = nlohmann::json::parse(r.body, nullptr, false);
                   if (body.is_discarded()) return FieldProblem(400, "body", "is not valid JSON");
                   auto rule = ParseFaultRule(body);
                   if (!rule) return ToResponse(rule.error());
                   if (rule->system != "*" && rule->system != kPlatformFrontDoor && !env.systems().count(rule->system))
                       return FieldProblem(400, "system", "is not a fake system name (or \"*\", or \"platform\" for its front door)");
                   return core::Response::Json(201, ToJson(env.faults().Add(std::move(rule).value())));
               }),
               small);
    router.Add("GET", "/_sim/faults", core::FromSync([&env](const core::Request&) {
                   nlohmann::json list = nlohmann::json::array();
                   for (const auto& rule : env.faults().rules()) list.push_back(ToJson(rule));
                   return core::Response::Json(200, {{"faults", list}});
               }));
    router.Add("DELETE", "/_sim/faults", core::FromSync([&env](const core::Request&) {
                   std::size_t n = env.faults().rules().size();
                   env.faults().Clear();
                   return core::Response::Json(200, {{"cleared", n}});
               }));
    router.Add("DELETE", "/_sim/faults/{id}", core::FromSync([&env](const core::Request& r) {
                   const std::string& id = r.path_params.at("id");
                   if (!env.faults().Remove(id)) return FieldProblem(404, "id", "no fault rule " + id);
                   return core::Response::Json(200, {{"cleared", 1}});
               }));
}

}  // namespace sim::fakes::common
