#include "sim/platform/repayment/repayment_service.hpp"

#include <spdlog/spdlog.h>

#include "sim/core/json_fields.hpp"
#include "sim/core/time.hpp"
#include "sim/core/trace.hpp"
#include "sim/platform/common/internal_client.hpp"
#include "sim/platform/repayment/domain/repay_token.hpp"

namespace sim::platform::repayment {

namespace {

using domain::Yen;

const store::Migration kMigrations[] = {
    {1,
     "CREATE TABLE qr_tokens (nonce TEXT PRIMARY KEY, member_id TEXT NOT NULL, amount INTEGER, exp INTEGER NOT NULL,"
     " created_at TEXT NOT NULL);"
     "CREATE TABLE repayments (repayment_id TEXT PRIMARY KEY, atm_txn_id TEXT NOT NULL UNIQUE,"
     " member_id TEXT NOT NULL, card_id TEXT, card_account_id TEXT, amount INTEGER NOT NULL,"
     " store_code TEXT NOT NULL, received_at TEXT NOT NULL, step TEXT NOT NULL, principal INTEGER,"
     " interest INTEGER, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',"
     " created_at TEXT NOT NULL, updated_at TEXT NOT NULL);"
     "CREATE INDEX repayments_member ON repayments (member_id, created_at);"},
    // The trace of the ATM callback that created the row: every step's call continues it, so the
    // repayment is one trace from the cash-in to the push (docs/load.md, "Server-side hops").
    {2, "ALTER TABLE repayments ADD COLUMN trace_id TEXT NOT NULL DEFAULT ''"},
};

// Steps, in order. DONE and UNMATCHED are final.
constexpr const char* kReceived = "RECEIVED";
constexpr const char* kAllocated = "ALLOCATED";
constexpr const char* kBalanceApplied = "BALANCE_APPLIED";
constexpr const char* kCreditRestored = "CREDIT_RESTORED";
constexpr const char* kDone = "DONE";
constexpr const char* kUnmatched = "UNMATCHED";


/// The JST calendar date of an ISO 8601 instant ("" when unreadable).
std::string JstDateOf(const std::string& iso) {
    auto t = core::ParseIso8601(iso);
    if (!t) return "";
    auto d = std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(*t + std::chrono::hours(9))};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                  static_cast<unsigned>(d.day()));
    return buf;
}

}  // namespace

struct RepaymentService::Row {
    std::string repayment_id, atm_txn_id, member_id, card_id, card_account_id;
    Yen amount = 0;
    std::string store_code, received_at, step;
    std::optional<Yen> principal, interest;
    std::int64_t attempts = 0;
    std::string last_error, created_at;
    std::string trace_id;  ///< of the callback that created the row ("" for rows from before migration 2)
    Json ToJson() const {
        Json j = {{"repayment_id", repayment_id}, {"atm_txn_id", atm_txn_id}, {"amount", amount},
                  {"store_code", store_code},     {"received_at", received_at}, {"status", step},
                  {"created_at", created_at}};
        if (principal) j["principal"] = *principal;
        if (interest) j["interest"] = *interest;
        return j;
    }
};

RepaymentService::RepaymentService(PlatformContext& ctx)
    : ctx_(ctx),
      db_(std::make_unique<ServiceDb>("repayment", ctx.options.data_dir, ctx.group, kMigrations)),
      ids_(ctx.options.seed ^ 0x52455041594dull ^ (db_->Boots() * 0x9e3779b97f4a7c15ull)) {
    ctx_.invariants.Add("repayment", [this](InvariantReport& report) { CheckInvariants(report); });
}

RepaymentService::~RepaymentService() {
    for (auto& [id, timer] : retry_timers_) ctx_.clock.Cancel(timer);
}

void RepaymentService::Install(core::Router& router) {
    auto sync = [this](core::Response (RepaymentService::*fn)(const core::Request&)) {
        return core::FromSync([this, fn](const core::Request& r) { return (this->*fn)(r); });
    };
    ctx_.gateway.App(router, "POST", "/app/v1/repayments/qr", sync(&RepaymentService::IssueQr));
    ctx_.gateway.App(router, "GET", "/app/v1/repayments", sync(&RepaymentService::List));
    ctx_.gateway.Ext(router, "POST", "/ext/v1/atm/repayments", "atm", sync(&RepaymentService::AtmCallback));
}

void RepaymentService::Start() {
    // Resume whatever was left half-way (a restart).
    std::vector<std::string> open;
    auto& st = db_->db().Prepare("SELECT repayment_id FROM repayments WHERE step NOT IN ('DONE', 'UNMATCHED')");
    while (st.Step()) open.push_back(st.Text(0));
    st.Reset();
    for (const auto& id : open) Advance(id);
}

