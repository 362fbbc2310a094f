#pragma once
// The interface through which the engine runs a Task state's resource (owned by the engine; the
// composition root supplies an implementation, tests supply fakes). The engine itself handles the
// `.waitForTaskToken` pattern (it strips the suffix, invokes the base resource and then waits for
// SendTaskSuccess/Failure), `states:startExecution(.sync, .sync:2)` and mocked responses; every other
// resource reaches an Integrations.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "sim/aws/lambda/engine/function_registry.hpp"
#include "sim/aws/sfn/engine/types.hpp"
#include "sim/core/result.hpp"

namespace sim::aws::sfn::engine {

/// A failed task: the error name Retry/Catch match (e.g. "SQS.QueueDoesNotExist",
/// "States.Http.StatusCode.404", "Lambda.ResourceNotFoundException") and its cause. The same type
/// as a failed in-process function's, so functions answer Task states directly.
using TaskFailure = lambda::FunctionError;

using TaskOutcome = core::Result<Json, TaskFailure>;
using TaskCallback = std::function<void(TaskOutcome)>;

struct TaskRequest {
    std::string execution_arn;
    std::string state_machine_arn;
    std::string state_name;
    std::uint64_t task_id = 0;
    /// The resource without a `.waitForTaskToken` suffix (`.sync` suffixes are kept: the
    /// integration decides what waiting for completion means).
    std::string resource;
    Json parameters;
    std::string task_token;
    std::string region;
    std::string trace_header;
    std::optional<std::int64_t> timeout_seconds;
    std::optional<std::int64_t> heartbeat_seconds;
    /// When set (TestState at TRACE), an HTTP integration reports the exchange it made:
    /// request {"protocol","method","url","headers","body"}, response {"protocol","statusCode",
    /// "statusMessage","headers","body"} (headers as "name: value" lines joined by ", ").
    std::function<void(const Json& request, const Json& response)> on_http;
};

/// A distributed Map's ItemReader fetch: `resource` such as "arn:aws:states:::s3:getObject",
/// `parameters` {"Bucket","Key",...}. The answer is the object's text (or, for s3:listObjectsV2,
/// a JSON array of {"Key","Size","ETag","LastModified"...}).
struct ItemsRequest {
    std::string execution_arn;
    std::string resource;
    Json parameters;
    std::string region;
};

class Integrations {
public:
    virtual ~Integrations() = default;
    /// Starts `request`. `done` must be called exactly once, on the event loop and never from
    /// inside Invoke. A result that arrives after Cancel, or for an execution that has ended, is
    /// ignored by the engine.
    virtual void Invoke(const TaskRequest& request, TaskCallback done) = 0;
    /// The engine no longer wants the result of (execution, task) (timeout, abort).
    virtual void Cancel(const std::string& execution_arn, std::uint64_t task_id) {
        (void)execution_arn;
        (void)task_id;
    }
    /// Fetches an ItemReader object; `done` as for Invoke.
    virtual void ReadItems(const ItemsRequest& request, std::function<void(core::Result<std::string>)> done) = 0;
};

}  // namespace sim::aws::sfn::engine
