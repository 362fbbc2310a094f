#include <gtest/gtest.h>

#include <filesystem>

#include "sim/aws/sfn/engine/engine.hpp"
#include "sim/aws/sfn/engine/transport_integrations.hpp"
#include "sim/clock/virtual_clock.hpp"
#include "sim/core/manual_loop.hpp"

namespace sim::aws::sfn::engine {
namespace {

const TimePoint kT0 = core::FromEpochMillis(1'798'761'600'000);  // 2027-01-01

/// Records every invocation; the test answers them.
class FakeIntegrations final : public Integrations {
public:
    struct Call {
        TaskRequest request;
        TaskCallback done;
    };
    void Invoke(const TaskRequest& request, TaskCallback done) override { calls.push_back({request, std::move(done)}); }
    void Cancel(const std::string&, std::uint64_t task_id) override { cancelled.push_back(task_id); }
    void ReadItems(const ItemsRequest&, std::function<void(core::Result<std::string>)> done) override {
        done(std::string("[1,2,3]"));
    }
    std::vector<Call> calls;
    std::vector<std::uint64_t> cancelled;
};

struct Harness {
    explicit Harness(std::string path = ":memory:", TimePoint start = kT0) : clock(loop, start), group(loop) {
        db = std::move(store::Database::Open(path)).value();
        group.Attach(*db);
        Open();
    }
    ~Harness() {
        engine.reset();
        group.Flush();
        group.Detach(*db);
    }
    void Open(EngineOptions options = {}) {
        engine.reset();
        engine = std::make_unique<SfnEngine>(loop, clock, *db, group, &integrations, std::move(options));
    }
    std::string Create(const std::string& name, const std::string& definition,
                       MachineType type = MachineType::kStandard) {
        CreateStateMachineRequest r;
        r.name = name;
        r.definition = definition;
        r.role_arn = "arn:aws:iam::000000000000:role/sfn";
        r.type = type;
        auto m = engine->CreateStateMachine(r);
        EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
        return m.ok() ? m->arn : "";
    }
    ExecutionRecord Start(const std::string& machine, const std::string& input = "{}",
                          std::optional<std::string> name = std::nullopt) {
        StartExecutionRequest r;
        r.state_machine_arn = machine;
        r.input = input;
        r.name = std::move(name);
        auto e = engine->StartExecution(r);
        EXPECT_TRUE(e.ok()) << (e.ok() ? "" : e.error().message);
        clock.RunToQuiescence();
        return e.ok() ? *e : ExecutionRecord{};
    }
    ExecutionRecord Describe(const std::string& arn) { return engine->DescribeExecution(arn).value(); }
    std::vector<std::string> EventTypes(const std::string& arn) {
        std::vector<std::string> out;
        auto history = engine->GetExecutionHistory(arn, false, 0, 0).value();
        for (const auto& e : history) out.push_back(e.type);
        return out;
    }

    core::ManualLoop loop;
    clock::VirtualClock clock;
    std::unique_ptr<store::Database> db;
    store::GroupCommit group;
    FakeIntegrations integrations;
    std::unique_ptr<SfnEngine> engine;
};

const char* kPassChain = R"({"StartAt":"A","States":{
  "A":{"Type":"Pass","Result":{"n":1},"Next":"B"},
  "B":{"Type":"Pass","ResultPath":"$.b","Result":2,"Next":"C"},
  "C":{"Type":"Pass","End":true}}})";
const char* kWaitHour = R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"Next":"D"},
  "D":{"Type":"Pass","Result":"done","End":true}}})";
const char* kTask = R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
  "Parameters":{"FunctionName":"f","Payload.$":"$"},"End":true}}})";
const char* kCallback = R"({"StartAt":"T","States":{"T":{"Type":"Task",
  "Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
  "Parameters":{"QueueUrl":"q","MessageBody":{"token.$":"$$.Task.Token"}},"End":true}}})";

TEST(SfnEngine, PassChainSucceedsAndKeepsItsHistory) {
    Harness h;
    auto arn = h.Create("chain", kPassChain);
    auto e = h.Start(arn, R"({"x":1})");
    auto d = h.Describe(e.arn);
    EXPECT_EQ(d.status, ExecutionStatus::kSucceeded);
    EXPECT_EQ(Json::parse(*d.output), Json::parse(R"({"n":1,"b":2})"));
    EXPECT_EQ(h.EventTypes(e.arn),
              (std::vector<std::string>{"ExecutionStarted", "PassStateEntered", "PassStateExited", "PassStateEntered",
                                        "PassStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"}));
    auto reverse = h.engine->GetExecutionHistory(e.arn, true, 0, 2).value();
    ASSERT_EQ(reverse.size(), 2u);
    EXPECT_EQ(reverse[0].id, 8);
    EXPECT_EQ(reverse[1].previous_event_id, 6);
    auto page = h.engine->GetExecutionHistory(e.arn, false, 3, 2).value();
    ASSERT_EQ(page.size(), 2u);
    EXPECT_EQ(page[0].id, 4);
}

