// The admin API of the application service (/admin/v1, docs/platform.md) and the JSON views of an
// application. The gateway has authenticated the caller (X-Cardsim-Actor/Role) and audits the call.
#include <spdlog/spdlog.h>

#include "sim/core/json_fields.hpp"
#include "sim/core/time.hpp"
#include "sim/core/trace.hpp"
#include "sim/platform/application/application_service.hpp"

namespace sim::platform::application {

namespace {
std::string Actor(const core::Request& r) { return std::string(r.headers.Get(kActorHeader).value_or("")); }
}  // namespace

Json ApplicationService::ToJson(const App& a, bool full) const {
    Json j = {{"application_id", a.application_id},
              {"member_id", a.member_id},
              {"status", full ? ToString(a.status) : ApplicantView(a.status)},
              {"submitted_at", core::FormatIso8601(core::FromEpochMillis(a.submitted_ms))},
              {"updated_at", a.updated_at},
              {"family_name", a.data.value("family_name", "")},
              {"given_name", a.data.value("given_name", "")},
              {"family_name_kana", a.data.value("family_name_kana", "")},
              {"given_name_kana", a.data.value("given_name_kana", "")}};
    if (a.credit_limit) j["credit_limit"] = *a.credit_limit;
    if (!a.last4.empty()) j["card"] = {{"last4", a.last4}, {"network", a.network}, {"card_id", a.card_id}};
    if (!a.tracking_number.empty()) j["tracking_number"] = a.tracking_number;
    if (!full) return j;
    j["applicant"] = a.data;
    j["ekyc"] = a.ekyc;
    j["ekyc_verification_id"] = a.ekyc_verification_id;
    j["bureau"] = a.bureau;
    j["screening"] = a.screening;
    j["listed_date"] = a.listed_date.empty() ? Json() : Json(a.listed_date);
    j["auto_reject_reason"] = a.auto_reject_reason.empty() ? Json() : Json(a.auto_reject_reason);
    j["decision"] = a.decision;
    if (a.payment_capacity) {
        j["payment_capacity"] = *a.payment_capacity;
        j["max_credit_limit"] = MaxCreditLimit(*a.payment_capacity);
    }
    j["card_account_id"] = a.card_account_id;
    j["order_id"] = a.order_id;
    j["bureau_contract_id"] = a.bureau_contract_id;
    Json history = Json::array();
    auto& st = db_->db().Prepare(
        "SELECT at, from_status, to_status, actor, detail FROM application_events WHERE application_id = ?1 ORDER BY id");
    st.BindAll(a.application_id);
    while (st.Step())
        history.push_back({{"at", st.Text(0)}, {"from", st.Text(1)}, {"to", st.Text(2)}, {"actor", st.Text(3)},
                           {"detail", st.Text(4)}});
    st.Reset();
    j["history"] = std::move(history);
    return j;
}

core::Response ApplicationService::ReviewList(const core::Request& r) {
    std::string date = r.QueryParam("date").value_or("");
    if (date.empty()) {
        auto days = std::chrono::floor<std::chrono::days>(ctx_.clock.Now() + std::chrono::hours(9));
        date = core::FormatIso8601(core::TimePoint(days)).substr(0, 10);
    } else if (!core::IsDate(date)) {
        return core::FieldProblem(400, "date", "must be a date YYYY-MM-DD");
    }
    std::vector<std::string> ids;
    auto& st = db_->db().Prepare("SELECT application_id FROM applications WHERE listed_date = ?1 ORDER BY submitted_ms");
    st.BindAll(date);
    while (st.Step()) ids.push_back(st.Text(0));
    st.Reset();
    Json items = Json::array();
    for (const auto& id : ids) {
        auto a = Load(id);
        if (!a) continue;
        Json item = ToJson(*a, false);
        item["status"] = ToString(a->status);
        item["screening_result"] = a->screening.is_object() ? a->screening.value("result", "") : "";
        item["bureau_incident"] = a->bureau.is_object() ? a->bureau.value("incident", false) : false;
        if (a->payment_capacity) item["max_credit_limit"] = MaxCreditLimit(*a->payment_capacity);
        if (!a->auto_reject_reason.empty()) item["auto_reject_reason"] = a->auto_reject_reason;
        items.push_back(std::move(item));
    }
    return core::Response::Json(200, Json{{"date", date}, {"applications", items}});
}

core::Response ApplicationService::Detail(const core::Request& r) {
    auto a = Load(r.path_params.at("id"));
    if (!a) return core::FieldProblem(404, "id", "no such application");
    return core::Response::Json(200, ToJson(*a, true));
}

core::Response ApplicationService::Decision(const core::Request& r) {
    const std::string& id = r.path_params.at("id");
    core::JsonFields in(r);
    std::string decision = in.Enum("decision", {"APPROVE", "REJECT"});
    std::optional<std::int64_t> limit;
    std::string reason;
    if (!in.failed() && decision == "APPROVE") limit = in.Int("credit_limit", 1, 100'000'000);
    if (!in.failed() && decision == "REJECT") reason = in.String("reason", true, 500);
    if (in.failed()) return in.problem();
    auto a = Load(id);
    if (!a) return core::FieldProblem(404, "id", "no such application");
    if (a->status != Status::kChecked)
        return core::FieldProblem(409, "id", "the application is " + std::string(ToString(a->status)) +
                                                 "; only a CHECKED application can be decided");
    std::string actor = Actor(r);
    Json record = {{"decision", decision}, {"by", actor}, {"at", core::FormatIso8601(ctx_.clock.Now())}};
    if (decision == "REJECT") {
        record["reason"] = reason;
        Transition(id, Status::kRejected, actor, "rejected: " + reason, {{"decision", record}});
        return core::Response::Json(200, ToJson(*Load(id), true));
    }
    std::string why = CheckCreditLimit(*limit, a->payment_capacity.value_or(0));
    if (!why.empty()) return core::FieldProblem(422, "credit_limit", why);
    record["credit_limit"] = *limit;
    // Approval is the definitive registration: APPROVED then CONFIRMED, and the async chain starts.
    if (!Transition(id, Status::kApproved, actor, "approved, limit " + std::to_string(*limit),
                    {{"decision", record}, {"credit_limit", *limit}}))
        return core::FieldProblem(409, "id", "the application changed meanwhile");
    Transition(id, Status::kConfirmed, actor, "confirmed");
    std::string trace = core::TraceIdOf(r);
    Json message = {{"type", "application.confirmed"}, {"application_id", id}, {"trace_id", trace}};
    // The queue send is after the commit of the decision: a message is never about an unconfirmed
    // application. If it cannot be sent, the decision stands and the answer says so (202, retry by
    // the officer is safe: the chain is idempotent).
    auto app = Load(id);
    Json body = ToJson(*app, true);
    SendAsync("platform-async", message, [id](bool ok, std::string error) {
        if (!ok) spdlog::error("[platform.application] {} confirmed but the async chain did not start: {}", id, error);
    });
    return core::Response::Json(200, body);
}

core::Response ApplicationService::SearchMembers(const core::Request& r) {
    std::string email = r.QueryParam("email").value_or("");
    std::string kana = r.QueryParam("name_kana").value_or("");
    std::string last4 = r.QueryParam("last4").value_or("");
    if (email.empty() && kana.empty() && last4.empty())
        return core::FieldProblem(400, "email", "give email, name_kana or last4");
    if (!last4.empty() && (last4.size() != 4 || last4.find_first_not_of("0123456789") != std::string::npos))
        return core::FieldProblem(400, "last4", "must be 4 digits");
    for (char& c : email)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    std::string kana_compact;
    for (char c : kana)
        if (c != ' ') kana_compact += c;
    auto& st = db_->db().Prepare(
        "SELECT m.member_id, m.email, m.family_name, m.given_name, m.family_name_kana, m.given_name_kana, m.status,"
        " a.application_id, a.status, a.last4, a.card_id FROM members m LEFT JOIN applications a ON a.member_id = m.member_id"
        " WHERE (?1 = '' OR m.email = ?1) AND (?2 = '' OR m.family_name_kana || m.given_name_kana = ?2"
        " OR m.family_name_kana = ?2) AND (?3 = '' OR a.last4 = ?3) ORDER BY m.member_id LIMIT 100");
    st.BindAll(email, kana_compact, last4);
    Json out = Json::array();
    while (st.Step())
        out.push_back({{"member_id", st.Text(0)},
                       {"email", st.Text(1)},
                       {"family_name", st.Text(2)},
                       {"given_name", st.Text(3)},
                       {"family_name_kana", st.Text(4)},
                       {"given_name_kana", st.Text(5)},
                       {"status", st.Text(6)},
                       {"application_id", st.IsNull(7) ? Json() : Json(st.Text(7))},
                       {"application_status", st.IsNull(8) ? Json() : Json(st.Text(8))},
                       {"card", st.IsNull(9) || st.Text(9).empty() ? Json()
                                                                   : Json{{"last4", st.Text(9)}, {"card_id", st.Text(10)}}}});
    st.Reset();
    return core::Response::Json(200, Json{{"members", out}});
}

void ApplicationService::CardStatus(core::Request r, core::Respond respond, const std::string& status) {
    core::JsonFields in(r);
    std::string reason = in.String("reason", true, 500);
    if (in.failed()) return respond(in.problem());
    core::Request call;
    call.method = "POST";
    call.target = "/internal/payment/cards/" + core::PercentEncode(r.path_params.at("card_id")) + "/status";
    call.headers.Set("Content-Type", "application/json");
    if (auto t = r.headers.Get(core::kTraceHeader)) call.headers.Set(core::kTraceHeader, std::string(*t));
    call.body = Json{{"status", status}, {"reason", reason}, {"actor", Actor(r)}}.dump();
    ctx_.transport.Send("payment", std::move(call), [respond = std::move(respond)](core::Response res) {
        if (res.status == 404 && res.body.find("card_id") == std::string::npos)
            return respond(core::FieldProblem(502, "", "the payment service cannot change card status"));
        respond(std::move(res));  // the payment service's answer (200, 404 card_id, 409, ...)
    });
}

core::Response ApplicationService::AuditView(const core::Request& r) {
    std::optional<core::TimePoint> since;
    if (auto s = r.QueryParam("since"); s && !s->empty()) {
        auto t = core::ParseIso8601(*s);
        if (!t) return core::FieldProblem(400, "since", "must be an ISO 8601 time");
        since = *t;
    }
    std::int64_t after = 0;
    std::int64_t limit = 1000;
    try {
        if (auto a = r.QueryParam("after"); a && !a->empty()) after = std::stoll(*a);
        if (auto l = r.QueryParam("limit"); l && !l->empty()) limit = std::stoll(*l);
    } catch (const std::exception&) {
        return core::FieldProblem(400, "limit", "after and limit must be integers");
    }
    if (limit < 1 || limit > 10'000) return core::FieldProblem(400, "limit", "must be between 1 and 10000");
    Json entries = Json::array();
    for (const auto& e : ctx_.audit.Query(since, r.QueryParam("actor").value_or(""), after, static_cast<std::size_t>(limit)))
        entries.push_back(e.ToJson());
    return core::Response::Json(200, Json{{"entries", entries}});
}

}  // namespace sim::platform::application
