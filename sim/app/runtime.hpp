#pragma once
// The composition root of `cardsim serve`: builds the loop, clock, stores, metrics, transport,
// HTTP server and routers, wires the control plane, and runs until SIGINT/SIGTERM.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "sim/app/aws_auth.hpp"
#include "sim/app/platform_infra.hpp"
#include "sim/app/control_plane.hpp"
#include "sim/app/serve_options.hpp"
#include "fakes/fakes.hpp"
#include "sim/app/sqs_queue_source.hpp"
#include "sim/aws/events/api/events_api.hpp"
#include "sim/aws/events/engine/events_engine.hpp"
#include "sim/aws/lambda/api/lambda_api.hpp"
#include "sim/aws/lambda/engine/event_source_mappings.hpp"
#include "sim/aws/scheduler/api/scheduler_api.hpp"
#include "sim/aws/scheduler/engine/scheduler_engine.hpp"
#include "sim/aws/sqs/api/sqs_api.hpp"
#include "sim/aws/sqs/engine/engine.hpp"
#include "sim/aws/s3/api/s3_api.hpp"
#include "sim/aws/s3/engine/s3_engine.hpp"
#include "sim/aws/s3/notifications/s3_notifications.hpp"
#include "sim/aws/sfn/api/sfn_api.hpp"
#include "sim/aws/sfn/engine/engine.hpp"
#include "sim/aws/sfn/engine/transport_integrations.hpp"
#include "sim/clock/clock.hpp"
#include "sim/clock/virtual_clock.hpp"
#include "sim/core/random.hpp"
#include "sim/core/router.hpp"
#include "sim/core/transport.hpp"
#include "sim/core/work_pool.hpp"
#include "sim/http/asio_loop.hpp"
#include "sim/http/client.hpp"
#include "sim/http/server.hpp"
#include "sim/metrics/registry.hpp"
#include "sim/platform/platform.hpp"
#include "sim/store/database.hpp"
#include "sim/store/group_commit.hpp"

namespace sim::app {

/// Process exit codes (also listed by `cardsim --help`).
enum ExitCode : int {
    kExitOk = 0,          ///< success, or a graceful shutdown
    kExitFailure = 1,     ///< a failure while running
    kExitUsage = 2,       ///< bad command line or configuration
    kExitStartup = 3,     ///< could not start: port in use, data directory not writable, ...
};

class Runtime {
public:
    /// Builds everything but binds nothing. Errors are startup errors (data dir, database).
    static core::Result<std::unique_ptr<Runtime>> Create(const ServeOptions& options);
    ~Runtime();

    /// Binds the three listeners and prints "listening <name> <addr>:<port>" for each on stdout.
    core::Status<> Listen();
    /// Runs the event loop until a termination signal has drained the server; returns the exit code.
    int Run();

    // `cardsim run` (runtime_run.cpp): the scenario runner drives an unbound Runtime itself.
    /// The transport with every scenario service name registered in-process: aws, platform, fakes
    /// and the fakes' system names (payment-processor, ekyc, bureau, screening, printing, atm, push).
    core::Transport& ScenarioTransport();
    /// Runs ready work until `done()` holds or nothing is left to run; returns done().
    bool RunLoopUntil(const std::function<bool()>& done);

    // `cardsim load` (load_command.cpp) runs its load generator on the same loop and clock.
    clock::Clock& Clock() { return *clock_; }
    http::AsioLoop& Loop() { return loop_; }

private:
    explicit Runtime(const ServeOptions& options);
    core::Status<> OpenStore();
    void LoadOrSaveClock();
    void SaveClock();
    void BuildRouters();
    void InstallAwsAuth();
    void InstallAwsServices();
    void InstallFakes();
    void InstallSqs();
    void InstallS3();
    void InstallSfn();
    void InstallEventsAndFunctions();  // runtime_events.cpp
    void InstallPlatform();            // runtime_platform.cpp
    void ProvisionPlatform(bool at_start);
    void RecordRequest(const http::RequestRecord& record);
    void BeginShutdown(int signal_number);