TEST(SfnEngine, InvalidDefinitionListsEveryProblem) {
    Harness h;
    CreateStateMachineRequest r;
    r.name = "bad";
    r.role_arn = "arn:aws:iam::000000000000:role/sfn";
    r.definition = R"({"StartAt":"Nope","States":{"A":{"Type":"Pass","Next":"Missing"}}})";
    auto m = h.engine->CreateStateMachine(r);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().code, SfnErrorCode::kInvalidDefinition);
    EXPECT_NE(m.error().message.find("Nope"), std::string::npos);
    EXPECT_NE(m.error().message.find("Missing"), std::string::npos);
    r.name = "bad name";
    EXPECT_EQ(h.engine->CreateStateMachine(r).error().code, SfnErrorCode::kInvalidName);
}

TEST(SfnEngine, WaitParksOnTheClockAndFinishesWhenTimeAdvances) {
    Harness h;
    auto arn = h.Create("wait", kWaitHour);
    auto e = h.Start(arn);
    EXPECT_EQ(h.Describe(e.arn).status, ExecutionStatus::kRunning);
    h.clock.Advance(std::chrono::minutes(59));
    EXPECT_EQ(h.Describe(e.arn).status, ExecutionStatus::kRunning);
    h.clock.Advance(std::chrono::minutes(1));
    auto d = h.Describe(e.arn);
    EXPECT_EQ(d.status, ExecutionStatus::kSucceeded);
    EXPECT_EQ(*d.stop_date, kT0 + std::chrono::hours(1));
    EXPECT_EQ(h.engine->RunningCount(), 0u);
}

TEST(SfnEngine, HistoryListenerSeesEachStateEnteredAndExitedOnTheClock) {
    Harness h;
    std::vector<SfnEngine::HistoryNote> notes;
    h.engine->SetHistoryListener([&](const SfnEngine::HistoryNote& n) { notes.push_back(n); });
    auto arn = h.Create("wait", kWaitHour);
    StartExecutionRequest r;
    r.state_machine_arn = arn;
    r.input = "{}";
    r.trace_header = "trace-1";
    auto e = h.engine->StartExecution(r).value();
    h.clock.RunToQuiescence();
    h.clock.Advance(std::chrono::hours(1));
    std::vector<std::string> seen;
    for (const auto& n : notes) {
        seen.push_back(n.type + ":" + n.state);
        EXPECT_EQ(n.execution_arn, e.arn);
        EXPECT_EQ(n.trace_header, "trace-1");
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"ExecutionStarted:", "WaitStateEntered:W", "WaitStateExited:W",
                                              "PassStateEntered:D", "PassStateExited:D", "ExecutionSucceeded:"}));
    EXPECT_EQ(notes[2].at - notes[1].at, std::chrono::hours(1));
}

TEST(SfnEngine, TaskResultArrivesLaterThroughTheIntegration) {
    Harness h;
    auto arn = h.Create("task", kTask);
    auto e = h.Start(arn, R"({"v":7})");
    ASSERT_EQ(h.integrations.calls.size(), 1u);
    EXPECT_EQ(h.integrations.calls[0].request.parameters["Payload"], Json::parse(R"({"v":7})"));
    EXPECT_EQ(h.integrations.calls[0].request.region, "us-east-1");
    h.integrations.calls[0].done(Json{{"ok", true}});
    EXPECT_EQ(h.Describe(e.arn).status, ExecutionStatus::kSucceeded);
    EXPECT_EQ(Json::parse(*h.Describe(e.arn).output), Json::parse(R"({"ok":true})"));
}

TEST(SfnEngine, TaskFailureFailsTheExecution) {
    Harness h;
    auto arn = h.Create("task", kTask);
    auto e = h.Start(arn);
    h.integrations.calls[0].done(core::Fail(TaskFailure{"Lambda.Boom", "it broke"}));
    auto d = h.Describe(e.arn);
    EXPECT_EQ(d.status, ExecutionStatus::kFailed);
    EXPECT_EQ(d.error, "Lambda.Boom");
    EXPECT_EQ(d.cause, "it broke");
}

