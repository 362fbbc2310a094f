#pragma once
// The platform's AWS SDK, such as it is: the operations the services use, spoken over the
// transport service "aws" in the real wire protocols (SQS JSON 1.0, S3 REST, Step Functions JSON
// 1.0, EventBridge JSON 1.1, Lambda REST-JSON), so the built-in emulators — or any AWS-compatible
// endpoint given with --service aws=URL — serve them unchanged. Every call is asynchronous: the
// callback runs later on the loop with the value or an AwsError (the service's error code, e.g.
// "AWS.SimpleQueueService.NonExistentQueue", "NoSuchKey"; "TransportError" when no answer came).
//
// Limitations: requests are not SigV4-signed (the built-in edge trusts in-process callers; a
// remote endpoint with access control would refuse them); Lambda requests carry a credential
// scope in an unsigned Authorization header only so the edge routes them. No pagination.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/result.hpp"
#include "sim/core/transport.hpp"
#include "sim/platform/common/types.hpp"

namespace sim::platform {

struct AwsError {
    int status = 0;        ///< HTTP status (502/504 for transport failures)
    std::string code;      ///< AWS error code, "TransportError", or "MalformedResponse"
    std::string message;
};
template <typename T>
using AwsResult = core::Result<T, AwsError>;
template <typename T>
using AwsCallback = std::function<void(AwsResult<T>)>;

struct SqsMessage {
    std::string message_id;
    std::string receipt_handle;
    std::string body;
    std::map<std::string, std::string> attributes;          ///< ApproximateReceiveCount, …
    std::map<std::string, std::string> message_attributes;  ///< string values only
};

struct S3Object {
    std::string body;
    std::string content_type;
    std::string etag;
    std::uint64_t size = 0;
};

class AwsClient {
public:
    AwsClient(core::Transport& transport, std::string service = "aws", std::string region = "us-east-1",
              std::string account_id = "000000000000");

    const std::string& region() const { return region_; }
    const std::string& account_id() const { return account_id_; }
    /// ARNs the way AWS spells them for this region and account.
    std::string QueueArn(const std::string& queue_name) const;
    std::string FunctionArn(const std::string& function_name) const;
    std::string StateMachineArn(const std::string& name) const;
    std::string RoleArn(const std::string& role_name) const;

    // --- SQS (JSON 1.0) ----------------------------------------------------------------------
    void CreateQueue(const std::string& name, const std::map<std::string, std::string>& attributes,
                     AwsCallback<std::string> done);  ///< queue URL
    void GetQueueUrl(const std::string& name, AwsCallback<std::string> done);
    void SetQueueAttributes(const std::string& queue_url, const std::map<std::string, std::string>& attributes,
                            AwsCallback<core::Unit> done);
    void GetQueueAttributes(const std::string& queue_url, AwsCallback<std::map<std::string, std::string>> done);
    /// `attributes`: String message attributes (the trace id travels as "trace_id"). Returns MessageId.
    void SendMessage(const std::string& queue_url, const std::string& body,
                     const std::map<std::string, std::string>& attributes, AwsCallback<std::string> done,
                     int delay_seconds = 0);
    /// Short poll unless `wait_seconds` > 0; `visibility_timeout` < 0 keeps the queue's.
    void ReceiveMessage(const std::string& queue_url, int max_messages, int wait_seconds,
                        AwsCallback<std::vector<SqsMessage>> done, int visibility_timeout = -1);
    void DeleteMessage(const std::string& queue_url, const std::string& receipt_handle, AwsCallback<core::Unit> done);

    // --- S3 (REST, path style) ---------------------------------------------------------------
    void CreateBucket(const std::string& bucket, AwsCallback<core::Unit> done);
    void PutObject(const std::string& bucket, const std::string& key, std::string body, const std::string& content_type,
                   AwsCallback<std::string> done);  ///< ETag
    void GetObject(const std::string& bucket, const std::string& key, AwsCallback<S3Object> done);
    /// The object's metadata (body empty).
    void HeadObject(const std::string& bucket, const std::string& key, AwsCallback<S3Object> done);

    // --- Step Functions (JSON 1.0) -----------------------------------------------------------
    void CreateStateMachine(const std::string& name, const std::string& definition, const std::string& role_arn,
                            AwsCallback<std::string> done);  ///< stateMachineArn
    void UpdateStateMachine(const std::string& arn, const std::string& definition, AwsCallback<core::Unit> done);
    /// `name` empty: the service picks one. Returns executionArn.
    void StartExecution(const std::string& state_machine_arn, const std::string& name, const Json& input,
                        AwsCallback<std::string> done);
    /// The DescribeExecution response as sent (status, input, output, error, cause, …).
    void DescribeExecution(const std::string& execution_arn, AwsCallback<Json> done);

    // --- EventBridge (JSON 1.1) --------------------------------------------------------------
    /// `schedule_expression` ("cron(...)", "rate(...)") or `event_pattern` (JSON text), one of them.
    void PutRule(const std::string& name, const std::string& schedule_expression, const std::string& event_pattern,
                 const std::string& description, AwsCallback<std::string> done);  ///< RuleArn
    /// `targets`: the wire array ([{"Id","Arn","RoleArn"?,"Input"?,…}]). Fails on FailedEntryCount > 0.
    void PutTargets(const std::string& rule, const Json& targets, AwsCallback<core::Unit> done);

    // --- Lambda (REST-JSON) ------------------------------------------------------------------
    /// Returns the mapping's UUID. `report_batch_item_failures` sets FunctionResponseTypes.
    void CreateEventSourceMapping(const std::string& function_name, const std::string& event_source_arn,
                                  int batch_size, bool report_batch_item_failures, AwsCallback<std::string> done);
    /// The mappings of `function_name` as sent ({"EventSourceMappings":[…]}).
    void ListEventSourceMappings(const std::string& function_name, AwsCallback<Json> done);

    /// One JSON-protocol call (`target` = "AmazonSQS.SendMessage", …); the parsed response body.
    /// `trace_id`, when set, travels as the trace header.
    void CallJson(const std::string& target, const std::string& content_type, const Json& body,
                  AwsCallback<Json> done, const std::string& trace_id = "");

private:
    void Send(core::Request request, std::function<void(const core::Response&)> done);
    static AwsError ErrorOf(const core::Response& response);

    core::Transport& transport_;
    std::string service_;
    std::string region_;
    std::string account_id_;
};

}  // namespace sim::platform
