#pragma once
// The Step Functions engine: state machines and their executions, driven by the ASL interpreter
// (sim/aws/sfn/asl) with its effects carried out on the Clock (Wait, retries, timeouts as timers,
// never a thread) and through an Integrations (Task resources, answered later).
//
// Durability. Definitions, executions, their history and the interpreter's feedback log (every
// Start / TaskSucceeded / TimerFired / ... call with its time) are written to SQLite inside
// GroupCommit write scopes. The interpreter is deterministic, so after a restart each RUNNING
// execution is rebuilt by replaying its log, and its pending timers and callback tokens are armed
// again. A finished execution keeps its record and history; a SUCCEEDED one drops its log, an
// unsuccessful one keeps it for the 14-day redrivable period: RedriveExecution replays it to
// rebuild the failed interpreter, then feeds it a Redrive (itself logged, so a redriven execution
// resumes after a restart like any other).
//
// Limitations
//  - A Task that was in flight at a crash is invoked again after the restart (at-least-once),
//    except `.waitForTaskToken` tasks (the token stays valid) and `states:startExecution` tasks
//    (the child execution is found again).
//  - EXPRESS executions live in memory only: no history is kept, they are not listed and do not
//    survive a restart (AWS keeps none of that either; it sends it to CloudWatch Logs).
//  - Versions and aliases are not modelled: a machine has one current definition.
//  - Activities are not supported.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sim/aws/sfn/engine/integrations.hpp"
#include "sim/aws/sfn/engine/mock_config.hpp"
#include "sim/aws/sfn/engine/types.hpp"
#include "sim/clock/clock.hpp"
#include "sim/core/event_loop.hpp"
#include "sim/core/random.hpp"
#include "sim/store/database.hpp"
#include "sim/store/group_commit.hpp"

namespace sim::aws::sfn::engine {

struct EngineOptions {
    std::string account_id = "000000000000";
    std::string default_region = "us-east-1";
    std::uint64_t seed = 1;
    /// Mocked integrations for executions started with `arn#TestCase` (null: none).
    std::shared_ptr<const MockConfig> mocks;
    /// Open executions at most (AWS's quota); beyond it StartExecution and RedriveExecution
    /// answer kExecutionLimitExceeded.
    std::size_t max_open_executions = 1'000'000;
};

class SfnEngine {
public:
    /// `db` must be attached to `group`; all references must outlive the engine. `integrations`
    /// may be null (every integration task then fails with States.Runtime). Creates the schema
    /// if needed, loads the stored machines and executions and resumes the running ones.
    SfnEngine(core::EventLoop& loop, clock::Clock& clock, store::Database& db, store::GroupCommit& group,
              Integrations* integrations, EngineOptions options = {});
    ~SfnEngine();
    SfnEngine(const SfnEngine&) = delete;
    SfnEngine& operator=(const SfnEngine&) = delete;

    const EngineOptions& Options() const { return options_; }

    // --- state machines -------------------------------------------------------------------------
    /// Validates the name and definition (kInvalidDefinition lists every problem). Creating a
    /// machine that exists with the same definition, role and type returns it unchanged;
    /// otherwise kStateMachineAlreadyExists.
    SfnResult<StateMachineInfo> CreateStateMachine(const CreateStateMachineRequest& request);
    SfnResult<StateMachineInfo> DescribeStateMachine(const std::string& arn) const;
    /// Every machine in creation order.
    std::vector<StateMachineInfo> ListStateMachines() const;
    /// New executions use the new definition/role; running ones keep theirs.
    SfnResult<StateMachineInfo> UpdateStateMachine(const UpdateStateMachineRequest& request);
    /// Removes the machine (and its tags). Its executions keep running and stay describable.
    SfnStatus DeleteStateMachine(const std::string& arn);

