#include "sim/platform/statement/statement_service.hpp"

#include <spdlog/spdlog.h>

#include "sim/core/json_fields.hpp"
#include "sim/core/time.hpp"
#include "sim/platform/common/crypto.hpp"
#include "sim/platform/common/internal_client.hpp"
#include "sim/platform/statement/domain/cashflow.hpp"

namespace sim::platform::statement {

namespace {

using domain::Date;
using domain::Period;
using domain::Yen;

const store::Migration kMigrations[] = {
    {1,
     "CREATE TABLE cards (card_id TEXT PRIMARY KEY, member_id TEXT NOT NULL, card_token TEXT NOT NULL,"
     " last4 TEXT NOT NULL);"
     "CREATE INDEX cards_member ON cards (member_id);"
     "CREATE INDEX cards_token ON cards (card_token);"
     "CREATE TABLE statements (card_id TEXT NOT NULL, period TEXT NOT NULL, status TEXT NOT NULL,"
     " total INTEGER NOT NULL, billed INTEGER NOT NULL, credit_applied INTEGER NOT NULL,"
     " paid_principal INTEGER NOT NULL, interest_numerator INTEGER NOT NULL, interest_through TEXT,"
     " interest INTEGER NOT NULL, interest_paid INTEGER NOT NULL, overdue_notified INTEGER NOT NULL,"
     " PRIMARY KEY (card_id, period));"
     "CREATE TABLE lines (txn_id TEXT PRIMARY KEY, card_id TEXT NOT NULL, period TEXT NOT NULL,"
     " txn_date TEXT NOT NULL, posting_date TEXT NOT NULL, merchant_name TEXT NOT NULL, payment_plan TEXT NOT NULL,"
     " amount INTEGER NOT NULL, fee INTEGER NOT NULL, payment_this_month INTEGER NOT NULL,"
     " carried_balance INTEGER NOT NULL, seq INTEGER NOT NULL);"
     "CREATE INDEX lines_statement ON lines (card_id, period, seq);"
     "CREATE TABLE staged (txn_id TEXT PRIMARY KEY, card_token TEXT NOT NULL, file_date TEXT NOT NULL,"
     " line TEXT NOT NULL, applied INTEGER NOT NULL DEFAULT 0);"
     "CREATE INDEX staged_card ON staged (card_token, applied);"
     "CREATE TABLE credit (card_id TEXT PRIMARY KEY, credit INTEGER NOT NULL);"
     "CREATE TABLE allocations (repayment_id TEXT PRIMARY KEY, card_id TEXT NOT NULL, amount INTEGER NOT NULL,"
     " paid_on TEXT NOT NULL, unbilled INTEGER NOT NULL, prepayment INTEGER NOT NULL, parts TEXT NOT NULL);"
     "CREATE TABLE files (file_date TEXT PRIMARY KEY, key TEXT NOT NULL, records INTEGER NOT NULL,"
     " sha256 TEXT NOT NULL, fetched_at TEXT NOT NULL);"},
};


/// The container environment of a RunTask's first container override.
std::map<std::string, std::string> Environment(const Json& params) {
    std::map<std::string, std::string> env;
    const Json* overrides = params.contains("Overrides") ? &params["Overrides"] : nullptr;
    if (!overrides || !overrides->contains("ContainerOverrides")) return env;
    for (const Json& c : (*overrides)["ContainerOverrides"]) {
        if (!c.contains("Environment")) continue;
        for (const Json& e : c["Environment"]) {
            if (e.contains("Name") && e.contains("Value") && e["Value"].is_string()) {
                env[e["Name"].get<std::string>()] = e["Value"].get<std::string>();
            }
        }
    }
    return env;
}

FunctionResult Failed(std::string error, std::string cause) {
    return core::Fail(FunctionFailure{std::move(error), std::move(cause)});
}

std::optional<Date> BusinessDate(const std::map<std::string, std::string>& env) {
    if (auto it = env.find("BUSINESS_DATE"); it != env.end() && !it->second.empty()) return domain::ParseDate(it->second);
    return std::nullopt;
}

const char* StatusName(domain::StatementStatus s) { return s == domain::StatementStatus::kOpen ? "OPEN" : "CLOSED"; }

Json LineJson(const domain::StatementLine& l) {
    return Json{{"txn_id", l.txn_id},
                {"txn_date", l.txn_date},
                {"posting_date", domain::FormatDate(l.posting_date)},
                {"merchant_name", l.merchant_name},
                {"payment_plan", l.payment_plan},
                {"amount", l.amount},
                {"fee", l.fee},
                {"payment_this_month", l.payment_this_month},
                {"carried_balance", l.carried_balance}};
}

domain::StatementLine LineFromJson(const Json& j) {
    domain::StatementLine l;
    l.txn_id = j.value("txn_id", std::string());
    l.txn_date = j.value("txn_date", std::string());
    l.posting_date = domain::ParseDate(j.value("posting_date", std::string())).value_or(Date{});
    l.merchant_name = j.value("merchant_name", std::string());
    l.payment_plan = j.value("payment_plan", std::string("ONE_TIME"));
    l.amount = j.value("amount", Yen{0});
    l.fee = j.value("fee", Yen{0});
    l.payment_this_month = j.value("payment_this_month", l.amount);
    l.carried_balance = j.value("carried_balance", Yen{0});
    return l;
}

Json AllocationJson(const domain::Allocation& a) {
    Json parts = Json::array();
    for (const auto& p : a.parts) {
        parts.push_back(Json{{"period", domain::FormatPeriod(p.period)}, {"interest", p.interest}, {"principal", p.principal}});
    }
    return Json{{"repayment_id", a.repayment_id},
                {"amount", a.amount},
                {"paid_on", domain::FormatDate(a.paid_on)},
                {"parts", parts},
                {"unbilled", a.unbilled},
                {"prepayment", a.prepayment},
                {"interest_total", a.InterestTotal()},
                {"principal_total", a.PrincipalTotal()},
                {"duplicate", a.duplicate}};
}

}  // namespace

StatementService::StatementService(PlatformContext& ctx)
    : ctx_(ctx),
      db_(std::make_unique<ServiceDb>("statement", ctx.options.data_dir, ctx.group, kMigrations)),
      policy_{ctx.options.interest_rate_bp, 365} {
    ctx_.invariants.Add("statement", [this](InvariantReport& report) { CheckInvariants(report); });
}

StatementService::~StatementService() = default;

void StatementService::Install(core::Router& router) {
    auto async = [this](void (StatementService::*fn)(core::Request, core::Respond)) {
        return [this, fn](core::Request r, core::Respond respond) { (this->*fn)(std::move(r), std::move(respond)); };
    };
    auto sync = [this](core::Response (StatementService::*fn)(const core::Request&)) {
        return core::FromSync([this, fn](const core::Request& r) { return (this->*fn)(r); });
    };
    ctx_.gateway.App(router, "GET", "/app/v1/statements", async(&StatementService::AppStatements));
    ctx_.gateway.App(router, "GET", "/app/v1/statements/{period}", async(&StatementService::AppStatement));
    router.Add("GET", "/internal/statement/statements", sync(&StatementService::InternalStatements));
    router.Add("POST", "/internal/statement/allocations", sync(&StatementService::Allocate));
}

void StatementService::AddBatchTasks(std::map<std::string, BatchTask>& tasks) {
    tasks["statement-get-users"] = [this](const Json& p, FunctionDone done) { GetUsers(p, std::move(done)); };
    tasks["statement-fetch-cashflow"] = [this](const Json& p, FunctionDone done) { FetchCashflow(p, std::move(done)); };
    tasks["statement-update-usage"] = [this](const Json& p, FunctionDone done) { UpdateUsage(p, std::move(done)); };
    tasks["statement-update-repayment"] = [this](const Json& p, FunctionDone done) {
        UpdateRepayment(p, std::move(done));
    };
}

void StatementService::Reset() {
    ++generation_;
    db_->Wipe();
}

// --- storage ---------------------------------------------------------------------------------------

domain::CardStatements StatementService::Load(const std::string& card_id) {
    domain::CardStatements c(policy_);
    std::vector<domain::Statement> statements;
    {
        auto& st = db_->db().Prepare(
            "SELECT period, status, billed, credit_applied, paid_principal, interest_numerator, interest_through,"
            " interest, interest_paid, overdue_notified FROM statements WHERE card_id = ?1 ORDER BY period");
        st.BindAll(card_id);
        while (st.Step()) {
            domain::Statement s;
            s.period = domain::ParsePeriod(st.Text(0)).value_or(Period{});
            s.status = st.Text(1) == "OPEN" ? domain::StatementStatus::kOpen : domain::StatementStatus::kClosed;
            s.billed = st.Int64(2);
            s.credit_applied = st.Int64(3);
            s.paid_principal = st.Int64(4);
            s.interest_numerator = st.Int64(5);
            if (!st.IsNull(6)) s.interest_through = domain::ParseDate(st.Text(6));
            s.interest = st.Int64(7);
            s.interest_paid = st.Int64(8);
            s.overdue_notified = st.Int64(9) != 0;
            statements.push_back(std::move(s));
        }
        st.Reset();
    }
    for (auto& s : statements) {
        auto& st = db_->db().Prepare(
            "SELECT txn_id, txn_date, posting_date, merchant_name, payment_plan, amount, fee, payment_this_month,"
            " carried_balance FROM lines WHERE card_id = ?1 AND period = ?2 ORDER BY seq");
        st.BindAll(card_id, domain::FormatPeriod(s.period));
        while (st.Step()) {
            domain::StatementLine l;
            l.txn_id = st.Text(0);
            l.txn_date = st.Text(1);
            l.posting_date = domain::ParseDate(st.Text(2)).value_or(Date{});
            l.merchant_name = st.Text(3);
            l.payment_plan = st.Text(4);
            l.amount = st.Int64(5);
            l.fee = st.Int64(6);
            l.payment_this_month = st.Int64(7);
            l.carried_balance = st.Int64(8);
            s.lines.push_back(std::move(l));
        }
        st.Reset();
        c.Restore(std::move(s));
    }
    {
        auto& st = db_->db().Prepare("SELECT credit FROM credit WHERE card_id = ?1");
        if (st.BindAll(card_id).Step()) c.RestoreCredit(st.Int64(0));
        st.Reset();
    }
    {
        auto& st = db_->db().Prepare(
            "SELECT repayment_id, amount, paid_on, unbilled, prepayment, parts FROM allocations WHERE card_id = ?1");
        st.BindAll(card_id);
        while (st.Step()) {
            domain::Allocation a;
            a.repayment_id = st.Text(0);
            a.amount = st.Int64(1);
            a.paid_on = domain::ParseDate(st.Text(2)).value_or(Date{});
            a.unbilled = st.Int64(3);
            a.prepayment = st.Int64(4);
            for (const Json& p : Json::parse(st.Text(5), nullptr, false)) {
                a.parts.push_back({domain::ParsePeriod(p.value("period", std::string())).value_or(Period{}),
                                   p.value("interest", Yen{0}), p.value("principal", Yen{0})});
            }
            c.RestoreAllocation(std::move(a));
        }
        st.Reset();
    }
    return c;
}

void StatementService::Save(const std::string& card_id, const domain::CardStatements& c) {
    auto& db = db_->db();
    for (const auto& [period, s] : c.statements()) {
        const std::string p = domain::FormatPeriod(period);
        db.Prepare(
              "INSERT INTO statements (card_id, period, status, total, billed, credit_applied, paid_principal,"
              " interest_numerator, interest_through, interest, interest_paid, overdue_notified)"
              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT (card_id, period) DO UPDATE SET"
              " status = ?3, total = ?4, billed = ?5, credit_applied = ?6, paid_principal = ?7, interest_numerator = ?8,"
              " interest_through = ?9, interest = ?10, interest_paid = ?11, overdue_notified = ?12")
            .BindAll(card_id, p, StatusName(s.status), s.total(), s.billed, s.credit_applied, s.paid_principal,
                     s.interest_numerator,
                     s.interest_through ? std::optional<std::string>(domain::FormatDate(*s.interest_through))
                                        : std::nullopt,
                     s.interest, s.interest_paid, s.overdue_notified)
            .Execute();
        std::int64_t seq = 0;
        for (const auto& l : s.lines) {
            db.Prepare(
                  "INSERT INTO lines (txn_id, card_id, period, txn_date, posting_date, merchant_name, payment_plan,"
                  " amount, fee, payment_this_month, carried_balance, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
                  " ?10, ?11, ?12) ON CONFLICT (txn_id) DO NOTHING")
                .BindAll(l.txn_id, card_id, p, l.txn_date, domain::FormatDate(l.posting_date), l.merchant_name,
                         l.payment_plan, l.amount, l.fee, l.payment_this_month, l.carried_balance, ++seq)
                .Execute();
        }
    }
    db.Prepare("INSERT INTO credit (card_id, credit) VALUES (?1, ?2) ON CONFLICT (card_id) DO UPDATE SET credit = ?2")
        .BindAll(card_id, c.credit())
        .Execute();
    for (const auto& [id, a] : c.allocations()) {
        Json j = AllocationJson(a);
        db.Prepare(
              "INSERT INTO allocations (repayment_id, card_id, amount, paid_on, unbilled, prepayment, parts)"
              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (repayment_id) DO NOTHING")
            .BindAll(id, card_id, a.amount, domain::FormatDate(a.paid_on), a.unbilled, a.prepayment, j["parts"].dump())
            .Execute();
    }
}

std::optional<StatementService::CardInfo> StatementService::Card(const std::string& card_id) {
    auto& st = db_->db().Prepare("SELECT card_id, member_id, card_token, last4 FROM cards WHERE card_id = ?1");
    std::optional<CardInfo> out;
    if (st.BindAll(card_id).Step()) out = CardInfo{st.Text(0), st.Text(1), st.Text(2), st.Text(3)};
    st.Reset();
    return out;
}

void StatementService::Notify(const std::string& member_id, const std::string& kind, const Json& data,
                              const std::string& dedup_key) {
    auto url = ctx_.queue_urls.find("platform-notifications");
    if (url == ctx_.queue_urls.end() || url->second.empty() || member_id.empty()) return;
    Json body = {{"member_id", member_id}, {"kind", kind}, {"data", data}, {"dedup_key", dedup_key}};
    ctx_.aws.SendMessage(url->second, body.dump(), {}, [dedup_key](AwsResult<std::string> sent) {
        if (!sent) spdlog::warn("[statement] notice {} not sent: {} {}", dedup_key, sent.error().code, sent.error().message);
    });
}

// --- batch tasks -----------------------------------------------------------------------------------

void StatementService::GetUsers(const Json& params, FunctionDone done) {
    auto env = Environment(params);
    std::optional<Date> business_date = BusinessDate(env);
    if (!business_date && env.count("SCHEDULED_AT") && !env["SCHEDULED_AT"].empty()) {
        if (auto t = core::ParseIso8601(env["SCHEDULED_AT"])) business_date = domain::JstDate(*t);
    }
    if (!business_date) return done(Failed("Input.Invalid", "BUSINESS_DATE (YYYY-MM-DD) or SCHEDULED_AT is required"));
    std::size_t chunk = 100;
    if (auto it = env.find("CHUNK_SIZE"); it != env.end() && !it->second.empty() &&
                                           it->second.find_first_not_of("0123456789") == std::string::npos &&
                                           it->second.size() < 6) {
        chunk = std::max<std::size_t>(1, std::stoul(it->second));
    }
    CallInternal(ctx_.transport, "payment", "GET", "/internal/payment/cards", std::nullopt,
                 [this, chunk, date = *business_date, done = std::move(done)](InternalResult cards) {
                     if (!cards) {
                         return done(Failed("Payment.Unavailable", "cards: HTTP " + std::to_string(cards.error().status) +
                                                                        " " + cards.error().detail));
                     }
                     Json chunks = Json::array();
                     std::int64_t count = 0;
                     auto scope = db_->Write();
                     for (const Json& c : cards->value("cards", Json::array())) {
                         std::string id = c.value("card_id", std::string());
                         if (id.empty()) continue;
                         db_->db()
                             .Prepare("INSERT INTO cards (card_id, member_id, card_token, last4) VALUES (?1, ?2, ?3, ?4)"
                                      " ON CONFLICT (card_id) DO UPDATE SET member_id = ?2, card_token = ?3, last4 = ?4")
                             .BindAll(id, c.value("member_id", std::string()), c.value("card_token", std::string()),
                                      c.value("last4", std::string()))
                             .Execute();
                         if (chunks.empty() || chunks.back().size() >= chunk) chunks.push_back(Json::array());
                         chunks.back().push_back(id);
                         ++count;
                     }
                     scope.Commit();
                     done(Json{{"business_date", domain::FormatDate(date)}, {"chunks", chunks}, {"count", count}});
                 });
}

void StatementService::FetchCashflow(const Json& params, FunctionDone done) {
    auto date = BusinessDate(Environment(params));
    if (!date) return done(Failed("Input.Invalid", "BUSINESS_DATE (YYYY-MM-DD) is required"));
    const Date file_date = domain::AddDays(*date, -1);
    const std::string bucket = ctx_.options.batch_bucket;
    const std::string marker_key = domain::CashflowKey(file_date, true);
    const std::string key = domain::CashflowKey(file_date);
    const std::uint64_t generation = generation_;
    ctx_.aws.GetObject(bucket, marker_key, [=, this, done = std::move(done)](AwsResult<S3Object> marker) mutable {
        if (generation != generation_) return done(Failed("States.TaskFailed", "reset"));
        if (!marker) {
            if (marker.error().status == 404 || marker.error().code == "NoSuchKey") {
                return done(Failed("Cashflow.NotArrived", "s3://" + bucket + "/" + marker_key + " is not there yet"));
            }
            return done(Failed("S3." + marker.error().code, marker.error().message));
        }
        ctx_.aws.GetObject(bucket, key, [=, this, marker_body = marker->body, done = std::move(done)](
                                            AwsResult<S3Object> csv) mutable {
            if (generation != generation_) return done(Failed("States.TaskFailed", "reset"));
            if (!csv) {
                return done(Failed("Cashflow.Invalid", "the marker is there but " + key + " is not: " + csv.error().code));
            }
            auto file = domain::VerifyCashflow(csv->body, marker_body, file_date);
            if (!file) return done(Failed("Cashflow.Invalid", key + ": " + file.error().ToString()));
            auto scope = db_->Write();
            for (const auto& rec : file->records) {
                domain::StatementLine l;
                l.txn_id = rec.txn_id;
                l.txn_date = rec.txn_datetime.substr(0, 10);
                l.posting_date = rec.posting_date;
                l.merchant_name = rec.merchant_name;
                l.payment_plan = rec.payment_plan;
                l.amount = rec.Signed();
                l.payment_this_month = rec.Signed();
                db_->db()
                    .Prepare("INSERT INTO staged (txn_id, card_token, file_date, line) VALUES (?1, ?2, ?3, ?4)"
                             " ON CONFLICT (txn_id) DO NOTHING")
                    .BindAll(rec.txn_id, rec.card_token, domain::FormatDate(file_date), LineJson(l).dump())
                    .Execute();
            }
            db_->db()
                .Prepare("INSERT INTO files (file_date, key, records, sha256, fetched_at) VALUES (?1, ?2, ?3, ?4, ?5)"
                         " ON CONFLICT (file_date) DO UPDATE SET records = ?3, sha256 = ?4, fetched_at = ?5")
                .BindAll(domain::FormatDate(file_date), key, static_cast<std::int64_t>(file->records.size()),
                         Sha256Hex(csv->body), core::FormatIso8601(ctx_.clock.Now()))
                .Execute();
            scope.Commit();
            done(Json{{"file_date", domain::FormatDate(file_date)},
                      {"key", key},
                      {"records", static_cast<std::int64_t>(file->records.size())}});
        });
    });
}

void StatementService::UpdateUsage(const Json& params, FunctionDone done) {
    auto env = Environment(params);
    Json ids = Json::parse(env["CARD_IDS"], nullptr, false);
    if (!ids.is_array()) return done(Failed("Input.Invalid", "CARD_IDS must be a JSON array of card ids"));
    std::int64_t lines = 0;
    auto scope = db_->Write();
    for (const Json& id_json : ids) {
        if (!id_json.is_string()) continue;
        const std::string card_id = id_json.get<std::string>();
        auto card = Card(card_id);
        if (!card) continue;
        std::vector<std::pair<std::string, std::string>> staged;
        {
            auto& st = db_->db().Prepare(
                "SELECT txn_id, line FROM staged WHERE card_token = ?1 AND applied = 0 ORDER BY file_date, txn_id");
            st.BindAll(card->card_token);
            while (st.Step()) staged.emplace_back(st.Text(0), st.Text(1));
            st.Reset();
        }
        if (staged.empty()) continue;
        domain::CardStatements c = Load(card_id);
        for (const auto& [txn, line] : staged) {
            auto added = c.AddPosting(LineFromJson(Json::parse(line, nullptr, false)));
            if (added.ok() && *added) ++lines;
            db_->db().Prepare("UPDATE staged SET applied = 1 WHERE txn_id = ?1").BindAll(txn).Execute();
        }
        Save(card_id, c);
    }
    scope.Commit();
    done(Json{{"lines", lines}});
}

void StatementService::UpdateRepayment(const Json& params, FunctionDone done) {
    auto date = BusinessDate(Environment(params));
    if (!date) return done(Failed("Input.Invalid", "BUSINESS_DATE (YYYY-MM-DD) is required"));
    std::vector<CardInfo> cards;
    {
        auto& st = db_->db().Prepare("SELECT card_id, member_id, card_token, last4 FROM cards ORDER BY card_id");
        while (st.Step()) cards.push_back({st.Text(0), st.Text(1), st.Text(2), st.Text(3)});
        st.Reset();
    }
    std::int64_t closed = 0, notices = 0;
    std::vector<std::tuple<std::string, std::string, Json, std::string>> pushes;
    auto scope = db_->Write();
    for (const auto& card : cards) {
        domain::CardStatements c = Load(card.card_id);
        auto closings = c.CloseThrough(*date);
        auto overdue = c.AccrueInterest(*date);
        if (c.statements().empty()) continue;
        Save(card.card_id, c);
        for (const auto& cl : closings) {
            ++closed;
            const std::string p = domain::FormatPeriod(cl.period);
            if (cl.billed > 0) {
                pushes.emplace_back(card.member_id, "STATEMENT_CLOSED",
                                    Json{{"period", p}, {"billed", cl.billed}, {"due_date", domain::FormatDate(cl.due_date)}},
                                    "statement-closed:" + card.card_id + ":" + p);
            }
        }
        for (const Period& period : overdue) {
            ++notices;
            const domain::Statement* s = c.Find(period);
            const std::string p = domain::FormatPeriod(period);
            pushes.emplace_back(card.member_id, "INTEREST_NOTICE",
                                Json{{"period", p},
                                     {"unpaid", s ? s->unpaid_principal() : 0},
                                     {"due_date", s ? domain::FormatDate(s->due_date()) : ""}},
                                "interest-notice:" + card.card_id + ":" + p);
        }
    }
    scope.Commit();
    for (const auto& [member, kind, data, key] : pushes) Notify(member, kind, data, key);
    done(Json{{"closed", closed}, {"interest_notices", notices}});
}

// --- APIs ------------------------------------------------------------------------------------------

Json StatementService::StatementJson(const domain::Statement& s, Date today, bool with_lines) const {
    Json j = {{"period", domain::FormatPeriod(s.period)},
              {"status", s.StatusOn(today)},
              {"closing_date", domain::FormatDate(s.closing_date())},
              {"due_date", domain::FormatDate(s.due_date())},
              {"total", s.total()},
              {"billed", s.billed},
              {"credit_applied", s.credit_applied},
              {"paid_principal", s.paid_principal},
              {"interest", s.interest},
              {"interest_paid", s.interest_paid},
              {"paid", s.paid()},
              {"amount_due", s.unpaid_principal() + s.unpaid_interest()},
              {"line_count", static_cast<std::int64_t>(s.lines.size())}};
    if (with_lines) {
        Json lines = Json::array();
        for (const auto& l : s.lines) lines.push_back(LineJson(l));
        j["lines"] = lines;
    }
    return j;
}

void StatementService::WithMemberCard(const core::Request& r, std::function<void(std::optional<std::string>)> then) {
    const std::string member = MemberOf(r);
    {
        auto& st = db_->db().Prepare("SELECT card_id FROM cards WHERE member_id = ?1 ORDER BY card_id LIMIT 1");
        std::optional<std::string> id;
        if (st.BindAll(member).Step()) id = st.Text(0);
        st.Reset();
        if (id) return then(id);
    }
    CallInternal(ctx_.transport, "payment", "GET", "/internal/payment/cards?member_id=" + member, std::nullopt,
                 [this, then = std::move(then)](InternalResult cards) {
                     if (!cards) return then(std::nullopt);
                     for (const Json& c : cards->value("cards", Json::array())) {
                         std::string id = c.value("card_id", std::string());
                         auto scope = db_->Write();
                         db_->db()
                             .Prepare("INSERT INTO cards (card_id, member_id, card_token, last4) VALUES (?1, ?2, ?3, ?4)"
                                      " ON CONFLICT (card_id) DO NOTHING")
                             .BindAll(id, c.value("member_id", std::string()), c.value("card_token", std::string()),
                                      c.value("last4", std::string()))
                             .Execute();
                         scope.Commit();
                         return then(id);
                     }
                     then(std::nullopt);
                 });
}

void StatementService::AppStatements(core::Request r, core::Respond respond) {
    WithMemberCard(r, [this, respond = std::move(respond)](std::optional<std::string> card_id) {
        Json list = Json::array();
        if (card_id) {
            domain::CardStatements c = Load(*card_id);
            Date today = domain::JstDate(ctx_.clock.Now());
            for (auto it = c.statements().rbegin(); it != c.statements().rend(); ++it) {
                list.push_back(StatementJson(it->second, today, false));
            }
        }
        respond(core::Response::Json(200, Json{{"statements", list}}));
    });
}

void StatementService::AppStatement(core::Request r, core::Respond respond) {
    auto period = domain::ParsePeriod(r.path_params.at("period"));
    if (!period) return respond(core::FieldProblem(400, "period", "must be YYYY-MM"));
    WithMemberCard(r, [this, period = *period, respond = std::move(respond)](std::optional<std::string> card_id) {
        if (!card_id) return respond(core::FieldProblem(404, "period", "no statement for this month"));
        domain::CardStatements c = Load(*card_id);
        const domain::Statement* s = c.Find(period);
        if (!s) return respond(core::FieldProblem(404, "period", "no statement for this month"));
        respond(core::Response::Json(200, StatementJson(*s, domain::JstDate(ctx_.clock.Now()), true)));
    });
}

core::Response StatementService::InternalStatements(const core::Request& r) {
    auto card_id = r.QueryParam("card_id");
    if (!card_id || card_id->empty()) return core::FieldProblem(400, "card_id", "is required");
    std::string status = r.QueryParam("status").value_or("");
    if (!status.empty() && status != "OPEN" && status != "CLOSED" && status != "OVERDUE" && status != "PAID") {
        return core::FieldProblem(400, "status", "must be OPEN, CLOSED, OVERDUE or PAID");
    }
    domain::CardStatements c = Load(*card_id);
    Date today = domain::JstDate(ctx_.clock.Now());
    Json list = Json::array();
    for (const auto& [period, s] : c.statements()) {
        Json j = StatementJson(s, today, true);
        if (status.empty() || j["status"] == status) list.push_back(std::move(j));
    }
    return core::Response::Json(200, Json{{"card_id", *card_id},
                                          {"credit", c.credit()},
                                          {"posted_unpaid", c.PostedUnpaid()},
                                          {"interest_owed", c.InterestOwed()},
                                          {"statements", list}});
}

core::Response StatementService::Allocate(const core::Request& r) {
    core::JsonFields in(r);
    std::string repayment_id = in.String("repayment_id", true, 64);
    std::string card_id = in.String("card_id", true, 64);
    Yen amount = in.Int("amount", 1, 100'000'000);
    std::string paid_on_text = in.Date("paid_on", false);
    if (in.failed()) return in.problem();
    Date paid_on = paid_on_text.empty() ? domain::JstDate(ctx_.clock.Now()) : *domain::ParseDate(paid_on_text);
    domain::CardStatements c = Load(card_id);
    auto a = c.Allocate(repayment_id, amount, paid_on);
    if (!a) return core::FieldProblem(a.error().kind == core::ErrorKind::kConflict ? 409 : 400, "amount", a.error().message);
    if (!a->duplicate) {
        auto scope = db_->Write();
        Save(card_id, c);
        scope.Commit();
    }
    return core::Response::Json(a->duplicate ? 200 : 201, AllocationJson(*a));
}

void StatementService::CheckInvariants(InvariantReport& report) {
    auto& db = db_->db();
    std::int64_t statements = 0;
    auto st = db.PrepareUncached(
        "SELECT s.card_id, s.period, s.total, (SELECT COALESCE(SUM(payment_this_month), 0) FROM lines l"
        " WHERE l.card_id = s.card_id AND l.period = s.period), s.credit_applied + s.paid_principal + s.interest_paid,"
        " s.interest, s.billed FROM statements s");
    while (st.Step()) {
        ++statements;
        std::string card = st.Text(0), period = st.Text(1);
        Yen total = st.Int64(2), lines = st.Int64(3), paid = st.Int64(4), interest = st.Int64(5);
        if (total != lines) {
            report.violations.push_back({"statement total = sum of its lines", card,
                                         period + ": " + std::to_string(total) + " != " + std::to_string(lines)});
        }
        if (paid > std::max<Yen>(total, 0) + interest) {
            report.violations.push_back({"paid <= total + interest", card,
                                         period + ": paid " + std::to_string(paid) + " > " + std::to_string(total) +
                                             " + " + std::to_string(interest)});
        }
    }
    report.checked["statements"] += statements;
    std::int64_t allocations = 0;
    auto al = db.PrepareUncached("SELECT repayment_id, card_id, amount, unbilled, prepayment, parts FROM allocations");
    while (al.Step()) {
        ++allocations;
        Yen sum = al.Int64(3) + al.Int64(4);
        for (const Json& p : Json::parse(al.Text(5), nullptr, false)) sum += p.value("interest", Yen{0}) + p.value("principal", Yen{0});
        if (sum != al.Int64(2)) {
            report.violations.push_back({"allocations sum to the repayment", al.Text(1),
                                         al.Text(0) + ": " + std::to_string(sum) + " != " + std::to_string(al.Int64(2))});
        }
    }
    report.checked["allocations"] += allocations;
    auto lines = db.PrepareUncached("SELECT COUNT(*) FROM lines");
    report.checked["statement_lines"] += lines.Step() ? lines.Int64(0) : 0;
}

}  // namespace sim::platform::statement
