#include "sim/platform/application/application_service.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "sim/core/json_fields.hpp"
#include "sim/core/time.hpp"
#include "sim/core/trace.hpp"
#include "sim/platform/common/crypto.hpp"
#include "sim/platform/common/sqs_records.hpp"

namespace sim::platform::application {

namespace {

const store::Migration kMigrations[] = {
    {1,
     "CREATE TABLE members ("
     " member_id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,"
     " status TEXT NOT NULL DEFAULT 'ACTIVE', failed_logins INTEGER NOT NULL DEFAULT 0, locked_until_ms INTEGER,"
     " family_name TEXT NOT NULL DEFAULT '', given_name TEXT NOT NULL DEFAULT '',"
     " family_name_kana TEXT NOT NULL DEFAULT '', given_name_kana TEXT NOT NULL DEFAULT '',"
     " created_at TEXT NOT NULL);"
     "CREATE TABLE sessions ("
     " token_hash TEXT PRIMARY KEY, member_id TEXT NOT NULL REFERENCES members (member_id),"
     " created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL);"
     "CREATE INDEX sessions_member ON sessions (member_id);"},
    {2,
     "CREATE TABLE applications ("
     " application_id TEXT PRIMARY KEY, member_id TEXT NOT NULL UNIQUE REFERENCES members (member_id),"
     " status TEXT NOT NULL, data TEXT NOT NULL, submitted_ms INTEGER NOT NULL,"
     " ekyc_verification_id TEXT UNIQUE, ekyc TEXT, listed_date TEXT, bureau TEXT, screening TEXT,"
     " auto_reject_reason TEXT, decision TEXT, credit_limit INTEGER, payment_capacity INTEGER,"
     " card_account_id TEXT, card_id TEXT, bin TEXT, last4 TEXT, expiry TEXT, network TEXT,"
     " bureau_contract_id TEXT, order_id TEXT UNIQUE, tracking_number TEXT,"
     " created_at TEXT NOT NULL, updated_at TEXT NOT NULL);"
     "CREATE INDEX applications_status ON applications (status);"
     "CREATE INDEX applications_listed ON applications (listed_date);"
     "CREATE TABLE application_events ("
     " id INTEGER PRIMARY KEY AUTOINCREMENT, application_id TEXT NOT NULL, at TEXT NOT NULL,"
     " from_status TEXT NOT NULL, to_status TEXT NOT NULL, actor TEXT NOT NULL, detail TEXT NOT NULL);"
     "CREATE INDEX application_events_app ON application_events (application_id, id);"},
};

std::string Origin(const core::Request& r) { return r.remote.empty() ? "in-process" : r.remote; }

/// A plausible address: local@domain with a dot in the domain, no spaces, ≤ 254 bytes.
bool IsEmail(std::string_view e) {
    auto at = e.find('@');
    if (at == std::string_view::npos || at == 0 || e.size() > 254 || e.find('@', at + 1) != std::string_view::npos)
        return false;
    auto domain = e.substr(at + 1);
    auto dot = domain.find('.');
    if (dot == std::string_view::npos || dot == 0 || domain.back() == '.') return false;
    return std::none_of(e.begin(), e.end(), [](char c) { return c == ' ' || c < 0x21; });
}

std::string Lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

}  // namespace

ApplicationService::ApplicationService(PlatformContext& ctx)
    : ctx_(ctx),
      db_(std::make_unique<ServiceDb>("application", ctx.options.data_dir, ctx.group, kMigrations)),
      ids_(ctx.options.seed ^ 0x4150505f535643ull ^ (db_->Boots() * 0x9e3779b97f4a7c15ull)) {}

ApplicationService::~ApplicationService() = default;

std::string ApplicationService::NewId(std::string_view prefix) { return std::string(prefix) + ids_.Hex(6); }

void ApplicationService::Audit(const core::Request& r, std::string actor, std::string event_type, bool success,
                               std::string resource, std::string reason) {
    AuditEntry e;
    e.actor = std::move(actor);
    e.event_type = std::move(event_type);
    e.outcome = success ? "success" : "failure";
    e.origin = Origin(r);
    e.resource = std::move(resource);
    e.reason = std::move(reason);
    e.trace_id = core::TraceIdOf(r);
    ctx_.audit.Record(std::move(e));
}

void ApplicationService::Install(core::Router& router) {
    auto sync = [this](core::Response (ApplicationService::*fn)(const core::Request&)) {
        return core::FromSync([this, fn](const core::Request& r) { return (this->*fn)(r); });
    };
    ctx_.gateway.Public(router, "POST", "/app/v1/members", sync(&ApplicationService::SignUp));
    ctx_.gateway.Public(router, "POST", "/app/v1/sessions", sync(&ApplicationService::SignIn));
    ctx_.gateway.App(router, "POST", "/app/v1/applications",
                     [this](core::Request r, core::Respond respond) { Submit(std::move(r), std::move(respond)); });
    ctx_.gateway.App(router, "GET", "/app/v1/applications/current", sync(&ApplicationService::Current));
    ctx_.gateway.Ext(router, "POST", "/ext/v1/ekyc/verdicts", "ekyc", sync(&ApplicationService::EkycVerdict));
    ctx_.gateway.Ext(router, "POST", "/ext/v1/printing/events", "printing", sync(&ApplicationService::PrintingEvent));
    const std::vector<std::string> officer = {"credit_officer"};
    ctx_.gateway.Admin(router, "GET", "/admin/v1/review-list", officer, sync(&ApplicationService::ReviewList));
    ctx_.gateway.Admin(router, "GET", "/admin/v1/applications/{id}", officer, sync(&ApplicationService::Detail));
    ctx_.gateway.Admin(router, "POST", "/admin/v1/applications/{id}/decision", officer,
                       sync(&ApplicationService::Decision));
    ctx_.gateway.Admin(router, "GET", "/admin/v1/members", {"operator", "credit_officer"},
                       sync(&ApplicationService::SearchMembers));
    for (const char* action : {"suspend", "resume"}) {
        std::string status = std::string(action) == "suspend" ? "SUSPENDED" : "ACTIVE";
        ctx_.gateway.Admin(router, "POST", std::string("/admin/v1/cards/{card_id}/") + action, {"operator"},
                           [this, status](core::Request r, core::Respond respond) {
                               CardStatus(std::move(r), std::move(respond), status);
                           });
    }
    ctx_.gateway.Admin(router, "GET", "/admin/v1/audit", {"auditor"}, sync(&ApplicationService::AuditView));
    router.Add("GET", "/internal/application/members/{member_id}", sync(&ApplicationService::GetMember));
    // Inspection (scenarios' awaits, operations tooling): the admin detail without an officer's
    // session or an audit entry per poll; internal APIs are not reachable through the gateway.
    router.Add("GET", "/internal/application/applications/{id}", sync(&ApplicationService::Detail));
}

void ApplicationService::AddFunctions(std::map<std::string, PlatformFunction>& functions) {
    functions["platform-review-batch"] = [this](const Json&, FunctionDone done) { RunReviewBatch(std::move(done)); };
    functions["platform-async-router"] = [this](const Json& event, FunctionDone done) {
        AsyncRouter(event, std::move(done));
    };
    using Step = void (ApplicationService::*)(const Json&, std::function<void(std::optional<std::string>)>);
    const std::pair<const char*, Step> steps[] = {
        {"platform-register-card-account", &ApplicationService::RegisterCardAccount},
        {"platform-register-bureau-contract", &ApplicationService::RegisterBureauContract},
        {"platform-order-card", &ApplicationService::OrderCard},
    };
    for (const auto& [name, step] : steps) {
        functions[name] = [this, step = step](const Json& event, FunctionDone done) {
            ForEachRecord(event, [this, step](const Json& message, std::function<void(std::optional<std::string>)> d) {
                (this->*step)(message, std::move(d));
            }, std::move(done));
        };
    }
}

void ApplicationService::Reset() { db_->Wipe(); }

std::optional<std::string> ApplicationService::MemberOf(std::string_view token, core::TimePoint now) {
    auto& st = db_->db().Prepare("SELECT member_id, expires_ms FROM sessions WHERE token_hash = ?1");
    st.BindAll(HashToken(token));
    std::optional<std::string> member;
    if (st.Step() && st.Int64(1) > core::ToEpochMillis(now)) member = st.Text(0);
    st.Reset();
    return member;
}

core::Response ApplicationService::SignUp(const core::Request& r) {
    core::JsonFields in(r);
    std::string email = Lower(in.String("email", true, 254));
    std::string password = in.String("password", true, 128);
    if (!in.failed() && !IsEmail(email)) in.Reject("email", "is not an email address");
    if (!in.failed() && password.size() < 12) in.Reject("password", "must be at least 12 characters");
    if (in.failed()) return in.problem();
    auto& exists = db_->db().Prepare("SELECT 1 FROM members WHERE email = ?1");
    bool taken = exists.BindAll(email).Step();
    exists.Reset();
    if (taken) return core::FieldProblem(409, "email", "is already registered");
    std::string member_id = NewId("M-");
    std::string hash = HashPassword(password, ctx_.options.password_iterations);
    auto scope = db_->Write();
    db_->db()
        .Prepare("INSERT INTO members (member_id, email, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)")
        .BindAll(member_id, email, hash, core::FormatIso8601(ctx_.clock.Now()))
        .Execute();
    scope.Commit();
    Audit(r, member_id, "member.created", true, "member/" + member_id, "");
    return core::Response::Json(201, Json{{"member_id", member_id}, {"email", email}});
}

core::Response ApplicationService::SignIn(const core::Request& r) {
    core::JsonFields in(r);
    std::string email = Lower(in.String("email", true, 254));
    std::string password = in.String("password", true, 1024);
    if (in.failed()) return in.problem();
    core::TimePoint now = ctx_.clock.Now();
    auto& st = db_->db().Prepare(
        "SELECT member_id, password_hash, failed_logins, locked_until_ms FROM members WHERE email = ?1");
    st.BindAll(email);
    if (!st.Step()) {
        st.Reset();
        // Same work as a real check, so response time does not reveal which emails exist.
        if (dummy_hash_.empty()) dummy_hash_ = HashPassword("cardsim-no-such-member", ctx_.options.password_iterations);
        VerifyPassword(password, dummy_hash_);
        Audit(r, "email:" + email, "session.failed", false, "member/unknown", "unknown email");
        return core::FieldProblem(401, "password", "the email or password is wrong");
    }
    std::string member_id = st.Text(0);
    std::string stored = st.Text(1);
    LoginState login{static_cast<int>(st.Int64(2)), std::nullopt};
    if (!st.IsNull(3)) login.locked_until = core::FromEpochMillis(st.Int64(3));
    st.Reset();
    if (IsLocked(login, now)) {
        Audit(r, member_id, "session.failed", false, "member/" + member_id, "locked");
        return core::FieldProblem(401, "password",
                                  "the account is locked after " + std::to_string(lockout_.max_failures) +
                                      " failed sign-ins until " + core::FormatIso8601(*login.locked_until));
    }
    if (!VerifyPassword(password, stored)) {
        LoginState next = AfterFailure(login, now, lockout_);
        auto scope = db_->Write();
        db_->db()
            .Prepare("UPDATE members SET failed_logins = ?2, locked_until_ms = ?3 WHERE member_id = ?1")
            .BindAll(member_id, next.failures,
                     next.locked_until ? std::optional<std::int64_t>(core::ToEpochMillis(*next.locked_until))
                                       : std::nullopt)
            .Execute();
        scope.Commit();
        Audit(r, member_id, "session.failed", false, "member/" + member_id,
              next.locked_until ? "wrong password; account locked" : "wrong password");
        return core::FieldProblem(401, "password", "the email or password is wrong");
    }
    std::string token = NewBearerToken(ids_, "cst_");
    core::TimePoint expires = now + kSessionLifetime;
    auto scope = db_->Write();
    db_->db()
        .Prepare("UPDATE members SET failed_logins = 0, locked_until_ms = NULL WHERE member_id = ?1")
        .BindAll(member_id)
        .Execute();
    db_->db()
        .Prepare("DELETE FROM sessions WHERE member_id = ?1 AND expires_ms <= ?2")
        .BindAll(member_id, core::ToEpochMillis(now))
        .Execute();
    db_->db()
        .Prepare("INSERT INTO sessions (token_hash, member_id, created_ms, expires_ms) VALUES (?1, ?2, ?3, ?4)")
        .BindAll(HashToken(token), member_id, core::ToEpochMillis(now), core::ToEpochMillis(expires))
        .Execute();
    scope.Commit();
    Audit(r, member_id, "session.created", true, "member/" + member_id, "");
    return core::Response::Json(201, Json{{"token", token},
                                          {"token_type", "Bearer"},
                                          {"expires_at", core::FormatIso8601(expires)},
                                          {"member_id", member_id}});
}

core::Response ApplicationService::GetMember(const core::Request& r) {
    const std::string& id = r.path_params.at("member_id");
    auto& st = db_->db().Prepare(
        "SELECT member_id, email, family_name, given_name, family_name_kana, given_name_kana, status"
        " FROM members WHERE member_id = ?1");
    st.BindAll(id);
    if (!st.Step()) {
        st.Reset();
        return core::FieldProblem(404, "member_id", "no such member");
    }
    Json m = {{"member_id", st.Text(0)},        {"email", st.Text(1)},           {"family_name", st.Text(2)},
              {"given_name", st.Text(3)},       {"family_name_kana", st.Text(4)}, {"given_name_kana", st.Text(5)},
              {"status", st.Text(6)}};
    st.Reset();
    return core::Response::Json(200, m);
}

}  // namespace sim::platform::application
