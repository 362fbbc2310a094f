#pragma once
// Domain types of the Step Functions engine: state machines, executions, history, errors. No wire
// names here (the api layer owns "stateMachineArn", "ExecutionDoesNotExist", ...).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/aws/sfn/asl/definition.hpp"
#include "sim/aws/sfn/asl/execution.hpp"
#include "sim/core/result.hpp"
#include "sim/core/time.hpp"

namespace sim::aws::sfn::engine {

using asl::ExecutionStatus;
using asl::Json;
using core::TimePoint;

enum class MachineType { kStandard, kExpress };

/// Expected failures of engine operations; the api maps each to an AWS error code and status.
enum class SfnErrorCode {
    kInvalidArn,
    kInvalidName,
    kInvalidDefinition,
    kInvalidExecutionInput,
    kInvalidOutput,
    kInvalidToken,
    kStateMachineDoesNotExist,
    kStateMachineAlreadyExists,
    kStateMachineTypeNotSupported,
    kExecutionDoesNotExist,
    kExecutionAlreadyExists,
    kExecutionNotRedrivable,
    kExecutionLimitExceeded,
    kTaskDoesNotExist,
    kResourceNotFound,
    kTooManyTags,
    kValidation,
};

struct SfnError {
    SfnErrorCode code = SfnErrorCode::kValidation;
    std::string message;
};

template <typename T>
using SfnResult = core::Result<T, SfnError>;
using SfnStatus = core::Result<core::Unit, SfnError>;

/// One definition of a machine as executions see it: the text, its parsed tree and the role.
/// Shared between the machine and every execution started from it (executions keep the version
/// they started with when the machine is updated).
struct MachineRevision {
    std::string definition;
    std::shared_ptr<const asl::StateMachine> parsed;
    std::string role_arn;
    std::string revision_id;
};

struct StateMachineInfo {
    std::string arn;
    std::string name;
    MachineType type = MachineType::kStandard;
    std::shared_ptr<const MachineRevision> revision;
    std::string description;
    TimePoint creation_date{};
    std::optional<TimePoint> update_date;
    Json logging_configuration;  ///< as given (object) or null
    Json tracing_configuration;  ///< as given (object) or null
    std::int64_t seq = 0;        ///< creation order
};

/// Everything known about one execution.
struct ExecutionRecord {
    std::string arn;
    std::string state_machine_arn;
    std::string state_machine_name;
    std::string name;
    MachineType type = MachineType::kStandard;
    ExecutionStatus status = ExecutionStatus::kRunning;
    TimePoint start_date{};
    std::optional<TimePoint> stop_date;
    std::string input;                  ///< JSON text as given
    std::optional<std::string> output;  ///< JSON text once SUCCEEDED
    std::string error;
    std::string cause;
    std::string trace_header;
    std::string test_case;  ///< the `#TestCaseName` of a mocked run, empty otherwise
    std::uint64_t seed = 0;
    std::int64_t seq = 0;  ///< start order (newest has the largest)
    std::shared_ptr<const MachineRevision> revision;
    /// Set for a child started by `states:startExecution.sync(:2)`: the parent and its task.
    std::string parent_execution_arn;
    std::uint64_t parent_task_id = 0;
    std::int64_t redrive_count = 0;            ///< successful RedriveExecution calls
    std::optional<TimePoint> redrive_date;     ///< the last one
};

/// A stored history event; `details` is the interpreter's detail object (AWS camelCase fields).
struct StoredEvent {
    std::int64_t id = 0;
    std::int64_t previous_event_id = 0;
    TimePoint timestamp{};
    std::string type;
    Json details;
};

struct CreateStateMachineRequest {
    std::string name;
    std::string definition;
    std::string role_arn;
    MachineType type = MachineType::kStandard;
    std::string region;
    std::string description;
    Json logging_configuration;
    Json tracing_configuration;
    std::map<std::string, std::string> tags;
};

struct UpdateStateMachineRequest {
    std::string arn;
    std::optional<std::string> definition;
    std::optional<std::string> role_arn;
    std::optional<Json> logging_configuration;
    std::optional<Json> tracing_configuration;
};

/// TestState: one state (or `state_name` of a whole machine) run once on `input`.
struct TestStateRequest {
    std::string definition;  ///< a single state's JSON, or a machine's with state_name
    std::string role_arn;
    std::optional<std::string> input;      ///< JSON text; absent means "{}"
    std::optional<std::string> variables;  ///< JSON object text
    std::optional<std::string> state_name;
    std::optional<Json> mock_result;       ///< mock.result, parsed
    std::optional<std::pair<std::string, std::string>> mock_error;  ///< mock.errorOutput (error, cause)
    std::int64_t retrier_retry_count = 0;
    /// TRACE: report the raw HTTP request and response of an http:invoke Task.
    bool trace_http = false;
    std::string region;
};

struct TestStateResult {
    std::string status;  ///< SUCCEEDED, FAILED, RETRIABLE, CAUGHT_ERROR
    std::optional<std::string> output;  ///< JSON text
    std::string error;
    std::string cause;
    std::string next_state;
    /// asl::TestOutcome::inspection, plus "request"/"response" objects for a traced HTTP Task.
    Json inspection = Json::object();
};

struct StartExecutionRequest {
    std::string state_machine_arn;  ///< may end in "#TestCaseName" (mocked integrations)
    std::optional<std::string> name;
    std::optional<std::string> input;  ///< JSON text; absent means "{}"
    std::string trace_header;
};

}  // namespace sim::aws::sfn::engine