void RepaymentService::Reset() {
    ++generation_;
    for (auto& [id, timer] : retry_timers_) ctx_.clock.Cancel(timer);
    retry_timers_.clear();
    in_flight_.clear();
    db_->Wipe();
}

std::optional<RepaymentService::Row> RepaymentService::Find(const std::string& id) {
    auto& st = db_->db().Prepare(
        "SELECT repayment_id, atm_txn_id, member_id, COALESCE(card_id, ''), COALESCE(card_account_id, ''), amount,"
        " store_code, received_at, step, principal, interest, attempts, last_error, created_at, trace_id FROM repayments"
        " WHERE repayment_id = ?1");
    std::optional<Row> out;
    if (st.BindAll(id).Step()) {
        Row r;
        r.repayment_id = st.Text(0);
        r.atm_txn_id = st.Text(1);
        r.member_id = st.Text(2);
        r.card_id = st.Text(3);
        r.card_account_id = st.Text(4);
        r.amount = st.Int64(5);
        r.store_code = st.Text(6);
        r.received_at = st.Text(7);
        r.step = st.Text(8);
        if (!st.IsNull(9)) r.principal = st.Int64(9);
        if (!st.IsNull(10)) r.interest = st.Int64(10);
        r.attempts = st.Int64(11);
        r.last_error = st.Text(12);
        r.created_at = st.Text(13);
        r.trace_id = st.Text(14);
        out = std::move(r);
    }
    st.Reset();
    return out;
}

core::Response RepaymentService::IssueQr(const core::Request& r) {
    core::JsonFields in(r);
    std::optional<Yen> amount = in.OptInt("amount", 1, domain::kMaxAtmAmount);
    if (in.failed()) return in.problem();
    if (auto ok = domain::ValidateAtmAmount(amount); !ok) return core::FieldProblem(400, ok.error().field, ok.error().message);
    const std::string member = MemberOf(r);
    const std::string nonce = ids_.Hex(16);
    auto token = domain::IssueRepayToken(ctx_.options.atm_hmac_secret, member, nonce, ctx_.clock.Now(),
                                         domain::kMaxTokenLifetime, amount);
    if (!token) return core::FieldProblem(400, token.error().field, token.error().message);
    auto scope = db_->Write();
    db_->db()
        .Prepare("INSERT INTO qr_tokens (nonce, member_id, amount, exp, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")
        .BindAll(nonce, member, amount, token->payload.exp, core::FormatIso8601(ctx_.clock.Now()))
        .Execute();
    scope.Commit();
    Json out = {{"repay_token", token->token},
                {"exp", core::FormatIso8601(core::FromEpochMillis(token->payload.exp * 1000))},
                {"exp_epoch", token->payload.exp},
                {"company_number", kCompanyNumber}};
    if (amount) out["amount"] = *amount;
    return core::Response::Json(201, out);
}

core::Response RepaymentService::List(const core::Request& r) {
    std::vector<std::string> ids;
    auto& st = db_->db().Prepare("SELECT repayment_id FROM repayments WHERE member_id = ?1 ORDER BY created_at DESC, repayment_id");
    st.BindAll(MemberOf(r));
    while (st.Step()) ids.push_back(st.Text(0));
    st.Reset();
    Json list = Json::array();
    for (const auto& id : ids) {
        if (auto row = Find(id)) list.push_back(row->ToJson());
    }
    return core::Response::Json(200, Json{{"repayments", list}});
}

core::Response RepaymentService::AtmCallback(const core::Request& r) {
    core::JsonFields in(r);
    std::string atm_txn_id = in.String("atm_txn_id", true, 64);
    std::string member = in.String("member_ref", true, 64);
    Yen amount = in.Int("amount", 1, 10'000'000);
    std::string store_code = in.String("store_code", true, 64);
    std::string received_at = in.String("received_at", true, 64);
    if (!in.failed() && !core::ParseIso8601(received_at).ok()) in.Reject("received_at", "must be an ISO 8601 date-time");
    if (in.failed()) return in.problem();
    {
        auto& st = db_->db().Prepare("SELECT repayment_id, amount FROM repayments WHERE atm_txn_id = ?1");
        std::optional<std::pair<std::string, Yen>> seen;
        if (st.BindAll(atm_txn_id).Step()) seen = {st.Text(0), st.Int64(1)};
        st.Reset();
        if (seen) {
            if (seen->second != amount) {
                return core::FieldProblem(409, "amount", "atm_txn_id " + atm_txn_id + " was received with another amount");
            }
            // A resent callback (a retry, a duplicate) changes nothing, its trace included.
            auto row = Find(seen->first);
            Json out = row->ToJson();
            out["duplicate"] = true;
            return core::Response::Json(200, out);
        }
    }
    const std::string id = "RP-" + ids_.Hex(8);
    const std::string now = core::FormatIso8601(ctx_.clock.Now());
    // The runtime gave the request a valid trace (core::EnsureTraceId): the ATM's, or a new one.
    const std::string trace = core::TraceIdOf(r);
    auto scope = db_->Write();
    db_->db()
        .Prepare("INSERT INTO repayments (repayment_id, atm_txn_id, member_id, amount, store_code, received_at, step,"
                 " created_at, updated_at, trace_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)")
        .BindAll(id, atm_txn_id, member, amount, store_code, received_at, kReceived, now, trace)
        .Execute();
    scope.Commit();
    const std::uint64_t generation = generation_;
    ctx_.loop.Post([this, id, generation] {
        if (generation == generation_) Advance(id);
    });
    Json out = Find(id)->ToJson();
    out["duplicate"] = false;
    return core::Response::Json(200, out);
}

