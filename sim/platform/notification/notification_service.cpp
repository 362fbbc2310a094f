#include "sim/platform/notification/notification_service.hpp"

#include <set>

#include <spdlog/spdlog.h>

#include "sim/core/json_fields.hpp"
#include "sim/core/pan_mask.hpp"
#include "sim/core/time.hpp"
#include "sim/platform/notification/domain/render.hpp"

namespace sim::platform::notification {

namespace {

const store::Migration kMigrations[] = {
    {1,
     "CREATE TABLE devices (token TEXT PRIMARY KEY, member_id TEXT NOT NULL, platform TEXT NOT NULL,"
     " created_at TEXT NOT NULL);"
     "CREATE INDEX devices_member ON devices (member_id);"
     "CREATE TABLE inbox (id INTEGER PRIMARY KEY AUTOINCREMENT, dedup_key TEXT NOT NULL UNIQUE,"
     " member_id TEXT NOT NULL, kind TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL, data TEXT NOT NULL,"
     " created_at TEXT NOT NULL);"
     "CREATE INDEX inbox_member ON inbox (member_id, id);"
     "CREATE TABLE deliveries (dedup_key TEXT NOT NULL, token TEXT NOT NULL, status TEXT NOT NULL,"
     " detail TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (dedup_key, token));"},
};


bool ValidToken(std::string_view t) {
    if (t.empty() || t.size() > 4096) return false;
    for (char c : t) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ':' || c == '_' ||
                  c == '-';
        if (!ok) return false;
    }
    return true;
}

std::string PlatformOf(std::string_view token) {
    return token.substr(0, 4) == "fcm-" || token.find(':') != std::string_view::npos ? "FCM" : "APNS";
}

}  // namespace

/// One invocation: which records failed, answered when every push has come back.
struct NotificationService::Batch {
    FunctionDone done;
    std::set<std::string> failed;
    int pending = 0;
    bool started = false;
    void Finish() {
        if (!started || pending > 0 || !done) return;
        Json failures = Json::array();
        for (const auto& id : failed) failures.push_back(Json{{"itemIdentifier", id}});
        auto d = std::move(done);
        done = nullptr;
        d(Json{{"batchItemFailures", failures}});
    }
};

NotificationService::NotificationService(PlatformContext& ctx)
    : ctx_(ctx), db_(std::make_unique<ServiceDb>("notification", ctx.options.data_dir, ctx.group, kMigrations)) {
    ctx_.invariants.Add("notification", [this](InvariantReport& report) { CheckInvariants(report); });
}

NotificationService::~NotificationService() = default;

void NotificationService::Install(core::Router& router) {
    auto sync = [this](core::Response (NotificationService::*fn)(const core::Request&)) {
        return core::FromSync([this, fn](const core::Request& r) { return (this->*fn)(r); });
    };
    ctx_.gateway.App(router, "POST", "/app/v1/devices", sync(&NotificationService::RegisterDevice));
    ctx_.gateway.App(router, "DELETE", "/app/v1/devices/{token}", sync(&NotificationService::DeleteDevice));
    ctx_.gateway.App(router, "GET", "/app/v1/notifications", sync(&NotificationService::Inbox));
}

void NotificationService::AddFunctions(std::map<std::string, PlatformFunction>& functions) {
    functions["platform-notify"] = [this](const Json& event, FunctionDone done) { Notify(event, std::move(done)); };
}

void NotificationService::Reset() {
    ++generation_;
    db_->Wipe();
}

void NotificationService::Notify(const Json& event, FunctionDone done) {
    auto batch = std::make_shared<Batch>();
    batch->done = std::move(done);
    if (event.is_object() && event.contains("Records") && event["Records"].is_array()) {
        for (const Json& record : event["Records"]) HandleRecord(batch, record);
    }
    batch->started = true;
    batch->Finish();
}

