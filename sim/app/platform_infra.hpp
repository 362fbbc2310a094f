#pragma once
// Infrastructure as data (issue 8): platform/infra.json declares the platform's AWS resources —
// buckets, queues with their dead-letter queues, functions, state machines, rules with targets,
// event source mappings — each with exactly one owning team ("app-team" or "infra-team").
// CheckInfra finds what `cardsim check-infra` reports; Provisioner creates the resources through
// the AWS wire protocols (platform::AwsClient over the transport), idempotently, so a durable data
// directory or a reset re-provisions without duplicates.
//
// Format: {"version":1,"resources":[{"type","name","owner",...}]} with, per type:
//   bucket                {}
//   queue                 {"visibility_timeout_seconds"?, "message_retention_seconds"?,
//                          "dead_letter"?: {"queue", "max_receive_count"}}
//   function              {} (code: must be provided by the platform; the runtime checks at start)
//   state_machine         {"definition_file" (relative to infra.json), "role"?}
//   rule                  {"schedule" | "event_pattern", "targets": [{"id", "function" | "state_machine"
//                          | "queue", "role"?, "input"? (JSON), "input_transformer"?}]}
//   event_source_mapping  {"queue", "function", "batch_size"?, "report_batch_item_failures"?}

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/core/result.hpp"
#include "sim/platform/common/aws_client.hpp"

namespace sim::app {

/// infra.json and the files it references (definition files), by path relative to infra.json.
struct InfraFiles {
    std::string source;  ///< where it came from ("built-in" or the path)
    std::string infra_json;
    std::map<std::string, std::string> files;
};

/// The platform/infra.json compiled into the binary (and its state machine definitions).
const InfraFiles& BuiltInInfra();
/// Reads `path` and every definition file it names (missing ones are left out: CheckInfra reports them).
core::Result<InfraFiles> LoadInfra(const std::string& path);

struct InfraProblem {
    std::string resource;  ///< "queue platform-async"
    std::string problem;
};

/// Everything wrong with the declaration: not JSON, unknown types, a resource with no owner or
/// with two (an owner list, or the same resource declared twice with different owners), an owner
/// that is not a team, references to undeclared queues/functions/state machines, unreadable or
/// invalid definition files, duplicate names. Empty when the file is sound.
std::vector<InfraProblem> CheckInfra(const InfraFiles& files);

/// Creates every declared resource, in dependency order (buckets, dead-letter queues, queues,
/// state machines, rules and targets, event source mappings). Existing resources are updated
/// (queue attributes, state machine definitions) or kept (buckets, mappings). `queue_urls` gets
/// every queue's URL. `done` receives the first failure, if any.
class Provisioner {
public:
    Provisioner(platform::AwsClient& aws, const InfraFiles& files, std::map<std::string, std::string>& queue_urls);
    void Run(std::function<void(core::Status<>)> done);

private:
    using Step = std::function<void(std::function<void(core::Status<>)>)>;
    void Next();
    void Queue(const nlohmann::json& r, std::function<void(core::Status<>)> next);
    void StateMachine(const nlohmann::json& r, std::function<void(core::Status<>)> next);
    void Rule(const nlohmann::json& r, std::function<void(core::Status<>)> next);
    void Mapping(const nlohmann::json& r, std::function<void(core::Status<>)> next);

    platform::AwsClient& aws_;
    const InfraFiles& files_;
    std::map<std::string, std::string>& queue_urls_;
    std::vector<Step> steps_;
    std::size_t next_ = 0;
    std::function<void(core::Status<>)> done_;
};

/// The function names declared in `files` (type "function").
std::set<std::string> DeclaredFunctions(const InfraFiles& files);

}  // namespace sim::app