void RepaymentService::StepDone(const std::string& id, const std::string& next_step, const Json& updates) {
    auto scope = db_->Write();
    db_->db()
        .Prepare("UPDATE repayments SET step = ?2, updated_at = ?3, last_error = '',"
                 " card_id = COALESCE(?4, card_id), card_account_id = COALESCE(?5, card_account_id),"
                 " principal = COALESCE(?6, principal), interest = COALESCE(?7, interest) WHERE repayment_id = ?1")
        .BindAll(id, next_step, core::FormatIso8601(ctx_.clock.Now()),
                 updates.contains("card_id") ? std::optional<std::string>(updates["card_id"].get<std::string>()) : std::nullopt,
                 updates.contains("card_account_id")
                     ? std::optional<std::string>(updates["card_account_id"].get<std::string>())
                     : std::nullopt,
                 updates.contains("principal") ? std::optional<Yen>(updates["principal"].get<Yen>()) : std::nullopt,
                 updates.contains("interest") ? std::optional<Yen>(updates["interest"].get<Yen>()) : std::nullopt)
        .Execute();
    scope.Commit();
    in_flight_.erase(id);
    Advance(id);
}

void RepaymentService::StepFailed(const std::string& id, const std::string& error) {
    in_flight_.erase(id);
    auto row = Find(id);
    if (!row) return;
    std::int64_t attempts = row->attempts + 1;
    auto scope = db_->Write();
    db_->db()
        .Prepare("UPDATE repayments SET attempts = ?2, last_error = ?3, updated_at = ?4 WHERE repayment_id = ?1")
        .BindAll(id, attempts, error.substr(0, 500), core::FormatIso8601(ctx_.clock.Now()))
        .Execute();
    scope.Commit();
    auto delay = std::chrono::seconds(60) * (1LL << std::min<std::int64_t>(attempts - 1, 6));
    if (delay > std::chrono::hours(1)) delay = std::chrono::hours(1);
    spdlog::warn("[repayment] {} step {} failed (attempt {}), retrying in {} s: {}", id, row->step, attempts,
                 delay.count(), error);
    const std::uint64_t generation = generation_;
    if (auto t = retry_timers_.find(id); t != retry_timers_.end()) ctx_.clock.Cancel(t->second);
    retry_timers_[id] = ctx_.clock.ScheduleAfter(delay, [this, id, generation] {
        if (generation != generation_) return;
        retry_timers_.erase(id);
        Advance(id);
    });
}