    // --- executions -----------------------------------------------------------------------------
    /// Starts an execution (STANDARD or EXPRESS). Same name and same input as a RUNNING execution
    /// returns that one; otherwise an existing name is kExecutionAlreadyExists.
    SfnResult<ExecutionRecord> StartExecution(const StartExecutionRequest& request);
    /// EXPRESS only (kStateMachineTypeNotSupported otherwise): runs the execution and calls
    /// `done` with its final record when it ends (possibly before this returns).
    SfnStatus StartSyncExecution(const StartExecutionRequest& request,
                                 std::function<void(const ExecutionRecord&)> done);
    SfnResult<ExecutionRecord> DescribeExecution(const std::string& arn) const;
    /// Executions of a machine, newest first, optionally only those with `status`, starting after
    /// the execution whose seq is `before_seq` (0: from the newest), at most `max` (0: all).
    /// `redriven`: only executions redriven at least once (true) or never (false).
    SfnResult<std::vector<ExecutionRecord>> ListExecutions(const std::string& machine_arn,
                                                           std::optional<ExecutionStatus> status,
                                                           std::int64_t before_seq, std::size_t max,
                                                           std::optional<bool> redriven = std::nullopt) const;
    /// History events in id order (or reverse), after `after_id` (reverse: before it; 0: from
    /// the start/end), at most `max`.
    SfnResult<std::vector<StoredEvent>> GetExecutionHistory(const std::string& arn, bool reverse,
                                                            std::int64_t after_id, std::size_t max) const;
    /// Aborts a RUNNING execution (ExecutionAborted). Stopping a finished one is a no-op that
    /// returns its record.
    SfnResult<ExecutionRecord> StopExecution(const std::string& arn, const std::string& error,
                                             const std::string& cause);
    /// Continues a FAILED, TIMED_OUT or ABORTED STANDARD execution from the states that did not
    /// succeed (asl::Execution::Redrive), same ARN, history appended. kExecutionNotRedrivable
    /// (with AWS's reason) otherwise; kExecutionLimitExceeded over the open-execution quota. The
    /// last 10 `client_token`s of an execution answer the redrive they made for 15 minutes.
    SfnResult<ExecutionRecord> RedriveExecution(const std::string& arn, const std::optional<std::string>& client_token);
    /// Why `record` cannot be redriven now (AWS's redriveStatusReason), or nullopt if it can.
    std::optional<std::string> RedriveBlocker(const ExecutionRecord& record) const;

    // --- TestState ------------------------------------------------------------------------------
    /// Runs one state (Task states through the Integrations, as an execution would) and calls
    /// `done` with its outcome once it has one (never before this returns). Errors in the request
    /// (kInvalidDefinition, kInvalidArn, kInvalidExecutionInput, kValidation) come back through
    /// `done` too.
    void TestState(const TestStateRequest& request, std::function<void(SfnResult<TestStateResult>)> done);

    // --- callbacks ------------------------------------------------------------------------------
    SfnStatus SendTaskSuccess(const std::string& token, const std::string& output);
    SfnStatus SendTaskFailure(const std::string& token, const std::string& error, const std::string& cause);
    SfnStatus SendTaskHeartbeat(const std::string& token);

    // --- tags -----------------------------------------------------------------------------------
    SfnStatus TagResource(const std::string& arn, const std::map<std::string, std::string>& tags);
    SfnStatus UntagResource(const std::string& arn, const std::vector<std::string>& keys);
    SfnResult<std::map<std::string, std::string>> ListTagsForResource(const std::string& arn) const;

    /// Forgets everything (control plane reset): stops timers, deletes every row.
    void Reset();

    /// Number of executions currently RUNNING (in memory).
    std::size_t RunningCount() const { return runs_.size(); }
    /// Runs `done` when the execution `arn` ends (at once if it already has). False if unknown.
    bool OnExecutionFinished(const std::string& arn, std::function<void(const ExecutionRecord&)> done);

    /// "arn:aws:states:<region>:<account>:stateMachine:<name>".
    std::string MachineArn(const std::string& region, const std::string& name) const;

    /// One history event of a running execution, for state spans (DESIGN "Observability").
    struct HistoryNote {
        std::string execution_arn;
        std::string trace_header;  ///< the execution's trace (StartExecution traceHeader or the request's)
        std::string type;          ///< "TaskStateEntered", "PassStateExited", "ExecutionSucceeded", …
        std::string state;         ///< the state's name for *StateEntered / *StateExited, else ""
        TimePoint at;
    };
    /// `listener` sees every history event as it is made (not when a restart replays an execution).
    /// It runs synchronously inside the engine: it must not call the engine.
    void SetHistoryListener(std::function<void(const HistoryNote&)> listener) { history_listener_ = std::move(listener); }

private:
    struct Run;
    struct Feedback;
    struct TestRun;

