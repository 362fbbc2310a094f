#pragma once
// Step Functions wire protocol (JSON 1.0, `X-Amz-Target: AWSStepFunctions.<Operation>`) on the
// AWS edge over the SfnEngine.
//
// Supported operations: CreateStateMachine, DescribeStateMachine, ListStateMachines,
// UpdateStateMachine, DeleteStateMachine, StartExecution, StartSyncExecution, DescribeExecution,
// ListExecutions, GetExecutionHistory, StopExecution, DescribeStateMachineForExecution,
// SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat, TagResource, UntagResource,
// ListTagsForResource.
//
// Wire details:
//  - Errors are `{"__type":"com.amazonaws.sfn#<Code>","message":...}` with HTTP 400 (500
//    InternalFailure for unexpected failures): InvalidDefinition (every problem in one message),
//    InvalidArn, InvalidName, InvalidExecutionInput, InvalidOutput, InvalidToken,
//    StateMachineDoesNotExist, StateMachineAlreadyExists, StateMachineTypeNotSupported,
//    ExecutionDoesNotExist, ExecutionAlreadyExists, TaskDoesNotExist, ResourceNotFound,
//    TooManyTags, ValidationException (missing or malformed parameters); an unknown operation is
//    UnknownOperationException.
//  - Timestamps are epoch seconds (JSON numbers). The region of new ARNs is the SigV4 credential
//    scope's, else the default.
//  - GetExecutionHistory returns AWS's event types with ids, previousEventId and the per-type
//    details member (stateEnteredEventDetails, taskScheduledEventDetails, ...); includeExecutionData
//    false drops inputs and outputs. reverseOrder, maxResults and nextToken page through it.
//  - ListExecutions: newest first, statusFilter, maxResults/nextToken. ListStateMachines pages too.
//  - `stateMachineArn#TestCase` in StartExecution selects a mocked test case (--sfn-mock-config).
//
// Limitations:
//  - Signatures are not verified; IAM roles are stored, not assumed or checked.
//  - No activities, versions or aliases (publish/versionDescription are accepted and ignored),
//    RedriveExecution, TestState, ValidateStateMachineDefinition or Map Run APIs.
//  - EXPRESS executions have no history and are not listed (as AWS, which logs them elsewhere).

#include <memory>
#include <string>

#include "sim/aws/sfn/engine/engine.hpp"
#include "sim/core/random.hpp"
#include "sim/core/router.hpp"

namespace sim::aws::sfn::api {

class SfnApi {
public:
    /// `engine` must outlive the api.
    SfnApi(engine::SfnEngine& engine, std::uint64_t seed);
    ~SfnApi();

    /// Adds the `X-Amz-Target: AWSStepFunctions.*` route to `router` (before any catch-all).
    void Install(core::Router& router);

    /// Handles one JSON 1.0 request.
    void Handle(core::Request request, core::Respond respond);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sim::aws::sfn::api
