#include "sim/scenario/load/platform_flows.hpp"

#include <algorithm>

#include "sim/core/trace.hpp"

namespace sim::scenario::load {

namespace {

using Json = nlohmann::json;
using std::chrono::nanoseconds;
using Reply = FlowClient::Reply;

constexpr const char* kPassword = "load-password-0123";

// The hops each flow's arrivals report (FlowHops; thresholds are checked against them).
constexpr const char* kHopAuthorize = "authorize";
constexpr const char* kHopRecordAndPush = "record_and_push";
constexpr const char* kHopBalance = "balance";
constexpr const char* kHopStatements = "statements";
constexpr const char* kHopAuthorizations = "authorizations";
constexpr const char* kHopQr = "qr";
constexpr const char* kHopCashIn = "cash_in";
constexpr const char* kHopPlatformRecorded = "platform_recorded";
constexpr const char* kHopSignup = "signup";
constexpr const char* kHopSignin = "signin";
constexpr const char* kHopSubmit = "submit";


std::map<std::string, std::string> Bearer(const Member& m) { return {{"Authorization", "Bearer " + m.session_token}}; }

/// `headers` plus the arrival's trace header (none when `trace_id` is empty).
std::map<std::string, std::string> Traced(std::map<std::string, std::string> headers, const std::string& trace_id) {
    if (!trace_id.empty()) headers[std::string(core::kTraceHeader)] = trace_id;
    return headers;
}

bool Ok(const Reply& r) { return r.status >= 200 && r.status < 300; }

std::string ErrorKind(const std::string& hop, const Reply& r) {
    if (r.status == 0) return hop + ":no_answer";
    return hop + ":http_" + std::to_string(r.status);
}

std::string Describe(const std::string& what, const Reply& r) {
    return what + " answered " + std::to_string(r.status) + (r.body.is_null() ? "" : ": " + r.body.dump().substr(0, 300));
}

/// Waits for a push delivery to `member` whose JSON mentions `needle`, long-polling the push
/// gateway from the member's cursor; `done(true)` when found, `done(false)` after `deadline`.
void AwaitPush(FlowClient& client, Member& member, std::uint64_t after, std::string needle, clock::TimePoint deadline,
               std::function<void(bool)> done) {
    if (client.Clock().Now() >= deadline) {
        done(false);
        return;
    }
    std::string target = "/push/v1/deliveries/await?token=" + member.device_token + "&after=" + std::to_string(after) +
                         "&count=1&timeout=PT5S";
    client.Call("push", "GET", target, nullptr, {},
                [&client, &member, after, needle = std::move(needle), deadline, done = std::move(done)](Reply r) mutable {
                    if (!Ok(r) || !r.body.contains("deliveries")) {
                        done(false);
                        return;
                    }
                    std::uint64_t cursor = after;
                    for (const auto& d : r.body["deliveries"]) {
                        cursor = std::max<std::uint64_t>(cursor, d.value("seq", std::uint64_t{0}));
                        member.push_cursor = std::max(member.push_cursor, cursor);
                        if (d.dump().find(needle) != std::string::npos) {
                            done(true);
                            return;
                        }
                    }
                    AwaitPush(client, member, cursor, std::move(needle), deadline, std::move(done));
                });
}

class CardUseFlow : public LoadFlow {
public:
    CardUseFlow(FlowClient& client, Population& population) : client_(client), population_(population) {}
    void Start(std::uint64_t arrival, const std::string& trace_id, std::function<void(ArrivalOutcome)> done) override {
        auto& members = population_.Members();
        Member& m = members[arrival % members.size()];
        // Random-looking but deterministic amounts below the magic ¥99,800 range.
        std::int64_t amount = 100 + static_cast<std::int64_t>((arrival * 7919) % 4900);
        auto started = client_.Clock().Now();
        std::uint64_t cursor = m.push_cursor;
        Json body = {{"card", m.pan}, {"amount", amount}, {"merchant_name", "LOAD MART"}, {"mcc", "5411"}};
        client_.Call("payment-processor", "POST", "/payment/simulate/authorizations", body, Traced({}, trace_id),
                         [this, &m, cursor, started, done = std::move(done)](Reply r) mutable {
                             if (!Ok(r) || !r.body.contains("authorization_id")) {
                                 done(ArrivalOutcome::Error(ErrorKind(kHopAuthorize, r)));
                                 return;
                             }
                             auto authorized = client_.Clock().Now();
                             std::string id = r.body["authorization_id"].get<std::string>();
                             AwaitPush(client_, m, cursor, id, authorized + std::chrono::seconds(30),
                                       [this, started, authorized, done = std::move(done)](bool found) {
                                           if (!found) {
                                               done(ArrivalOutcome::Error("push:not_delivered"));
                                               return;
                                           }
                                           ArrivalOutcome o;
                                           o.hops[kHopAuthorize] = authorized - started;
                                           o.hops[kHopRecordAndPush] = client_.Clock().Now() - authorized;
                                           done(std::move(o));
                                       });
                         });
    }

private:
    FlowClient& client_;
    Population& population_;
};

class AppBrowseFlow : public LoadFlow {
public:
    AppBrowseFlow(FlowClient& client, Population& population) : client_(client), population_(population) {}
    void Start(std::uint64_t arrival, const std::string& trace_id, std::function<void(ArrivalOutcome)> done) override {
        auto& members = population_.Members();
        Member& m = members[arrival % members.size()];
        auto outcome = std::make_shared<ArrivalOutcome>();
        Step(m, 0, trace_id, outcome, std::move(done));
    }

private:
    void Step(Member& m, std::size_t i, const std::string& trace_id, std::shared_ptr<ArrivalOutcome> outcome,
              std::function<void(ArrivalOutcome)> done) {
        static const std::pair<const char*, const char*> kPages[] = {
            {kHopBalance, "/app/v1/balance"}, {kHopStatements, "/app/v1/statements"}, {kHopAuthorizations, "/app/v1/authorizations?limit=10"}};
        if (i == std::size(kPages)) {
            done(std::move(*outcome));
            return;
        }
        client_.Call("platform", "GET", kPages[i].second, nullptr, Traced(Bearer(m), trace_id),
                     [this, &m, i, trace_id, outcome, done = std::move(done)](Reply r) mutable {
                         if (!Ok(r)) {
                             done(ArrivalOutcome::Error(ErrorKind(kPages[i].first, r)));
                             return;
                         }
                         outcome->hops[kPages[i].first] = r.latency;
                         Step(m, i + 1, trace_id, outcome, std::move(done));
                     });
    }
    FlowClient& client_;
    Population& population_;
};

class AtmRepaymentFlow : public LoadFlow {
public:
    AtmRepaymentFlow(FlowClient& client, Population& population) : client_(client), population_(population) {}
    void Start(std::uint64_t arrival, const std::string& trace_id, std::function<void(ArrivalOutcome)> done) override {
        auto& members = population_.Members();
        Member& m = members[arrival % members.size()];
        auto started = client_.Clock().Now();
        client_.Call("platform", "POST", "/app/v1/repayments/qr", Json{{"amount", 1000}}, Traced(Bearer(m), trace_id),
                     [this, &m, started, trace_id, done = std::move(done)](Reply qr) mutable {
                         if (!Ok(qr) || !qr.body.contains("repay_token")) {
                             done(ArrivalOutcome::Error(ErrorKind(kHopQr, qr)));
                             return;
                         }
                         Json cash = {{"repay_token", qr.body["repay_token"]}, {"store_code", "S-LOAD"}, {"notes", Json::array({1000})}};
                         auto issued = client_.Clock().Now();
                         client_.Call("atm", "POST", "/atm/simulate/repayments", cash, Traced({}, trace_id),
                                      [this, &m, started, issued, done = std::move(done)](Reply r) mutable {
                                          if (!Ok(r) || !r.body.contains("atm_txn_id")) {
                                              done(ArrivalOutcome::Error(ErrorKind(kHopCashIn, r)));
                                              return;
                                          }
                                          auto cashed = client_.Clock().Now();
                                          AwaitRecorded(m, r.body["atm_txn_id"].get<std::string>(), started, issued, cashed,
                                                        std::move(done));
                                      });
                     });
    }

private:
    void AwaitRecorded(Member& m, std::string atm_txn_id, clock::TimePoint started, clock::TimePoint issued,
                       clock::TimePoint cashed, std::function<void(ArrivalOutcome)> done) {
        client_.Call("platform", "GET", "/app/v1/repayments", nullptr, Bearer(m),
                     [this, &m, atm_txn_id, started, issued, cashed, done = std::move(done)](Reply r) mutable {
                         if (!Ok(r)) {
                             done(ArrivalOutcome::Error(ErrorKind("recorded", r)));
                             return;
                         }
                         if (r.body.dump().find(atm_txn_id) != std::string::npos) {
                             ArrivalOutcome o;
                             o.hops[kHopQr] = issued - started;
                             o.hops[kHopCashIn] = cashed - issued;
                             o.hops[kHopPlatformRecorded] = client_.Clock().Now() - cashed;
                             done(std::move(o));
                             return;
                         }
                         if (client_.Clock().Now() - cashed > std::chrono::seconds(30)) {
                             done(ArrivalOutcome::Error("recorded:not_recorded"));
                             return;
                         }
                         client_.Clock().ScheduleAfter(std::chrono::milliseconds(20),
                                                       [this, &m, atm_txn_id, started, issued, cashed, done = std::move(done)]() mutable {
                                                           AwaitRecorded(m, atm_txn_id, started, issued, cashed, std::move(done));
                                                       });
                     });
    }
    FlowClient& client_;
    Population& population_;
};

class ApplicationFlow : public LoadFlow {
public:
    ApplicationFlow(FlowClient& client, std::string tag) : client_(client), tag_(std::move(tag)) {}
    void Start(std::uint64_t arrival, const std::string& trace_id, std::function<void(ArrivalOutcome)> done) override {
        // `arrival` counts this shard's arrivals: the tag keeps shards' applicants apart.
        auto email = "applicant-" + tag_ + "-" + std::to_string(arrival) + "@load.example";
        auto outcome = std::make_shared<ArrivalOutcome>();
        client_.Call("platform", "POST", "/app/v1/members", Json{{"email", email}, {"password", kPassword}},
                     Traced({}, trace_id), [this, email, trace_id, outcome, done = std::move(done)](Reply r) mutable {
                         if (!Ok(r)) return done(ArrivalOutcome::Error(ErrorKind(kHopSignup, r)));
                         outcome->hops[kHopSignup] = r.latency;
                         client_.Call("platform", "POST", "/app/v1/sessions", Json{{"email", email}, {"password", kPassword}},
                                      Traced({}, trace_id), [this, trace_id, outcome, done = std::move(done)](Reply s) mutable {
                                          if (!Ok(s) || !s.body.contains("token")) return done(ArrivalOutcome::Error(ErrorKind(kHopSignin, s)));
                                          outcome->hops[kHopSignin] = s.latency;
                                          Json application = {
                                              {"family_name", "テスト"}, {"given_name", "通常"}, {"family_name_kana", "テスト"},
                                              {"given_name_kana", "ツウジョウ"}, {"birth_date", "1990-04-01"},
                                              {"postal_code", "160-0022"}, {"address", "東京都新宿区新宿1-1-1"},
                                              {"phone", "090-0000-0000"}, {"annual_income", 4000000}, {"household_size", 1},
                                              {"housing", "RENTED"}, {"other_annual_debt", 0}, {"ekyc_method", "HE"},
                                              {"documents", Json::array({{{"type", "IC_CHIP"}}, {{"type", "SELFIE"}}})},
                                              {"embossed_name", "TARO TESUTO"}};
                                          client_.Call("platform", "POST", "/app/v1/applications", application,
                                                       Traced({{"Authorization", "Bearer " + s.body["token"].get<std::string>()}}, trace_id),
                                                       [outcome, done = std::move(done)](Reply a) mutable {
                                                           if (!Ok(a)) return done(ArrivalOutcome::Error(ErrorKind(kHopSubmit, a)));
                                                           outcome->hops[kHopSubmit] = a.latency;
                                                           done(std::move(*outcome));
                                                       });
                                      });
                     });
    }

private:
    FlowClient& client_;
    std::string tag_;
};

}  // namespace

const std::vector<std::string>& ServerPath(const std::string& flow) {
    static const std::map<std::string, std::vector<std::string>> kPaths = {
        // authorization at the processor -> platform poll -> payment record -> notification queue
        // -> platform-notify -> push gateway (one trace, the arrival's, except the poll and the
        // recording of its page: a trace per poll)
        {"card_use",
         {"fakes POST /payment/simulate/authorizations", "payment.feed_wait", "fakes GET /payment/v1/authorizations",
          "payment.record", "aws AmazonSQS.SendMessage", "sqs.dwell platform-notifications", "function platform-notify",
          "fakes POST /push/v1/send", "store.commit_wait"}},
        {"app_browse",
         {"platform GET /app/v1/balance", "platform GET /app/v1/statements", "platform GET /app/v1/authorizations",
          "store.commit_wait"}},
        // QR at the app -> cash in at the ATM -> its callback -> the repayment saga's steps ->
        // notification queue -> platform-notify -> push gateway (one trace: the arrival's)
        {"atm_repayment",
         {"platform POST /app/v1/repayments/qr", "fakes POST /atm/simulate/repayments", "platform POST /ext/v1/atm/repayments",
          "platform GET /internal/payment/cards", "platform POST /internal/statement/allocations",
          "platform POST /internal/payment/cards/{card_id}/repayments", "fakes POST /payment/v1/card-accounts/{id}/repayments",
          "aws AmazonSQS.SendMessage", "sqs.dwell platform-notifications", "function platform-notify",
          "fakes POST /push/v1/send", "platform GET /app/v1/repayments", "store.commit_wait"}},
        {"application",
         {"platform POST /app/v1/members", "platform POST /app/v1/sessions", "platform POST /app/v1/applications",
          "fakes POST /ekyc/v1/verifications", "store.commit_wait"}},
    };
    static const std::vector<std::string> kNone;
    auto it = kPaths.find(flow);
    return it == kPaths.end() ? kNone : it->second;
}

const std::map<std::string, std::set<std::string>>& FlowHops() {
    static const std::map<std::string, std::set<std::string>> kHops = {
        {"card_use", {kHopAuthorize, kHopRecordAndPush}},
        {"app_browse", {kHopBalance, kHopStatements, kHopAuthorizations}},
        {"atm_repayment", {kHopQr, kHopCashIn, kHopPlatformRecorded}},
        {"application", {kHopSignup, kHopSignin, kHopSubmit}},
    };
    return kHops;
}

const std::set<std::string>& KnownFlows() {
    static const std::set<std::string> kFlows = {"card_use", "app_browse", "atm_repayment", "application"};
    return kFlows;
}

void FlowClient::Call(const std::string& service, const std::string& method, const std::string& target, const Json& body,
                      const std::map<std::string, std::string>& headers, std::function<void(Reply)> done) {
    core::Request request;
    request.method = method;
    request.target = target;
    if (!body.is_null()) {
        request.body = body.dump();
        request.headers.Set("Content-Type", "application/json");
    }
    for (const auto& [name, value] : headers) request.headers.Set(name, value);
    auto sent = clock_.Now();
    transport_.Send(service, std::move(request), [this, sent, done = std::move(done)](core::Response response) {
        Reply r;
        r.status = response.status;
        r.latency = clock_.Now() - sent;
        if (!response.body.empty()) {
            r.body = Json::parse(response.body, nullptr, false);
            if (r.body.is_discarded()) r.body = nullptr;
        }
        done(std::move(r));
    });
}

void Population::Prepare(std::uint32_t count, std::uint32_t parallel, std::function<void(std::string)> done) {
    members_.assign(count, Member{});
    struct State {
        std::size_t next = 0;
        std::size_t finished = 0;
        std::string failure;
        std::function<void(std::string)> done;
        std::function<void()> launch;
    };
    auto state = std::make_shared<State>();
    state->done = std::move(done);
    state->launch = [this, state] {
        if (state->next >= members_.size()) return;
        std::size_t index = state->next++;
        PrepareOne(index, [this, state](std::string failure) {
            if (!failure.empty() && state->failure.empty()) state->failure = failure;
            if (++state->finished == members_.size()) {
                auto finish = std::move(state->done);
                state->launch = nullptr;  // breaks the state <-> launch cycle
                finish(state->failure);
                return;
            }
            if (state->failure.empty()) state->launch();
            else if (state->finished == state->next) {
                auto finish = std::move(state->done);
                state->launch = nullptr;
                finish(state->failure);
            }
        });
    };
    if (members_.empty()) {
        state->done("");
        return;
    }
    for (std::uint32_t i = 0; i < std::max<std::uint32_t>(1, parallel); ++i) state->launch();
}

void Population::PrepareOne(std::size_t index, std::function<void(std::string)> done) {
    Member& m = members_[index];
    m.email = "member-" + tag_ + "-" + std::to_string(index) + "@load.example";
    m.device_token = "load-" + tag_ + "-" + std::to_string(index);
    Json credentials = {{"email", m.email}, {"password", kPassword}};
    client_.Call("platform", "POST", "/app/v1/members", credentials, {}, [this, &m, index, credentials, done = std::move(done)](Reply r) mutable {
        if (r.status == 409)  // a --target keeps the members of an earlier run with the same names
            return done(Describe("POST /app/v1/members", r) + " (" + m.email +
                        " exists from an earlier run: give another --seed, or POST /_sim/reset to the target)");
        if (!Ok(r) || !r.body.contains("member_id")) return done(Describe("POST /app/v1/members", r));
        m.member_id = r.body["member_id"].get<std::string>();
        client_.Call("platform", "POST", "/app/v1/sessions", credentials, {}, [this, &m, index, done = std::move(done)](Reply s) mutable {
            if (!Ok(s) || !s.body.contains("token")) return done(Describe("POST /app/v1/sessions", s));
            m.session_token = s.body["token"].get<std::string>();
            client_.Call("platform", "POST", "/app/v1/devices", Json{{"token", m.device_token}}, Bearer(m),
                         [this, &m, index, done = std::move(done)](Reply d) mutable {
                if (!Ok(d)) return done(Describe("POST /app/v1/devices", d));
                Json account = {{"external_ref", "LOAD-" + tag_ + "-" + std::to_string(index)},
                                {"credit_limit", 100000}, {"network", "VISA"}};
                client_.Call("payment-processor", "POST", "/payment/v1/card-accounts", account, {},
                             [this, &m, done = std::move(done)](Reply a) mutable {
                    if (!Ok(a) || !a.body.contains("card_number")) return done(Describe("POST /payment/v1/card-accounts", a));
                    m.pan = a.body["card_number"].get<std::string>();
                    Json card = {{"member_id", m.member_id}, {"application_id", "LOAD"},
                                 {"card_account_id", a.body.value("card_account_id", "")}, {"card_token", a.body.value("card_token", "")},
                                 {"pan", m.pan}, {"network", a.body.value("network", "VISA")}, {"expiry", a.body.value("expiry", "")},
                                 {"credit_limit", 100000}};
                    client_.Call("payment", "POST", "/internal/payment/cards", card, {}, [&m, done = std::move(done)](Reply c) mutable {
                        if (!Ok(c) || !c.body.contains("card_id")) return done(Describe("POST /internal/payment/cards", c));
                        m.card_id = c.body["card_id"].get<std::string>();
                        done("");
                    });
                });
            });
        });
    });
}

std::unique_ptr<LoadFlow> MakeFlow(const std::string& name, FlowClient& client, Population& population) {
    if (name == "card_use") return std::make_unique<CardUseFlow>(client, population);
    if (name == "app_browse") return std::make_unique<AppBrowseFlow>(client, population);
    if (name == "atm_repayment") return std::make_unique<AtmRepaymentFlow>(client, population);
    if (name == "application") return std::make_unique<ApplicationFlow>(client, population.Tag());
    return nullptr;
}

}  // namespace sim::scenario::load
