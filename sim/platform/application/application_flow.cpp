// The application flow: submission → eKYC, the verdict and printer callbacks, the daily review
// batch and the async chain (docs/platform.md, "The application flow").
#include <memory>

#include <spdlog/spdlog.h>

#include "sim/core/json_fields.hpp"
#include "sim/core/time.hpp"
#include "sim/core/trace.hpp"
#include "sim/platform/application/application_service.hpp"
#include "sim/platform/common/card_vault.hpp"
#include "sim/platform/common/sqs_records.hpp"

namespace sim::platform::application {

namespace {

constexpr std::chrono::hours kJst{9};

std::string JstDate(core::TimePoint t) {
    auto days = std::chrono::floor<std::chrono::days>(t + kJst);
    std::chrono::year_month_day ymd{days};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()));
    return buf;
}

Json ParseOr(const std::string& text, Json fallback) {
    if (text.empty()) return fallback;
    Json j = Json::parse(text, nullptr, false);
    return j.is_discarded() ? fallback : j;
}

const char* kColumns =
    "application_id, member_id, status, data, submitted_ms, ekyc_verification_id, ekyc, listed_date, bureau,"
    " screening, auto_reject_reason, decision, credit_limit, payment_capacity, card_account_id, card_id, bin, last4,"
    " expiry, network, bureau_contract_id, order_id, tracking_number, created_at, updated_at";

}  // namespace


std::optional<ApplicationService::App> ApplicationService::LoadBy(const std::string& column, const std::string& value) {
    auto& st = db_->db().Prepare(std::string("SELECT ") + kColumns + " FROM applications WHERE " + column + " = ?1");
    st.BindAll(value);
    std::optional<App> out;
    if (st.Step()) {
        App a;
        a.application_id = st.Text(0);
        a.member_id = st.Text(1);
        a.status = ParseStatus(st.Text(2)).value_or(Status::kSubmitted);
        a.data = ParseOr(st.Text(3), Json::object());
        a.submitted_ms = st.Int64(4);
        a.ekyc_verification_id = st.Text(5);
        a.ekyc = ParseOr(st.Text(6), nullptr);
        a.listed_date = st.Text(7);
        a.bureau = ParseOr(st.Text(8), nullptr);
        a.screening = ParseOr(st.Text(9), nullptr);
        a.auto_reject_reason = st.Text(10);
        a.decision = ParseOr(st.Text(11), nullptr);
        if (!st.IsNull(12)) a.credit_limit = st.Int64(12);
        if (!st.IsNull(13)) a.payment_capacity = st.Int64(13);
        a.card_account_id = st.Text(14);
        a.card_id = st.Text(15);
        a.bin = st.Text(16);
        a.last4 = st.Text(17);
        a.expiry = st.Text(18);
        a.network = st.Text(19);
        a.bureau_contract_id = st.Text(20);
        a.order_id = st.Text(21);
        a.tracking_number = st.Text(22);
        a.created_at = st.Text(23);
        a.updated_at = st.Text(24);
        out = std::move(a);
    }
    st.Reset();
    return out;
}

std::optional<ApplicationService::App> ApplicationService::Load(const std::string& id) {
    return LoadBy("application_id", id);
}