TEST(SfnEngine, WaitForTaskTokenEndsWithSendTaskSuccess) {
    Harness h;
    auto arn = h.Create("cb", kCallback);
    auto e = h.Start(arn);
    ASSERT_EQ(h.integrations.calls.size(), 1u);
    EXPECT_EQ(h.integrations.calls[0].request.resource, "arn:aws:states:::sqs:sendMessage");
    std::string token = h.integrations.calls[0].request.parameters["MessageBody"]["token"];
    h.integrations.calls[0].done(Json{{"MessageId", "m"}});  // the send itself does not end the task
    EXPECT_EQ(h.Describe(e.arn).status, ExecutionStatus::kRunning);
    EXPECT_TRUE(h.engine->SendTaskHeartbeat(token).ok());
    EXPECT_TRUE(h.engine->SendTaskSuccess(token, R"({"answer":42})").ok());
    EXPECT_EQ(Json::parse(*h.Describe(e.arn).output), Json::parse(R"({"answer":42})"));
    EXPECT_EQ(h.engine->SendTaskSuccess(token, "{}").error().code, SfnErrorCode::kTaskDoesNotExist);
    EXPECT_EQ(h.engine->SendTaskSuccess("nope", "{}").error().code, SfnErrorCode::kInvalidToken);
}

TEST(SfnEngine, SendTaskFailureFailsWithTheGivenError) {
    Harness h;
    auto arn = h.Create("cb", kCallback);
    auto e = h.Start(arn);
    std::string token = h.integrations.calls[0].request.task_token;
    EXPECT_TRUE(h.engine->SendTaskFailure(token, "Custom.Error", "because").ok());
    auto d = h.Describe(e.arn);
    EXPECT_EQ(d.status, ExecutionStatus::kFailed);
    EXPECT_EQ(d.error, "Custom.Error");
}

TEST(SfnEngine, SameNameAndInputIsIdempotentWhileRunning) {
    Harness h;
    auto arn = h.Create("wait", kWaitHour);
    auto a = h.Start(arn, R"({"k":1})", "run-1");
    StartExecutionRequest again;
    again.state_machine_arn = arn;
    again.name = "run-1";
    again.input = R"({"k":1})";
    auto b = h.engine->StartExecution(again);
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->arn, a.arn);
    again.input = R"({"k":2})";
    EXPECT_EQ(h.engine->StartExecution(again).error().code, SfnErrorCode::kExecutionAlreadyExists);
    h.clock.Advance(std::chrono::hours(1));
    again.input = R"({"k":1})";
    EXPECT_EQ(h.engine->StartExecution(again).error().code, SfnErrorCode::kExecutionAlreadyExists);
}

TEST(SfnEngine, StopAbortsAndCancelsTheTask) {
    Harness h;
    auto arn = h.Create("task", kTask);
    auto e = h.Start(arn);
    auto stopped = h.engine->StopExecution(e.arn, "Halt", "operator");
    ASSERT_TRUE(stopped.ok());
    EXPECT_EQ(stopped->status, ExecutionStatus::kAborted);
    EXPECT_EQ(h.integrations.cancelled.size(), 1u);
    h.integrations.calls[0].done(Json::object());  // a late answer is ignored
    h.clock.RunToQuiescence();
    EXPECT_EQ(h.Describe(e.arn).status, ExecutionStatus::kAborted);
    EXPECT_EQ(h.EventTypes(e.arn).back(), "ExecutionAborted");
}

TEST(SfnEngine, ListExecutionsNewestFirstWithStatusFilterAndPaging) {
    Harness h;
    auto arn = h.Create("wait", kWaitHour);
    auto chain = h.Create("chain", kPassChain);
    std::vector<std::string> arns;
    for (int i = 0; i < 5; ++i) arns.push_back(h.Start(arn, "{}", "e" + std::to_string(i)).arn);
    h.Start(chain);
    auto all = h.engine->ListExecutions(arn, std::nullopt, 0, 0).value();
    ASSERT_EQ(all.size(), 5u);
    EXPECT_EQ(all[0].arn, arns[4]);
    auto page = h.engine->ListExecutions(arn, std::nullopt, all[1].seq, 2).value();
    ASSERT_EQ(page.size(), 2u);
    EXPECT_EQ(page[0].arn, arns[2]);
    h.engine->StopExecution(arns[0], "", "").value();
    EXPECT_EQ(h.engine->ListExecutions(arn, ExecutionStatus::kAborted, 0, 0).value().size(), 1u);
    EXPECT_EQ(h.engine->ListExecutions(arn + "x", std::nullopt, 0, 0).error().code,
              SfnErrorCode::kStateMachineDoesNotExist);
}

