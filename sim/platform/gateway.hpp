#pragma once
// The platform's front door on port 8080 (docs/platform.md, "The front door"): every front route
// is added through one of these wrappers, which authenticate the caller and hand the owning
// service a request carrying who it is, in headers it can trust (any client-sent copy is dropped):
//   /app/v1    App():    bearer token → SessionAuthenticator → X-Cardsim-Member-Id
//   /admin/v1  Admin():  configured bearer token → X-Cardsim-Actor, X-Cardsim-Role; the route's
//                        roles decide (403 otherwise); every call is audited. Idle expiry (PCI DSS
//                        8.2.8): a token's first call starts its session, each call keeps it alive,
//                        and a call more than 15 min after the token's previous one is 401 until
//                        the token signs in again with POST /admin/v1/sessions (AdminSessions()).
//   /ext/v1    Ext():    X-Cardsim-Signature: sha256=<hex HMAC-SHA256(system secret, body)> →
//                        X-Cardsim-Ext-System
//   Public():  no authentication (sign-up, sign-in); identity headers dropped.
// Failures are problem bodies: 401 (missing/unknown/expired credential, WWW-Authenticate: Bearer),
// 403 (a role that may not).

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/clock/clock.hpp"
#include "sim/core/router.hpp"
#include "sim/platform/common/audit_log.hpp"

namespace sim::platform {

inline constexpr std::string_view kMemberIdHeader = "X-Cardsim-Member-Id";
inline constexpr std::string_view kActorHeader = "X-Cardsim-Actor";
inline constexpr std::string_view kRoleHeader = "X-Cardsim-Role";
inline constexpr std::string_view kExtSystemHeader = "X-Cardsim-Ext-System";
inline constexpr std::string_view kSignatureHeader = "X-Cardsim-Signature";

/// The member the gateway resolved for an `/app/v1` request ("" on routes it does not guard).
inline std::string MemberOf(const core::Request& request) {
    return std::string(request.headers.Get(kMemberIdHeader).value_or(""));
}

/// Resolves an app bearer token to a member id (the application service's session store).
class SessionAuthenticator {
public:
    virtual ~SessionAuthenticator() = default;
    /// The member the token belongs to, or nullopt when unknown or expired at `now`.
    virtual std::optional<std::string> MemberOf(std::string_view token, core::TimePoint now) = 0;
};

struct AdminIdentity {
    std::string actor;
    std::string role;  ///< credit_officer | operator | auditor
};

struct GatewayOptions {
    /// External system -> callback secret.
    std::map<std::string, std::string> ext_secrets;
    /// Admin bearer token -> identity.
    std::map<std::string, AdminIdentity> admin_tokens;
    /// An admin token idle (no call) for longer than this must sign in again (PCI DSS 8.2.8).
    core::Duration admin_idle_timeout = std::chrono::minutes(15);
};

class Gateway {
public:
    Gateway(clock::Clock& clock, AuditLog& audit, GatewayOptions options);

    void SetSessionAuthenticator(SessionAuthenticator* authenticator) { sessions_ = authenticator; }

    void Public(core::Router& router, const std::string& method, const std::string& pattern, core::Handler handler);
    void App(core::Router& router, const std::string& method, const std::string& pattern, core::Handler handler);
    /// `roles`: who may call it.
    void Admin(core::Router& router, const std::string& method, const std::string& pattern,
               std::vector<std::string> roles, core::Handler handler);
    void Ext(core::Router& router, const std::string& method, const std::string& pattern, std::string system,
             core::Handler handler);
    /// `POST /admin/v1/sessions` with a configured admin token as the bearer: (re)starts that
    /// token's session → 201 `{actor, role, idle_timeout_seconds, idle_expires_at}`; audited.
    void AdminSessions(core::Router& router);

    /// The bearer token of an Authorization header ("" when none).
    static std::string BearerToken(const core::Request& request);
    /// 401 problem with WWW-Authenticate: Bearer.
    static core::Response Unauthorized(std::string_view reason);
    static core::Response Forbidden(std::string_view reason);
    /// Parses "TOKEN" -> "ACTOR:ROLE" entries (the --admin-token flag); roles are checked.
    static core::Result<std::map<std::string, AdminIdentity>> ParseAdminTokens(
        const std::map<std::string, std::string>& entries);
    static const std::vector<std::string>& AdminRoles();

    const GatewayOptions& options() const { return options_; }

private:
    static void DropIdentity(core::Request& request);
    void AuditAdmin(const core::Request& request, const std::string& actor, int status, std::string_view reason);
    /// The identity of a request's configured admin token, or null (the 401 is audited).
    const AdminIdentity* AdminCaller(const core::Request& request);

    clock::Clock& clock_;
    AuditLog& audit_;
    GatewayOptions options_;
    SessionAuthenticator* sessions_ = nullptr;
    /// Admin token -> time of its last call (in memory: a restart ends every admin session, and a
    /// token's next call starts a new one, as its first call after start does).
    std::map<std::string, core::TimePoint> admin_last_call_;
};

}  // namespace sim::platform
