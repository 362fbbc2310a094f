#pragma once
// The ASL interpreter: one execution of a state machine as a resumable, never-blocking state
// machine. Entry point of sim/aws/sfn/asl (definition.hpp parses, this file runs).
//
// Supported
//   States: Pass, Task, Choice, Wait (Seconds, Timestamp, SecondsPath, TimestampPath), Succeed,
//   Fail (Error, Cause, ErrorPath, CausePath incl. intrinsics), Parallel, Map (inline and
//   distributed; ItemProcessor/Iterator, ItemsPath, ItemSelector, legacy Parameters,
//   MaxConcurrency(Path), ToleratedFailureCount/Percentage(Path), ItemReader for S3 objects in
//   JSON, JSONL, CSV and manifest form).
//   Input/output: InputPath, Parameters, ResultSelector, ResultPath, OutputPath (with `null`),
//   payload templates with ".$" keys, the context object `$$`, AWS's JSONPath incl. filters,
//   every intrinsic function, workflow variables (`Assign`, `$name`).
//   Errors: Retry (ErrorEquals, IntervalSeconds, MaxAttempts, BackoffRate, MaxDelaySeconds,
//   JitterStrategy FULL from the seeded generator), Catch (ErrorEquals, ResultPath, Next, Assign),
//   Task TimeoutSeconds/HeartbeatSeconds (+Path), the machine's TimeoutSeconds, and the States.*
//   errors: Timeout, HeartbeatTimeout, TaskFailed (matching), Runtime, DataLimitExceeded (256 KiB),
//   IntrinsicFailure, ResultPathMatchFailure, ParameterPathFailure, NoChoiceMatched,
//   ItemReaderFailed, ExceedToleratedFailureThreshold.
//
// Limitations
//   - JSONata is refused at validation. ItemBatcher and ResultWriter are accepted and ignored
//     (items are not batched; results are returned inline).
//   - A failing Parallel branch or inline Map iteration fails the state with the branch's own
//     error (as AWS does); States.BranchFailed is never raised.
//   - A distributed Map's child workflows run inside this execution (no separate Map Run or child
//     execution histories); failed iterations within the tolerance yield {"Error","Cause"} at
//     their index of the result array.
//   - Assign: `$` is the state's result after ResultSelector (Task, Parallel, Map), the result of
//     a Pass, the effective input of Choice and Wait, the error output in a Catcher. All
//     expressions of one Assign see the variables as they were before it.
//   - Variables are copied into Parallel branches and Map iterations; their assignments do not
//     flow back out.
//
// Host boundary
//   The host (the Step Functions engine) creates an Execution from a parsed StateMachine, calls
//   Start, and then feeds back what happened: TaskSucceeded / TaskFailed / TaskHeartbeat for an
//   InvokeTask, TimerFired for a ScheduleTimer, ItemsRead for a ReadItems, Stop for
//   StopExecution. Every call takes the current time and returns the effects to carry out, in
//   order. Ids are unique within an execution; feedback for an unknown or stale id (a cancelled
//   task, a timer that was cancelled or already handled) is ignored and returns no effects, so a
//   host may deliver timers at least once. The interpreter never reads a clock, never blocks and
//   never throws for bad input.
//   Determinism: the same definition, info, input, seed and sequence of calls (with their times)
//   give the same effects. A host can therefore persist the calls and replay them after a
//   restart to rebuild an execution in flight.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "sim/aws/sfn/asl/definition.hpp"
#include "sim/aws/sfn/asl/errors.hpp"
#include "sim/aws/sfn/asl/json_path.hpp"
#include "sim/core/random.hpp"
#include "sim/core/time.hpp"

