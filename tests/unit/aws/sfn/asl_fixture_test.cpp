// Runs every ASL conformance fixture (tests/asl/README.md describes the format) through the
// interpreter with a tiny host: the clock jumps to the next wake time, tasks are answered from the
// fixture's task_results.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "sim/aws/sfn/asl/definition.hpp"
#include "sim/aws/sfn/asl/execution.hpp"

namespace sim::aws::sfn::asl {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> FixtureFiles() {
    std::vector<std::string> out;
    for (const auto& entry : fs::recursive_directory_iterator(ASL_FIXTURES_DIR)) {
        if (entry.is_regular_file() && entry.path().extension() == ".json") {
            out.push_back(fs::relative(entry.path(), ASL_FIXTURES_DIR).string());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string TestName(const testing::TestParamInfo<std::string>& info) {
    std::string out;
    for (char c : info.param.substr(0, info.param.size() - 5)) out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
    return out;
}

/// What the fake host will do at a point in virtual time.
struct Pending {
    TimePoint at;
    std::uint64_t seq;
    enum class Kind { kTimer, kTaskResult, kHeartbeat, kItems, kStop } kind;
    std::uint64_t id = 0;
    Json answer;
};

class Host {
public:
    Host(const Json& fixture, Execution& execution, TimePoint start)
        : now_(start), fixture_(fixture), execution_(execution), start_(start) {}

    void Run() {
        Handle(execution_.Start(now_));
        if (auto stop = fixture_.find("stop_after_seconds"); stop != fixture_.end()) {
            Add(start_ + std::chrono::seconds(stop->get<std::int64_t>()), Pending::Kind::kStop, 0, Json());
        }
        Loop();
        if (!finished_ || !fixture_.contains("redrive_task_results")) return;
        // RedriveExecution: the first end is kept for expect_before_redrive, then the execution
        // continues with redrive_task_results.
        first_finish_ = finished_;
        finished_.reset();
        results_key_ = "redrive_task_results";
        used_.clear();
        pending_.clear();
        now_ += std::chrono::seconds(fixture_.value("redrive_after_seconds", 0));
        Handle(execution_.Redrive(now_));
        Loop();
    }

    void Loop() {
        for (int guard = 0; guard < 200000 && !finished_; ++guard) {
            if (pending_.empty()) {
                stuck_ = true;
                return;
            }
            auto it = std::min_element(pending_.begin(), pending_.end(), [](const Pending& a, const Pending& b) {
                return a.at != b.at ? a.at < b.at : a.seq < b.seq;
            });
            Pending p = *it;
            pending_.erase(it);
            now_ = std::max(now_, p.at);
            switch (p.kind) {
                case Pending::Kind::kTimer:
                    Handle(execution_.TimerFired(p.id, now_));
                    break;
                case Pending::Kind::kHeartbeat:
                    Handle(execution_.TaskHeartbeat(p.id, now_));
                    break;
                case Pending::Kind::kTaskResult:
                    if (p.answer.contains("error")) {
                        Handle(execution_.TaskFailed(p.id, p.answer["error"].get<std::string>(),
                                                     p.answer.value("cause", std::string()), now_));
                    } else {
                        Handle(execution_.TaskSucceeded(p.id, p.answer.value("output", Json::object()), now_));
                    }
                    break;
                case Pending::Kind::kItems:
                    if (p.answer.contains("error")) {
                        Handle(execution_.ItemsRead(p.id, core::Fail(core::Error::NotFound(p.answer["error"].get<std::string>())), now_));
                    } else {
                        Handle(execution_.ItemsRead(p.id, p.answer.value("text", std::string()), now_));
                    }
                    break;
                case Pending::Kind::kStop:
                    Handle(execution_.Stop(fixture_["stop_error"].get<std::string>(),
                                           fixture_.value("stop_cause", std::string()), now_));
                    break;
            }
        }
    }

    std::vector<std::string> events;
    std::map<std::string, Json> task_inputs;  // state name -> array of parameters
    std::optional<ExecutionFinished> finished_;
    std::optional<ExecutionFinished> first_finish_;
    bool stuck_ = false;
    TimePoint now_;

private:
    void Add(TimePoint at, Pending::Kind kind, std::uint64_t id, Json answer) {
        pending_.push_back(Pending{at, seq_++, kind, id, std::move(answer)});
    }

    void Handle(std::vector<Effect> effects) {
        for (auto& e : effects) {
            if (auto* invoke = std::get_if<InvokeTask>(&e)) {
                auto& calls = task_inputs[invoke->state_name];
                if (calls.is_null()) calls = Json::array();
                calls.push_back(invoke->parameters);
                Json answer;
                const Json& results = fixture_.contains(results_key_) ? fixture_[results_key_] : Json::object();
                auto list = results.find(invoke->state_name);
                std::size_t n = used_[invoke->state_name]++;
                if (list != results.end() && list->is_array() && !list->empty()) {
                    // The last entry repeats when the list runs out.
                    answer = (*list)[std::min(n, list->size() - 1)];
                } else {
                    answer = Json{{"output", invoke->parameters}};
                }
                auto after = std::chrono::milliseconds(
                    static_cast<std::int64_t>(answer.value("after_seconds", 0.0) * 1000.0));
                if (auto hb = answer.find("heartbeats"); hb != answer.end()) {
                    for (const auto& s : *hb) {
                        Add(now_ + std::chrono::milliseconds(static_cast<std::int64_t>(s.get<double>() * 1000.0)),
                            Pending::Kind::kHeartbeat, invoke->task_id, Json());
                    }
                }
                if (!answer.value("never", false)) Add(now_ + after, Pending::Kind::kTaskResult, invoke->task_id, answer);
            } else if (auto* timer = std::get_if<ScheduleTimer>(&e)) {
                Add(timer->at, Pending::Kind::kTimer, timer->timer_id, Json());
            } else if (auto* cancel = std::get_if<CancelTimer>(&e)) {
                std::erase_if(pending_, [&](const Pending& p) {
                    return p.kind == Pending::Kind::kTimer && p.id == cancel->timer_id;
                });
            } else if (auto* cancel_task = std::get_if<CancelTask>(&e)) {
                std::erase_if(pending_, [&](const Pending& p) {
                    return (p.kind == Pending::Kind::kTaskResult || p.kind == Pending::Kind::kHeartbeat) &&
                           p.id == cancel_task->task_id;
                });
            } else if (auto* read = std::get_if<ReadItems>(&e)) {
                Json answer = fixture_.value("item_reader", Json::object());
                answer["parameters_seen"] = read->parameters;
                task_inputs["ItemReader"] = Json::array({read->parameters});
                Add(now_, Pending::Kind::kItems, read->read_id, answer);
            } else if (auto* event = std::get_if<HistoryEvent>(&e)) {
                events.push_back(event->type);
            } else if (auto* done = std::get_if<ExecutionFinished>(&e)) {
                finished_ = *done;
            }
        }
    }

    const Json& fixture_;
    Execution& execution_;
    TimePoint start_;
    std::vector<Pending> pending_;
    std::uint64_t seq_ = 0;
    std::map<std::string, std::size_t> used_;
    std::string results_key_ = "task_results";
};

nlohmann::json Unordered(const Json& j) { return nlohmann::json::parse(j.dump()); }

class AslFixture : public testing::TestWithParam<std::string> {};

TEST_P(AslFixture, BehavesAsExpected) {
    std::ifstream in(fs::path(ASL_FIXTURES_DIR) / GetParam());
    std::stringstream buffer;
    buffer << in.rdbuf();
    Json fixture = Json::parse(buffer.str(), nullptr, false);
    ASSERT_FALSE(fixture.is_discarded()) << "fixture is not valid JSON";

    auto machine = ParseDefinition(fixture["definition"]);
    if (auto expected = fixture.find("expect_validation_errors"); expected != fixture.end()) {
        ASSERT_FALSE(machine.ok()) << "definition was accepted";
        std::string message = machine.error().Message();
        for (const auto& s : *expected) {
            EXPECT_NE(message.find(s.get<std::string>()), std::string::npos) << "missing '" << s << "' in: " << message;
        }
        if (auto count = fixture.find("expect_validation_error_count"); count != fixture.end()) {
            EXPECT_EQ(machine.error().items.size(), count->get<std::size_t>()) << message;
        }
        return;
    }
    ASSERT_TRUE(machine.ok()) << machine.error().Message();

    auto start = core::ParseIso8601(fixture.value("start_time", std::string("2024-01-01T00:00:00Z"))).value();
    ExecutionInfo info;
    info.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:Machine:exec-1";
    info.name = "exec-1";
    info.role_arn = "arn:aws:iam::123456789012:role/StatesRole";
    info.state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:Machine";
    info.state_machine_name = "Machine";
    info.start_time = start;
    Execution execution(*machine, info, fixture.value("input", Json::object()), fixture.value("seed", 42u));
    Host host(fixture, execution, start);
    host.Run();
    ASSERT_FALSE(host.stuck_) << "the execution waits for nothing the host can deliver";
    ASSERT_TRUE(host.finished_.has_value()) << "the execution did not finish";

    if (auto before = fixture.find("expect_before_redrive"); before != fixture.end()) {
        ASSERT_TRUE(host.first_finish_.has_value()) << "the execution was not redriven";
        EXPECT_EQ(ExecutionStatusName(host.first_finish_->status), before->value("status", std::string("FAILED")));
        if (before->contains("error")) {
            EXPECT_EQ(host.first_finish_->error, (*before)["error"].get<std::string>());
        }
    }
    if (fixture.contains("redrive_task_results")) {
        EXPECT_EQ(execution.redrive_count(), 1);
    }
    const Json& expect = fixture["expect"];
    const auto& done = *host.finished_;
    std::string status = expect.value("status", expect.contains("output") ? "SUCCEEDED" : "FAILED");
    EXPECT_EQ(ExecutionStatusName(done.status), status) << "error=" << done.error << " cause=" << done.cause;
    if (expect.contains("output")) {
        ASSERT_TRUE(done.output.has_value()) << "error=" << done.error << " cause=" << done.cause;
        EXPECT_EQ(Unordered(*done.output), Unordered(expect["output"])) << done.output->dump();
    }
    if (expect.contains("error")) {
        EXPECT_EQ(done.error, expect["error"].get<std::string>()) << done.cause;
    }
    if (expect.contains("cause")) {
        EXPECT_EQ(done.cause, expect["cause"].get<std::string>());
    }
    if (expect.contains("cause_contains")) {
        EXPECT_NE(done.cause.find(expect["cause_contains"].get<std::string>()), std::string::npos) << done.cause;
    }
    if (auto regexes = fixture.find("expect_output_regex"); regexes != fixture.end()) {
        ASSERT_TRUE(done.output.has_value());
        for (auto it = regexes->begin(); it != regexes->end(); ++it) {
            auto value = done.output->at(Json::json_pointer(it.key()));
            std::string text = value.is_string() ? value.get<std::string>() : value.dump();
            EXPECT_TRUE(std::regex_match(text, std::regex(it.value().get<std::string>()))) << it.key() << " = " << text;
        }
    }
    if (auto events = fixture.find("expect_events"); events != fixture.end()) {
        EXPECT_EQ(Unordered(Json(host.events)), Unordered(*events)) << Json(host.events).dump();
    }
    if (auto events = fixture.find("expect_events_include"); events != fixture.end()) {
        std::size_t pos = 0;
        for (const auto& e : *events) {
            while (pos < host.events.size() && host.events[pos] != e.get<std::string>()) ++pos;
            EXPECT_LT(pos, host.events.size()) << "event " << e << " missing in order from " << Json(host.events).dump();
            ++pos;
        }
    }
    if (auto elapsed = fixture.find("expect_elapsed_seconds"); elapsed != fixture.end()) {
        double seconds = std::chrono::duration<double>(host.now_ - start).count();
        EXPECT_NEAR(seconds, elapsed->get<double>(), 0.0005);
    }
    if (auto inputs = fixture.find("expect_task_inputs"); inputs != fixture.end()) {
        for (auto it = inputs->begin(); it != inputs->end(); ++it) {
            EXPECT_EQ(Unordered(host.task_inputs[it.key()]), Unordered(it.value())) << it.key();
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, AslFixture, testing::ValuesIn(FixtureFiles()), TestName);

}  // namespace
}  // namespace sim::aws::sfn::asl