void RepaymentService::Advance(const std::string& id) {
    if (in_flight_.count(id)) return;
    auto row = Find(id);
    if (!row || row->step == kDone || row->step == kUnmatched) return;
    in_flight_.insert(id);
    const std::uint64_t generation = generation_;
    auto guard = [this, generation](auto fn) {
        return [this, generation, fn = std::move(fn)](auto result) mutable {
            if (generation != generation_) return;
            fn(std::move(result));
        };
    };
    const Row r = *row;
    if (r.step == kReceived) {
        CallInternal(ctx_.transport, "payment", "GET", "/internal/payment/cards?member_id=" + r.member_id, std::nullopt,
                     guard([this, r](InternalResult cards) {
                         if (!cards) return StepFailed(r.repayment_id, "payment: HTTP " + std::to_string(cards.error().status));
                         Json list = cards->value("cards", Json::array());
                         if (list.empty()) {
                             spdlog::warn("[repayment] {}: member {} has no card; kept as UNMATCHED", r.repayment_id,
                                          r.member_id);
                             in_flight_.erase(r.repayment_id);
                             auto scope = db_->Write();
                             db_->db()
                                 .Prepare("UPDATE repayments SET step = ?2 WHERE repayment_id = ?1")
                                 .BindAll(r.repayment_id, kUnmatched)
                                 .Execute();
                             scope.Commit();
                             return;
                         }
                         const Json& card = list.front();
                         std::string card_id = card.value("card_id", std::string());
                         std::string account = card.value("card_account_id", std::string());
                         Json body = {{"repayment_id", r.repayment_id},
                                      {"card_id", card_id},
                                      {"amount", r.amount},
                                      {"paid_on", JstDateOf(r.received_at)}};
                         CallInternal(ctx_.transport, "statement", "POST", "/internal/statement/allocations", body,
                                      [this, r, card_id, account](InternalResult a) {
                                          if (!a) {
                                              return StepFailed(r.repayment_id, "statement: HTTP " +
                                                                                    std::to_string(a.error().status) + " " +
                                                                                    a.error().detail);
                                          }
                                          StepDone(r.repayment_id, kAllocated,
                                                   Json{{"card_id", card_id},
                                                        {"card_account_id", account},
                                                        {"principal", a->value("principal_total", r.amount)},
                                                        {"interest", a->value("interest_total", Yen{0})}});
                                      },
                                      r.trace_id);
                     }),
                     r.trace_id);
        return;
    }
    const Yen principal = r.principal.value_or(r.amount);
    if (r.step == kAllocated) {
        if (principal <= 0) return StepDone(r.repayment_id, kBalanceApplied, Json::object());
        CallInternal(ctx_.transport, "payment", "POST", "/internal/payment/cards/" + r.card_id + "/repayments",
                     Json{{"repayment_id", r.repayment_id}, {"amount", principal}}, guard([this, r](InternalResult res) {
                         if (!res) return StepFailed(r.repayment_id, "payment: HTTP " + std::to_string(res.error().status));
                         StepDone(r.repayment_id, kBalanceApplied, Json::object());
                     }),
                     r.trace_id);
        return;
    }
    if (r.step == kBalanceApplied) {
        if (principal <= 0) return StepDone(r.repayment_id, kCreditRestored, Json::object());
        external::ExternalCall call;
        call.path = "/payment/v1/card-accounts/" + r.card_account_id + "/repayments";
        call.body = Json{{"amount", principal}};
        call.idempotency_key = r.repayment_id;
        call.operation = "restore_credit";
        call.trace_id = r.trace_id;
        ctx_.external.Call("payment-processor", std::move(call), guard([this, r](external::ExternalResult res) {
                               if (!res) return StepFailed(r.repayment_id, res.error().Describe("payment-processor"));
                               StepDone(r.repayment_id, kCreditRestored, Json::object());
                           }));
        return;
    }
    if (r.step == kCreditRestored) {
        auto url = ctx_.queue_urls.find("platform-notifications");
        if (url == ctx_.queue_urls.end() || url->second.empty()) {
            return StepFailed(r.repayment_id, "the platform-notifications queue is not provisioned");
        }
        Json body = {{"member_id", r.member_id},
                     {"kind", "REPAYMENT_RECEIVED"},
                     {"data", {{"amount", r.amount}, {"repayment_id", r.repayment_id}}},
                     {"dedup_key", "repayment:" + r.repayment_id}};
        // platform-notify reads the attribute and pushes under the same trace.
        std::map<std::string, std::string> attributes;
        if (!r.trace_id.empty()) attributes["trace_id"] = r.trace_id;
        ctx_.aws.SendMessage(url->second, body.dump(), attributes, guard([this, r](AwsResult<std::string> sent) {
                                 if (!sent) return StepFailed(r.repayment_id, "sqs: " + sent.error().code);
                                 StepDone(r.repayment_id, kDone, Json::object());
                             }));
        return;
    }
    in_flight_.erase(id);
}

void RepaymentService::CheckInvariants(InvariantReport& report) {
    auto st = db_->db().PrepareUncached(
        "SELECT repayment_id, COALESCE(card_id, ''), amount, step, principal, interest FROM repayments");
    std::int64_t n = 0, open = 0, unmatched = 0;
    while (st.Step()) {
        ++n;
        std::string step = st.Text(3);
        if (step == kUnmatched) ++unmatched;
        else if (step != kDone) ++open;
        if (!st.IsNull(4) && !st.IsNull(5) && st.Int64(4) + st.Int64(5) != st.Int64(2)) {
            report.violations.push_back({"repayment = interest + principal", st.Text(1),
                                         st.Text(0) + ": " + std::to_string(st.Int64(5)) + " + " +
                                             std::to_string(st.Int64(4)) + " != " + std::to_string(st.Int64(2))});
        }
    }
    auto dup = db_->db().PrepareUncached(
        "SELECT COUNT(*) FROM (SELECT atm_txn_id FROM repayments GROUP BY atm_txn_id HAVING COUNT(*) > 1)");
    if (dup.Step() && dup.Int64(0) > 0) {
        report.violations.push_back({"each repayment applied once", std::nullopt, std::to_string(dup.Int64(0)) + " atm_txn_ids"});
    }
    report.checked["repayments"] += n;
    report.checked["repayments_in_progress"] += open;
    report.checked["repayments_unmatched"] += unmatched;
}

}  // namespace sim::platform::repayment