TEST(SfnEngine, RunningExecutionsResumeAfterRestartByReplay) {
    auto path = std::filesystem::temp_directory_path() / ("sfn_engine_test_" + std::to_string(::getpid()) + ".db");
    std::filesystem::remove(path);
    std::string arn, exec_arn, token_exec, token;
    {
        Harness h(path.string());
        arn = h.Create("wait", R"({"StartAt":"P","States":{"P":{"Type":"Pass","Next":"W"},
            "W":{"Type":"Wait","Seconds":3600,"Next":"T"},
            "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
                 "Parameters":{"FunctionName":"f","Payload":{"t.$":"$$.Task.Token"}},"End":true}}})");
        exec_arn = h.Start(arn, R"({"in":1})").arn;
        h.clock.Advance(std::chrono::minutes(10));
        h.group.Flush();
    }
    {
        Harness h(path.string(), kT0 + std::chrono::minutes(10));
        EXPECT_EQ(h.engine->RunningCount(), 1u);
        EXPECT_EQ(h.Describe(exec_arn).status, ExecutionStatus::kRunning);
        h.clock.Advance(std::chrono::minutes(50));
        ASSERT_EQ(h.integrations.calls.size(), 1u);
        token = h.integrations.calls[0].request.task_token;
        h.group.Flush();
    }
    {
        // A second restart inside the callback: the token is valid again, nothing is re-sent.
        Harness h(path.string(), kT0 + std::chrono::hours(1));
        EXPECT_TRUE(h.integrations.calls.empty());
        ASSERT_TRUE(h.engine->SendTaskSuccess(token, R"({"r":1})").ok());
        auto d = h.Describe(exec_arn);
        EXPECT_EQ(d.status, ExecutionStatus::kSucceeded);
        auto types = h.EventTypes(exec_arn);
        EXPECT_EQ(types.front(), "ExecutionStarted");
        EXPECT_EQ(types.back(), "ExecutionSucceeded");
        auto history = h.engine->GetExecutionHistory(exec_arn, false, 0, 0).value();
        for (std::size_t i = 0; i < history.size(); ++i) EXPECT_EQ(history[i].id, static_cast<std::int64_t>(i + 1));
        h.group.Flush();
    }
    std::filesystem::remove(path);
    std::filesystem::remove(path.string() + "-wal");
    std::filesystem::remove(path.string() + "-shm");
}

TEST(SfnEngine, RedriveContinuesFromTheFailedStateAcrossRestarts) {
    auto path = std::filesystem::temp_directory_path() / ("sfn_redrive_test_" + std::to_string(::getpid()) + ".db");
    std::filesystem::remove(path);
    const char* definition = R"({"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"n":1},"Next":"T1"},
        "T1":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"step":1},"ResultPath":"$.t1","Next":"W"},
        "W":{"Type":"Wait","Seconds":3600,"Next":"T2"},
        "T2":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"step":2},"ResultPath":"$.t2","End":true}}})";
    std::string exec_arn;
    {
        Harness h(path.string());
        auto arn = h.Create("redrive", definition);
        exec_arn = h.Start(arn).arn;
        ASSERT_EQ(h.integrations.calls.size(), 1u);
        h.integrations.calls[0].done(core::Fail(TaskFailure{"Lambda.ServiceException", "down"}));
        auto d = h.Describe(exec_arn);
        EXPECT_EQ(d.status, ExecutionStatus::kFailed);
        EXPECT_EQ(d.redrive_count, 0);
        EXPECT_FALSE(h.engine->RedriveBlocker(d).has_value());
        h.group.Flush();
    }
    {
        // After a restart: the redrive re-runs T1 only, then parks in the Wait.
        Harness h(path.string(), kT0 + std::chrono::minutes(5));
        auto r = h.engine->RedriveExecution(exec_arn, std::nullopt);
        ASSERT_TRUE(r.ok()) << r.error().message;
        EXPECT_EQ(r->redrive_count, 1);
        EXPECT_EQ(*r->redrive_date, kT0 + std::chrono::minutes(5));
        h.clock.RunToQuiescence();
        ASSERT_EQ(h.integrations.calls.size(), 1u);
        EXPECT_EQ(h.integrations.calls[0].request.parameters["step"], 1);
        h.integrations.calls[0].done(Json("one"));
        auto d = h.Describe(exec_arn);
        EXPECT_EQ(d.status, ExecutionStatus::kRunning);
        EXPECT_FALSE(d.stop_date.has_value());
        EXPECT_EQ(h.engine->RedriveBlocker(d), "Execution is RUNNING and cannot be redriven");
        EXPECT_EQ(h.engine->RedriveExecution(exec_arn, std::nullopt).error().code, SfnErrorCode::kExecutionNotRedrivable);
        h.group.Flush();
    }
    {
        // A restart inside the redriven execution's Wait; T2 fails; a second redrive runs T2 only.
        Harness h(path.string(), kT0 + std::chrono::minutes(10));
        EXPECT_EQ(h.engine->RunningCount(), 1u);
        h.clock.Advance(std::chrono::hours(1));
        ASSERT_EQ(h.integrations.calls.size(), 1u);
        EXPECT_EQ(h.integrations.calls[0].request.parameters["step"], 2);
        h.integrations.calls[0].done(core::Fail(TaskFailure{"Lambda.ServiceException", "down again"}));
        EXPECT_EQ(h.Describe(exec_arn).status, ExecutionStatus::kFailed);
        ASSERT_TRUE(h.engine->RedriveExecution(exec_arn, std::nullopt).ok());
        h.clock.RunToQuiescence();
        ASSERT_EQ(h.integrations.calls.size(), 2u);
        EXPECT_EQ(h.integrations.calls[1].request.parameters["step"], 2);
        h.integrations.calls[1].done(Json("two"));
        auto d = h.Describe(exec_arn);
        EXPECT_EQ(d.status, ExecutionStatus::kSucceeded);
        EXPECT_EQ(d.redrive_count, 2);
        EXPECT_EQ(Json::parse(*d.output), Json::parse(R"({"n":1,"t1":"one","t2":"two"})"));
        EXPECT_EQ(h.engine->RedriveBlocker(d), "Execution is SUCCEEDED and cannot be redriven");
        auto types = h.EventTypes(exec_arn);
        EXPECT_EQ(std::count(types.begin(), types.end(), "ExecutionRedriven"), 2);
        EXPECT_EQ(std::count(types.begin(), types.end(), "PassStateEntered"), 1);
        auto history = h.engine->GetExecutionHistory(exec_arn, false, 0, 0).value();
        for (std::size_t i = 0; i < history.size(); ++i) EXPECT_EQ(history[i].id, static_cast<std::int64_t>(i + 1));
        auto redriven = std::find_if(history.begin(), history.end(), [](const auto& e) { return e.type == "ExecutionRedriven"; });
        EXPECT_EQ(redriven->details["redriveCount"], 1);
        EXPECT_EQ(redriven->previous_event_id, redriven->id - 1);
        h.group.Flush();
    }
    std::filesystem::remove(path);
    std::filesystem::remove(path.string() + "-wal");
    std::filesystem::remove(path.string() + "-shm");
}

