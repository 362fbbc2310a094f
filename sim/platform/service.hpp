#pragma once
// What every platform service is to the Platform composition, and the shared things it is built
// with. Adding a service = one class implementing Service, one line in Platform's constructor.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "sim/clock/clock.hpp"
#include "sim/core/event_loop.hpp"
#include "sim/core/router.hpp"
#include "sim/core/transport.hpp"
#include "sim/metrics/registry.hpp"
#include "sim/platform/common/audit_log.hpp"
#include "sim/platform/common/aws_client.hpp"
#include "sim/platform/common/card_vault.hpp"
#include "sim/platform/common/types.hpp"
#include "sim/platform/external/external_client.hpp"
#include "sim/platform/gateway.hpp"
#include "sim/store/group_commit.hpp"

namespace sim::platform {

struct PlatformOptions {
    std::uint64_t seed = 1;
    /// Directory of the services' databases (platform-<service>.db); empty: all in memory.
    std::string data_dir;
    /// External system -> callback secret; systems not listed get DefaultExtSecret(system).
    std::map<std::string, std::string> ext_secrets;
    /// Admin token -> "ACTOR:ROLE"; empty: the three development tokens (DefaultAdminTokens()).
    std::map<std::string, std::string> admin_tokens;
    /// 64 hex digits; empty: CardVault::kDevelopmentKeyHex (logged as a development key).
    std::string vault_key_hex;
    /// How often the payment service polls the processor's authorization feed.
    core::Duration poll_interval = std::chrono::seconds(60);
    std::string batch_bucket = "cardsim-batch";
    /// HMAC key of ATM repayment QR tokens (shared with the ATM fake's --atm-hmac-secret).
    std::string atm_hmac_secret = "cardsim-atm-qr-secret";
    /// Annual interest on overdue principal, basis points (1500 = 15.0 %).
    std::int64_t interest_rate_bp = 1500;
    /// PBKDF2-HMAC-SHA256 rounds for member passwords.
    int password_iterations = 20'000;
    external::ExternalOptions external;
    /// Transport service of AWS, and the account/region resources live in.
    std::string aws_service = "aws";
    std::string region = "us-east-1";
    std::string account_id = "000000000000";

    static std::string DefaultExtSecret(std::string_view system);
    static std::map<std::string, std::string> DefaultAdminTokens();
};

/// Shared by every service (owned by the Platform).
struct PlatformContext {
    clock::Clock& clock;
    core::EventLoop& loop;
    core::Transport& transport;
    store::GroupCommit& group;
    metrics::Registry& metrics;
    const PlatformOptions& options;
    AwsClient& aws;
    external::ExternalClient& external;
    AuditLog& audit;
    const CardVault& vault;
    Gateway& gateway;
    InvariantRegistry& invariants;
    /// The queue URL of a queue of platform/infra.json by name, once provisioned (the composition
    /// root fills it in; "" before). Services resolve URLs here instead of calling GetQueueUrl.
    std::map<std::string, std::string>& queue_urls;
};

class Service {
public:
    virtual ~Service() = default;
    virtual std::string_view Name() const = 0;
    /// Adds the service's front routes (through ctx.gateway) and internal routes to `router`.
    virtual void Install(core::Router& router) = 0;
    virtual void AddFunctions(std::map<std::string, PlatformFunction>& functions) { (void)functions; }
    virtual void AddBatchTasks(std::map<std::string, BatchTask>& tasks) { (void)tasks; }
    /// Called once the AWS resources are provisioned (start pollers here).
    virtual void Start() {}
    /// POST /_sim/reset: forget everything (databases wiped, timers dropped).
    virtual void Reset() {}
};

}  // namespace sim::platform