void NotificationService::HandleRecord(const std::shared_ptr<Batch>& batch, const Json& record) {
    std::string message_id = record.value("messageId", record.value("MessageId", std::string()));
    auto fail = [&](const std::string& why) {
        spdlog::warn("[notification] message {} failed: {}", message_id, core::MaskPans(why));
        batch->failed.insert(message_id);
    };
    Json request = Json::parse(record.value("body", std::string()), nullptr, false);
    if (!request.is_object()) return fail("the body is not a JSON object");
    std::string member_id = request.value("member_id", std::string());
    std::string kind = request.value("kind", std::string());
    std::string dedup_key = request.value("dedup_key", message_id);
    if (member_id.empty()) return fail("member_id is missing");
    Json data = request.value("data", Json::object());
    if (kind == "GENERIC" || kind.empty()) {
        kind = "GENERIC";
        if (!data.contains("title")) data["title"] = request.value("title", std::string());
        if (!data.contains("body")) data["body"] = request.value("body", std::string());
    }
    auto rendered = domain::Render(kind, data);
    if (!rendered) return fail(rendered.error().message);
    const std::string now = core::FormatIso8601(ctx_.clock.Now());
    {
        auto scope = db_->Write();
        db_->db()
            .Prepare("INSERT INTO inbox (dedup_key, member_id, kind, title, body, data, created_at)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (dedup_key) DO NOTHING")
            .BindAll(dedup_key, member_id, kind, rendered->title, rendered->body, rendered->data.dump(), now)
            .Execute();
        scope.Commit();
    }
    std::vector<std::string> tokens;
    {
        auto& st = db_->db().Prepare(
            "SELECT token FROM devices d WHERE member_id = ?1 AND NOT EXISTS (SELECT 1 FROM deliveries x"
            " WHERE x.dedup_key = ?2 AND x.token = d.token) ORDER BY token");
        st.BindAll(member_id, dedup_key);
        while (st.Step()) tokens.push_back(st.Text(0));
        st.Reset();
    }
    Json payload = {{"title", rendered->title}, {"body", rendered->body}, {"data", rendered->data}};
    // The trace of the request that queued this notification (SQS message attribute "trace_id").
    std::string trace;
    if (const Json attrs = record.value("messageAttributes", Json::object()); attrs.is_object())
        if (const Json t = attrs.value("trace_id", Json::object()); t.is_object()) trace = t.value("stringValue", std::string());
    for (auto& token : tokens) Push(batch, message_id, dedup_key, token, payload, trace);
}

void NotificationService::Push(const std::shared_ptr<Batch>& batch, std::string message_id, std::string dedup_key,
                               std::string token, Json payload, const std::string& trace_id) {
    external::ExternalCall call;
    call.path = "/push/v1/send";
    call.trace_id = trace_id;
    payload["token"] = token;
    call.body = payload;
    call.operation = "send";
    call.retry = false;  // SQS redelivery is the retry
    ++batch->pending;
    const std::uint64_t generation = generation_;
    ctx_.external.Call(
        "push", std::move(call),
        [this, batch, generation, message_id = std::move(message_id), dedup_key = std::move(dedup_key),
         token = std::move(token)](external::ExternalResult result) {
            --batch->pending;
            if (generation != generation_) return batch->Finish();
            int status = result ? result->status : result.error().status;
            std::string reason = result ? "" : result.error().code;
            domain::PushAction action = domain::ClassifyPushResult(status, reason);
            const std::string now = core::FormatIso8601(ctx_.clock.Now());
            auto scope = db_->Write();
            auto record = [&](const char* s) {
                db_->db()
                    .Prepare("INSERT INTO deliveries (dedup_key, token, status, detail, at) VALUES (?1, ?2, ?3, ?4, ?5)"
                             " ON CONFLICT (dedup_key, token) DO UPDATE SET status = ?3, detail = ?4, at = ?5")
                    .BindAll(dedup_key, token, s, std::to_string(status) + " " + reason, now)
                    .Execute();
            };
            switch (action) {
                case domain::PushAction::kDelivered: record("DELIVERED"); break;
                case domain::PushAction::kDropToken:
                    record("TOKEN_DROPPED");
                    db_->db().Prepare("DELETE FROM devices WHERE token = ?1").BindAll(token).Execute();
                    break;
                case domain::PushAction::kGiveUp: record("FAILED"); break;
                case domain::PushAction::kRetry:
                    batch->failed.insert(message_id);
                    spdlog::info("[notification] push to a {} token failed ({} {}); SQS will redeliver",
                                 PlatformOf(token), status, reason);
                    break;
            }
            scope.Commit();
            batch->Finish();
        });
}

