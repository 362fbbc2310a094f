#include "sim/platform/payment/payment_service.hpp"

#include <spdlog/spdlog.h>

#include "sim/core/json_fields.hpp"
#include "sim/core/pan_mask.hpp"
#include "sim/core/time.hpp"
#include "sim/core/trace.hpp"
#include "sim/platform/payment/domain/ledger.hpp"

namespace sim::platform::payment {

namespace {

using domain::Yen;

const store::Migration kMigrations[] = {
    {1,
     "CREATE TABLE vault ("
     " pan_token TEXT PRIMARY KEY, pan_ciphertext BLOB NOT NULL, key_id TEXT NOT NULL,"
     " pan_hmac TEXT NOT NULL UNIQUE, bin TEXT NOT NULL, last4 TEXT NOT NULL, expiry TEXT NOT NULL,"
     " created_at TEXT NOT NULL);"
     "CREATE TABLE cards ("
     " card_id TEXT PRIMARY KEY, member_id TEXT NOT NULL, application_id TEXT NOT NULL,"
     " card_account_id TEXT NOT NULL UNIQUE, card_token TEXT NOT NULL, pan_token TEXT NOT NULL REFERENCES vault (pan_token),"
     " last4 TEXT NOT NULL, network TEXT NOT NULL, expiry TEXT NOT NULL, status TEXT NOT NULL,"
     " credit_limit INTEGER NOT NULL, holds INTEGER NOT NULL DEFAULT 0, posted_unpaid INTEGER NOT NULL DEFAULT 0,"
     " created_at TEXT NOT NULL);"
     "CREATE INDEX cards_member ON cards (member_id);"
     "CREATE TABLE feed_events ("
     " event_id TEXT PRIMARY KEY, card_id TEXT, type TEXT NOT NULL, authorization_id TEXT, txn_id TEXT,"
     " amount INTEGER NOT NULL, occurred_at TEXT NOT NULL, recorded_at TEXT NOT NULL, outcome TEXT NOT NULL);"
     "CREATE TABLE authorizations ("
     " authorization_id TEXT PRIMARY KEY, card_id TEXT NOT NULL, amount INTEGER NOT NULL, hold INTEGER NOT NULL,"
     " approved INTEGER NOT NULL, response_code TEXT NOT NULL, stand_in INTEGER NOT NULL, status TEXT NOT NULL,"
     " merchant_name TEXT NOT NULL, mcc TEXT NOT NULL, authorized_at TEXT NOT NULL, seq INTEGER NOT NULL);"
     "CREATE INDEX authorizations_card ON authorizations (card_id, seq);"
     "CREATE TABLE postings ("
     " txn_id TEXT PRIMARY KEY, card_id TEXT NOT NULL, authorization_id TEXT NOT NULL, credit INTEGER NOT NULL,"
     " amount INTEGER NOT NULL, event_id TEXT NOT NULL, posted_at TEXT NOT NULL);"
     "CREATE TABLE repayments ("
     " repayment_id TEXT PRIMARY KEY, card_id TEXT NOT NULL, amount INTEGER NOT NULL, applied_at TEXT NOT NULL);"
     "CREATE TABLE poll_state (id INTEGER PRIMARY KEY CHECK (id = 1), cursor TEXT NOT NULL);"
     "CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, created_at TEXT NOT NULL);"},
    // The trace of the poll that recorded the event travels with the notification request.
    {2, "ALTER TABLE outbox ADD COLUMN trace_id TEXT NOT NULL DEFAULT ''"},
};

const std::vector<std::string> kNetworks = {"VISA", "JCB", "MASTERCARD"};


bool AllDigits(std::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

/// "MM/YY" from the processor's YYMM.
std::string DisplayExpiry(const std::string& yymm) {
    return yymm.size() == 4 ? yymm.substr(2, 2) + "/" + yymm.substr(0, 2) : yymm;
}

}  // namespace

struct PaymentService::CardRow {
    std::string card_id, member_id, application_id, card_account_id, card_token, last4, network, expiry, status;
    Yen credit_limit = 0, holds = 0, posted_unpaid = 0;
};

namespace {
constexpr const char* kCardColumns =
    "card_id, member_id, application_id, card_account_id, card_token, last4, network, expiry, status, credit_limit,"
    " holds, posted_unpaid";
}

PaymentService::PaymentService(PlatformContext& ctx)
    : ctx_(ctx),
      db_(std::make_unique<ServiceDb>("payment", ctx.options.data_dir, ctx.group, kMigrations)),
      ids_(ctx.options.seed ^ 0x5041594d454e54ull ^ (db_->Boots() * 0x9e3779b97f4a7c15ull)),
      trace_ids_(ctx.options.seed ^ 0x5041595f54524345ull ^ (db_->Boots() * 0x9e3779b97f4a7c15ull)) {
    ctx_.invariants.Add("payment", [this](InvariantReport& report) { CheckInvariants(report); });
}

PaymentService::~PaymentService() {
    if (poll_timer_) ctx_.clock.Cancel(poll_timer_);
}

void PaymentService::Install(core::Router& router) {
    auto sync = [this](core::Response (PaymentService::*fn)(const core::Request&)) {
        return core::FromSync([this, fn](const core::Request& r) { return (this->*fn)(r); });
    };
    router.Add("POST", "/internal/payment/cards", sync(&PaymentService::CreateCard));
    router.Add("GET", "/internal/payment/cards", sync(&PaymentService::ListCards));
    router.Add("POST", "/internal/payment/cards/{card_id}/status",
               [this](core::Request r, core::Respond respond) { SetStatus(std::move(r), std::move(respond)); });
    router.Add("POST", "/internal/payment/cards/{card_id}/repayments", sync(&PaymentService::Repay));
    router.Add("POST", "/internal/payment/poll", core::FromSync([this](const core::Request&) {
                   PollNow();
                   return core::Response::Json(202, Json{{"polling", true}});
               }));
    ctx_.gateway.App(router, "GET", "/app/v1/card", sync(&PaymentService::AppCard));
    ctx_.gateway.App(router, "GET", "/app/v1/balance", sync(&PaymentService::AppBalance));
    ctx_.gateway.App(router, "GET", "/app/v1/authorizations", sync(&PaymentService::AppAuthorizations));
}

void PaymentService::Start() {
    started_ = true;
    SchedulePoll();
    FlushOutbox();
}

void PaymentService::Reset() {
    ++generation_;
    if (poll_timer_) ctx_.clock.Cancel(poll_timer_);
    poll_timer_ = 0;
    polling_ = false;
    outbox_in_flight_.clear();
    db_->Wipe();
    if (started_) SchedulePoll();
}

void PaymentService::SchedulePoll() {
    if (poll_timer_) ctx_.clock.Cancel(poll_timer_);
    poll_timer_ = ctx_.clock.ScheduleAfter(ctx_.options.poll_interval, [this] {
        poll_timer_ = 0;
        Poll();
    });
}

void PaymentService::PollNow() { Poll(); }

void PaymentService::Poll() {
    if (polling_) return;
    polling_ = true;
    std::string cursor;
    {
        auto& st = db_->db().Prepare("SELECT cursor FROM poll_state WHERE id = 1");
        if (st.Step()) cursor = st.Text(0);
        st.Reset();
    }
    external::ExternalCall call;
    call.method = "GET";
    call.path = "/payment/v1/authorizations?limit=100" + (cursor.empty() ? std::string() : "&after=" + cursor);
    call.operation = "poll_authorizations";
    call.retry = false;  // the next poll is the retry
    // One trace per poll: the feed request, the recording, the notification requests it queues,
    // their dwell in SQS, platform-notify and the push gateway (docs/load.md, "Server-side hops").
    std::string trace = trace_ids_.TraceId();
    call.trace_id = trace;
    const std::uint64_t generation = generation_;
    ctx_.external.Call("payment-processor", std::move(call), [this, generation, trace](external::ExternalResult result) {
        if (generation != generation_) return;
        polling_ = false;
        if (!result) {
            spdlog::warn("[payment] feed poll failed: {}", result.error().Describe("payment-processor"));
            SchedulePoll();
            return;
        }
        const Json& body = result->body;
        if (!body.is_object() || !body.contains("items") || !body["items"].is_array()) {
            spdlog::warn("[payment] feed poll: malformed page");
            SchedulePoll();
            return;
        }
        const core::TimePoint answered = ctx_.clock.Now();
        auto scope = db_->Write();
        for (const Json& item : body["items"]) RecordEvent(item, trace, answered);
        if (body.contains("next_cursor") && body["next_cursor"].is_string()) {
            db_->db()
                .Prepare("INSERT INTO poll_state (id, cursor) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET cursor = ?1")
                .BindAll(body["next_cursor"].get<std::string>())
                .Execute();
        }
        scope.Commit();
        if (!body["items"].empty())  // span "payment.record": the page recorded and committed
            ctx_.group.AfterCommit([this, trace, answered](bool) {
                ctx_.metrics.Spans().Record(trace, "payment.record", answered, ctx_.clock.Now());
            });
        FlushOutbox();
        if (body.value("has_more", false) && !body["items"].empty()) {
            ctx_.loop.Post([this, generation] {
                if (generation == generation_) Poll();
            });
        } else {
            SchedulePoll();
        }
    });
}

void PaymentService::RecordEvent(const Json& item, const std::string& poll_trace, core::TimePoint answered) {
    if (!item.is_object() || !item.contains("event_id") || !item["event_id"].is_string()) return;
    // An authorization's event carries the merchant request's trace (the fake processor's
    // `trace_id`): its notification continues that trace, so a card use is one trace from the
    // authorization to the push. Other events continue the poll's trace.
    std::string trace_id = item.value("trace_id", std::string());
    if (!core::IsValidTraceId(trace_id)) trace_id = poll_trace;
    const std::string event_id = item["event_id"].get<std::string>();
    {
        auto& seen = db_->db().Prepare("SELECT 1 FROM feed_events WHERE event_id = ?1");
        bool dup = seen.BindAll(event_id).Step();
        seen.Reset();
        if (dup) return;
    }
    // Span "payment.feed_wait": from the start of the event's trace (the merchant's authorization,
    // when this process recorded it: in-process or the same cardsim) until the feed page with the
    // event arrived — the time a card use waits for the platform's next poll.
    if (trace_id != poll_trace)
        if (auto extent = ctx_.metrics.Spans().ExtentOf(trace_id); extent && extent->start <= answered)
            ctx_.metrics.Spans().Record(trace_id, "payment.feed_wait", extent->start, answered);
    const std::string now = core::FormatIso8601(ctx_.clock.Now());
    const Json auth = item.value("authorization", Json::object());
    std::string account = item.value("card_account_id", auth.value("card_account_id", std::string()));
    auto type = domain::ParseFeedEventType(item.value("type", std::string()));
    domain::FeedEvent e;
    e.event_id = event_id;
    e.type = type ? *type : domain::FeedEventType::kAuthorization;
    e.authorization_id = auth.value("authorization_id", std::string());
    e.txn_id = item.value("txn_id", std::string());
    e.amount = item.value("amount", Yen{0});
    e.approved = auth.value("approved", false);

    auto record = [&](const std::optional<std::string>& card_id, const std::string& outcome) {
        db_->db()
            .Prepare("INSERT INTO feed_events (event_id, card_id, type, authorization_id, txn_id, amount, occurred_at,"
                     " recorded_at, outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
            .BindAll(event_id, card_id, item.value("type", std::string()), e.authorization_id, e.txn_id, e.amount,
                     item.value("occurred_at", std::string()), now, outcome)
            .Execute();
    };
    auto card = CardByAccount(account);
    if (!type || !card) {
        record(card ? std::optional<std::string>(card->card_id) : std::nullopt, !type ? "unknown_type" : "unknown_card");
        return;
    }
    // The ledger is rebuilt with just what this event touches: the authorization's hold and
    // whether the txn_id is posted already.
    domain::CardLedger ledger(card->credit_limit);
    Yen old_hold = 0;
    bool auth_known = false;
    if (!e.authorization_id.empty()) {
        auto& st = db_->db().Prepare("SELECT hold FROM authorizations WHERE authorization_id = ?1");
        if (st.BindAll(e.authorization_id).Step()) {
            old_hold = st.Int64(0);
            auth_known = true;
        }
        st.Reset();
        ledger.RestoreHold(e.authorization_id, old_hold);
    }
    if (!e.txn_id.empty()) {
        auto& st = db_->db().Prepare("SELECT authorization_id, credit, amount FROM postings WHERE txn_id = ?1");
        if (st.BindAll(e.txn_id).Step()) ledger.RestorePosting({e.txn_id, st.Text(0), st.Int64(1) != 0, st.Int64(2)});
        st.Reset();
    }
    auto outcome = ledger.Apply(e);
    if (!outcome) {
        spdlog::warn("[payment] feed event {} refused: {}", event_id, outcome.error().message);
        record(card->card_id, "refused");
        return;
    }
    const bool is_auth = e.type == domain::FeedEventType::kAuthorization ||
                         e.type == domain::FeedEventType::kAuthorizationAdvice;
    if (!e.authorization_id.empty() && (auth_known || is_auth)) {
        Yen hold = outcome->hold_after.value_or(old_hold);
        std::int64_t seq = 0;
        {
            auto& st = db_->db().Prepare("SELECT COALESCE(MAX(seq), 0) + 1 FROM authorizations");
            st.Step();
            seq = st.Int64(0);
            st.Reset();
        }
        db_->db()
            .Prepare("INSERT INTO authorizations (authorization_id, card_id, amount, hold, approved, response_code,"
                     " stand_in, status, merchant_name, mcc, authorized_at, seq)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
                     " ON CONFLICT (authorization_id) DO UPDATE SET hold = ?4, status = ?8")
            .BindAll(e.authorization_id, card->card_id, auth.value("amount", e.amount), hold, e.approved,
                     auth.value("response_code", std::string()), auth.value("stand_in", false),
                     auth.value("status", std::string("PENDING")), core::MaskPans(auth.value("merchant_name", std::string())),
                     auth.value("mcc", std::string()), auth.value("authorized_at", item.value("occurred_at", std::string())),
                     seq)
            .Execute();
    }
    Yen hold_delta = outcome->hold_after ? *outcome->hold_after - old_hold : 0;
    Yen posted_delta = 0;
    if (outcome->new_posting) {
        const domain::Posting& p = *outcome->new_posting;
        db_->db()
            .Prepare("INSERT INTO postings (txn_id, card_id, authorization_id, credit, amount, event_id, posted_at)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
            .BindAll(p.txn_id, card->card_id, p.authorization_id, p.credit, p.amount, event_id,
                     item.value("occurred_at", now))
            .Execute();
        posted_delta = p.Signed();
    }
    if (hold_delta != 0 || posted_delta != 0) {
        db_->db()
            .Prepare("UPDATE cards SET holds = holds + ?2, posted_unpaid = posted_unpaid + ?3 WHERE card_id = ?1")
            .BindAll(card->card_id, hold_delta, posted_delta)
            .Execute();
    }
    record(card->card_id, outcome->duplicate_posting ? "duplicate_posting" : "applied");
    if (is_auth) {
        Json request = {{"member_id", card->member_id},
                        {"kind", e.approved ? "AUTHORIZATION_APPROVED" : "AUTHORIZATION_DECLINED"},
                        {"data",
                         {{"last4", card->last4},
                          {"amount", e.amount},
                          {"merchant_name", core::MaskPans(auth.value("merchant_name", std::string()))},
                          {"authorization_id", e.authorization_id},
                          {"response_code", auth.value("response_code", std::string())}}},
                        {"dedup_key", event_id}};
        db_->db()
            .Prepare("INSERT INTO outbox (body, created_at, trace_id) VALUES (?1, ?2, ?3)")
            .BindAll(request.dump(), now, trace_id)
            .Execute();
    }
}

void PaymentService::FlushOutbox() {
    auto url = ctx_.queue_urls.find("platform-notifications");
    if (url == ctx_.queue_urls.end() || url->second.empty()) return;
    struct Row {
        std::int64_t id;
        std::string body;
        std::string trace_id;
    };
    std::vector<Row> rows;
    {
        auto& st = db_->db().Prepare("SELECT id, body, trace_id FROM outbox ORDER BY id LIMIT 100");
        while (st.Step()) rows.push_back({st.Int64(0), st.Text(1), st.Text(2)});
        st.Reset();
    }
    const std::uint64_t generation = generation_;
    for (auto& [id, body, trace_id] : rows) {
        if (!outbox_in_flight_.insert(id).second) continue;
        std::map<std::string, std::string> attributes;
        if (!trace_id.empty()) attributes["trace_id"] = trace_id;
        ctx_.aws.SendMessage(url->second, body, attributes, [this, id = id, generation](AwsResult<std::string> sent) {
            if (generation != generation_) return;
            outbox_in_flight_.erase(id);
            if (!sent) {
                spdlog::warn("[payment] notification request not sent yet: {} {}", sent.error().code,
                             sent.error().message);
                return;  // stays in the outbox; the next poll flushes it again
            }
            auto scope = db_->Write();
            db_->db().Prepare("DELETE FROM outbox WHERE id = ?1").BindAll(id).Execute();
            scope.Commit();
        });
    }
}

// --- cards -----------------------------------------------------------------------------------------

std::optional<PaymentService::CardRow> PaymentService::CardById(const std::string& card_id) {
    auto& st = db_->db().Prepare(std::string("SELECT ") + kCardColumns + " FROM cards WHERE card_id = ?1");
    st.BindAll(card_id);
    std::optional<CardRow> out;
    if (st.Step()) {
        out = CardRow{st.Text(0), st.Text(1), st.Text(2),  st.Text(3),  st.Text(4),  st.Text(5),
                      st.Text(6), st.Text(7), st.Text(8), st.Int64(9), st.Int64(10), st.Int64(11)};
    }
    st.Reset();
    return out;
}

std::optional<PaymentService::CardRow> PaymentService::CardByAccount(const std::string& account) {
    if (account.empty()) return std::nullopt;
    auto& st = db_->db().Prepare("SELECT card_id FROM cards WHERE card_account_id = ?1");
    std::string id;
    if (st.BindAll(account).Step()) id = st.Text(0);
    st.Reset();
    return id.empty() ? std::nullopt : CardById(id);
}

std::optional<PaymentService::CardRow> PaymentService::CardOfMember(const std::string& member_id) {
    auto& st = db_->db().Prepare("SELECT card_id FROM cards WHERE member_id = ?1 ORDER BY created_at DESC LIMIT 1");
    std::string id;
    if (st.BindAll(member_id).Step()) id = st.Text(0);
    st.Reset();
    return id.empty() ? std::nullopt : CardById(id);
}

Json PaymentService::CardJson(const CardRow& c) const {
    domain::Balance b = domain::MakeBalance(c.credit_limit, c.holds, c.posted_unpaid);
    return Json{{"card_id", c.card_id},
                {"member_id", c.member_id},
                {"application_id", c.application_id},
                {"card_account_id", c.card_account_id},
                {"card_token", c.card_token},
                {"last4", c.last4},
                {"network", c.network},
                {"expiry", DisplayExpiry(c.expiry)},
                {"status", c.status},
                {"credit_limit", b.credit_limit},
                {"available", b.available},
                {"outstanding", b.outstanding},
                {"holds", b.holds},
                {"posted_unpaid", b.posted_unpaid},
                {"prepaid", b.prepaid}};
}

core::Response PaymentService::CreateCard(const core::Request& r) {
    core::JsonFields in(r);
    std::string member_id = in.String("member_id", true, 64);
    std::string application_id = in.String("application_id", true, 64);
    std::string account = in.String("card_account_id", true, 64);
    std::string card_token = in.String("card_token", true, 64);
    std::string pan = in.String("pan", true, 19);
    std::string network = in.Enum("network", kNetworks);
    std::string expiry = in.String("expiry", true, 4);
    Yen limit = in.Int("credit_limit", 1, 100'000'000);
    if (!in.failed() && (pan.size() < 12 || !AllDigits(pan) || !core::LuhnValid(pan))) {
        in.Reject("pan", "is not a valid card number");
    }
    if (!in.failed() && (expiry.size() != 4 || !AllDigits(expiry))) in.Reject("expiry", "must be YYMM");
    if (in.failed()) return in.problem();
    if (auto existing = CardByAccount(account)) {
        return core::Response::Json(200, Json{{"card_id", existing->card_id}, {"last4", existing->last4}});
    }
    std::string hmac = ctx_.vault.LookupHmac(pan);
    {
        auto& st = db_->db().Prepare("SELECT 1 FROM vault WHERE pan_hmac = ?1");
        bool taken = st.BindAll(hmac).Step();
        st.Reset();
        if (taken) return core::FieldProblem(409, "pan", "this card number is already on file for another card");
    }
    std::string pan_token = "tok_" + ids_.Hex(12);
    SealedPan sealed = ctx_.vault.Seal(pan, pan_token);
    pan.assign(pan.size(), '0');  // the clear PAN leaves memory here
    std::string card_id = "C-" + ids_.Hex(6);
    const std::string now = core::FormatIso8601(ctx_.clock.Now());
    auto scope = db_->Write();
    db_->db()
        .Prepare("INSERT INTO vault (pan_token, pan_ciphertext, key_id, pan_hmac, bin, last4, expiry, created_at)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
        .BindAll(pan_token, store::AsBlob(sealed.ciphertext), sealed.key_id, sealed.pan_hmac, sealed.bin, sealed.last4,
                 expiry, now)
        .Execute();
    db_->db()
        .Prepare("INSERT INTO cards (card_id, member_id, application_id, card_account_id, card_token, pan_token, last4,"
                 " network, expiry, status, credit_limit, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
                 " 'ACTIVE', ?10, ?11)")
        .BindAll(card_id, member_id, application_id, account, card_token, pan_token, sealed.last4, network, expiry,
                 limit, now)
        .Execute();
    scope.Commit();
    AuditEntry audit;
    audit.actor = "payment-service";
    audit.event_type = "vault.write";
    audit.outcome = "success";
    audit.origin = r.remote.empty() ? "in-process" : r.remote;
    audit.resource = "card/" + card_id;
    audit.reason = "card registered for application " + application_id;
    audit.trace_id = core::TraceIdOf(r);
    ctx_.audit.Record(std::move(audit));
    return core::Response::Json(201, Json{{"card_id", card_id}, {"last4", sealed.last4}});
}

core::Response PaymentService::ListCards(const core::Request& r) {
    auto member = r.QueryParam("member_id");
    Json cards = Json::array();
    std::vector<std::string> ids;
    {
        auto& st = member ? db_->db().Prepare("SELECT card_id FROM cards WHERE member_id = ?1 ORDER BY card_id")
                          : db_->db().Prepare("SELECT card_id FROM cards ORDER BY card_id");
        if (member) st.BindAll(*member);
        while (st.Step()) ids.push_back(st.Text(0));
        st.Reset();
    }
    for (const auto& id : ids) {
        if (auto c = CardById(id)) cards.push_back(CardJson(*c));
    }
    return core::Response::Json(200, Json{{"cards", cards}});
}

void PaymentService::SetStatus(core::Request r, core::Respond respond) {
    auto card = CardById(r.path_params.at("card_id"));
    if (!card) return respond(core::FieldProblem(404, "card_id", "no such card"));
    core::JsonFields in(r);
    std::string status = in.Enum("status", {"ACTIVE", "SUSPENDED"});
    std::string reason = in.String("reason", true, 512);
    std::string actor = in.String("actor", false, 128);
    if (in.failed()) return respond(in.problem());
    external::ExternalCall call;
    call.path = "/payment/v1/card-accounts/" + card->card_account_id + "/status";
    call.body = Json{{"status", status}};
    call.operation = "set_status";
    call.idempotency_key = card->card_id + ":status:" + status + ":" + ids_.Hex(4);
    ctx_.external.Call("payment-processor", std::move(call),
                       [this, card_id = card->card_id, status, reason, actor, respond = std::move(respond)](
                           external::ExternalResult result) {
                           if (!result) {
                               return respond(core::FieldProblem(503, "status", result.error().Describe("payment-processor")));
                           }
                           auto scope = db_->Write();
                           db_->db()
                               .Prepare("UPDATE cards SET status = ?2 WHERE card_id = ?1")
                               .BindAll(card_id, status)
                               .Execute();
                           scope.Commit();
                           auto c = CardById(card_id);
                           respond(core::Response::Json(200, CardJson(*c)));
                       });
}

core::Response PaymentService::Repay(const core::Request& r) {
    auto card = CardById(r.path_params.at("card_id"));
    if (!card) return core::FieldProblem(404, "card_id", "no such card");
    core::JsonFields in(r);
    std::string repayment_id = in.String("repayment_id", true, 64);
    Yen amount = in.Int("amount", 1, 100'000'000);
    if (in.failed()) return in.problem();
    domain::CardLedger ledger(card->credit_limit);
    {
        auto& st = db_->db().Prepare("SELECT amount FROM repayments WHERE repayment_id = ?1");
        if (st.BindAll(repayment_id).Step()) ledger.RestoreRepayment(repayment_id, st.Int64(0));
        st.Reset();
    }
    auto applied = ledger.ApplyRepayment(repayment_id, amount);
    if (!applied) return core::FieldProblem(409, "amount", applied.error().message);
    if (!applied->duplicate) {
        auto scope = db_->Write();
        db_->db()
            .Prepare("INSERT INTO repayments (repayment_id, card_id, amount, applied_at) VALUES (?1, ?2, ?3, ?4)")
            .BindAll(repayment_id, card->card_id, amount, core::FormatIso8601(ctx_.clock.Now()))
            .Execute();
        db_->db()
            .Prepare("UPDATE cards SET posted_unpaid = posted_unpaid - ?2 WHERE card_id = ?1")
            .BindAll(card->card_id, amount)
            .Execute();
        scope.Commit();
    }
    auto c = CardById(card->card_id);
    Json out = CardJson(*c);
    out["repayment_id"] = repayment_id;
    out["duplicate"] = applied->duplicate;
    return core::Response::Json(applied->duplicate ? 200 : 201, out);
}

// --- the app's view --------------------------------------------------------------------------------

core::Response PaymentService::AppCard(const core::Request& r) {
    auto card = CardOfMember(MemberOf(r));
    if (!card) return core::FieldProblem(404, "card", "no card has been issued yet");
    return core::Response::Json(200, Json{{"card_id", card->card_id},
                                          {"last4", card->last4},
                                          {"network", card->network},
                                          {"expiry", DisplayExpiry(card->expiry)},
                                          {"status", card->status}});
}

core::Response PaymentService::AppBalance(const core::Request& r) {
    auto card = CardOfMember(MemberOf(r));
    if (!card) return core::FieldProblem(404, "card", "no card has been issued yet");
    domain::Balance b = domain::MakeBalance(card->credit_limit, card->holds, card->posted_unpaid);
    return core::Response::Json(200, Json{{"card_id", card->card_id},
                                          {"credit_limit", b.credit_limit},
                                          {"available", b.available},
                                          {"outstanding", b.outstanding},
                                          {"holds", b.holds},
                                          {"posted_unpaid", b.posted_unpaid},
                                          {"prepaid", b.prepaid}});
}

core::Response PaymentService::AppAuthorizations(const core::Request& r) {
    std::int64_t limit = 20;
    if (auto l = r.QueryParam("limit")) {
        if (!AllDigits(*l) || l->size() > 3 || std::stoll(*l) < 1 || std::stoll(*l) > 100) {
            return core::FieldProblem(400, "limit", "must be an integer between 1 and 100");
        }
        limit = std::stoll(*l);
    }
    auto card = CardOfMember(MemberOf(r));
    Json items = Json::array();
    if (card) {
        auto& st = db_->db().Prepare(
            "SELECT authorization_id, amount, hold, approved, response_code, stand_in, status, merchant_name, mcc,"
            " authorized_at FROM authorizations WHERE card_id = ?1 ORDER BY seq DESC LIMIT ?2");
        st.BindAll(card->card_id, limit);
        while (st.Step()) {
            items.push_back(Json{{"authorization_id", st.Text(0)},
                                 {"last4", card->last4},
                                 {"amount", st.Int64(1)},
                                 {"held", st.Int64(2)},
                                 {"approved", st.Int64(3) != 0},
                                 {"response_code", st.Text(4)},
                                 {"stand_in", st.Int64(5) != 0},
                                 {"status", st.Text(6)},
                                 {"merchant_name", st.Text(7)},
                                 {"mcc", st.Text(8)},
                                 {"authorized_at", st.Text(9)}});
        }
        st.Reset();
    }
    return core::Response::Json(200, Json{{"authorizations", items}});
}

// --- invariants ------------------------------------------------------------------------------------

void PaymentService::CheckInvariants(InvariantReport& report) {
    auto& db = db_->db();
    std::int64_t cards = 0;
    {
        auto st = db.PrepareUncached(
            "SELECT c.card_id, c.credit_limit, c.holds, c.posted_unpaid,"
            " (SELECT COALESCE(SUM(hold), 0) FROM authorizations a WHERE a.card_id = c.card_id),"
            " (SELECT COALESCE(SUM(CASE WHEN credit THEN -amount ELSE amount END), 0) FROM postings p"
            "   WHERE p.card_id = c.card_id),"
            " (SELECT COALESCE(SUM(amount), 0) FROM repayments r WHERE r.card_id = c.card_id),"
            " (SELECT COUNT(*) FROM authorizations a WHERE a.card_id = c.card_id AND hold < 0)"
            " FROM cards c");
        while (st.Step()) {
            ++cards;
            std::string id = st.Text(0);
            Yen limit = st.Int64(1), holds = st.Int64(2), posted = st.Int64(3);
            Yen sum_holds = st.Int64(4), sum_postings = st.Int64(5), sum_repaid = st.Int64(6);
            domain::Balance b = domain::MakeBalance(limit, holds, posted);
            if (b.credit_limit != b.available + b.outstanding) {
                report.violations.push_back({"credit_limit = available + outstanding", id,
                                             std::to_string(b.credit_limit) + " != " + std::to_string(b.available) +
                                                 " + " + std::to_string(b.outstanding)});
            }
            if (holds != sum_holds) {
                report.violations.push_back({"holds = sum of authorization holds", id,
                                             std::to_string(holds) + " != " + std::to_string(sum_holds)});
            }
            if (posted != sum_postings - sum_repaid) {
                report.violations.push_back({"posted_unpaid = postings - repayments", id,
                                             std::to_string(posted) + " != " + std::to_string(sum_postings) + " - " +
                                                 std::to_string(sum_repaid)});
            }
            if (st.Int64(7) > 0) report.violations.push_back({"holds are never negative", id, "a negative hold"});
        }
    }
    report.checked["cards"] += cards;
    auto count = [&](const char* sql) {
        auto st = db.PrepareUncached(sql);
        std::int64_t n = st.Step() ? st.Int64(0) : 0;
        return n;
    };
    report.checked["authorization_events"] += count("SELECT COUNT(*) FROM feed_events");
    report.checked["postings"] += count("SELECT COUNT(*) FROM postings");
    report.checked["card_repayments"] += count("SELECT COUNT(*) FROM repayments");
    std::int64_t dup_txn = count(
        "SELECT COUNT(*) FROM (SELECT txn_id FROM feed_events WHERE outcome = 'applied' AND txn_id <> ''"
        " GROUP BY txn_id HAVING COUNT(*) > 1)");
    if (dup_txn > 0) {
        report.violations.push_back({"no txn_id counted twice", std::nullopt, std::to_string(dup_txn) + " txn_ids"});
    }
    std::int64_t unattributed = count("SELECT COUNT(*) FROM feed_events WHERE outcome = 'unknown_card'");
    report.checked["unattributed_events"] += unattributed;
    // No card number outside the vault's ciphertext. Columns are joined with '|', which never
    // joins digit groups into one candidate (sim/core/pan_mask.hpp): a space would make a UUID
    // token ending in twelve digits and the last four read as a 16-digit number.
    auto pans = db.PrepareUncached(
        "SELECT card_id, card_token || '|' || last4 || '|' || member_id FROM cards"
        " UNION ALL SELECT card_id, merchant_name || '|' || authorization_id FROM authorizations");
    while (pans.Step()) {
        std::string text = pans.Text(1);
        if (std::string masked = core::MaskPans(text); masked != text) {
            report.violations.push_back({"no PAN outside the vault", pans.Text(0), "a card number in a table row: " + masked});
        }
    }
}

}  // namespace sim::platform::payment