TEST(SfnEngine, RedriveRefusesWhatAwsRefusesAndHonoursClientTokens) {
    Harness h;
    auto arn = h.Create("task", kTask);
    auto e = h.Start(arn);
    EXPECT_EQ(h.engine->RedriveExecution(e.arn, std::nullopt).error().code, SfnErrorCode::kExecutionNotRedrivable);
    h.integrations.calls[0].done(core::Fail(TaskFailure{"E", "c"}));
    EXPECT_EQ(h.engine->RedriveExecution("nope", std::nullopt).error().code, SfnErrorCode::kInvalidArn);
    EXPECT_EQ(h.engine->RedriveExecution(e.arn + "x", std::nullopt).error().code, SfnErrorCode::kExecutionDoesNotExist);
    // The same client token answers the first redrive again instead of redriving twice.
    auto first = h.engine->RedriveExecution(e.arn, std::string("token-1"));
    ASSERT_TRUE(first.ok());
    h.clock.RunToQuiescence();
    h.integrations.calls[1].done(core::Fail(TaskFailure{"E", "c"}));
    h.clock.Advance(std::chrono::minutes(1));
    auto again = h.engine->RedriveExecution(e.arn, std::string("token-1"));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->redrive_count, 1);
    EXPECT_EQ(h.Describe(e.arn).status, ExecutionStatus::kFailed);
    // Filters: redriven or not.
    auto other = h.Start(arn);
    h.integrations.calls[2].done(Json("ok"));
    auto redriven = h.engine->ListExecutions(arn, std::nullopt, 0, 0, true).value();
    ASSERT_EQ(redriven.size(), 1u);
    EXPECT_EQ(redriven[0].arn, e.arn);
    auto not_redriven = h.engine->ListExecutions(arn, std::nullopt, 0, 0, false).value();
    ASSERT_EQ(not_redriven.size(), 1u);
    EXPECT_EQ(not_redriven[0].arn, other.arn);
    // Fourteen days after the stop the execution is no longer redrivable.
    h.clock.Advance(std::chrono::hours(24 * 14) + std::chrono::minutes(1));
    EXPECT_EQ(h.engine->RedriveBlocker(h.Describe(e.arn)), "Execution redrivable period exceeded");
    auto late = h.engine->RedriveExecution(e.arn, std::nullopt);
    ASSERT_FALSE(late.ok());
    EXPECT_EQ(late.error().code, SfnErrorCode::kExecutionNotRedrivable);
    EXPECT_NE(late.error().message.find("redrivable period"), std::string::npos);
    // Its kept log is dropped once a later execution ends unsuccessfully.
    auto rows = [&](const std::string& execution) {
        auto& st = h.db->Prepare("SELECT COUNT(*) FROM sfn_feedback WHERE execution_arn = ?1");
        st.BindAll(execution);
        std::int64_t n = st.Step() ? st.Int64(0) : -1;
        st.Reset();
        return n;
    };
    EXPECT_GT(rows(e.arn), 0);
    auto later = h.Start(arn);
    h.integrations.calls.back().done(core::Fail(TaskFailure{"E", "c"}));
    EXPECT_EQ(rows(e.arn), 0);
    EXPECT_GT(rows(later.arn), 0);
}

