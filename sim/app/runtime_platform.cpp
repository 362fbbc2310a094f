// Wiring of the platform (sim/platform, docs/platform.md) into the runtime: transport names, the
// Platform itself, its functions and batch tasks, and the AWS resources of platform/infra.json,
// provisioned through the AWS API before serving.
#include <spdlog/spdlog.h>

#include "sim/app/platform_infra.hpp"
#include "sim/app/runtime.hpp"
#include "sim/platform/platform.hpp"

namespace sim::app {

namespace {

using AwsJson = aws::lambda::Json;

aws::lambda::FunctionError ToAws(const platform::FunctionFailure& f) { return {f.error, f.cause}; }

/// The trace id an invocation carries: its first SQS record's "trace_id" message attribute (or
/// AWSTraceHeader), else a top-level "trace_id" field (direct invocations, batch task parameters).
/// A batch of records from several traces is one span, filed under the first record's trace.
std::string TraceOfEvent(const AwsJson& event) {
    if (!event.is_object()) return {};
    if (auto records = event.find("Records"); records != event.end() && records->is_array() && !records->empty()) {
        const AwsJson& first = records->front();
        if (!first.is_object()) return {};
        if (auto attrs = first.find("messageAttributes"); attrs != first.end() && attrs->is_object())
            if (auto t = attrs->find("trace_id"); t != attrs->end() && t->is_object())
                if (auto v = t->find("stringValue"); v != t->end() && v->is_string()) return v->get<std::string>();
        if (auto attrs = first.find("attributes"); attrs != first.end() && attrs->is_object())
            if (auto t = attrs->find("AWSTraceHeader"); t != attrs->end() && t->is_string()) return t->get<std::string>();
        return {};
    }
    if (auto t = event.find("trace_id"); t != event.end() && t->is_string()) return t->get<std::string>();
    return {};
}

}  // namespace

void Runtime::InstallPlatform() {
    // Transport names (docs/platform.md): the external systems are the fakes (their paths start
    // with the system's prefix), the platform's services are the platform router; --service
    // NAME=URL sends any of them over TCP instead.
    auto route = [this](const std::string& name, core::Router& router) {
        if (auto it = options_.services.find(name); it != options_.services.end()) {
            transport_.RegisterRemote(name, it->second);
            spdlog::info("[platform] service {} at {}", name, it->second);
        } else if (!transport_.Knows(name)) {
            transport_.RegisterInProcess(name, [&router](core::Request r, core::Respond d) { router.Handle(std::move(r), std::move(d)); });
        }
    };
    for (const auto& system : platform::Platform::ExternalSystems()) route(system, fakes_router_);
    for (const auto& service : platform::Platform::InternalServices()) route(service, platform_router_);

    platform::PlatformOptions po;
    po.seed = options_.seed;
    po.data_dir = options_.ephemeral ? "" : options_.data_dir;
    po.ext_secrets = options_.ext_secrets;
    po.admin_tokens = options_.admin_tokens;
    po.vault_key_hex = options_.platform_vault_key;
    po.poll_interval = options_.platform_poll_interval;
    po.batch_bucket = options_.batch_bucket;
    po.atm_hmac_secret = options_.atm_hmac_secret;
    po.interest_rate_bp = static_cast<std::int64_t>(options_.platform_interest_rate_bp);
    po.password_iterations = static_cast<int>(options_.platform_password_iterations);
    po.external.timeout = options_.platform_external_timeout;
    po.account_id = sqs_engine_->AccountId();
    po.region = sqs_engine_->Options().default_region;
    platform_ = std::make_unique<platform::Platform>(*clock_, loop_, transport_, *group_commit_, metrics_, po);
    platform_->Install(platform_router_);
    for (core::Router* router : {&platform_router_, &fakes_router_}) platform_->AddControlRoutes(*router);  // 4566: BuildRouters

    // Functions go into the one function registry, batch tasks into Step Functions' registry.
    // Each invocation is a span "function <name>" / "sfn.task <family>" (DESIGN "Observability"):
    // from the call to its callback, whatever invoked it (event source mapping, rule, Invoke, state).
    auto traced = [this](std::string hop, auto fn) {
        return [this, hop = std::move(hop), fn](const AwsJson& event, auto done) {
            auto start = clock_->Now();
            fn(platform::Json(event), [this, hop, start, trace = TraceOfEvent(event),
                                       done = std::move(done)](platform::FunctionResult r) {
                metrics_.Spans().Record(trace, hop, start, clock_->Now());
                if (r) return done(AwsJson(*r));
                done(core::Fail(ToAws(r.error())));
            });
        };
    };
    auto functions = platform_->Functions();
    for (auto& [name, fn] : functions) sfn_functions_.Register(name, traced("function " + name, fn));
    for (auto& [family, task] : platform_->BatchTasks()) sfn_batch_tasks_.Register(family, traced("sfn.task " + family, task));

    // The declared resources, checked, then created before the first request is served.
    if (options_.platform_infra.empty()) {
        infra_ = std::make_unique<InfraFiles>(BuiltInInfra());
    } else {
        auto loaded = LoadInfra(options_.platform_infra);
        if (!loaded) throw std::runtime_error("--platform-infra: " + loaded.error().message);
        infra_ = std::make_unique<InfraFiles>(std::move(loaded).value());
    }
    auto problems = CheckInfra(*infra_);
    if (!problems.empty())
        throw std::runtime_error(infra_->source + ": " + problems.front().resource + " " + problems.front().problem +
                                 " (cardsim check-infra lists every problem)");
    for (const auto& name : DeclaredFunctions(*infra_))
        if (!functions.count(name))
            throw std::runtime_error(infra_->source + ": function " + name + " is declared but the platform has no such function");
    for (const auto& [name, fn] : functions)
        if (!DeclaredFunctions(*infra_).count(name)) spdlog::warn("[platform] function {} is not declared in {}", name, infra_->source);

    ProvisionPlatform(/*at_start=*/true);
    control_->AddResetHook({"platform", [this] {
                                platform_->Reset();
                                ProvisionPlatform(/*at_start=*/false);
                            }});
}

void Runtime::ProvisionPlatform(bool at_start) {
    auto result = std::make_shared<std::optional<core::Status<>>>();
    provisioner_ = std::make_unique<Provisioner>(platform_->context().aws, *infra_, platform_->queue_urls());
    provisioner_->Run([this, result](core::Status<> s) {
        if (s) {
            spdlog::info("[platform] provisioned {} ({} queues)", infra_->source, platform_->queue_urls().size());
            platform_->Start();
        } else {
            spdlog::error("[platform] {}", s.error().message);
        }
        *result = std::move(s);
    });
    // In-process AWS answers on the loop: run it until provisioning has finished, so the first
    // request (or the reset's answer) finds every resource (an AWS endpoint over TCP answers
    // later, while serving). RunReady may be called from inside a handler (POST /_sim/reset).
    while (!result->has_value() && loop_.RunReady() > 0) {
    }
    if (at_start && result->has_value() && !result->value()) throw std::runtime_error(result->value().error().message);
    if (!result->has_value()) spdlog::info("[platform] provisioning continues in the background (AWS over TCP)");
}

}  // namespace sim::app
