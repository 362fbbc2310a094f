#pragma once
// EventBridge wire protocol (JSON 1.1, `X-Amz-Target: AWSEvents.<Operation>`) on the AWS edge
// over the EventsEngine.
//
// Supported operations: PutRule, DescribeRule, ListRules, DeleteRule, EnableRule, DisableRule,
// PutTargets, RemoveTargets, ListTargetsByRule, ListRuleNamesByTarget, PutEvents, TestEventPattern,
// CreateEventBus, DeleteEventBus, DescribeEventBus, ListEventBuses.
//  - Custom event buses: EventBusName (a name or an event-bus ARN) on PutRule, DescribeRule,
//    ListRules, DeleteRule, EnableRule, DisableRule, PutTargets, RemoveTargets, ListTargetsByRule,
//    ListRuleNamesByTarget and each PutEvents entry; a rule matches only its bus's events; rule
//    ARNs of a custom bus are rule/<bus>/<name>; ScheduleExpression only on the default bus, a
//    bus with rules cannot be deleted (ValidationException), as AWS.
//  - Lists page with NextToken and Limit (1-100, default 100 as AWS); a token this server did not
//    issue is a ValidationException.
//  - Rules and targets are durable (events.db): a restart keeps them and re-arms scheduled rules
//    from the current time; firings missed while the process was down are skipped, not replayed.
//  - ScheduleExpression: rate(...) and six-field cron(...) with ?, L, W, #, ranges, lists and
//    increments (UTC), fired on the clock; EventPattern: the full pattern language.
//  - Targets: SQS queues, Step Functions state machines (StartExecution) and registered in-process
//    functions (arn:aws:lambda:...:function:<name>); Input, InputPath, InputTransformer,
//    RetryPolicy, DeadLetterConfig, SqsParameters.MessageGroupId.
//  - Errors: ValidationException, ResourceNotFoundException, InvalidEventPatternException,
//    LimitExceededException (per-target problems in FailedEntries), UnknownOperationException,
//    SerializationException.
//
// Limitations: no partner event buses or sources, resource policies (PutPermission), archives,
// replays, API destinations, connections, or event buses as targets; tags are not stored; RoleArn is stored, never
// assumed (access control is the edge's --auth).

#include <memory>

#include "sim/aws/events/engine/events_engine.hpp"
#include "sim/core/router.hpp"

namespace sim::aws::events {

class EventsApi {
public:
    EventsApi(EventsEngine& engine, std::uint64_t seed);
    ~EventsApi();
    /// Adds the `X-Amz-Target: AWSEvents.*` route (before any catch-all).
    void Install(core::Router& router);
    void Handle(core::Request request, core::Respond respond);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sim::aws::events