TEST(SfnEngine, OpenExecutionQuotaIsExecutionLimitExceeded) {
    Harness h;
    EngineOptions options;
    options.max_open_executions = 1;
    h.Open(options);
    auto arn = h.Create("wait", kWaitHour);
    h.Start(arn);
    StartExecutionRequest r;
    r.state_machine_arn = arn;
    auto second = h.engine->StartExecution(r);
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error().code, SfnErrorCode::kExecutionLimitExceeded);
}

/// Runs TestState and the loop until it answers.
SfnResult<TestStateResult> RunTest(Harness& h, TestStateRequest r, std::function<void()> answer = nullptr) {
    std::optional<SfnResult<TestStateResult>> out;
    h.engine->TestState(r, [&](SfnResult<TestStateResult> result) { out = std::move(result); });
    EXPECT_FALSE(out.has_value());  // never answered inside the call
    h.clock.RunToQuiescence();
    if (answer) answer();
    h.clock.RunToQuiescence();
    EXPECT_TRUE(out.has_value());
    return out ? std::move(*out) : SfnResult<TestStateResult>(core::Fail(SfnError{}));
}

TEST(SfnEngine, TestStateRunsOneTaskThroughTheIntegrationWithInspectionData) {
    Harness h;
    TestStateRequest r;
    r.definition = R"({"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","InputPath":"$.in",
        "Parameters":{"FunctionName":"f","Payload.$":"$"},"ResultSelector":{"p.$":"$.Payload"},
        "ResultPath":"$.res","Next":"After",
        "Retry":[{"ErrorEquals":["Lambda.TooManyRequestsException"],"MaxAttempts":2,"IntervalSeconds":3}],
        "Catch":[{"ErrorEquals":["States.ALL"],"Next":"Handler"}]})";
    r.role_arn = "arn:aws:iam::000000000000:role/sfn";
    r.input = R"({"in":{"v":1}})";
    auto ok = RunTest(h, r, [&] {
        ASSERT_EQ(h.integrations.calls.size(), 1u);
        EXPECT_EQ(h.integrations.calls[0].request.parameters["Payload"], Json::parse(R"({"v":1})"));
        h.integrations.calls[0].done(Json{{"Payload", 42}});
    });
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    EXPECT_EQ(ok->status, "SUCCEEDED");
    EXPECT_EQ(ok->next_state, "After");
    EXPECT_EQ(Json::parse(*ok->output), Json::parse(R"({"in":{"v":1},"res":{"p":42}})"));
    EXPECT_EQ(ok->inspection["input"], Json::parse(R"({"in":{"v":1}})"));
    EXPECT_EQ(ok->inspection["afterInputPath"], Json::parse(R"({"v":1})"));
    EXPECT_EQ(ok->inspection["afterParameters"], Json::parse(R"({"FunctionName":"f","Payload":{"v":1}})"));
    EXPECT_EQ(ok->inspection["result"], Json::parse(R"({"Payload":42})"));
    EXPECT_EQ(ok->inspection["afterResultSelector"], Json::parse(R"({"p":42})"));
    EXPECT_EQ(ok->inspection["afterResultPath"], Json::parse(R"({"in":{"v":1},"res":{"p":42}})"));

    // A retriable error: RETRIABLE with the retrier's index and backoff.
    auto retriable = RunTest(h, r, [&] {
        h.integrations.calls.back().done(core::Fail(TaskFailure{"Lambda.TooManyRequestsException", "slow down"}));
    });
    ASSERT_TRUE(retriable.ok());
    EXPECT_EQ(retriable->status, "RETRIABLE");
    EXPECT_EQ(retriable->error, "Lambda.TooManyRequestsException");
    EXPECT_EQ(retriable->inspection["errorDetails"], Json::parse(R"({"retryIndex":0,"retryBackoffIntervalSeconds":3})"));

    // With the retrier's attempts used up (a mocked error), the catcher takes it.
    r.retrier_retry_count = 2;
    r.mock_error = std::make_pair(std::string("Lambda.TooManyRequestsException"), std::string("still"));
    auto caught = RunTest(h, r);
    ASSERT_TRUE(caught.ok());
    EXPECT_EQ(caught->status, "CAUGHT_ERROR");
    EXPECT_EQ(caught->next_state, "Handler");
    EXPECT_EQ(caught->inspection["errorDetails"], Json::parse(R"({"catchIndex":0})"));
    EXPECT_EQ(Json::parse(*caught->output), Json::parse(R"({"Error":"Lambda.TooManyRequestsException","Cause":"still"})"));
}

