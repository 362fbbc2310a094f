// Wiring of functions (Lambda), EventBridge rules and EventBridge Scheduler into the runtime.
#include "sim/app/runtime.hpp"

#include <filesystem>

namespace sim::app {

void Runtime::InstallEventsAndFunctions() {
    const std::string account = sqs_engine_->AccountId();
    const std::string region = sqs_engine_->Options().default_region;
    aws::lambda::RegisterDiagnosticFunctions(sfn_functions_);

    std::string path = options_.ephemeral ? ":memory:" : (std::filesystem::path(options_.data_dir) / "events.db").string();
    auto db = store::Database::Open(path);
    if (!db) throw std::runtime_error("cannot open " + path + ": " + db.error().message);
    events_db_ = std::move(db).value();
    group_commit_->Attach(*events_db_);
    // Ids made here (event ids, FIFO deduplication ids, mapping UUIDs, flexible-window draws) must
    // not repeat those of the run before a restart (a repeated deduplication id would make SQS drop
    // a message): the seeds also depend on how often the data directory was started.
    const std::uint64_t start = restarts_ * 0x9e3779b97f4a7c15ull;

    // SQS event source mappings consume through the engine's availability notification.
    sqs_queue_source_ = std::make_unique<SqsQueueSource>(*sqs_engine_);
    lambda_mappings_ = std::make_unique<aws::lambda::EventSourceMappings>(
        loop_, *clock_, sfn_functions_, *sqs_queue_source_, *events_db_, *group_commit_, region, account,
        options_.seed ^ 0x4c414d5f45534dull ^ start);
    lambda_api_ = std::make_unique<aws::lambda::LambdaApi>(loop_, sfn_functions_, *lambda_mappings_, region, account,
                                                           options_.seed ^ 0x4c414d5f415049ull);
    lambda_api_->Install(aws_router_);
    control_->AddResetHook({"lambda", [this] {
                                lambda_mappings_->Reset();
                                sfn_functions_.ClearInvocations();
                            }});

    // Rule and schedule targets are reached over the transport's "aws" service (SQS, Step
    // Functions wire protocols) or the function registry.
    event_targets_ = std::make_unique<aws::events::TargetDelivery>(loop_, *clock_, transport_, sfn_functions_,
                                                                   options_.seed ^ 0x4556545f544754ull ^ start);
    aws::events::EventsOptions eo;
    eo.account_id = account;
    eo.region = region;
    eo.seed = options_.seed ^ 0x4556545f454e47ull ^ start;
    events_engine_ = std::make_unique<aws::events::EventsEngine>(*clock_, *event_targets_, *events_db_, *group_commit_, eo);
    events_api_ = std::make_unique<aws::events::EventsApi>(*events_engine_, options_.seed ^ 0x4556545f415049ull);
    events_api_->Install(aws_router_);
    control_->AddResetHook({"events", [this] { events_engine_->Reset(); }});

    scheduler_engine_ = std::make_unique<aws::scheduler::SchedulerEngine>(
        *clock_, *event_targets_, *events_db_, *group_commit_, region, account, options_.seed ^ 0x5343485f454e47ull ^ start);
    scheduler_api_ = std::make_unique<aws::scheduler::SchedulerApi>(*scheduler_engine_, options_.seed ^ 0x5343485f415049ull);
    scheduler_api_->Install(aws_router_);
    control_->AddResetHook({"scheduler", [this] { scheduler_engine_->Reset(); }});
}

}  // namespace sim::app
