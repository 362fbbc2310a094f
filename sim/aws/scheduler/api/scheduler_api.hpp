#pragma once
// EventBridge Scheduler wire protocol (REST-JSON, SigV4 credential scope `scheduler`) over the
// SchedulerEngine.
//
// Supported operations: CreateSchedule, GetSchedule, UpdateSchedule, DeleteSchedule,
// ListSchedules, CreateScheduleGroup, GetScheduleGroup, DeleteScheduleGroup, ListScheduleGroups.
// Expressions at(), rate(), cron() with ScheduleExpressionTimezone (IANA names), StartDate,
// EndDate, State, FlexibleTimeWindow (OFF | FLEXIBLE + MaximumWindowInMinutes),
// ActionAfterCompletion (NONE | DELETE); targets SQS, Step Functions (StartExecution) and
// in-process functions, with Input, RetryPolicy, DeadLetterConfig and SqsParameters.
// Errors: ValidationException (400), ResourceNotFoundException (404), ConflictException (409).
// ListSchedules / ListScheduleGroups page with NextToken and MaxResults (1-1000, default 1000); a
// token this server did not issue is a ValidationException. Schedules and groups are durable
// (events.db); after a restart a recurring schedule continues with its next slot (missed firings
// are skipped) and a one-time schedule missed while down fires once, at start.
//
// Limitations: no tags (TagResource and friends answer 404 UnknownOperation), no KMS keys, no
// universal (aws-sdk) targets, EventBridge/ECS/Kinesis/SageMaker target parameters are ignored;
// ClientToken is accepted and not used for idempotency.

#include <memory>

#include "sim/aws/scheduler/engine/scheduler_engine.hpp"
#include "sim/core/router.hpp"

namespace sim::aws::scheduler {

class SchedulerApi {
public:
    SchedulerApi(SchedulerEngine& engine, std::uint64_t seed);
    ~SchedulerApi();
    /// Adds the credential-scope `scheduler` routes (before S3's catch-all).
    void Install(core::Router& router);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sim::aws::scheduler