namespace sim::aws::sfn::asl {

using core::TimePoint;

/// Payload quota (AWS: 256 KiB for inputs, outputs and task results).
inline constexpr std::size_t kMaxPayloadBytes = 256 * 1024;

/// Who an execution is; becomes the context object's Execution and StateMachine parts.
struct ExecutionInfo {
    std::string execution_arn;
    std::string name;
    std::string role_arn;
    std::string state_machine_arn;
    std::string state_machine_name;
    TimePoint start_time{};
    std::int64_t redrive_count = 0;
};

enum class ExecutionStatus { kRunning, kSucceeded, kFailed, kTimedOut, kAborted };
std::string_view ExecutionStatusName(ExecutionStatus status);  ///< RUNNING, SUCCEEDED, ...

// --- effects: what the host must do ----------------------------------------------------------

/// Run a Task's resource with `parameters`. Answer with TaskSucceeded/TaskFailed (and optionally
/// TaskHeartbeat). The interpreter enforces the timeouts itself through timers; they are given
/// here for hosts that forward them (activities, callbacks).
struct InvokeTask {
    std::uint64_t task_id = 0;
    std::string state_name;
    std::string resource;
    Json parameters;
    std::optional<Json> credentials;
    std::optional<std::int64_t> timeout_seconds;
    std::optional<std::int64_t> heartbeat_seconds;
    std::string task_token;  ///< also in $$.Task.Token, for .waitForTaskToken resources
};
/// The task's result is no longer wanted (timeout, a sibling branch failed, Stop).
struct CancelTask {
    std::uint64_t task_id = 0;
};
/// Call TimerFired(timer_id) once the clock reaches `at` (immediately if already past).
struct ScheduleTimer {
    std::uint64_t timer_id = 0;
    TimePoint at{};
};
/// The timer is no longer wanted (firing it anyway is harmless).
struct CancelTimer {
    std::uint64_t timer_id = 0;
};
/// Fetch the object a distributed Map's ItemReader names and answer ItemsRead with its text.
/// `parameters` is the evaluated ItemReader Parameters (e.g. {"Bucket":...,"Key":...}).
struct ReadItems {
    std::uint64_t read_id = 0;
    std::string state_name;
    std::string resource;
    Json parameters;
    std::string input_type;
};
/// A history event, with AWS's event type names (ExecutionStarted, PassStateEntered,
/// TaskScheduled, MapIterationStarted, ...). `details` holds the fields of the matching
/// *EventDetails shape in AWS's camelCase (name, input, output, resource, error, cause, ...).
struct HistoryEvent {
    std::int64_t id = 0;
    std::int64_t previous_event_id = 0;
    TimePoint timestamp{};
    std::string type;
    Json details;
};
/// The execution has ended; no further effects will follow.
struct ExecutionFinished {
    ExecutionStatus status = ExecutionStatus::kSucceeded;
    std::optional<Json> output;
    std::string error;
    std::string cause;
};

using Effect = std::variant<InvokeTask, CancelTask, ScheduleTimer, CancelTimer, ReadItems, HistoryEvent,
                            ExecutionFinished>;

/// Runs one state on its own (TestState). See "Single-state tests" above.
struct TestOptions {
    std::string state_name;  ///< the state to run (must exist at the top level of the machine)
    Json variables = Json::object();
    /// Attempts already made by the retrier that matches the error (stateConfiguration.retrierRetryCount).
    std::int64_t retrier_retry_count = 0;
    std::optional<Json> mock_result;          ///< the state's raw result instead of running it
    std::optional<RuntimeError> mock_error;   ///< the error the state raises instead of running it
};

struct TestOutcome {
    std::string status;  ///< SUCCEEDED, FAILED, RETRIABLE or CAUGHT_ERROR
    std::optional<Json> output;
    std::string error;
    std::string cause;
    std::string next_state;
    /// input, afterInputPath, afterParameters, result, afterResultSelector, afterResultPath (JSON
    /// values, only those reached), variables (object), errorDetails ({retryIndex,
    /// retryBackoffIntervalSeconds} or {catchIndex}).
    Json inspection = Json::object();
};

struct Frame;

/// One execution. Not thread-safe: owned by the engine's event-loop thread.
class Execution {
public:
    /// `machine` must outlive nothing: it is shared. `seed` drives UUID, MathRandom, jitter and
    /// task tokens.
    Execution(std::shared_ptr<const StateMachine> machine, ExecutionInfo info, Json input, std::uint64_t seed);
    /// A single-state test run (TestState); Start it as any execution. Its ExecutionFinished
    /// follows the state's first transition; test_outcome() then holds the result.
    Execution(std::shared_ptr<const StateMachine> machine, ExecutionInfo info, Json input, std::uint64_t seed,
              TestOptions test);
    ~Execution();
    Execution(const Execution&) = delete;
    Execution& operator=(const Execution&) = delete;

    /// Starts the execution (ExecutionStarted, then runs until it has to wait). Call once.
    std::vector<Effect> Start(TimePoint now);
    /// The task produced `output` (its raw result).
    std::vector<Effect> TaskSucceeded(std::uint64_t task_id, Json output, TimePoint now);
    /// The task failed with `error` (e.g. "Lambda.ServiceException", "States.TaskFailed").
    std::vector<Effect> TaskFailed(std::uint64_t task_id, std::string error, std::string cause, TimePoint now);
    /// The task is alive: restarts its HeartbeatSeconds countdown.
    std::vector<Effect> TaskHeartbeat(std::uint64_t task_id, TimePoint now);
    /// A ScheduleTimer's time has come.
    std::vector<Effect> TimerFired(std::uint64_t timer_id, TimePoint now);
    /// The ItemReader object's text, or the reason it could not be read (raises
    /// States.ItemReaderFailed with that cause).
    std::vector<Effect> ItemsRead(std::uint64_t read_id, core::Result<std::string> text, TimePoint now);
    /// StopExecution: aborts everything in flight (ExecutionAborted).
    std::vector<Effect> Stop(std::string error, std::string cause, TimePoint now);
    /// RedriveExecution: a FAILED, TIMED_OUT or ABORTED execution runs again from the states that
    /// did not succeed (ExecutionRedriven first). Does nothing (no effects) while RUNNING or once
    /// SUCCEEDED.
    std::vector<Effect> Redrive(TimePoint now);
    /// Times Redrive() has been called successfully.
    std::int64_t redrive_count() const;
    /// Set for a TestOptions run once it has finished.
    const std::optional<TestOutcome>& test_outcome() const;

    ExecutionStatus status() const { return status_; }
    /// The output once SUCCEEDED.
    const std::optional<Json>& output() const { return output_; }
    /// Error and cause once FAILED, TIMED_OUT or ABORTED.
    const std::string& error() const { return error_; }
    const std::string& cause() const { return cause_; }
    /// Ids of the tasks currently awaited (for hosts that list or time them out).
    std::vector<std::uint64_t> PendingTasks() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    ExecutionStatus status_ = ExecutionStatus::kRunning;
    std::optional<Json> output_;
    std::string error_;
    std::string cause_;
};

}  // namespace sim::aws::sfn::asl
