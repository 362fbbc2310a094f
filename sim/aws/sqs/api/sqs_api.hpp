#pragma once
// SQS wire protocols on the AWS edge (port 4566) over the SqsEngine.
//
// Supported operations (both protocols): AddPermission, CancelMessageMoveTask,
// ChangeMessageVisibility, ChangeMessageVisibilityBatch, CreateQueue, DeleteMessage,
// DeleteMessageBatch, DeleteQueue, GetQueueAttributes, GetQueueUrl, ListDeadLetterSourceQueues,
// ListMessageMoveTasks, ListQueueTags, ListQueues, PurgeQueue, ReceiveMessage, RemovePermission,
// SendMessage, SendMessageBatch, SetQueueAttributes, StartMessageMoveTask, TagQueue, UntagQueue.
//
// Protocols:
//  - JSON 1.0: POST with `X-Amz-Target: AmazonSQS.<Operation>`, body application/x-amz-json-1.0.
//    Errors are `{"__type":"com.amazonaws.sqs#<Shape>","message":...}` plus the
//    `x-amzn-query-error: <QueryCode>;Sender|Receiver` header read by query-compatible SDKs.
//    An unknown operation is UnknownOperationException.
//  - Query: form-encoded POST (or GET with a query string) `Action=<Operation>&Version=2012-11-05`,
//    XML responses in the http://queue.amazonaws.com/doc/2012-11-05/ namespace, errors as
//    <ErrorResponse>. The queue may be named by QueueUrl or by the request path
//    (`/000000000000/name`). An unknown action is InvalidAction.
//  - Queue URLs are `http://<Host header>/<account>/<name>`; the region (for ARNs) is the SigV4
//    credential scope's, else the default. SenderId is the signer's access key.
//  - Inspection: GET /_sim/sqs/messages?QueueUrl=... (also /_aws/sqs/messages) lists a queue's
//    messages as JSON without changing their visibility.
//
// Limitations:
//  - Signatures are not verified; IAM policies (Policy, AddPermission) are stored, not enforced.
//  - One namespace of queue names for all regions (the region only shapes the ARN).
//  - KMS attributes are accepted and returned; nothing is encrypted.
//  - ReceiveRequestAttemptId is validated but does not replay an earlier receive.
//  - FifoThroughputLimit is stored; there is no throttling (no RequestThrottled / OverLimit on rate).
//  - Message move tasks run in memory: one still running at shutdown is not resumed after restart.
//  - Deleting a queue does not block re-creating the name for 60 s (QueueDeletedRecently).

#include <memory>
#include <string>

#include "sim/aws/sqs/engine/engine.hpp"
#include "sim/core/random.hpp"
#include "sim/core/router.hpp"

namespace sim::aws::sqs {

class SqsApi {
public:
    /// `engine` must outlive the api. `max_body_bytes` is the largest request body accepted.
    SqsApi(SqsEngine& engine, std::uint64_t seed, std::uint64_t max_body_bytes);
    ~SqsApi();

    /// Adds the SQS routes (JSON target, query form/GET, inspection) to `router`. Install before any
    /// catch-all route (S3).
    void Install(core::Router& router);

    /// Handles a JSON-protocol request (X-Amz-Target: AmazonSQS.*).
    void HandleJson(core::Request request, core::Respond respond);
    /// Handles a query-protocol request (form body or query string with Action=...).
    void HandleQuery(core::Request request, core::Respond respond);
    /// GET /_sim/sqs/messages?QueueUrl=...
    core::Response Inspect(const core::Request& request);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sim::aws::sqs