core::Response NotificationService::RegisterDevice(const core::Request& r) {
    core::JsonFields in(r);
    std::string token = in.String("token", true, 4096);
    if (!in.failed() && !ValidToken(token)) in.Reject("token", "may hold only A-Z a-z 0-9 : _ -");
    if (in.failed()) return in.problem();
    std::string member_id = MemberOf(r);
    std::string owner;
    {
        auto& st = db_->db().Prepare("SELECT member_id FROM devices WHERE token = ?1");
        if (st.BindAll(token).Step()) owner = st.Text(0);
        st.Reset();
    }
    Json out = {{"token", token}, {"platform", PlatformOf(token)}};
    if (owner == member_id) return core::Response::Json(200, out);
    auto scope = db_->Write();
    // A token moves to whoever registered it last (a phone changes hands, the app signs in anew).
    db_->db()
        .Prepare("INSERT INTO devices (token, member_id, platform, created_at) VALUES (?1, ?2, ?3, ?4)"
                 " ON CONFLICT (token) DO UPDATE SET member_id = ?2, created_at = ?4")
        .BindAll(token, member_id, PlatformOf(token), core::FormatIso8601(ctx_.clock.Now()))
        .Execute();
    scope.Commit();
    return core::Response::Json(201, out);
}

core::Response NotificationService::DeleteDevice(const core::Request& r) {
    const std::string& token = r.path_params.at("token");
    auto scope = db_->Write();
    auto& st = db_->db().Prepare("DELETE FROM devices WHERE token = ?1 AND member_id = ?2");
    int n = st.BindAll(token, MemberOf(r)).Execute();
    scope.Commit();
    if (n == 0) return core::FieldProblem(404, "token", "no such device token for this member");
    core::Response resp;
    resp.status = 204;
    return resp;
}

core::Response NotificationService::Inbox(const core::Request& r) {
    std::int64_t limit = 50;
    if (auto l = r.QueryParam("limit")) {
        if (l->empty() || l->size() > 3 || l->find_first_not_of("0123456789") != std::string::npos ||
            std::stoll(*l) < 1 || std::stoll(*l) > 200) {
            return core::FieldProblem(400, "limit", "must be an integer between 1 and 200");
        }
        limit = std::stoll(*l);
    }
    Json items = Json::array();
    auto& st = db_->db().Prepare(
        "SELECT id, kind, title, body, data, created_at FROM inbox WHERE member_id = ?1 ORDER BY id DESC LIMIT ?2");
    st.BindAll(MemberOf(r), limit);
    while (st.Step()) {
        items.push_back(Json{{"notification_id", "N-" + std::to_string(st.Int64(0))},
                             {"kind", st.Text(1)},
                             {"title", st.Text(2)},
                             {"body", st.Text(3)},
                             {"data", Json::parse(st.Text(4), nullptr, false)},
                             {"created_at", st.Text(5)}});
    }
    st.Reset();
    return core::Response::Json(200, Json{{"notifications", items}});
}

void NotificationService::CheckInvariants(InvariantReport& report) {
    auto st = db_->db().PrepareUncached("SELECT id, title || ' ' || body || ' ' || data FROM inbox");
    std::int64_t n = 0;
    while (st.Step()) {
        ++n;
        std::string text = st.Text(1);
        if (core::MaskPans(text) != text) {
            report.violations.push_back({"no PAN in a notification", std::nullopt, "inbox entry " + st.Text(0)});
        }
    }
    report.checked["notifications"] += n;
}

}  // namespace sim::platform::notification
