#pragma once
// The platform (issue 8, docs/platform.md): every service built and wired together, for the
// composition root. sim/app creates one Platform, installs its routes on the platform router
// (port 8080), registers Functions() in the Lambda function registry and BatchTasks() in the Step
// Functions batch-task registry, provisions platform/infra.json, then calls Start().
//
// Services and databases (one SQLite file each under the data dir, or in memory):
//   audit (platform-audit.db): the append-only audit trail shared by every service
//   application (platform-application.db): members, sessions, applications, review lists
//   payment (platform-payment.db, the card DB): vault, cards, authorizations, postings, balances
//   notification (platform-notification.db): device tokens, inbox, deliveries
//   statement (platform-statement.db): statements, lines, staged cashflow postings, allocations
//   repayment (platform-repayment.db): QR tokens, ATM repayments and their follow-up
//
// Control routes (every port): GET /_sim/invariants (money invariants, docs/platform.md),
// GET /_sim/platform (circuit breakers, queue URLs).

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/platform/service.hpp"

namespace sim::platform {

namespace application {
class ApplicationService;
}

class Platform {
public:
    /// The external systems (transport services the anti-corruption layer calls).
    static const std::vector<std::string>& ExternalSystems();
    /// The platform's own transport services (internal APIs and the callback target).
    static const std::vector<std::string>& InternalServices();
    /// Systems that call back /ext/v1 and so have a callback secret.
    static const std::vector<std::string>& CallbackSystems();

    /// Opens every service's database. Throws std::runtime_error on a startup failure (bad vault
    /// key, bad admin token, a database that cannot be opened).
    Platform(clock::Clock& clock, core::EventLoop& loop, core::Transport& transport, store::GroupCommit& group,
             metrics::Registry& metrics, PlatformOptions options);
    ~Platform();
    Platform(const Platform&) = delete;
    Platform& operator=(const Platform&) = delete;

    /// Front routes (/app/v1, /admin/v1, /ext/v1) behind the gateway and internal routes (/internal/…).
    void Install(core::Router& router);
    /// GET /_sim/invariants and GET /_sim/platform.
    void AddControlRoutes(core::Router& router);
    std::map<std::string, PlatformFunction> Functions();
    std::map<std::string, BatchTask> BatchTasks();
    /// After provisioning: starts pollers.
    void Start();
    /// POST /_sim/reset: wipes every service's data and the audit trail, drops pending retries.
    void Reset();

    PlatformContext& context() { return *context_; }
    InvariantRegistry& invariants() { return invariants_; }
    std::map<std::string, std::string>& queue_urls() { return queue_urls_; }
    application::ApplicationService& application() { return *application_; }
    const PlatformOptions& options() const { return options_; }

private:
    PlatformOptions options_;
    AwsClient aws_;
    external::ExternalClient external_;
    std::unique_ptr<ServiceDb> audit_db_;
    std::unique_ptr<AuditLog> audit_;
    std::unique_ptr<CardVault> vault_;
    std::unique_ptr<Gateway> gateway_;
    InvariantRegistry invariants_;
    std::map<std::string, std::string> queue_urls_;
    std::unique_ptr<PlatformContext> context_;
    application::ApplicationService* application_ = nullptr;
    std::vector<std::unique_ptr<Service>> services_;
    bool started_ = false;
};

}  // namespace sim::platform