TEST(SfnEngine, TestStateCoversOtherStateTypesAndRejectsWhatAwsRejects) {
    Harness h;
    TestStateRequest choice;
    choice.definition = R"({"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":1,"Next":"Big"}],
        "Default":"Small"})";
    choice.input = R"({"n":5})";
    auto c = RunTest(h, choice);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->status, "SUCCEEDED");
    EXPECT_EQ(c->next_state, "Big");

    TestStateRequest fail;
    fail.definition = R"({"Type":"Fail","Error":"E.Bad","Cause":"no"})";
    auto f = RunTest(h, fail);
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(f->status, "FAILED");
    EXPECT_EQ(f->error, "E.Bad");

    TestStateRequest wait;  // a tested Wait state does not wait
    wait.definition = R"({"Type":"Wait","Seconds":86400,"End":true})";
    auto w = RunTest(h, wait);
    ASSERT_TRUE(w.ok());
    EXPECT_EQ(w->status, "SUCCEEDED");
    EXPECT_TRUE(w->next_state.empty());

    TestStateRequest pass;  // a state of a whole machine, with variables
    pass.definition = R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},
        "B":{"Type":"Pass","Parameters":{"who.$":"$who"},"Assign":{"seen":true},"End":true}}})";
    pass.state_name = "B";
    pass.variables = R"({"who":"alice"})";
    auto p = RunTest(h, pass);
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(Json::parse(*p->output), Json::parse(R"({"who":"alice"})"));
    EXPECT_EQ(p->inspection["variables"], Json::parse(R"({"who":"alice","seen":true})"));

    TestStateRequest map;
    map.definition = R"({"Type":"Map","ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Pass","End":true}}},"End":true})";
    map.input = "[1,2]";
    EXPECT_EQ(RunTest(h, map).error().code, SfnErrorCode::kValidation);
    map.mock_result = Json::parse("[10,20]");
    auto m = RunTest(h, map);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(Json::parse(*m->output), Json::parse("[10,20]"));

    TestStateRequest bad;
    bad.definition = R"({"Type":"Pass"})";
    EXPECT_EQ(RunTest(h, bad).error().code, SfnErrorCode::kInvalidDefinition);
    bad.definition = R"({"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","End":true})";
    EXPECT_EQ(RunTest(h, bad).error().code, SfnErrorCode::kValidation);
    bad.definition = R"({"Type":"Pass","End":true})";
    bad.mock_result = Json(1);
    EXPECT_EQ(RunTest(h, bad).error().code, SfnErrorCode::kValidation);
    bad.mock_result.reset();
    bad.input = "{not json";
    EXPECT_EQ(RunTest(h, bad).error().code, SfnErrorCode::kInvalidExecutionInput);
    bad.input.reset();
    bad.role_arn = "role";
    EXPECT_EQ(RunTest(h, bad).error().code, SfnErrorCode::kInvalidArn);
}

TEST(SfnEngine, ExpressSyncExecutionAnswersWhenDone) {
    Harness h;
    auto arn = h.Create("fast", kPassChain, MachineType::kExpress);
    StartExecutionRequest r;
    r.state_machine_arn = arn;
    std::optional<ExecutionRecord> result;
    ASSERT_TRUE(h.engine->StartSyncExecution(r, [&](const ExecutionRecord& e) { result = e; }).ok());
    h.clock.RunToQuiescence();
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, ExecutionStatus::kSucceeded);
    EXPECT_NE(result->arn.find(":express:fast:"), std::string::npos);
    auto standard = h.Create("std", kPassChain);
    r.state_machine_arn = standard;
    EXPECT_EQ(h.engine->StartSyncExecution(r, [](const ExecutionRecord&) {}).error().code,
              SfnErrorCode::kStateMachineTypeNotSupported);
}

TEST(SfnEngine, StartExecutionSyncWaitsForTheChild) {
    Harness h;
    auto child = h.Create("child", kWaitHour);
    auto parent = h.Create("parent", std::string(R"({"StartAt":"S","States":{"S":{"Type":"Task",
        "Resource":"arn:aws:states:::states:startExecution.sync:2",
        "Parameters":{"StateMachineArn":")") + child + R"(","Input":{"from":"parent"}},"End":true}}})");
    auto e = h.Start(parent);
    auto children = h.engine->ListExecutions(child, std::nullopt, 0, 0).value();
    ASSERT_EQ(children.size(), 1u);
    EXPECT_EQ(Json::parse(children[0].input), Json::parse(R"({"from":"parent"})"));
    h.clock.Advance(std::chrono::hours(1));
    auto d = h.Describe(e.arn);
    ASSERT_EQ(d.status, ExecutionStatus::kSucceeded);
    Json out = Json::parse(*d.output);
    EXPECT_EQ(out["Status"], "SUCCEEDED");
    EXPECT_EQ(out["Output"], "done");
}

