#pragma once
// Step Functions wire protocol (JSON 1.0, `X-Amz-Target: AWSStepFunctions.<Operation>`) on the
// AWS edge over the SfnEngine.
//
// Supported operations: CreateStateMachine, DescribeStateMachine, ListStateMachines,
// UpdateStateMachine, DeleteStateMachine, StartExecution, StartSyncExecution, DescribeExecution,
// ListExecutions, GetExecutionHistory, StopExecution, RedriveExecution,
// DescribeStateMachineForExecution, SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat, TestState,
// TagResource, UntagResource, ListTagsForResource.
//
// Wire details:
//  - Errors are `{"__type":"com.amazonaws.sfn#<Code>","message":...}` with HTTP 400 (500
//    InternalFailure for unexpected failures): InvalidDefinition (every problem in one message),
//    InvalidArn, InvalidName, InvalidExecutionInput, InvalidOutput, InvalidToken,
//    StateMachineDoesNotExist, StateMachineAlreadyExists, StateMachineTypeNotSupported,
//    ExecutionDoesNotExist, ExecutionAlreadyExists, ExecutionNotRedrivable, ExecutionLimitExceeded,
//    TaskDoesNotExist, ResourceNotFound, TooManyTags, ValidationException (missing or malformed
//    parameters); an unknown operation is UnknownOperationException.
//  - Timestamps are epoch seconds (JSON numbers). The region of new ARNs is the SigV4 credential
//    scope's, else the default.
//  - GetExecutionHistory returns AWS's event types with ids, previousEventId and the per-type
//    details member (stateEnteredEventDetails, taskScheduledEventDetails,
//    executionRedrivenEventDetails, ...); includeExecutionData false drops inputs and outputs.
//    reverseOrder, maxResults and nextToken page through it.
//  - ListExecutions: newest first, statusFilter, redriveFilter, maxResults/nextToken; items carry
//    redriveCount and redriveDate. ListStateMachines pages too.
//  - DescribeExecution: redriveCount, redriveDate, redriveStatus (REDRIVABLE / NOT_REDRIVABLE) and
//    AWS's redriveStatusReason texts.
//  - RedriveExecution (STANDARD only): FAILED, TIMED_OUT and ABORTED executions within 14 days of
//    their stop, under one year open and 24,999 history events, continue from the states that did
//    not succeed; Parallel branches and (inline or distributed) Map iterations that succeeded keep
//    their results. clientToken: the last 10 tokens of an execution answer their redrive for 15
//    minutes. Durable across restarts (the engine replays the kept feedback log).
//  - TestState: a single state's definition (or a machine's with stateName), input, variables,
//    inspectionLevel INFO (status/output/error/cause/nextState only), DEBUG (+ inspectionData:
//    input, afterInputPath, afterParameters, result, afterResultSelector, afterResultPath,
//    variables, errorDetails, afterItemsPath, maxConcurrency, toleratedFailure*) and TRACE (+ the
//    raw HTTP request and response of an http:invoke Task). Task states call the real in-process
//    integration; mock.result / mock.errorOutput replace it and stateConfiguration.
//    retrierRetryCount says how many retries were already made (RETRIABLE vs CAUGHT_ERROR/FAILED).
//  - `stateMachineArn#TestCase` in StartExecution selects a mocked test case (--sfn-mock-config).
//
// Limitations:
//  - Signatures are not verified; IAM roles are stored, not assumed or checked.
//  - No activities, versions or aliases (publish/versionDescription are accepted and ignored),
//    ValidateStateMachineDefinition or Map Run APIs (DescribeMapRun, ListMapRuns, UpdateMapRun);
//    a distributed Map's iterations are redriven with their parent, never as a Map Run.
//  - EXPRESS executions have no history and are not listed (as AWS, which logs them elsewhere), so
//    they are not redrivable either (ExecutionDoesNotExist once ended).
//  - RedriveExecution's clientToken memory is not kept across a restart. An execution stored by a
//    cardsim older than redrive support is NOT_REDRIVABLE on the attempt ("Execution was started
//    before the launch of RedriveExecution") though DescribeExecution says REDRIVABLE.
//  - TestState: a Wait state does not wait; Map and Parallel states, `.sync`, `.waitForTaskToken`
//    and states:startExecution Tasks need a mock (as AWS); activities are refused; `context` and
//    mock.fieldValidationMode are accepted and ignored; revealSecrets has nothing to reveal (no
//    EventBridge connections are modelled, so nothing is hidden); it runs for at most five
//    virtual minutes (States.Timeout).

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