    void Load();
    SfnResult<std::shared_ptr<const MachineRevision>> Compile(const std::string& definition,
                                                              const std::string& role_arn);
    SfnResult<ExecutionRecord> Begin(const StartExecutionRequest& request, bool sync,
                                      std::function<void(const ExecutionRecord&)> done);
    Run* NewRun(ExecutionRecord* record);
    void Feed(Run& run, Feedback feedback);
    void Process(Run& run, const Feedback& feedback);
    void Apply(Run& run, std::vector<asl::Effect> effects);
    void StartTask(Run& run, const asl::InvokeTask& invoke, bool replaying);
    void StartChild(Run& run, const asl::InvokeTask& invoke);
    void ArmTimer(Run& run, std::uint64_t timer_id, TimePoint at);
    void Finished(Run& run, const asl::ExecutionFinished& finished);
    Run* Resume(ExecutionRecord* record, const std::vector<Feedback>& log);
    std::vector<Feedback> LoadFeedback(const std::string& arn);
    void FinishReplayed(Run* run);
    void ApplyTest(std::uint64_t key, std::vector<asl::Effect> effects);
    void CancelTestTimers(TestRun& run);
    void KeepLog(TimePoint stopped, const std::string& arn);
    SfnResult<std::shared_ptr<const asl::StateMachine>> TestMachine(const TestStateRequest& request,
                                                                    std::string& state_name) const;
    void Rearm(Run* run);
    void WatchChild(std::uint64_t key, std::uint64_t id, const std::string& child_arn, bool json_io);
    void DeliverTask(std::uint64_t run_key, std::uint64_t task_id, TaskOutcome outcome);
    void SaveExecution(const ExecutionRecord& record);
    void SaveMachine(const StateMachineInfo& info);
    void WriteFeedback(Run& run, const Feedback& feedback);
    SfnResult<Run*> RunForToken(const std::string& token);
    Json ChildOutput(const ExecutionRecord& child, bool json_io) const;

    core::EventLoop& loop_;
    clock::Clock& clock_;
    store::Database& db_;
    store::GroupCommit& group_;
    Integrations* integrations_;
    EngineOptions options_;
    core::IdGenerator ids_;

    std::map<std::string, StateMachineInfo> machines_;  // by ARN
    std::map<std::string, std::map<std::string, std::string>> tags_;
    std::unordered_map<std::string, std::unique_ptr<ExecutionRecord>> executions_;  // by ARN
    std::map<std::string, std::map<std::int64_t, ExecutionRecord*>> by_machine_;     // machine ARN -> seq -> record
    std::unordered_map<std::uint64_t, std::unique_ptr<Run>> runs_;                   // live executions by key
    std::unordered_map<std::string, std::uint64_t> run_by_arn_;
    std::unordered_map<std::string, std::pair<std::uint64_t, std::uint64_t>> tokens_;  // token -> run key, task id
    std::int64_t next_machine_seq_ = 1;
    std::int64_t next_execution_seq_ = 1;
    std::uint64_t next_run_key_ = 1;
    bool dispatching_ = false;
    std::deque<std::pair<std::uint64_t, std::unique_ptr<Feedback>>> pending_;
    std::vector<std::unique_ptr<Run>> finished_runs_;
    std::function<void(const HistoryNote&)> history_listener_;
    struct RedriveToken {
        std::string token;
        TimePoint first_used{};
    };
    std::unordered_map<std::string, std::deque<RedriveToken>> redrive_tokens_;  // execution ARN -> last 10
    std::unordered_map<std::uint64_t, std::unique_ptr<TestRun>> test_runs_;
    /// Unsuccessful executions whose feedback log is kept for redrive, by stop time (oldest first).
    std::deque<std::pair<TimePoint, std::string>> kept_logs_;
    std::uint64_t next_test_key_ = 1;
};

}  // namespace sim::aws::sfn::engine