TEST(SfnEngine, MockedTestCaseAnswersInsteadOfTheIntegration) {
    Harness h;
    auto mocks = MockConfig::Parse(R"({
      "StateMachines":{"task":{"TestCases":{"Happy":{"T":"Ok"},"Sad":{"T":"Boom"}}}},
      "MockedResponses":{"Ok":{"0":{"Return":{"mocked":true}}},
                         "Boom":{"0-1":{"Throw":{"Error":"Lambda.TooManyRequestsException","Cause":"slow down"}}}}})");
    ASSERT_TRUE(mocks.ok()) << mocks.error().message;
    EngineOptions options;
    options.mocks = std::make_shared<MockConfig>(std::move(mocks).value());
    h.Open(options);
    auto arn = h.Create("task", kTask);
    auto happy = h.Start(arn + "#Happy");
    EXPECT_TRUE(h.integrations.calls.empty());
    EXPECT_EQ(Json::parse(*h.Describe(happy.arn).output), Json::parse(R"({"mocked":true})"));
    auto sad = h.Start(arn + "#Sad");
    EXPECT_EQ(h.Describe(sad.arn).error, "Lambda.TooManyRequestsException");
    StartExecutionRequest r;
    r.state_machine_arn = arn + "#Unknown";
    EXPECT_EQ(h.engine->StartExecution(r).error().code, SfnErrorCode::kValidation);
}

TEST(SfnEngine, HeartbeatTimeoutFailsTheTask) {
    Harness h;
    auto arn = h.Create("hb", R"({"StartAt":"T","States":{"T":{"Type":"Task",
        "Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken","HeartbeatSeconds":60,
        "Parameters":{"FunctionName":"f"},"End":true}}})");
    auto e = h.Start(arn);
    std::string token = h.integrations.calls[0].request.task_token;
    h.clock.Advance(std::chrono::seconds(50));
    ASSERT_TRUE(h.engine->SendTaskHeartbeat(token).ok());
    h.clock.Advance(std::chrono::seconds(50));
    EXPECT_EQ(h.Describe(e.arn).status, ExecutionStatus::kRunning);
    h.clock.Advance(std::chrono::seconds(20));
    EXPECT_EQ(h.Describe(e.arn).error, "States.HeartbeatTimeout");
}

TEST(SfnEngine, FunctionRegistryServesLambdaInvoke) {
    core::ManualLoop loop;
    core::Transport transport(loop, nullptr);
    FunctionRegistry functions;
    BatchTaskRegistry batch;
    functions.Register("double", [](const Json& in, TaskCallback done) { done(Json{{"v", in["v"].get<int>() * 2}}); });
    batch.Register("statement", [](const Json&, TaskCallback done) { done(Json{{"rows", 3}}); });
    TransportIntegrations integrations(loop, transport, nullptr, functions, batch, "000000000000", 1);
    std::optional<TaskOutcome> a, b, c, d;
    TaskRequest r;
    r.region = "us-east-1";
    r.resource = "arn:aws:states:::lambda:invoke";
    r.parameters = Json::parse(R"({"FunctionName":"arn:aws:lambda:us-east-1:000000000000:function:double","Payload":{"v":21}})");
    integrations.Invoke(r, [&](TaskOutcome o) { a = std::move(o); });
    r.resource = "arn:aws:lambda:us-east-1:000000000000:function:double";
    r.parameters = Json{{"v", 2}};
    integrations.Invoke(r, [&](TaskOutcome o) { b = std::move(o); });
    r.resource = "arn:aws:states:::ecs:runTask.sync";
    r.parameters = Json{{"TaskDefinition", "statement:3"}, {"Cluster", "batch"}};
    integrations.Invoke(r, [&](TaskOutcome o) { c = std::move(o); });
    r.resource = "arn:aws:states:::lambda:invoke";
    r.parameters = Json{{"FunctionName", "missing"}};
    integrations.Invoke(r, [&](TaskOutcome o) { d = std::move(o); });
    EXPECT_FALSE(a);  // never answered from inside Invoke
    while (loop.RunReady()) {
    }
    ASSERT_TRUE(a && a->ok());
    EXPECT_EQ((**a)["Payload"]["v"], 42);
    EXPECT_EQ((**b)["v"], 4);
    ASSERT_TRUE(c && c->ok());
    EXPECT_EQ((**c)["Tasks"][0]["LastStatus"], "STOPPED");
    EXPECT_EQ((**c)["Output"]["rows"], 3);
    ASSERT_TRUE(d && !d->ok());
    EXPECT_EQ(d->error().error, "Lambda.ResourceNotFoundException");
}

}  // namespace
}  // namespace sim::aws::sfn::engine
