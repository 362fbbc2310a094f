#pragma once
// The application service (docs/platform.md, "The application flow"): members, sign-up and
// sign-in (the session store behind the gateway), application submission and the state machine,
// the eKYC verdict and card printer callbacks, the daily review batch, the admin review API and
// the async chain's functions. Its database is platform-application.db.
//
// Supported (phase 1): POST /app/v1/members, POST /app/v1/sessions (lockout after 10 failures for
// 30 minutes; failures audited), GET /internal/application/members/{member_id}.
//
// Limitations: one application per member (a member whose application is final may not apply
// again); passwords are checked for length only (12–128 bytes), not against breached lists.

#include <memory>
#include <optional>
#include <string>

#include "sim/core/random.hpp"
#include "sim/platform/application/domain.hpp"
#include "sim/platform/common/service_db.hpp"
#include "sim/platform/service.hpp"

namespace sim::platform::application {

class ApplicationService final : public Service, public SessionAuthenticator {
public:
    /// Session lifetime (docs/platform.md: tokens expire after 24 h).
    static constexpr std::chrono::hours kSessionLifetime{24};

    explicit ApplicationService(PlatformContext& ctx);
    ~ApplicationService() override;

    std::string_view Name() const override { return "application"; }
    void Install(core::Router& router) override;
    void AddFunctions(std::map<std::string, PlatformFunction>& functions) override;
    void Reset() override;

    std::optional<std::string> MemberOf(std::string_view token, core::TimePoint now) override;

    ServiceDb& db() { return *db_; }

private:
    core::Response SignUp(const core::Request& request);
    core::Response SignIn(const core::Request& request);
    core::Response GetMember(const core::Request& request);
    void Audit(const core::Request& request, std::string actor, std::string event_type, bool success,
               std::string resource, std::string reason);
    std::string NewId(std::string_view prefix);

    PlatformContext& ctx_;
    std::unique_ptr<ServiceDb> db_;
    core::IdGenerator ids_;
    LockoutPolicy lockout_;
    std::string dummy_hash_;  // verified against for unknown emails (same cost as a real check)
};

}  // namespace sim::platform::application
