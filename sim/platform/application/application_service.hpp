#pragma once
// The application service (docs/platform.md, "The application flow"): members, sign-up and
// sign-in (the session store behind the gateway), application submission and the state machine,
// the eKYC verdict and card printer callbacks, the daily review batch, the admin review API and
// the async chain's functions. Its database is platform-application.db.
//
// Supported:
//   /app/v1: POST members, POST sessions (lockout after 10 failures for 30 minutes; failures
//     audited), POST applications (→ eKYC through the anti-corruption layer; 503 and nothing stored
//     when eKYC is unavailable), GET applications/current.
//   /ext/v1: POST ekyc/verdicts, POST printing/events (idempotent: a repeat or an outdated event
//     answers 200 {"ignored":true}).
//   /admin/v1: GET review-list, GET applications/{id}, POST applications/{id}/decision, GET members,
//     POST cards/{card_id}/suspend|resume (through the payment service's internal API), GET audit.
//   /internal/application: GET members/{member_id}.
//   Functions: platform-review-batch (the daily rule), platform-async-router,
//     platform-register-card-account, platform-register-bureau-contract, platform-order-card (the
//     async chain; each idempotent: a redelivered message finds the step done and acknowledges).
//
// Limitations: one application per member (a member whose application is final may not apply
// again); passwords are checked for length only (12–128 bytes), not against breached lists; admin
// tokens do not expire when idle (PCI DSS 8.2.8 is not modelled yet); no holiday calendar.

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

    /// The review batch, callable directly (tests); `done` gets the summary.
    void RunReviewBatch(FunctionDone done);

    /// One application row.
    struct App {
        std::string application_id, member_id;
        Status status = Status::kSubmitted;
        Json data;
        std::int64_t submitted_ms = 0;
        std::string ekyc_verification_id;
        Json ekyc, bureau, screening, decision;
        std::string listed_date, auto_reject_reason;
        std::optional<std::int64_t> credit_limit, payment_capacity;
        std::string card_account_id, card_id, bin, last4, expiry, network, bureau_contract_id, order_id,
            tracking_number;
        std::string created_at, updated_at;
    };

private:
    // members and sessions (application_service.cpp)
    core::Response SignUp(const core::Request& request);
    core::Response SignIn(const core::Request& request);
    core::Response GetMember(const core::Request& request);
    void Audit(const core::Request& request, std::string actor, std::string event_type, bool success,
               std::string resource, std::string reason);
    std::string NewId(std::string_view prefix);

    // applications (application_flow.cpp)
    void Submit(core::Request request, core::Respond respond);
    core::Response Current(const core::Request& request);
    core::Response EkycVerdict(const core::Request& request);
    core::Response PrintingEvent(const core::Request& request);
    /// Applies an eKYC verification JSON; returns false when nothing changed (duplicate/outdated).
    bool ApplyVerdict(const Json& verification, const std::string& actor);
    std::optional<App> Load(const std::string& application_id);
    std::optional<App> LoadBy(const std::string& column, const std::string& value);
    /// Moves `app` to `to` (checked against the state machine) with `sets` extra column updates;
    /// false when the transition is not allowed from the stored status.
    bool Transition(const std::string& application_id, Status to, const std::string& actor, const std::string& detail,
                    const std::map<std::string, Json>& sets = {});
    void ReviewOne(const std::string& application_id, std::function<void(std::string outcome)> done);
    void SendAsync(const std::string& queue, const Json& message, std::function<void(bool ok, std::string why)> done);
    void AsyncRouter(const Json& event, FunctionDone done);
    void RegisterCardAccount(const Json& message, std::function<void(std::optional<std::string> error)> done);
    void RegisterBureauContract(const Json& message, std::function<void(std::optional<std::string> error)> done);
    void OrderCard(const Json& message, std::function<void(std::optional<std::string> error)> done);

    // admin (admin_api.cpp)
    core::Response ReviewList(const core::Request& request);
    core::Response Detail(const core::Request& request);
    core::Response Decision(const core::Request& request);
    core::Response SearchMembers(const core::Request& request);
    void CardStatus(core::Request request, core::Respond respond, const std::string& status);
    core::Response AuditView(const core::Request& request);
    Json ToJson(const App& app, bool full) const;

    PlatformContext& ctx_;
    std::unique_ptr<ServiceDb> db_;
    core::IdGenerator ids_;
    LockoutPolicy lockout_;
    std::string dummy_hash_;  // verified against for unknown emails (same cost as a real check)
};

}  // namespace sim::platform::application