bool ApplicationService::Transition(const std::string& id, Status to, const std::string& actor,
                                    const std::string& detail, const std::map<std::string, Json>& sets) {
    auto app = Load(id);
    if (!app) return false;
    if (!CanTransition(app->status, to)) return false;
    std::string now = core::FormatIso8601(ctx_.clock.Now());
    auto scope = db_->Write();
    std::string sql = "UPDATE applications SET status = ?2, updated_at = ?3";
    int i = 4;
    for (const auto& [col, v] : sets) sql += ", " + col + " = ?" + std::to_string(i++);
    sql += " WHERE application_id = ?1 AND status = ?" + std::to_string(i);
    auto& st = db_->db().Prepare(sql);
    st.BindAll(id, std::string(ToString(to)), now);
    i = 4;
    for (const auto& [col, v] : sets) {
        if (v.is_null()) st.BindNull(i);
        else if (v.is_number_integer()) st.BindInt64(i, v.get<std::int64_t>());
        else if (v.is_string()) st.BindText(i, v.get<std::string>());
        else st.BindText(i, v.dump());
        ++i;
    }
    st.BindText(i, std::string(ToString(app->status)));
    if (st.Execute() != 1) return false;
    db_->db()
        .Prepare("INSERT INTO application_events (application_id, at, from_status, to_status, actor, detail)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .BindAll(id, now, std::string(ToString(app->status)), std::string(ToString(to)), actor, detail)
        .Execute();
    scope.Commit();
    spdlog::info("[platform.application] {} {} -> {} ({})", id, ToString(app->status), ToString(to), actor);
    return true;
}

// --- submission --------------------------------------------------------------------------------

void ApplicationService::Submit(core::Request r, core::Respond respond) {
    std::string member = platform::MemberOf(r);
    core::JsonFields in(r);
    Json data = Json::object();
    for (const char* f : {"family_name", "given_name"}) data[f] = in.String(f, true, 50);
    for (const char* f : {"family_name_kana", "given_name_kana"}) {
        std::string v = in.String(f, true, 100);
        if (!in.failed() && !IsKatakana(v)) in.Reject(f, "must be full-width katakana");
        data[f] = v;
    }
    data["birth_date"] = in.Date("birth_date");
    std::string postal = in.String("postal_code", true, 8);
    if (!in.failed() && (postal.size() != 8 || postal[3] != '-' ||
                         postal.find_first_not_of("0123456789-") != std::string::npos))
        in.Reject("postal_code", "must be NNN-NNNN");
    data["postal_code"] = postal;
    data["address"] = in.String("address", true, 200);
    std::string phone = in.String("phone", true, 20);
    if (!in.failed() && (phone.size() < 10 || phone.find_first_not_of("0123456789-+") != std::string::npos))
        in.Reject("phone", "must be a phone number (digits, at least 10)");
    data["phone"] = phone;
    data["annual_income"] = in.Int("annual_income", 0, 1'000'000'000);
    data["household_size"] = in.Int("household_size", 1, 20);
    data["housing"] = in.Enum("housing", {"OWNED", "RENTED", "MORTGAGED"});
    data["other_annual_debt"] = in.OptInt("other_annual_debt", 0, 1'000'000'000).value_or(0);
    data["ekyc_method"] = in.Enum("ekyc_method", {"HO", "HE", "TO", "WA"});
    Json documents = in.Array("documents", true);
    if (!in.failed() && documents.empty()) in.Reject("documents", "must list at least one document");
    for (std::size_t i = 0; !in.failed() && i < documents.size(); ++i) {
        core::JsonFields d(documents[i], "documents[" + std::to_string(i) + "].");
        d.Enum("type", {"FRONT", "BACK", "THICKNESS", "SELFIE", "IC_CHIP", "JPKI"});
        if (d.failed()) in.Fail(*d.error());
    }
    data["documents"] = documents;
    std::string embossed = EmbossedName(in.String("embossed_name", true, 26));
    if (!in.failed() && embossed.empty()) in.Reject("embossed_name", "must be 2-26 of A-Z, space, . - '");
    data["embossed_name"] = embossed;
    if (!in.failed()) {
        auto birth = core::ParseIso8601(data["birth_date"].get<std::string>());
        if (!birth || *birth + std::chrono::days(18 * 365 + 4) > ctx_.clock.Now())
            in.Reject("birth_date", "the applicant must be 18 or older");
    }
    if (in.failed()) return respond(in.problem());
    if (auto existing = LoadBy("member_id", member))
        return respond(core::FieldProblem(409, "member_id",
                                          "the member already has an application (" + existing->application_id + ")"));

    std::string id = NewId("A-");
    std::string trace = core::TraceIdOf(r);
    external::ExternalCall call;
    call.path = "/ekyc/v1/verifications";
    call.operation = "submit_verification";
    call.idempotency_key = "ekyc:" + id;
    call.trace_id = trace;
    call.body = Json{{"applicant_ref", id},
                     {"method", data["ekyc_method"]},
                     {"applicant",
                      {{"family_name", data["family_name"]},
                       {"given_name", data["given_name"]},
                       {"family_name_kana", data["family_name_kana"]},
                       {"given_name_kana", data["given_name_kana"]},
                       {"birth_date", data["birth_date"]},
                       {"address", data["address"]}}},
                     {"documents", data["documents"]}};
    ctx_.external.Call("ekyc", std::move(call), [this, r, id, member, data, respond](external::ExternalResult res) {
        if (!res) {
            if (res.error().kind == external::ExternalErrorKind::kRejected)
                return respond(core::FieldProblem(422, "documents", "eKYC refused the submission: " + res.error().code +
                                                                          " " + res.error().message));
            return respond(core::FieldProblem(503, "", "identity verification is unavailable; try again later"));
        }
        if (LoadBy("member_id", member))  // a concurrent submission won
            return respond(core::FieldProblem(409, "member_id", "the member already has an application"));
        std::string verification = res->body.value("verification_id", "");
        std::string now = core::FormatIso8601(ctx_.clock.Now());
        auto scope = db_->Write();
        db_->db()
            .Prepare("INSERT INTO applications (application_id, member_id, status, data, submitted_ms,"
                     " ekyc_verification_id, created_at, updated_at) VALUES (?1, ?2, 'SUBMITTED', ?3, ?4, ?5, ?6, ?6)")
            .BindAll(id, member, data.dump(), core::ToEpochMillis(ctx_.clock.Now()), verification, now)
            .Execute();
        db_->db()
            .Prepare("UPDATE members SET family_name = ?2, given_name = ?3, family_name_kana = ?4, given_name_kana = ?5"
                     " WHERE member_id = ?1")
            .BindAll(member, data["family_name"].get<std::string>(), data["given_name"].get<std::string>(),
                     data["family_name_kana"].get<std::string>(), data["given_name_kana"].get<std::string>())
            .Execute();
        db_->db()
            .Prepare("INSERT INTO application_events (application_id, at, from_status, to_status, actor, detail)"
                     " VALUES (?1, ?2, '', 'SUBMITTED', ?3, ?4)")
            .BindAll(id, now, member, "eKYC " + verification)
            .Execute();
        scope.Commit();
        Audit(r, member, "application.submitted", true, "application/" + id, "");
        auto app = Load(id);
        respond(core::Response::Json(202, ToJson(*app, false)));
    });
}

core::Response ApplicationService::Current(const core::Request& r) {
    auto app = LoadBy("member_id", platform::MemberOf(r));
    if (!app) return core::FieldProblem(404, "", "the member has no application");
    return core::Response::Json(200, ToJson(*app, false));
}

// --- callbacks ---------------------------------------------------------------------------------

bool ApplicationService::ApplyVerdict(const Json& v, const std::string& actor) {
    auto app = LoadBy("ekyc_verification_id", v.value("verification_id", ""));
    if (!app) return false;
    std::string status = v.value("status", "");
    std::optional<Status> to;
    if (status == "VERIFIED") to = Status::kEkycVerified;
    if (status == "REJECTED") to = Status::kEkycRejected;
    if (status == "MANUAL_REVIEW") to = Status::kEkycManualReview;
    if (!to) return false;
    return Transition(app->application_id, *to, actor, "eKYC " + status + (v.contains("reason") ? " " + v.value("reason", "") : ""),
                      {{"ekyc", v}});
}

core::Response ApplicationService::EkycVerdict(const core::Request& r) {
    core::JsonFields in(r);
    std::string id = in.String("verification_id", true, 64);
    in.Enum("status", {"PENDING", "VERIFIED", "REJECTED", "MANUAL_REVIEW"});
    if (in.failed()) return in.problem();
    if (!LoadBy("ekyc_verification_id", id)) return core::FieldProblem(404, "verification_id", "no application has it");
    bool changed = ApplyVerdict(in.json(), "ext:ekyc");
    return core::Response::Json(200, Json{{"verification_id", id}, {"ignored", !changed}});
}

core::Response ApplicationService::PrintingEvent(const core::Request& r) {
    core::JsonFields in(r);
    std::string order = in.String("order_id", true, 64);
    std::string event = in.String("event", true, 40);
    std::string tracking = in.String("tracking_number", false, 40);
    if (in.failed()) return in.problem();
    auto app = LoadBy("order_id", order);
    if (!app) return core::FieldProblem(404, "order_id", "no card order has it");
    std::optional<Status> to;
    std::map<std::string, Json> sets;
    if (event == "SHIPPED") {
        to = Status::kShipped;
        if (!tracking.empty()) sets["tracking_number"] = tracking;
    }
    if (event == "DELIVERED") to = Status::kActive;
    if (event == "RETURNED_UNDELIVERABLE" || event == "RETURNED") to = Status::kCardReturned;
    bool changed = to && Transition(app->application_id, *to, "ext:printing", "card " + event, sets);
    return core::Response::Json(200, Json{{"order_id", order}, {"event", event}, {"ignored", !changed}});
}

// --- the daily review batch ---------------------------------------------------------------------

void ApplicationService::RunReviewBatch(FunctionDone done) {
    core::TimePoint now = ctx_.clock.Now();
    std::string today = JstDate(now);
    struct Run {
        std::vector<std::string> poll, review;
        Json summary = {{"polled", 0}, {"listed", 0}, {"checked", 0}, {"rejected", 0}, {"failed", 0}};
        FunctionDone done;
    };
    auto run = std::make_shared<Run>();
    run->done = std::move(done);
    run->summary["business_date"] = today;
    auto count = [run](const std::string& k) { run->summary[k] = run->summary[k].get<int>() + 1; };
    {
        // Lost callbacks: still SUBMITTED (or waiting for manual review) after a day → ask eKYC.
        auto& st = db_->db().Prepare(
            "SELECT application_id FROM applications WHERE status IN ('SUBMITTED', 'EKYC_MANUAL_REVIEW')"
            " AND submitted_ms <= ?1 ORDER BY submitted_ms");
        st.BindAll(core::ToEpochMillis(now - std::chrono::hours(24)));
        while (st.Step()) run->poll.push_back(st.Text(0));
        st.Reset();
    }
    auto list_and_check = [this, run, today, count] {
        auto& st = db_->db().Prepare("SELECT application_id FROM applications WHERE status = 'EKYC_VERIFIED'"
                                     " ORDER BY submitted_ms");
        std::vector<std::string> verified;
        while (st.Step()) verified.push_back(st.Text(0));
        st.Reset();
        for (const auto& id : verified)
            if (Transition(id, Status::kListed, "system:platform-review-batch", "review list " + today,
                           {{"listed_date", today}}))
                count("listed");
        // Every LISTED application gets its checks (also earlier days' whose checks failed).
        auto& st2 = db_->db().Prepare("SELECT application_id FROM applications WHERE status = 'LISTED' ORDER BY submitted_ms");
        while (st2.Step()) run->review.push_back(st2.Text(0));
        st2.Reset();
        Sequentially(
            run->review.size(),
            [this, run, count](std::size_t i, std::function<void()> next) {
                ReviewOne(run->review[i], [count, next](std::string outcome) {
                    count(outcome);
                    next();
                });
            },
            [run] {
                auto d = std::move(run->done);
                d(run->summary);
            });
    };
    Sequentially(
        run->poll.size(),
        [this, run, count](std::size_t i, std::function<void()> next) {
            auto app = Load(run->poll[i]);
            if (!app || app->ekyc_verification_id.empty()) return next();
            external::ExternalCall call;
            call.method = "GET";
            call.path = "/ekyc/v1/verifications/" + core::PercentEncode(app->ekyc_verification_id);
            call.operation = "get_verification";
            ctx_.external.Call("ekyc", std::move(call), [this, count, next](external::ExternalResult res) {
                count("polled");
                if (res) ApplyVerdict(res->body, "system:platform-review-batch");
                next();
            });
        },
        list_and_check);
}

void ApplicationService::ReviewOne(const std::string& id, std::function<void(std::string)> done) {
    auto app = Load(id);
    if (!app) return done("failed");
    const Json& d = app->data;
    external::ExternalCall bureau;
    bureau.path = "/bureau/v1/inquiries";
    bureau.operation = "inquire";
    bureau.idempotency_key = "bureau-inquiry:" + id;
    bureau.body = Json{{"inquirer", "cardsim-issuer"},
                       {"purpose", "NEW_CONTRACT"},
                       {"subject",
                        {{"family_name_kana", d.value("family_name_kana", "")},
                         {"given_name_kana", d.value("given_name_kana", "")},
                         {"birth_date", d.value("birth_date", "")},
                         {"phone", d.value("phone", "")},
                         {"name", d.value("family_name", "") + " " + d.value("given_name", "")}}}};
    ctx_.external.Call("bureau", std::move(bureau), [this, id, d, done](external::ExternalResult b) {
        if (!b) return done("failed");  // stays LISTED: the next run tries again
        external::ExternalCall screening;
        screening.path = "/screening/v1/checks";
        screening.operation = "check";
        screening.idempotency_key = "screening:" + id;
        screening.body = Json{{"name", d.value("family_name", "") + " " + d.value("given_name", "")},
                              {"name_kana", d.value("family_name_kana", "") + " " + d.value("given_name_kana", "")},
                              {"birth_date", d.value("birth_date", "")}};
        Json report = b->body;
        ctx_.external.Call("screening", std::move(screening), [this, id, d, report, done](external::ExternalResult s) {
            if (!s) return done("failed");
            CheckResults checks;
            checks.bureau_found = report.value("found", false);
            checks.bureau_incident = report.value("incident", false);
            checks.bureau_annual_billing = report.value("total_annual_billing", std::int64_t{0});
            checks.screening_result = s->body.value("result", "");
            auto housing = ParseHousing(d.value("housing", "RENTED")).value_or(Housing::kRented);
            Yen debt = std::max<Yen>(d.value("other_annual_debt", Yen{0}), checks.bureau_annual_billing);
            Yen capacity = PaymentCapacity(d.value("annual_income", Yen{0}), housing, d.value("household_size", 1), debt);
            std::map<std::string, Json> sets = {{"bureau", report}, {"screening", s->body}, {"payment_capacity", capacity}};
            std::string reason = AutoRejectReason(checks);
            if (!reason.empty()) {
                sets["auto_reject_reason"] = reason;
                Transition(id, Status::kRejected, "system:platform-review-batch", "automatic: " + reason, sets);
                return done("rejected");
            }
            Transition(id, Status::kChecked, "system:platform-review-batch",
                       "bureau " + std::string(checks.bureau_found ? "found" : "no record") + ", screening " +
                           checks.screening_result,
                       sets);
            done("checked");
        });
    });
}

// --- the async chain ------------------------------------------------------------------------------

void ApplicationService::SendAsync(const std::string& queue, const Json& message,
                                   std::function<void(bool, std::string)> done) {
    auto it = ctx_.queue_urls.find(queue);
    if (it == ctx_.queue_urls.end()) return done(false, "queue " + queue + " is not provisioned");
    std::map<std::string, std::string> attrs;
    if (message.contains("trace_id") && message["trace_id"].is_string() && !message["trace_id"].get<std::string>().empty())
        attrs["trace_id"] = message["trace_id"].get<std::string>();
    ctx_.aws.SendMessage(it->second, message.dump(), attrs, [done = std::move(done)](AwsResult<std::string> r) {
        if (!r) return done(false, r.error().code + ": " + r.error().message);
        done(true, "");
    });
}

void ApplicationService::AsyncRouter(const Json& event, FunctionDone done) {
    // The generic async function: routes each message by type to its business queue.
    ForEachRecord(
        event,
        [this](const Json& m, std::function<void(std::optional<std::string>)> d) {
            std::string type = m.value("type", "");
            std::string queue;
            if (type == "application.confirmed") queue = "platform-card-account";
            if (type == "card_account.registered.bureau") queue = "platform-bureau-contract";
            if (type == "card_account.registered.order") queue = "platform-card-order";
            if (queue.empty()) {
                spdlog::warn("[platform.async] unknown message type '{}': dropped", type);
                return d(std::nullopt);  // nothing will ever handle it: acknowledge, do not loop
            }
            SendAsync(queue, m, [d](bool ok, std::string why) { d(ok ? std::nullopt : std::optional<std::string>(why)); });
        },
        std::move(done));
}

void ApplicationService::RegisterCardAccount(const Json& m, std::function<void(std::optional<std::string>)> done) {
    std::string id = m.value("application_id", "");
    std::string trace = m.value("trace_id", "");
    auto app = Load(id);
    if (!app) return done(std::nullopt);  // unknown (a reset, a stale message): nothing to do
    // The follow-ups go out after the account is stored, and again on a redelivery that finds it
    // stored (their consumers are idempotent), so a failure between the two loses nothing.
    auto follow_ups = [this, id, trace, done] {
        Json bureau = {{"type", "card_account.registered.bureau"}, {"application_id", id}, {"trace_id", trace}};
        Json order = {{"type", "card_account.registered.order"}, {"application_id", id}, {"trace_id", trace}};
        SendAsync("platform-bureau-contract", bureau, [this, order, done](bool ok, std::string why) {
            if (!ok) return done(why);
            SendAsync("platform-card-order", order, [done](bool ok2, std::string why2) {
                done(ok2 ? std::nullopt : std::optional<std::string>(why2));
            });
        });
    };
    if (app->status == Status::kCardAccountRegistered) return follow_ups();
    if (app->status != Status::kConfirmed) return done(std::nullopt);  // further along already
    external::ExternalCall call;
    call.path = "/payment/v1/card-accounts";
    call.operation = "register_account";
    call.idempotency_key = "card-account:" + id;  // a retry gets the first answer (with the number) back
    call.trace_id = trace;
    call.retry = false;  // SQS redelivers: the retries are the queue's
    call.body = Json{{"external_ref", id}, {"credit_limit", app->credit_limit.value_or(0)}, {"network", "VISA"}};
    ctx_.external.Call("payment-processor", std::move(call), [this, id, app, trace, follow_ups,
                                                              done](external::ExternalResult acc) {
        if (!acc) return done(acc.error().Describe("payment-processor"));
        const Json& a = acc->body;
        std::string pan = a.value("card_number", "");
        std::string account = a.value("card_account_id", "");
        if (pan.size() < 12 || account.empty()) return done("the processor's answer has no card number");
        core::Request card;
        card.method = "POST";
        card.target = "/internal/payment/cards";
        card.headers.Set("Content-Type", "application/json");
        if (!trace.empty()) card.headers.Set(core::kTraceHeader, trace);
        card.body = Json{{"member_id", app->member_id},
                         {"application_id", id},
                         {"card_account_id", account},
                         {"card_token", a.value("card_token", "")},
                         {"pan", pan},
                         {"network", a.value("network", "VISA")},
                         {"expiry", a.value("expiry", "")},
                         {"credit_limit", app->credit_limit.value_or(0)}}
                        .dump();
        std::string bin = pan.substr(0, 6), last4 = pan.substr(pan.size() - 4);
        pan.assign(pan.size(), '0');  // the clear number lives no longer than needed
        std::map<std::string, Json> sets = {{"card_account_id", account}, {"bin", bin}, {"last4", last4},
                                            {"network", a.value("network", "VISA")}, {"expiry", a.value("expiry", "")}};
        ctx_.transport.Send("payment", std::move(card), [this, id, account, sets, follow_ups, done](core::Response res) mutable {
            if (res.status != 200 && res.status != 201)
                return done("payment service: HTTP " + std::to_string(res.status) + " " + res.body.substr(0, 200));
            Json c = Json::parse(res.body, nullptr, false);
            sets["card_id"] = c.is_object() ? c.value("card_id", "") : "";
            Transition(id, Status::kCardAccountRegistered, "system:platform-register-card-account",
                       "card account " + account, sets);
            follow_ups();
        });
    });
}

void ApplicationService::RegisterBureauContract(const Json& m, std::function<void(std::optional<std::string>)> done) {
    std::string id = m.value("application_id", "");
    auto app = Load(id);
    if (!app || !app->bureau_contract_id.empty()) return done(std::nullopt);  // unknown, or done already
    const Json& d = app->data;
    external::ExternalCall call;
    call.path = "/bureau/v1/contracts";
    call.operation = "register_contract";
    call.idempotency_key = "bureau-contract:" + id;
    call.trace_id = m.value("trace_id", "");
    call.retry = false;
    call.body = Json{{"company", "cardsim-issuer"},
                     {"contract_type", "REVOLVING"},
                     {"contract_date", JstDate(ctx_.clock.Now())},
                     {"limit", app->credit_limit.value_or(0)},
                     {"subject",
                      {{"family_name_kana", d.value("family_name_kana", "")},
                       {"given_name_kana", d.value("given_name_kana", "")},
                       {"birth_date", d.value("birth_date", "")},
                       {"phone", d.value("phone", "")}}}};
    ctx_.external.Call("bureau", std::move(call), [this, id, done](external::ExternalResult r) {
        if (!r) return done(r.error().Describe("bureau"));
        auto scope = db_->Write();
        db_->db()
            .Prepare("UPDATE applications SET bureau_contract_id = ?2 WHERE application_id = ?1")
            .BindAll(id, r->body.value("contract_id", ""))
            .Execute();
        scope.Commit();
        done(std::nullopt);
    });
}

void ApplicationService::OrderCard(const Json& m, std::function<void(std::optional<std::string>)> done) {
    std::string id = m.value("application_id", "");
    auto app = Load(id);
    if (app && app->status == Status::kConfirmed) return done("the card account is not registered yet");
    if (!app || app->status != Status::kCardAccountRegistered) return done(std::nullopt);  // ordered already
    const Json& d = app->data;
    external::ExternalCall call;
    call.path = "/printing/v1/orders";
    call.operation = "place_order";
    call.idempotency_key = "card-order:" + id;
    call.trace_id = m.value("trace_id", "");
    call.retry = false;
    call.body = Json{{"card_ref", id},
                     {"embossed_name", d.value("embossed_name", "")},
                     {"masked_number", app->bin + "******" + app->last4},
                     {"delivery",
                      {{"postal_code", d.value("postal_code", "")},
                       {"address", d.value("address", "")},
                       {"recipient", d.value("family_name", "") + " " + d.value("given_name", "")}}}};
    ctx_.external.Call("printing", std::move(call), [this, id, done](external::ExternalResult r) {
        if (!r) return done(r.error().Describe("printing"));
        std::string order = r->body.value("order_id", "");
        Transition(id, Status::kCardOrdered, "system:platform-order-card", "printer order " + order,
                   {{"order_id", order}});
        done(std::nullopt);
    });
}

}  // namespace sim::platform::application
