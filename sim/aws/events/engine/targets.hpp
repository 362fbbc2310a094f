#pragma once
// Target invocation shared by EventBridge rules and EventBridge Scheduler: a target is an ARN
// (SQS queue, Step Functions state machine, Lambda function) plus how to build its input and what
// to do when it fails. SQS and Step Functions are reached as an honest client over the
// transport's "aws" service (AmazonSQS.SendMessage, AWSStepFunctions.StartExecution, JSON 1.0);
// functions through the in-process FunctionRegistry. A failed invocation is retried on the clock
// (exponential backoff 1 s, 2 s, 4 s ... capped at 5 min) while the RetryPolicy allows, then its
// payload goes to the dead-letter queue with ERROR_CODE / ERROR_MESSAGE / RULE_ARN (or
// SCHEDULE_ARN) / TARGET_ARN message attributes; without one it is logged and counted as dropped.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/aws/lambda/engine/function_registry.hpp"
#include "sim/clock/clock.hpp"
#include "sim/core/random.hpp"
#include "sim/core/result.hpp"
#include "sim/core/transport.hpp"

namespace sim::aws::events {

using Json = nlohmann::ordered_json;

struct RetryPolicy {
    int maximum_retry_attempts = 185;
    int maximum_event_age_seconds = 86400;
};

struct InputTransformer {
    std::map<std::string, std::string> input_paths;  ///< placeholder name -> JSON path ("$.detail.x")
    std::string input_template;
};

struct Target {
    std::string id;
    std::string arn;
    std::string role_arn;
    std::optional<std::string> input;        ///< JSON text sent as is
    std::optional<std::string> input_path;   ///< "$.detail"
    std::optional<InputTransformer> input_transformer;
    RetryPolicy retry_policy;
    std::string dead_letter_arn;             ///< SQS queue ARN, may be empty
    std::string message_group_id;            ///< SqsParameters.MessageGroupId (FIFO queues)
};

enum class TargetKind { kSqs, kStepFunctions, kFunction, kUnsupported };
TargetKind KindOf(const std::string& arn);
/// Validates a target ARN: one of the three supported kinds, well formed.
core::Status<> ValidateTargetArn(const std::string& arn);

/// MaximumRetryAttempts 0-185 and MaximumEventAgeInSeconds 60-86400 (both services' limits).
core::Status<> ValidateRetryPolicy(const RetryPolicy& policy);

/// Storage form of a target (the rows of events.db and scheduler.db; not a wire format).
Json StoredTarget(const Target& target);
/// Reads StoredTarget's form back; throws nlohmann::json::exception on a malformed document.
Target LoadTarget(const Json& stored);
/// Time points as stored: nanoseconds since the Unix epoch.
std::int64_t StoredTime(core::TimePoint t);
core::TimePoint LoadTime(std::int64_t ns);

/// Evaluates "$", "$.a.b", "$.a[0]" against `doc`; null pointer when a step is missing.
const Json* JsonPath(const Json& doc, const std::string& path);
/// The input a rule target receives for `event`: Input, InputPath, InputTransformer or the event.
core::Result<std::string> RenderInput(const Target& target, const Json& event, const std::string& rule_name,
                                      const std::string& rule_arn);

struct DeliveryStats {
    std::uint64_t attempts = 0;
    std::uint64_t delivered = 0;
    std::uint64_t retried = 0;
    std::uint64_t dead_lettered = 0;
    std::uint64_t dropped = 0;
};

class TargetDelivery {
public:
    /// All references must outlive this object. `transport` must know "aws".
    TargetDelivery(core::EventLoop& loop, clock::Clock& clock, core::Transport& transport,
                   lambda::FunctionRegistry& functions, std::uint64_t seed);

    /// Who asked: names the DLQ attribute (`RULE_ARN` or `SCHEDULE_ARN`) and appears in logs.
    struct Source {
        std::string attribute = "RULE_ARN";
        std::string arn;
    };
    /// Starts delivering `payload` to `target`; returns at once (everything happens on the loop).
    void Deliver(const Target& target, std::string payload, Source source);
    const DeliveryStats& Stats() const { return stats_; }

private:
    struct Attempt;
    void Try(std::shared_ptr<Attempt> attempt);
    void Failed(std::shared_ptr<Attempt> attempt, std::string code, std::string message);
    void SendToQueue(const std::string& queue_arn, const std::string& body, const std::string& group_id,
                     const std::map<std::string, std::string>& attributes,
                     std::function<void(std::optional<std::pair<std::string, std::string>>)> done);

    core::EventLoop& loop_;
    clock::Clock& clock_;
    core::Transport& transport_;
    lambda::FunctionRegistry& functions_;
    core::IdGenerator ids_;
    DeliveryStats stats_;
};

}  // namespace sim::aws::events
