#pragma once
// The Integrations the composition root gives the Step Functions engine: AWS services reached as
// an honest client over the Transport (service "aws", the AWS edge, in-process or remote) and
// their real wire protocols, HTTP endpoints through the HttpClient, and in-process callables
// registered by name.
//
// Supported resources
//   arn:aws:states:::sqs:sendMessage           SQS JSON protocol (AmazonSQS.SendMessage); MessageBody
//                                              that is not a string is sent as its JSON text.
//   arn:aws:states:::aws-sdk:s3:getObject      S3 REST: GET /Bucket/Key → {"Body","ContentLength",
//   arn:aws:states:::aws-sdk:s3:putObject        "ContentType","ETag"}; PUT → {"ETag"}.
//   arn:aws:states:::s3:getObject|putObject    (same as the aws-sdk forms)
//   arn:aws:states:::http:invoke               ApiEndpoint, Method, Headers, QueryParameters,
//                                              RequestBody → {"Headers","ResponseBody","StatusCode",
//                                              "StatusText"}; a non-2xx status fails with
//                                              States.Http.StatusCode.<status>.
//   arn:aws:states:::lambda:invoke             FunctionName, Payload → {"ExecutedVersion","Payload",
//                                              "StatusCode"} from the FunctionRegistry.
//   arn:aws:lambda:<r>:<acct>:function:<name>  the function's own output (legacy form); a plain
//                                              registered name works too.
//   arn:aws:states:::ecs:runTask(.sync)        TaskDefinition's family from the BatchTaskRegistry;
//                                              .sync waits for it and answers the DescribeTasks shape
//                                              (plus "Output" when the task returned a value).
//   ItemReader: s3:getObject (the object's text) and s3:listObjectsV2 (a JSON array of
//   {"Key","Size","ETag","LastModified"}).
//
// Errors: service errors become "<Service>.<Code>" (SQS.QueueDoesNotExist, S3.NoSuchKeyException,
// Lambda.ResourceNotFoundException, ECS.ClientException); an unknown resource fails with
// States.Runtime.
//
// Limitations: requests are not signed; cancelling a task does not interrupt a function or batch
// task already running (its result is ignored).

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "sim/aws/sfn/engine/integrations.hpp"
#include "sim/core/event_loop.hpp"
#include "sim/core/random.hpp"
#include "sim/core/transport.hpp"

namespace sim::aws::sfn::engine {

/// In-process functions by name: the registry the Lambda emulator serves (sim/aws/lambda).
using FunctionRegistry = lambda::FunctionRegistry;

/// In-process batch tasks by ECS task-definition family (the statement batch's steps). A task gets
/// the RunTask parameters (Overrides included) and calls `done` when it has finished.
class BatchTaskRegistry {
public:
    using BatchTask = std::function<void(const Json& run_task_parameters, TaskCallback done)>;
    void Register(const std::string& family, BatchTask task) { tasks_[family] = std::move(task); }
    /// By "family", "family:revision" or a task-definition ARN.
    const BatchTask* Find(std::string_view task_definition) const;

private:
    std::map<std::string, BatchTask, std::less<>> tasks_;
};

class TransportIntegrations final : public Integrations {
public:
    /// `transport` must know the service "aws" for SQS and S3; `http` (may be null) serves
    /// http:invoke. All references must outlive this object.
    TransportIntegrations(core::EventLoop& loop, core::Transport& transport, core::HttpClient* http,
                          FunctionRegistry& functions, BatchTaskRegistry& batch, std::string account_id,
                          std::uint64_t seed);

    void Invoke(const TaskRequest& request, TaskCallback done) override;
    void ReadItems(const ItemsRequest& request, std::function<void(core::Result<std::string>)> done) override;

private:
    void SqsSendMessage(const TaskRequest& request, TaskCallback done);
    void S3Object(const TaskRequest& request, bool put, TaskCallback done);
    void HttpInvoke(const TaskRequest& request, TaskCallback done);
    void Function(const TaskRequest& request, std::string_view name, bool optimized, TaskCallback done);
    void RunTask(const TaskRequest& request, bool sync, TaskCallback done);
    void Later(TaskCallback done, TaskOutcome outcome);

    core::EventLoop& loop_;
    core::Transport& transport_;
    core::HttpClient* http_;
    FunctionRegistry& functions_;
    BatchTaskRegistry& batch_;
    std::string account_id_;
    core::IdGenerator ids_;
};

}  // namespace sim::aws::sfn::engine
