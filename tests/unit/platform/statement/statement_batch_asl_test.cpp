// The statement workflow's definition (platform/statemachines/statement_batch.asl.json) run through
// the ASL interpreter with a small host: the clock jumps to the next timer, batch tasks answer
// from a script. Checks it validates, the happy path's data flow, the Cashflow.NotArrived retry
// (every 10 minutes, 12 retries) and the Catch on every step.

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "sim/aws/sfn/asl/definition.hpp"
#include "sim/aws/sfn/asl/execution.hpp"

namespace sim::aws::sfn::asl {
namespace {

std::shared_ptr<const StateMachine> Machine() {
    std::ifstream in(STATEMENT_BATCH_ASL);
    std::stringstream text;
    text << in.rdbuf();
    const std::string definition = text.str();
    auto parsed = ParseDefinition(std::string_view(definition));
    if (!parsed.ok()) {
        ADD_FAILURE() << "statement_batch.asl.json does not validate";
        return nullptr;
    }
    return parsed.value();
}

struct Answer {
    std::optional<Json> output;
    std::string error;
};

/// (task definition family, call number from 0, parameters) -> answer
using Script = std::function<Answer(const std::string& family, int call, const Json& parameters)>;

struct WorkflowRun {
    ExecutionStatus status = ExecutionStatus::kRunning;
    std::optional<Json> output;
    std::string error;
    std::map<std::string, std::vector<Json>> calls;  ///< by family (or resource for non-ECS tasks)
    std::vector<std::int64_t> call_seconds;         ///< FetchCashflow call times from start
    std::int64_t elapsed_seconds = 0;
};

WorkflowRun Execute(const Script& script, Json input = {{"business_date", "2027-02-01"}}) {
    WorkflowRun run;
    auto machine = Machine();
    if (!machine) return run;
    const TimePoint start = core::ParseIso8601("2027-01-31T21:00:00Z").value();
    TimePoint now = start;
    ExecutionInfo info;
    info.execution_arn = "arn:aws:states:us-east-1:000000000000:execution:platform-statement-batch:t";
    info.name = "t";
    info.state_machine_name = "platform-statement-batch";
    info.start_time = start;
    Execution ex(machine, info, std::move(input), 7);
    std::multimap<TimePoint, std::uint64_t> timers;
    std::vector<InvokeTask> tasks;
    std::map<std::string, int> counts;
    auto handle = [&](std::vector<Effect> effects) {
        for (Effect& e : effects) {
            if (auto* t = std::get_if<InvokeTask>(&e)) tasks.push_back(*t);
            if (auto* s = std::get_if<ScheduleTimer>(&e)) timers.emplace(s->at, s->timer_id);
            if (auto* f = std::get_if<ExecutionFinished>(&e)) {
                run.status = f->status;
                run.output = f->output;
                run.error = f->error;
            }
        }
    };
    handle(ex.Start(now));
    for (int guard = 0; guard < 10000 && run.status == ExecutionStatus::kRunning; ++guard) {
        if (!tasks.empty()) {
            InvokeTask t = tasks.front();
            tasks.erase(tasks.begin());
            std::string family = t.parameters.value("TaskDefinition", t.resource);
            run.calls[family].push_back(t.parameters);
            if (family == "statement-fetch-cashflow") {
                run.call_seconds.push_back(std::chrono::duration_cast<std::chrono::seconds>(now - start).count());
            }
            Answer a = script(family, counts[family]++, t.parameters);
            if (a.error.empty()) {
                Json out = Json::object();
                if (t.resource == "arn:aws:states:::ecs:runTask.sync") {
                    out = {{"Tasks", Json::array({Json{{"LastStatus", "STOPPED"}}})}, {"Failures", Json::array()}};
                    if (a.output) out["Output"] = *a.output;
                }
                handle(ex.TaskSucceeded(t.task_id, out, now));
            } else {
                handle(ex.TaskFailed(t.task_id, a.error, "scripted", now));
            }
            continue;
        }
        if (timers.empty()) break;
        auto it = timers.begin();
        now = std::max(now, it->first);
        std::uint64_t id = it->second;
        timers.erase(it);
        handle(ex.TimerFired(id, now));
    }
    run.elapsed_seconds = std::chrono::duration_cast<std::chrono::seconds>(now - start).count();
    return run;
}

std::string Env(const Json& parameters, const std::string& name) {
    for (const Json& e : parameters["Overrides"]["ContainerOverrides"][0]["Environment"]) {
        if (e["Name"] == name) return e["Value"].get<std::string>();
    }
    return "";
}

Answer HappyPath(const std::string& family, int, const Json& p) {
    if (family == "statement-get-users") {
        std::string date = Env(p, "BUSINESS_DATE").empty() ? "2027-02-01" : Env(p, "BUSINESS_DATE");
        return {Json{{"business_date", date},
                     {"chunks", Json::array({Json::array({"C-1", "C-2"}), Json::array({"C-3"})})},
                     {"count", 3}},
                ""};
    }
    if (family == "statement-fetch-cashflow") {
        return {Json{{"file_date", "2027-01-31"}, {"key", "cashflow/2027/01/31/cashflow_20270131_01.csv"}, {"records", 4}}, ""};
    }
    if (family == "statement-update-usage") return {Json{{"lines", 2}}, ""};
    if (family == "statement-update-repayment") return {Json{{"closed", 3}, {"interest_notices", 0}}, ""};
    return {Json::object(), ""};
}

TEST(StatementBatchAsl, Validates) { EXPECT_NE(Machine(), nullptr); }

TEST(StatementBatchAsl, RunsEveryStepAsABatchTaskAndMapsOverChunks) {
    WorkflowRun run = Execute(HappyPath);
    ASSERT_EQ(run.status, ExecutionStatus::kSucceeded) << run.error;
    EXPECT_EQ(run.calls["statement-get-users"].size(), 1u);
    EXPECT_EQ(run.calls["statement-fetch-cashflow"].size(), 1u);
    ASSERT_EQ(run.calls["statement-update-usage"].size(), 2u);  // one per chunk
    EXPECT_EQ(run.calls["statement-update-repayment"].size(), 1u);
    std::set<std::string> chunks;
    for (const Json& p : run.calls["statement-update-usage"]) {
        EXPECT_EQ(Env(p, "BUSINESS_DATE"), "2027-02-01");
        EXPECT_EQ(Env(p, "FILE_DATE"), "2027-01-31");
        chunks.insert(Env(p, "CARD_IDS"));
    }
    EXPECT_EQ(chunks, (std::set<std::string>{"[\"C-1\",\"C-2\"]", "[\"C-3\"]"}));
    EXPECT_EQ(Env(run.calls["statement-get-users"][0], "BUSINESS_DATE"), "2027-02-01");
    EXPECT_EQ(run.calls["statement-get-users"][0]["Cluster"], "platform-batch");
    ASSERT_TRUE(run.output.has_value());
    EXPECT_EQ((*run.output)["users"], 3);
    EXPECT_EQ((*run.output)["cashflow_records"], 4);
    EXPECT_EQ((*run.output)["closed"], 3);
    EXPECT_EQ(run.calls.count("arn:aws:states:::sqs:sendMessage"), 0u);
}

TEST(StatementBatchAsl, TheScheduledRuleGivesOnlyTheTimeAndTheFirstTaskDerivesTheDate) {
    WorkflowRun run = Execute(HappyPath, Json{{"scheduled_at", "2027-01-31T21:00:00Z"}});
    ASSERT_EQ(run.status, ExecutionStatus::kSucceeded) << run.error;
    EXPECT_EQ(Env(run.calls["statement-get-users"][0], "SCHEDULED_AT"), "2027-01-31T21:00:00Z");
    EXPECT_EQ(Env(run.calls["statement-get-users"][0], "BUSINESS_DATE"), "");
    EXPECT_EQ(Env(run.calls["statement-fetch-cashflow"][0], "BUSINESS_DATE"), "2027-02-01");
    EXPECT_EQ((*run.output)["business_date"], "2027-02-01");
}

TEST(StatementBatchAsl, InputWithoutADateFails) {
    WorkflowRun run = Execute(HappyPath, Json::object());
    EXPECT_EQ(run.status, ExecutionStatus::kFailed);
    EXPECT_EQ(run.error, "Input.Invalid");
    EXPECT_TRUE(run.calls.empty());
}

TEST(StatementBatchAsl, LateCashflowIsRetriedEveryTenMinutesThenSucceeds) {
    WorkflowRun run = Execute([](const std::string& family, int call, const Json& p) -> Answer {
        if (family == "statement-fetch-cashflow" && call < 3) return {std::nullopt, "Cashflow.NotArrived"};
        return HappyPath(family, call, p);
    });
    ASSERT_EQ(run.status, ExecutionStatus::kSucceeded) << run.error;
    EXPECT_EQ(run.call_seconds, (std::vector<std::int64_t>{0, 600, 1200, 1800}));
}

TEST(StatementBatchAsl, CashflowThatNeverArrivesIsRetried12TimesThenCaughtAndNoticed) {
    WorkflowRun run = Execute([](const std::string& family, int call, const Json& p) -> Answer {
        if (family == "statement-fetch-cashflow") return {std::nullopt, "Cashflow.NotArrived"};
        return HappyPath(family, call, p);
    });
    EXPECT_EQ(run.status, ExecutionStatus::kFailed);
    EXPECT_EQ(run.error, "Cashflow.NotArrived");
    EXPECT_EQ(run.call_seconds.size(), 13u);  // the first try and 12 retries
    EXPECT_EQ(run.call_seconds.back(), 12 * 600);
    ASSERT_EQ(run.calls["arn:aws:states:::sqs:sendMessage"].size(), 1u);
    const Json& notice = run.calls["arn:aws:states:::sqs:sendMessage"][0];
    EXPECT_EQ(notice["MessageBody"]["error"], "Cashflow.NotArrived");
    EXPECT_EQ(notice["MessageBody"]["business_date"], "2027-02-01");
    EXPECT_EQ(run.calls.count("statement-update-usage"), 0u);
}

TEST(StatementBatchAsl, EveryStepIsCaught) {
    for (std::string failing : {"statement-get-users", "statement-fetch-cashflow", "statement-update-usage",
                                "statement-update-repayment"}) {
        WorkflowRun run = Execute([failing](const std::string& family, int call, const Json& p) -> Answer {
            if (family == failing) return {std::nullopt, "Batch.Crashed"};
            return HappyPath(family, call, p);
        });
        EXPECT_EQ(run.status, ExecutionStatus::kFailed) << failing;
        EXPECT_EQ(run.error, "Batch.Crashed") << failing;
        EXPECT_EQ(run.calls["arn:aws:states:::sqs:sendMessage"].size(), 1u) << failing;
    }
}

TEST(StatementBatchAsl, TaskFailuresAreRetriedBeforeBeingCaught) {
    WorkflowRun run = Execute([](const std::string& family, int call, const Json& p) -> Answer {
        if (family == "statement-update-repayment" && call < 2) return {std::nullopt, "States.TaskFailed"};
        return HappyPath(family, call, p);
    });
    ASSERT_EQ(run.status, ExecutionStatus::kSucceeded) << run.error;
    EXPECT_EQ(run.calls["statement-update-repayment"].size(), 3u);
}

}  // namespace
}  // namespace sim::aws::sfn::asl
