#include "sim/platform/platform.hpp"

#include <spdlog/spdlog.h>

#include "sim/platform/application/application_service.hpp"
#include "sim/platform/notification/notification_service.hpp"
#include "sim/platform/payment/payment_service.hpp"
#include "sim/platform/repayment/repayment_service.hpp"
#include "sim/platform/statement/statement_service.hpp"

namespace sim::platform {

std::string PlatformOptions::DefaultExtSecret(std::string_view system) {
    return "cardsim-" + std::string(system) + "-callback-secret";
}

std::map<std::string, std::string> PlatformOptions::DefaultAdminTokens() {
    return {{"officer-token", "officer1:credit_officer"},
            {"operator-token", "operator1:operator"},
            {"auditor-token", "auditor1:auditor"}};
}

const std::vector<std::string>& Platform::ExternalSystems() {
    static const std::vector<std::string> kSystems = {"payment-processor", "ekyc", "bureau", "screening",
                                                      "printing",          "atm",  "push"};
    return kSystems;
}

const std::vector<std::string>& Platform::InternalServices() {
    static const std::vector<std::string> kServices = {"platform", "application", "payment",
                                                       "repayment", "notification", "statement"};
    return kServices;
}

const std::vector<std::string>& Platform::CallbackSystems() {
    static const std::vector<std::string> kSystems = {"ekyc", "printing", "atm"};
    return kSystems;
}

namespace {

GatewayOptions MakeGatewayOptions(const PlatformOptions& o) {
    GatewayOptions g;
    for (const auto& system : Platform::CallbackSystems()) g.ext_secrets[system] = PlatformOptions::DefaultExtSecret(system);
    for (const auto& [system, secret] : o.ext_secrets) g.ext_secrets[system] = secret;
    auto tokens = Gateway::ParseAdminTokens(o.admin_tokens.empty() ? PlatformOptions::DefaultAdminTokens() : o.admin_tokens);
    if (!tokens) throw std::runtime_error(tokens.error().message);
    g.admin_tokens = std::move(tokens).value();
    return g;
}

}  // namespace

Platform::Platform(clock::Clock& clock, core::EventLoop& loop, core::Transport& transport, store::GroupCommit& group,
                   metrics::Registry& metrics, PlatformOptions options)
    : options_(std::move(options)),
      aws_(transport, options_.aws_service, options_.region, options_.account_id),
      external_(clock, transport, &metrics, [&] {
          auto e = options_.external;
          e.seed = options_.seed;
          return e;
      }()) {
    for (const auto& [system, secret] : options_.ext_secrets) {
        const auto& known = CallbackSystems();
        if (std::find(known.begin(), known.end(), system) == known.end())
            throw std::runtime_error("--ext-secret: " + system + " does not call back (ekyc, printing, atm do)");
        if (secret.empty()) throw std::runtime_error("--ext-secret: the secret of " + system + " is empty");
    }
    audit_db_ = std::make_unique<ServiceDb>("audit", options_.data_dir, group, AuditLog::Migrations());
    audit_ = std::make_unique<AuditLog>(*audit_db_, clock);
    std::string key = options_.vault_key_hex;
    if (key.empty()) {
        key = std::string(CardVault::kDevelopmentKeyHex);
        spdlog::warn("[platform] card vault: using the fixed DEVELOPMENT key (set --platform-vault-key for anything else)");
    }
    auto vault = CardVault::Create(key);
    if (!vault) throw std::runtime_error("--platform-vault-key: " + vault.error().message);
    vault_ = std::make_unique<CardVault>(std::move(vault).value());
    spdlog::info("[platform] card vault key id {}", vault_->ActiveKeyId());
    gateway_ = std::make_unique<Gateway>(clock, *audit_, MakeGatewayOptions(options_));
    context_ = std::unique_ptr<PlatformContext>(new PlatformContext{clock, loop, transport, group, metrics, options_, aws_,
                                                                    external_, *audit_, *vault_, *gateway_, invariants_,
                                                                    queue_urls_});

    auto app = std::make_unique<application::ApplicationService>(*context_);
    application_ = app.get();
    gateway_->SetSessionAuthenticator(app.get());
    services_.push_back(std::move(app));
    services_.push_back(std::make_unique<payment::PaymentService>(*context_));
    services_.push_back(std::make_unique<notification::NotificationService>(*context_));
    services_.push_back(std::make_unique<statement::StatementService>(*context_));
    services_.push_back(std::make_unique<repayment::RepaymentService>(*context_));
}

Platform::~Platform() = default;

void Platform::Install(core::Router& router) {
    gateway_->AdminSessions(router);
    for (auto& s : services_) s->Install(router);
}

void Platform::AddControlRoutes(core::Router& router) {
    router.Add("GET", "/_sim/invariants", [this](core::Request, core::Respond respond) {
        respond(core::Response::Json(200, invariants_.Run().ToJson()));
    });
    router.Add("GET", "/_sim/platform", [this](core::Request, core::Respond respond) {
        Json queues = Json::object();
        for (const auto& [name, url] : queue_urls_) queues[name] = url;
        Json services = Json::array();
        for (const auto& s : services_) services.push_back(std::string(s->Name()));
        respond(core::Response::Json(200, Json{{"services", services},
                                               {"started", started_},
                                               {"queues", queues},
                                               {"breakers", external_.BreakerStatus()},
                                               {"vault_key_id", vault_->ActiveKeyId()}}));
    });
}

std::map<std::string, PlatformFunction> Platform::Functions() {
    std::map<std::string, PlatformFunction> out;
    for (auto& s : services_) s->AddFunctions(out);
    return out;
}

std::map<std::string, BatchTask> Platform::BatchTasks() {
    std::map<std::string, BatchTask> out;
    for (auto& s : services_) s->AddBatchTasks(out);
    return out;
}

void Platform::Start() {
    if (started_) return;
    started_ = true;
    for (auto& s : services_) s->Start();
}

void Platform::Reset() {
    started_ = false;  // Start() runs again once the resources are provisioned anew
    external_.Reset();
    for (auto& s : services_) s->Reset();
    audit_db_->Wipe();
}

}  // namespace sim::platform
