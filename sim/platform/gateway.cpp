#include "sim/platform/gateway.hpp"

#include <algorithm>

#include "sim/core/json_fields.hpp"
#include "sim/core/trace.hpp"
#include "sim/platform/common/crypto.hpp"

namespace sim::platform {

namespace {
std::string Origin(const core::Request& r) { return r.remote.empty() ? "in-process" : r.remote; }
}  // namespace

Gateway::Gateway(clock::Clock& clock, AuditLog& audit, GatewayOptions options)
    : clock_(clock), audit_(audit), options_(std::move(options)) {}

const std::vector<std::string>& Gateway::AdminRoles() {
    static const std::vector<std::string> kRoles = {"credit_officer", "operator", "auditor"};
    return kRoles;
}

core::Result<std::map<std::string, AdminIdentity>> Gateway::ParseAdminTokens(
    const std::map<std::string, std::string>& entries) {
    std::map<std::string, AdminIdentity> out;
    for (const auto& [token, spec] : entries) {
        auto colon = spec.find(':');
        if (token.size() < 8 || colon == std::string::npos || colon == 0)
            return core::Fail(core::Error::InvalidArgument(
                "--admin-token: expected TOKEN=ACTOR:ROLE with a token of at least 8 characters, got " + token.substr(0, 3) +
                "…=" + spec));
        AdminIdentity id{spec.substr(0, colon), spec.substr(colon + 1)};
        const auto& roles = AdminRoles();
        if (std::find(roles.begin(), roles.end(), id.role) == roles.end())
            return core::Fail(core::Error::InvalidArgument("--admin-token: role " + id.role +
                                                           " is not one of credit_officer, operator, auditor"));
        out[token] = std::move(id);
    }
    return out;
}

std::string Gateway::BearerToken(const core::Request& r) {
    auto h = r.headers.Get("Authorization");
    if (!h) return {};
    std::string_view v = *h;
    if (v.size() < 7 || !core::StartsWithIgnoreCase(v, "Bearer ")) return {};
    v.remove_prefix(7);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    return std::string(v);
}

core::Response Gateway::Unauthorized(std::string_view reason) {
    core::Response r = core::FieldProblem(401, "Authorization", reason);
    r.headers.Set("WWW-Authenticate", "Bearer realm=\"cardsim\"");
    return r;
}

core::Response Gateway::Forbidden(std::string_view reason) { return core::FieldProblem(403, "Authorization", reason); }

void Gateway::DropIdentity(core::Request& r) {
    for (auto h : {kMemberIdHeader, kActorHeader, kRoleHeader, kExtSystemHeader}) r.headers.Remove(h);
}

void Gateway::Public(core::Router& router, const std::string& method, const std::string& pattern, core::Handler handler) {
    router.Add(method, pattern, [handler = std::move(handler)](core::Request r, core::Respond respond) {
        DropIdentity(r);
        handler(std::move(r), std::move(respond));
    });
}

void Gateway::App(core::Router& router, const std::string& method, const std::string& pattern, core::Handler handler) {
    router.Add(method, pattern, [this, handler = std::move(handler)](core::Request r, core::Respond respond) {
        DropIdentity(r);
        std::string token = BearerToken(r);
        if (token.empty()) return respond(Unauthorized("a bearer token is required (POST /app/v1/sessions)"));
        std::optional<std::string> member = sessions_ ? sessions_->MemberOf(token, clock_.Now()) : std::nullopt;
        if (!member) return respond(Unauthorized("the token is unknown or has expired"));
        r.headers.Set(kMemberIdHeader, *member);
        handler(std::move(r), std::move(respond));
    });
}

void Gateway::AuditAdmin(const core::Request& r, const std::string& actor, int status, std::string_view reason) {
    AuditEntry e;
    e.actor = actor.empty() ? "anonymous" : actor;
    e.event_type = "admin." + r.method + " " + r.route;
    e.outcome = status / 100 == 2 ? "success" : "failure";
    e.origin = Origin(r);
    e.resource = std::string(r.Path());
    e.reason = std::string(reason);
    e.trace_id = core::TraceIdOf(r);
    audit_.Record(std::move(e));
}

const AdminIdentity* Gateway::AdminCaller(const core::Request& r) {
    auto it = options_.admin_tokens.find(BearerToken(r));
    if (it != options_.admin_tokens.end()) return &it->second;
    AuditAdmin(r, "", 401, "missing or unknown admin token");
    return nullptr;
}

void Gateway::AdminSessions(core::Router& router) {
    router.Add("POST", "/admin/v1/sessions", [this](core::Request r, core::Respond respond) {
        DropIdentity(r);
        const AdminIdentity* who = AdminCaller(r);
        if (!who) return respond(Unauthorized("a configured admin bearer token is required"));
        const core::TimePoint now = clock_.Now();
        admin_last_call_[BearerToken(r)] = now;
        AuditAdmin(r, who->actor, 201, "session started");
        const auto idle = std::chrono::duration_cast<std::chrono::seconds>(options_.admin_idle_timeout);
        respond(core::Response::Json(201, Json{{"actor", who->actor},
                                               {"role", who->role},
                                               {"idle_timeout_seconds", idle.count()},
                                               {"idle_expires_at", core::FormatIso8601(now + idle)}}));
    });
}

void Gateway::Admin(core::Router& router, const std::string& method, const std::string& pattern,
                    std::vector<std::string> roles, core::Handler handler) {
    router.Add(method, pattern,
               [this, roles = std::move(roles), handler = std::move(handler)](core::Request r, core::Respond respond) {
                   DropIdentity(r);
                   const AdminIdentity* caller = AdminCaller(r);
                   if (!caller) return respond(Unauthorized("a configured admin bearer token is required"));
                   const AdminIdentity& who = *caller;
                   // Idle expiry (PCI DSS 8.2.8): measured from the token's previous call; the
                   // first call since start starts the session.
                   const core::TimePoint now = clock_.Now();
                   auto [last, first_call] = admin_last_call_.try_emplace(BearerToken(r), now);
                   if (!first_call && now - last->second > options_.admin_idle_timeout) {
                       AuditAdmin(r, who.actor, 401, "session idle too long");
                       return respond(Unauthorized(
                           "the admin session has been idle for more than " +
                           std::to_string(std::chrono::duration_cast<std::chrono::minutes>(options_.admin_idle_timeout)
                                              .count()) +
                           " minutes (PCI DSS 8.2.8): sign in again with POST /admin/v1/sessions"));
                   }
                   last->second = now;
                   if (std::find(roles.begin(), roles.end(), who.role) == roles.end()) {
                       AuditAdmin(r, who.actor, 403, "role " + who.role + " may not");
                       return respond(Forbidden("role " + who.role + " may not call " + r.method + " " + r.route));
                   }
                   r.headers.Set(kActorHeader, who.actor);
                   r.headers.Set(kRoleHeader, who.role);
                   // The audit entry is written when the answer is known, so it records the outcome.
                   core::Request head;
                   head.method = r.method;
                   head.route = r.route;
                   head.target = r.target;
                   head.remote = r.remote;
                   head.headers.Set(core::kTraceHeader, core::TraceIdOf(r));
                   std::string actor = who.actor;
                   handler(std::move(r), [this, head = std::move(head), actor, respond = std::move(respond)](
                                             core::Response response) {
                       std::string reason;
                       if (response.status / 100 != 2) {
                           auto body = Json::parse(response.body, nullptr, false);
                           if (body.is_object()) reason = body.value("reason", "");
                       }
                       AuditAdmin(head, actor, response.status, reason);
                       respond(std::move(response));
                   });
               });
}

void Gateway::Ext(core::Router& router, const std::string& method, const std::string& pattern, std::string system,
                  core::Handler handler) {
    router.Add(method, pattern,
               [this, system = std::move(system), handler = std::move(handler)](core::Request r, core::Respond respond) {
                   DropIdentity(r);
                   auto secret = options_.ext_secrets.find(system);
                   auto given = r.headers.Get(kSignatureHeader);
                   if (secret == options_.ext_secrets.end() || !given ||
                       !VerifyCallbackSignature(secret->second, r.body, *given)) {
                       AuditEntry e;
                       e.actor = "ext:" + system;
                       e.event_type = "ext.signature_rejected";
                       e.outcome = "failure";
                       e.origin = Origin(r);
                       e.resource = std::string(r.Path());
                       e.reason = given ? "bad signature" : "missing signature";
                       e.trace_id = core::TraceIdOf(r);
                       audit_.Record(std::move(e));
                       core::Response problem = core::FieldProblem(
                           401, kSignatureHeader,
                           given ? "does not match HMAC-SHA256 of the body with the " + system + " secret"
                                 : "is required: sha256=<hex HMAC-SHA256(secret, body)>");
                       return respond(std::move(problem));
                   }
                   r.headers.Set(kExtSystemHeader, system);
                   handler(std::move(r), std::move(respond));
               });
}

}  // namespace sim::platform