    ServeOptions options_;
    http::AsioLoop loop_;
    std::unique_ptr<clock::Clock> clock_;
    clock::VirtualClock* virtual_clock_ = nullptr;
    core::IdGenerator ids_;
    metrics::Registry metrics_;
    std::unique_ptr<store::Database> runtime_db_;
    /// Earlier starts of this data directory (0 on a fresh or ephemeral one): mixed into the seeds
    /// of generators whose ids must not repeat after a restart.
    std::uint64_t restarts_ = 0;
    std::unique_ptr<store::GroupCommit> group_commit_;
    http::Client client_;
    core::Transport transport_;
    std::unique_ptr<ControlPlane> control_;
    // SQS: its own database (sqs.db), engine and wire protocols.
    std::unique_ptr<store::Database> sqs_db_;
    std::unique_ptr<aws::sqs::SqsEngine> sqs_engine_;
    std::unique_ptr<aws::sqs::SqsApi> sqs_api_;
    // S3: its own metadata database (s3.db) and body directory (<data-dir>/s3, a temp dir when ephemeral).
    std::unique_ptr<store::Database> s3_db_;
    std::string s3_temp_root_;
    std::unique_ptr<aws::s3::engine::S3Engine> s3_engine_;
    std::unique_ptr<aws::s3::api::S3Api> s3_api_;
    std::unique_ptr<aws::s3::notifications::S3Notifications> s3_notifications_;
    // Step Functions: its own database (sfn.db), engine and integrations, and the registries of
    // in-process functions and batch tasks (by ECS task-definition family) that Task states call.
    std::unique_ptr<store::Database> sfn_db_;
    aws::sfn::engine::FunctionRegistry sfn_functions_;
    aws::sfn::engine::BatchTaskRegistry sfn_batch_tasks_;
    std::unique_ptr<aws::sfn::engine::TransportIntegrations> sfn_integrations_;
    std::unique_ptr<aws::sfn::engine::SfnEngine> sfn_engine_;
    std::unique_ptr<aws::sfn::api::SfnApi> sfn_api_;
    // Functions (sfn_functions_ is the one registry: Lambda Invoke, SQS event source mappings,
    // EventBridge and Scheduler targets, Step Functions lambda:invoke), EventBridge rules and
    // EventBridge Scheduler, declared after SQS so they go first. Mappings, rules and schedules
    // are kept in events.db (each component its own tables); functions are code, not stored.
    std::unique_ptr<store::Database> events_db_;
    std::unique_ptr<SqsQueueSource> sqs_queue_source_;
    std::unique_ptr<aws::lambda::EventSourceMappings> lambda_mappings_;
    std::unique_ptr<aws::lambda::LambdaApi> lambda_api_;
    std::unique_ptr<aws::events::TargetDelivery> event_targets_;
    std::unique_ptr<aws::events::EventsEngine> events_engine_;
    std::unique_ptr<aws::events::EventsApi> events_api_;
    std::unique_ptr<aws::scheduler::SchedulerEngine> scheduler_engine_;
    std::unique_ptr<aws::scheduler::SchedulerApi> scheduler_api_;
    std::unique_ptr<AwsAuth> aws_auth_;  // access control of aws_router_ (--auth)
    core::Router aws_router_;
    core::Router platform_router_;
    core::Router fakes_router_;
    std::unique_ptr<fakes::Fakes> fakes_;
    // The platform (sim/platform) and its declared AWS resources (platform/infra.json).
    std::unique_ptr<platform::Platform> platform_;
    std::unique_ptr<InfraFiles> infra_;
    std::unique_ptr<Provisioner> provisioner_;
    std::unique_ptr<http::Server> server_;
    std::map<std::string, std::uint16_t> bound_ports_;
    /// Threads reading and hashing large S3 bodies (real clock; none on the virtual clock).
    static constexpr std::size_t kBodyIoThreads = 2;
    /// Reset first in ~Runtime: its threads finish before anything else goes.
    std::unique_ptr<core::WorkPool> body_pool_;
    bool shutting_down_ = false;
};

}  // namespace sim::app
