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
//
// Limitations: no tags (TagResource and friends answer 404 UnknownOperation), no KMS keys, no
// universal (aws-sdk) targets, EventBridge/ECS/Kinesis/SageMaker target parameters are ignored;
// schedules live in memory (not kept across a restart); lists are one page; ClientToken is
// accepted and not used for idempotency.

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
