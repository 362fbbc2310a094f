#include "sim/aws/sfn/asl/execution.hpp"

#include <algorithm>
#include <cmath>

#include "sim/aws/sfn/asl/item_reader.hpp"

namespace sim::aws::sfn::asl {

using core::Fail;
using core::Result;

std::string_view ExecutionStatusName(ExecutionStatus status) {
    switch (status) {
        case ExecutionStatus::kRunning: return "RUNNING";
        case ExecutionStatus::kSucceeded: return "SUCCEEDED";
        case ExecutionStatus::kFailed: return "FAILED";
        case ExecutionStatus::kTimedOut: return "TIMED_OUT";
        case ExecutionStatus::kAborted: return "ABORTED";
    }
    return "RUNNING";
}

/// Where a frame stopped (it failed or was aborted), kept for Redrive: the state to re-enter, its
/// input and the frame's variables, and for a Parallel or Map state that was running children,
/// which of them succeeded (their results are kept) and where each of the others stopped.
struct RedrivePoint {
    const State* state = nullptr;  // null: from the frame's StartAt
    Json input;
    Json variables;
    bool children = false;
    Json items;    // Map: the items being processed
    Json results;  // the children's results so far
    std::vector<char> succeeded;
    std::vector<std::shared_ptr<RedrivePoint>> points;  // null: (re)start the child from its beginning
};

/// One running (sub) workflow: the top level, a Parallel branch or a Map iteration.
struct Frame {
    enum class Kind { kRoot, kBranch, kIteration };
    enum class Waiting { kNone, kTask, kTimer, kRetry, kChildren, kItems };

    Kind kind = Kind::kRoot;
    const StateMachine* machine = nullptr;
    Frame* parent = nullptr;
    std::size_t index = 0;  // position among the parent's children
    Json variables = Json::object();
    bool done = false;
    std::int64_t last_event_id = 0;
    std::weak_ptr<Frame> self;

    // the current state
    const State* state = nullptr;
    Json input;            // raw state input
    Json effective_input;  // after InputPath
    TimePoint entered{};
    std::vector<std::int64_t> attempts;
    std::int64_t retry_count = 0;
    Waiting waiting = Waiting::kNone;
    std::uint64_t task_id = 0;
    std::uint64_t timer_id = 0;
    std::uint64_t timeout_timer = 0;
    std::uint64_t heartbeat_timer = 0;
    std::int64_t heartbeat_seconds = 0;
    std::uint64_t read_id = 0;
    std::string task_token;
    // the next state and its input, between a transition and entering it
    const State* queued = nullptr;
    Json queued_input;

    // redrive bookkeeping
    std::shared_ptr<RedrivePoint> point;   // set once this frame failed or was aborted
    std::vector<char> child_succeeded;     // per child of the current Parallel/Map state
    std::vector<std::shared_ptr<RedrivePoint>> child_points;
    std::shared_ptr<RedrivePoint> resume;  // consumed by the next Parallel/Map run after a redrive
    std::vector<std::shared_ptr<RedrivePoint>> restore;  // Map: per item, where a redriven iteration resumes

    // Parallel / Map children
    std::vector<std::shared_ptr<Frame>> children;
    Json results;
    Json items;
    std::size_t next_item = 0;
    std::size_t running = 0;
    std::size_t completed = 0;
    std::size_t failed = 0;
    std::int64_t max_concurrency = 0;
    std::optional<std::int64_t> tolerated_count;
    std::optional<double> tolerated_percentage;
};

struct Execution::Impl {
    enum class TimerKind { kWait, kRetry, kTaskTimeout, kHeartbeat, kExecutionTimeout };
    struct TimerEntry {
        std::shared_ptr<Frame> frame;
        TimerKind kind;
    };
    struct StepEntry {
        std::shared_ptr<Frame> frame;
        bool retry;  // run the frame's current state again; otherwise enter its queued state
    };

    Execution& owner;
    std::shared_ptr<const StateMachine> machine;
    ExecutionInfo info;
    Json execution_input;
    core::Random random;
    Json context;  // the context object; "State"/"Task"/"Map" are rewritten before each use
    std::shared_ptr<Frame> root;
    TimePoint now{};
    std::uint64_t next_id = 1;
    std::int64_t next_event_id = 1;
    std::vector<Effect> effects;
    std::deque<StepEntry> steps;
    std::unordered_map<std::uint64_t, std::shared_ptr<Frame>> tasks;
    std::unordered_map<std::uint64_t, TimerEntry> timers;
    std::unordered_map<std::uint64_t, std::shared_ptr<Frame>> reads;
    std::uint64_t execution_timer = 0;
    // single-state tests
    std::optional<TestOptions> test;
    std::optional<TestOutcome> outcome;
    std::optional<std::size_t> caught_index;

    Impl(Execution& o, std::shared_ptr<const StateMachine> m, ExecutionInfo i, Json in, std::uint64_t seed)
        : owner(o), machine(std::move(m)), info(std::move(i)), execution_input(std::move(in)), random(seed) {
        context = Json::object();
        context["Execution"] = {{"Id", info.execution_arn},
                                {"Input", execution_input},
                                {"Name", info.name},
                                {"RoleArn", info.role_arn},
                                {"StartTime", core::FormatIso8601(info.start_time)},
                                {"RedriveCount", info.redrive_count}};
        context["State"] = Json::object();
        context["StateMachine"] = {{"Id", info.state_machine_arn}, {"Name", info.state_machine_name}};
    }

    // --- plumbing -------------------------------------------------------------------------------

    std::vector<Effect> TakeEffects() {
        std::vector<Effect> out;
        out.swap(effects);
        return out;
    }

    void Event(Frame* f, std::string type, Json details) {
        HistoryEvent e;
        e.id = next_event_id++;
        const Frame* g = f;
        while (g && g->last_event_id == 0) g = g->parent;
        e.previous_event_id = g ? g->last_event_id : e.id - 1;
        e.timestamp = now;
        e.type = std::move(type);
        e.details = std::move(details);
        if (f) f->last_event_id = e.id;
        effects.emplace_back(std::move(e));
    }

    std::string TypeName(const State& st) { return std::string(StateTypeName(st.type)); }

    std::uint64_t ScheduleTimerAt(const std::shared_ptr<Frame>& f, TimerKind kind, TimePoint at) {
        std::uint64_t id = next_id++;
        timers[id] = TimerEntry{f, kind};
        effects.emplace_back(ScheduleTimer{id, at});
        return id;
    }
    void CancelTimerId(std::uint64_t& id) {
        if (id && timers.erase(id)) effects.emplace_back(CancelTimer{id});
        id = 0;
    }

    /// Points the context object at `f`'s current state.
    Json& ContextFor(const Frame& f) {
        context["State"] = {{"EnteredTime", core::FormatIso8601(f.entered)},
                            {"Name", f.state ? f.state->name : std::string()},
                            {"RetryCount", f.retry_count}};
        if (!f.task_token.empty()) context["Task"] = {{"Token", f.task_token}};
        else context.erase("Task");
        context.erase("Map");
        return context;
    }

    EvalEnv Env(const Frame& f, const Json& input) {
        return EvalEnv{PathScope{&input, &ContextFor(f), &f.variables}, &random};
    }

    static Json ErrorOutput(const RuntimeError& e) { return Json{{"Error", e.error}, {"Cause", e.cause}}; }

    static RuntimeError Runtime(std::string cause) { return {std::string(errors::kRuntime), std::move(cause)}; }

    // --- input / output processing -------------------------------------------------------------

    Result<Json, RuntimeError> ApplyInputPath(Frame& f, const State& st, const Json& input) {
        if (!st.input_path) return Json::object();
        if (st.input_path->is_root()) return input;
        auto v = st.input_path->Evaluate(Env(f, input).scope);
        if (!v) {
            return Fail(Runtime("An error occurred while executing the state '" + st.name +
                                "'. Invalid path '" + st.input_path->text() +
                                "' : No results for path: " + st.input_path->text()));
        }
        return std::move(*v);
    }

    Result<Json, RuntimeError> ApplyOutputPath(Frame& f, const State& st, const Json& output) {
        if (!st.output_path) return Json::object();
        if (st.output_path->is_root()) return output;
        auto v = st.output_path->Evaluate(Env(f, output).scope);
        if (!v) {
            return Fail(Runtime("An error occurred while executing the state '" + st.name +
                                "'. Invalid path '" + st.output_path->text() +
                                "' : No results for path: " + st.output_path->text()));
        }
        return std::move(*v);
    }

    Result<Json, RuntimeError> ApplyResultPath(const State& st, const std::optional<JsonPath>& path,
                                               const Json& input, Json result) {
        if (!path) return input;
        if (path->is_root()) return result;
        Json out = input;
        auto ok = path->Assign(out, std::move(result));
        if (!ok) {
            return Fail(RuntimeError{std::string(errors::kResultPathMatchFailure),
                                     "An error occurred while executing the state '" + st.name +
                                         "'. Unable to apply ResultPath \"" + path->text() + "\" to input \"" +
                                         input.dump() + "\": " + ok.error().message});
        }
        return out;
    }

    /// Evaluates an Assign block; the new values are applied only when all succeeded.
    std::optional<RuntimeError> ApplyAssign(Frame& f, const std::optional<PayloadTemplate>& assign, const Json& dollar) {
        if (!assign) return std::nullopt;
        auto values = assign->Evaluate(Env(f, dollar), errors::kRuntime);
        if (!values) return values.error();
        if (!values->is_object()) return Runtime("The value of 'Assign' must be an object");
        for (auto it = values->begin(); it != values->end(); ++it) f.variables[it.key()] = it.value();
        return std::nullopt;
    }

    static std::optional<RuntimeError> CheckSize(const Json& j, const std::string& what) {
        auto size = j.dump().size();
        if (size > kMaxPayloadBytes) {
            return RuntimeError{std::string(errors::kDataLimitExceeded),
                                "The " + what + " has a size of " + std::to_string(size) +
                                    " bytes, which exceeds the maximum of " + std::to_string(kMaxPayloadBytes) +
                                    " bytes"};
        }
        return std::nullopt;
    }

    // --- stepping ------------------------------------------------------------------------------

    void Pump() {
        while (!steps.empty() && owner.status_ == ExecutionStatus::kRunning) {
            StepEntry step = std::move(steps.front());
            steps.pop_front();
            if (step.frame->done) continue;
            if (step.retry) {
                RunState(step.frame);
            } else if (const State* st = step.frame->queued) {
                step.frame->queued = nullptr;
                EnterState(step.frame, *st, std::move(step.frame->queued_input));
            }
        }
    }

    /// `f` goes to `st` with `input` at the next step.
    void Queue(const std::shared_ptr<Frame>& f, const State* st, Json input) {
        f->queued = st;
        f->queued_input = std::move(input);
        steps.push_back(StepEntry{f, false});
    }

    /// True when `f` is the state under test of a single-state run.
    bool Testing(const Frame& f) const { return test && f.kind == Frame::Kind::kRoot; }
    void Inspect(const Frame& f, const char* key, const Json& value) {
        if (Testing(f) && outcome) outcome->inspection[key] = value;
    }

    std::shared_ptr<RedrivePoint> MakePoint(const Frame& f) {
        auto p = std::make_shared<RedrivePoint>();
        p->variables = f.variables;
        if (f.queued) {
            p->state = f.queued;
            p->input = f.queued_input;
            return p;
        }
        p->state = f.state;
        p->input = f.input;
        if (f.state && (f.state->type == StateType::kParallel || f.state->type == StateType::kMap) &&
            !f.child_succeeded.empty()) {
            p->children = true;
            p->items = f.items;
            p->results = f.results;
            p->succeeded = f.child_succeeded;
            p->points = f.child_points;
            p->points.resize(p->succeeded.size());
        }
        return p;
    }

    /// Starts `f` again from `p` (redrive).
    void RestoreInto(const std::shared_ptr<Frame>& f, const std::shared_ptr<RedrivePoint>& p) {
        f->variables = p->variables;
        if (!p->state) {
            Queue(f, f->machine->Find(f->machine->start_at), p->input);
            return;
        }
        if (p->children) f->resume = p;
        Queue(f, p->state, p->input);
    }

    void EnterState(const std::shared_ptr<Frame>& f, const State& st, Json input) {
        f->state = &st;
        f->input = std::move(input);
        f->entered = now;
        f->attempts.assign(st.retry.size(), 0);
        f->retry_count = 0;
        f->task_token.clear();
        f->child_succeeded.clear();
        f->child_points.clear();
        if (Testing(*f)) {
            for (auto& a : f->attempts) a = test->retrier_retry_count;
            Inspect(*f, "input", f->input);
        }
        Event(f.get(), TypeName(st) + "StateEntered", Json{{"name", st.name}, {"input", f->input}});
        RunState(f);
    }

    void RunState(const std::shared_ptr<Frame>& f) {
        const State& st = *f->state;
        f->waiting = Frame::Waiting::kNone;
        std::shared_ptr<RedrivePoint> resume = std::move(f->resume);
        f->resume = nullptr;
        if (st.type == StateType::kFail) {
            RunFail(f);
            return;
        }
        auto effective = ApplyInputPath(*f, st, f->input);
        if (!effective) {
            StateError(f, effective.error());
            return;
        }
        f->effective_input = std::move(*effective);
        Inspect(*f, "afterInputPath", f->effective_input);
        switch (st.type) {
            case StateType::kPass: RunPass(f); break;
            case StateType::kTask: RunTask(f); break;
            case StateType::kChoice: RunChoice(f); break;
            case StateType::kWait: RunWait(f); break;
            case StateType::kSucceed: RunSucceed(f); break;
            case StateType::kParallel: RunParallel(f, resume); break;
            case StateType::kMap: RunMap(f, resume); break;
            case StateType::kFail: break;
        }
    }

    /// A single-state test with a mock: the state's result (or error) without running it.
    bool Mocked(const std::shared_ptr<Frame>& f) {
        if (!Testing(*f) || (!test->mock_result && !test->mock_error)) return false;
        if (test->mock_error) StateError(f, *test->mock_error);
        else CompleteWithResult(f, *test->mock_result);
        return true;
    }

    /// The state under test is done: records the outcome and ends the run.
    void TestDone(const std::shared_ptr<Frame>& f, std::string status, std::optional<Json> output, RuntimeError e,
                  std::string next) {
        outcome->status = std::move(status);
        outcome->output = std::move(output);
        outcome->error = e.error;
        outcome->cause = e.cause;
        outcome->next_state = std::move(next);
        if (!f->variables.empty()) outcome->inspection["variables"] = f->variables;
        f->done = true;
        steps.clear();
        if (execution_timer) CancelTimerId(execution_timer);
        bool ok = outcome->status == "SUCCEEDED" || outcome->status == "CAUGHT_ERROR";
        owner.status_ = ok ? ExecutionStatus::kSucceeded : ExecutionStatus::kFailed;
        if (ok) owner.output_ = outcome->output;
        owner.error_ = e.error;
        owner.cause_ = e.cause;
        effects.emplace_back(ExecutionFinished{owner.status_, outcome->output, e.error, e.cause});
    }

    /// Leaves the current state with `output` towards `next` (empty: the frame ends).
    void Transition(const std::shared_ptr<Frame>& f, Json output, const std::string& next) {
        const State& st = *f->state;
        if (auto e = CheckSize(output, "state output")) {
            StateError(f, *e);
            return;
        }
        Event(f.get(), TypeName(st) + "StateExited", Json{{"name", st.name}, {"output", output}});
        f->waiting = Frame::Waiting::kNone;
        f->children.clear();
        if (Testing(*f)) {
            bool caught = caught_index.has_value();
            TestDone(f, caught ? "CAUGHT_ERROR" : "SUCCEEDED", std::move(output),
                     caught ? pending_error : RuntimeError{}, next);
            return;
        }
        if (next.empty()) {
            FrameSucceeded(f, std::move(output));
            return;
        }
        Queue(f, f->machine->Find(next), std::move(output));
    }
    RuntimeError pending_error;  // the error a catcher handled (single-state tests)

    /// ResultSelector → Assign → ResultPath → OutputPath → transition, for a state's raw result.
    void CompleteWithResult(const std::shared_ptr<Frame>& f, Json result) {
        const State& st = *f->state;
        Inspect(*f, "result", result);
        if (st.result_selector) {
            auto selected = st.result_selector->Evaluate(Env(*f, result), errors::kParameterPathFailure);
            if (!selected) {
                StateError(f, selected.error());
                return;
            }
            result = std::move(*selected);
            Inspect(*f, "afterResultSelector", result);
        }
        if (auto e = ApplyAssign(*f, st.assign, result)) {
            StateError(f, *e);
            return;
        }
        auto combined = ApplyResultPath(st, st.result_path, f->input, std::move(result));
        if (!combined) {
            StateError(f, combined.error());
            return;
        }
        Inspect(*f, "afterResultPath", *combined);
        auto output = ApplyOutputPath(*f, st, *combined);
        if (!output) {
            StateError(f, output.error());
            return;
        }
        Transition(f, std::move(*output), st.end ? std::string() : st.next);
    }

    static bool Matches(const std::vector<std::string>& names, const std::string& error) {
        for (const auto& n : names) {
            if (n == error) return true;
            bool terminal = error == errors::kRuntime || error == errors::kDataLimitExceeded;
            if (n == errors::kAll && !terminal) return true;
            if (n == errors::kTaskFailed && !terminal && error != errors::kTimeout) return true;
        }
        return false;
    }

    /// A state raised `e`: Retry, then Catch, else the frame fails.
    void StateError(const std::shared_ptr<Frame>& f, RuntimeError e) {
        const State& st = *f->state;
        f->waiting = Frame::Waiting::kNone;
        bool terminal = e.error == errors::kRuntime || e.error == errors::kDataLimitExceeded;
        if (st.CanRecover() && !terminal) {
            for (std::size_t i = 0; i < st.retry.size(); ++i) {
                const Retrier& r = st.retry[i];
                if (!Matches(r.error_equals, e.error)) continue;
                if (f->attempts[i] < r.max_attempts) {
                    double delay = r.interval_seconds * std::pow(r.backoff_rate, static_cast<double>(f->attempts[i]));
                    if (r.max_delay_seconds) delay = std::min(delay, *r.max_delay_seconds);
                    if (r.jitter == JitterStrategy::kFull) delay = random.NextDouble() * delay;
                    ++f->attempts[i];
                    ++f->retry_count;
                    if (Testing(*f)) {
                        outcome->inspection["errorDetails"] = {{"retryIndex", i}, {"retryBackoffIntervalSeconds", std::llround(delay)}};
                        TestDone(f, "RETRIABLE", std::nullopt, std::move(e), "");
                        return;
                    }
                    auto ms = static_cast<std::int64_t>(std::llround(delay * 1000.0));
                    f->waiting = Frame::Waiting::kRetry;
                    f->timer_id = ScheduleTimerAt(f, TimerKind::kRetry, now + std::chrono::milliseconds(ms));
                    return;
                }
                break;  // the matching retrier is exhausted: go on to the catchers
            }
            for (std::size_t ci = 0; ci < st.catchers.size(); ++ci) {
                const auto& c = st.catchers[ci];
                if (!Matches(c.error_equals, e.error)) continue;
                if (Testing(*f)) {
                    caught_index = ci;
                    pending_error = e;
                    outcome->inspection["errorDetails"] = {{"catchIndex", ci}};
                }
                Json error_output = ErrorOutput(e);
                if (auto ae = ApplyAssign(*f, c.assign, error_output)) {
                    FrameFailed(f, *ae);
                    return;
                }
                auto output = ApplyResultPath(st, c.result_path, f->input, std::move(error_output));
                if (!output) {
                    FrameFailed(f, output.error());
                    return;
                }
                Transition(f, std::move(*output), c.next);
                return;
            }
        }
        FrameFailed(f, std::move(e));
    }

    // --- state types ---------------------------------------------------------------------------

    void RunPass(const std::shared_ptr<Frame>& f) {
        const State& st = *f->state;
        Json result;
        if (st.result) {
            result = *st.result;
        } else if (st.parameters) {
            auto p = st.parameters->Evaluate(Env(*f, f->effective_input), errors::kParameterPathFailure);
            if (!p) {
                StateError(f, p.error());
                return;
            }
            result = std::move(*p);
            Inspect(*f, "afterParameters", result);
        } else {
            result = f->effective_input;
        }
        CompleteWithResult(f, std::move(result));
    }

    void RunSucceed(const std::shared_ptr<Frame>& f) {
        auto output = ApplyOutputPath(*f, *f->state, f->effective_input);
        if (!output) {
            StateError(f, output.error());
            return;
        }
        Transition(f, std::move(*output), std::string());
    }

    std::optional<std::string> ValueString(Frame& f, const std::optional<ValueExpr>& v, const std::string& field,
                                           RuntimeError& failure) {
        if (!v) return std::nullopt;
        Json value;
        if (v->intrinsic) {
            auto r = v->intrinsic->Evaluate(Env(f, f.input));
            if (!r) {
                failure = r.error();
                return std::nullopt;
            }
            value = std::move(*r);
        } else {
            auto r = v->path->Evaluate(Env(f, f.input).scope);
            if (!r) {
                failure = Runtime("The JSONPath '" + v->path->text() + "' specified for the field '" + field +
                                  "' could not be found in the input '" + f.input.dump() + "'");
                return std::nullopt;
            }
            value = std::move(*r);
        }
        if (!value.is_string()) {
            failure = Runtime("The value of '" + field + "' must resolve to a string, but was " + value.dump());
            return std::nullopt;
        }
        return value.get<std::string>();
    }

    void RunFail(const std::shared_ptr<Frame>& f) {
        const State& st = *f->state;
        RuntimeError e{st.error.value_or(""), st.cause.value_or("")};
        RuntimeError failure;
        if (st.error_path) {
            auto v = ValueString(*f, st.error_path, "ErrorPath", failure);
            if (!v) {
                FrameFailed(f, failure);
                return;
            }
            e.error = *v;
        }
        if (st.cause_path) {
            auto v = ValueString(*f, st.cause_path, "CausePath", failure);
            if (!v) {
                FrameFailed(f, failure);
                return;
            }
            e.cause = *v;
        }
        FrameFailed(f, std::move(e));
    }

    // Choice ------------------------------------------------------------------------------------

    static bool GlobMatch(std::string_view pattern, std::string_view text) {
        // '*' matches any run of characters; "\*" a literal star, "\\" a backslash.
        std::size_t p = 0, t = 0, star_p = std::string_view::npos, star_t = 0;
        while (t < text.size()) {
            if (p < pattern.size() && pattern[p] == '*') {
                star_p = p++;
                star_t = t;
                continue;
            }
            if (p < pattern.size()) {
                char pc = pattern[p];
                std::size_t adv = 1;
                if (pc == '\\' && p + 1 < pattern.size()) {
                    pc = pattern[p + 1];
                    adv = 2;
                }
                if (pc == text[t]) {
                    p += adv;
                    ++t;
                    continue;
                }
            }
            if (star_p == std::string_view::npos) return false;
            p = star_p + 1;
            t = ++star_t;
        }
        while (p < pattern.size() && pattern[p] == '*') ++p;
        return p == pattern.size();
    }

    static int Order(double a, double b) { return a < b ? -1 : (a > b ? 1 : 0); }

    Result<bool, RuntimeError> EvalRule(const ChoiceRule& r, Frame& f, const Json& input) {
        switch (r.kind) {
            case ChoiceRule::Kind::kAnd:
                for (const auto& c : r.children) {
                    auto v = EvalRule(c, f, input);
                    if (!v || !*v) return v;
                }
                return true;
            case ChoiceRule::Kind::kOr:
                for (const auto& c : r.children) {
                    auto v = EvalRule(c, f, input);
                    if (!v || *v) return v;
                }
                return false;
            case ChoiceRule::Kind::kNot: {
                auto v = EvalRule(r.children[0], f, input);
                if (!v) return v;
                return !*v;
            }
            case ChoiceRule::Kind::kComparison:
                break;
        }
        auto scope = Env(f, input).scope;
        auto value = r.variable->Evaluate(scope);
        if (r.test == TypeTest::kIsPresent) return value.has_value() == r.operand.get<bool>();
        if (!value) {
            return Fail(Runtime("Invalid path '" + r.variable->text() +
                                "': The choice state's condition path references an invalid value."));
        }
        if (r.test != TypeTest::kNone) {
            bool expected = r.operand.get<bool>();
            bool actual = false;
            switch (r.test) {
                case TypeTest::kIsNull: actual = value->is_null(); break;
                case TypeTest::kIsNumeric: actual = value->is_number(); break;
                case TypeTest::kIsString: actual = value->is_string(); break;
                case TypeTest::kIsBoolean: actual = value->is_boolean(); break;
                case TypeTest::kIsTimestamp:
                    actual = value->is_string() && core::ParseIso8601(value->get<std::string>()).ok();
                    break;
                default: break;
            }
            return actual == expected;
        }
        Json operand = r.operand;
        if (r.operand_path) {
            auto o = r.operand_path->Evaluate(scope);
            if (!o) {
                return Fail(Runtime("Invalid path '" + r.operand_path->text() +
                                    "': The choice state's condition path references an invalid value."));
            }
            operand = std::move(*o);
        }
        int cmp = 0;
        switch (r.type) {
            case CompareType::kString:
                if (!value->is_string() || !operand.is_string()) return false;
                if (r.relation == CompareRelation::kMatches) {
                    return GlobMatch(operand.get_ref<const std::string&>(), value->get_ref<const std::string&>());
                }
                cmp = value->get_ref<const std::string&>().compare(operand.get_ref<const std::string&>());
                cmp = cmp < 0 ? -1 : (cmp > 0 ? 1 : 0);
                break;
            case CompareType::kNumeric:
                if (!value->is_number() || !operand.is_number()) return false;
                cmp = Order(value->get<double>(), operand.get<double>());
                break;
            case CompareType::kBoolean:
                if (!value->is_boolean() || !operand.is_boolean()) return false;
                return *value == operand;
            case CompareType::kTimestamp: {
                if (!value->is_string() || !operand.is_string()) return false;
                auto a = core::ParseIso8601(value->get<std::string>());
                auto b = core::ParseIso8601(operand.get<std::string>());
                if (!a || !b) return false;
                cmp = *a < *b ? -1 : (*b < *a ? 1 : 0);
                break;
            }
        }
        switch (r.relation) {
            case CompareRelation::kEquals: return cmp == 0;
            case CompareRelation::kLessThan: return cmp < 0;
            case CompareRelation::kGreaterThan: return cmp > 0;
            case CompareRelation::kLessThanEquals: return cmp <= 0;
            case CompareRelation::kGreaterThanEquals: return cmp >= 0;
            case CompareRelation::kMatches: return false;
        }
        return false;
    }

    void RunChoice(const std::shared_ptr<Frame>& f) {
        const State& st = *f->state;
        const ChoiceRule* matched = nullptr;
        for (const auto& rule : st.choices) {
            auto v = EvalRule(rule, *f, f->effective_input);
            if (!v) {
                StateError(f, v.error());
                return;
            }
            if (*v) {
                matched = &rule;
                break;
            }
        }
        std::string next;
        if (matched) {
            next = matched->next;
        } else if (!st.default_next.empty()) {
            next = st.default_next;
        } else {
            StateError(f, RuntimeError{std::string(errors::kNoChoiceMatched),
                                       "No Matches! (state '" + st.name + "')"});
            return;
        }
        // Rule-level Assign first, then the state's (both see the variables as they were).
        Json before = f->variables;
        Json merged = f->variables;
        for (const auto* assign : {matched ? &matched->assign : nullptr, &st.assign}) {
            if (!assign) continue;
            f->variables = before;
            if (auto e = ApplyAssign(*f, *assign, f->effective_input)) {
                f->variables = before;
                StateError(f, *e);
                return;
            }
            for (auto it = f->variables.begin(); it != f->variables.end(); ++it) merged[it.key()] = it.value();
        }
        f->variables = std::move(merged);
        auto output = ApplyOutputPath(*f, st, f->effective_input);
        if (!output) {
            StateError(f, output.error());
            return;
        }
        Transition(f, std::move(*output), next);
    }

    // Wait --------------------------------------------------------------------------------------

    void RunWait(const std::shared_ptr<Frame>& f) {
        const State& st = *f->state;
        TimePoint until = now;
        if (st.seconds) {
            until = now + std::chrono::seconds(*st.seconds);
        } else if (st.timestamp) {
            until = core::ParseIso8601(*st.timestamp).value();
        } else if (st.seconds_path) {
            auto v = st.seconds_path->Evaluate(Env(*f, f->effective_input).scope);
            if (!v || !v->is_number_integer() || v->get<std::int64_t>() < 0) {
                StateError(f, Runtime("The SecondsPath parameter does not reference a valid non-negative integer: " +
                                      st.seconds_path->text()));
                return;
            }
            until = now + std::chrono::seconds(v->get<std::int64_t>());
        } else if (st.timestamp_path) {
            auto v = st.timestamp_path->Evaluate(Env(*f, f->effective_input).scope);
            std::optional<TimePoint> t;
            if (v && v->is_string()) {
                if (auto parsed = core::ParseIso8601(v->get<std::string>())) t = *parsed;
            }
            if (!t) {
                StateError(f, Runtime("The TimestampPath parameter does not reference a valid ISO-8601 timestamp: " +
                                      st.timestamp_path->text()));
                return;
            }
            until = *t;
        }
        if (until <= now || Testing(*f)) {  // a tested Wait state does not wait
            FinishWait(f);
            return;
        }
        f->waiting = Frame::Waiting::kTimer;
        f->timer_id = ScheduleTimerAt(f, TimerKind::kWait, until);
    }

    void FinishWait(const std::shared_ptr<Frame>& f) {
        const State& st = *f->state;
        if (auto e = ApplyAssign(*f, st.assign, f->effective_input)) {
            StateError(f, *e);
            return;
        }
        auto output = ApplyOutputPath(*f, st, f->effective_input);
        if (!output) {
            StateError(f, output.error());
            return;
        }
        Transition(f, std::move(*output), st.end ? std::string() : st.next);
    }

    // Task --------------------------------------------------------------------------------------

    std::optional<std::int64_t> SecondsFromPath(Frame& f, const std::optional<JsonPath>& path, const char* field,
                                                RuntimeError& failure) {
        auto v = path->Evaluate(Env(f, f.effective_input).scope);
        if (!v || !v->is_number_integer() || v->get<std::int64_t>() <= 0) {
            failure = Runtime(std::string("The ") + field + " path '" + path->text() +
                              "' does not reference a positive integer");
            return std::nullopt;
        }
        return v->get<std::int64_t>();
    }

    void RunTask(const std::shared_ptr<Frame>& f) {
        const State& st = *f->state;
        std::optional<std::int64_t> timeout = st.timeout_seconds;
        std::optional<std::int64_t> heartbeat = st.heartbeat_seconds;
        RuntimeError failure;
        if (st.timeout_seconds_path) {
            timeout = SecondsFromPath(*f, st.timeout_seconds_path, "TimeoutSecondsPath", failure);
            if (!timeout) {
                StateError(f, failure);
                return;
            }
        }
        if (st.heartbeat_seconds_path) {
            heartbeat = SecondsFromPath(*f, st.heartbeat_seconds_path, "HeartbeatSecondsPath", failure);
            if (!heartbeat) {
                StateError(f, failure);
                return;
            }
        }
        {
            // A token per attempt: 64 hex digits from the seeded generator.
            static constexpr char kHex[] = "0123456789abcdef";
            std::string token;
            for (int w = 0; w < 4; ++w) {
                std::uint64_t x = random.NextU64();
                for (int i = 0; i < 16; ++i, x >>= 4) token.push_back(kHex[x & 0xF]);
            }
            f->task_token = std::move(token);
        }
        Json params = f->effective_input;
        if (st.parameters) {
            auto p = st.parameters->Evaluate(Env(*f, f->effective_input), errors::kParameterPathFailure);
            if (!p) {
                StateError(f, p.error());
                return;
            }
            params = std::move(*p);
            Inspect(*f, "afterParameters", params);
        }
        if (auto e = CheckSize(params, "task input")) {
            StateError(f, *e);
            return;
        }
        if (Mocked(f)) return;
        std::uint64_t id = next_id++;
        f->task_id = id;
        f->waiting = Frame::Waiting::kTask;
        tasks[id] = f;
        Json scheduled = {{"resource", st.resource}, {"parameters", params.dump()}};
        if (timeout) scheduled["timeoutInSeconds"] = *timeout;
        if (heartbeat) scheduled["heartbeatInSeconds"] = *heartbeat;
        Event(f.get(), "TaskScheduled", std::move(scheduled));
        Event(f.get(), "TaskStarted", Json{{"resource", st.resource}});
        InvokeTask invoke;
        invoke.task_id = id;
        invoke.state_name = st.name;
        invoke.resource = st.resource;
        invoke.parameters = std::move(params);
        invoke.credentials = st.credentials;
        invoke.timeout_seconds = timeout;
        invoke.heartbeat_seconds = heartbeat;
        invoke.task_token = f->task_token;
        effects.emplace_back(std::move(invoke));
        if (timeout) f->timeout_timer = ScheduleTimerAt(f, TimerKind::kTaskTimeout, now + std::chrono::seconds(*timeout));
        if (heartbeat) {
            f->heartbeat_seconds = *heartbeat;
            f->heartbeat_timer = ScheduleTimerAt(f, TimerKind::kHeartbeat, now + std::chrono::seconds(*heartbeat));
        }
    }

    void EndTask(Frame& f) {
        tasks.erase(f.task_id);
        f.task_id = 0;
        CancelTimerId(f.timeout_timer);
        CancelTimerId(f.heartbeat_timer);
    }

    void OnTaskSucceeded(std::uint64_t id, Json output) {
        auto it = tasks.find(id);
        if (it == tasks.end()) return;
        auto f = it->second;
        EndTask(*f);
        const State& st = *f->state;
        Event(f.get(), "TaskSucceeded", Json{{"resource", st.resource}, {"output", output.dump()}});
        if (auto e = CheckSize(output, "task result")) {
            StateError(f, *e);
            return;
        }
        CompleteWithResult(f, std::move(output));
    }

    void OnTaskFailed(std::uint64_t id, RuntimeError e) {
        auto it = tasks.find(id);
        if (it == tasks.end()) return;
        auto f = it->second;
        EndTask(*f);
        Event(f.get(), "TaskFailed", Json{{"resource", f->state->resource}, {"error", e.error}, {"cause", e.cause}});
        StateError(f, std::move(e));
    }

    void OnTaskTimedOut(const std::shared_ptr<Frame>& f, std::string_view error) {
        std::uint64_t id = f->task_id;
        EndTask(*f);
        effects.emplace_back(CancelTask{id});
        RuntimeError e{std::string(error), error == errors::kTimeout ? "Task timed out" : "Task heartbeat timed out"};
        Event(f.get(), "TaskTimedOut", Json{{"resource", f->state->resource}, {"error", e.error}, {"cause", e.cause}});
        StateError(f, std::move(e));
    }

    // Parallel ----------------------------------------------------------------------------------

    std::shared_ptr<Frame> NewChild(const std::shared_ptr<Frame>& parent, Frame::Kind kind,
                                    const StateMachine* m, std::size_t index) {
        auto child = std::make_shared<Frame>();
        child->kind = kind;
        child->machine = m;
        child->parent = parent.get();
        child->index = index;
        child->variables = parent->variables;
        child->last_event_id = parent->last_event_id;
        child->self = child;
        return child;
    }

    void RunParallel(const std::shared_ptr<Frame>& f, const std::shared_ptr<RedrivePoint>& resume) {
        const State& st = *f->state;
        Json input = f->effective_input;
        if (st.parameters) {
            auto p = st.parameters->Evaluate(Env(*f, f->effective_input), errors::kParameterPathFailure);
            if (!p) {
                StateError(f, p.error());
                return;
            }
            input = std::move(*p);
            Inspect(*f, "afterParameters", input);
        }
        if (Mocked(f)) return;
        Event(f.get(), "ParallelStateStarted", Json::object());
        std::size_t n = st.branches.size();
        bool redrive = resume && resume->children && resume->succeeded.size() == n && resume->results.is_array() &&
                       resume->results.size() == n;
        f->waiting = Frame::Waiting::kChildren;
        f->children.clear();
        f->results = redrive ? resume->results : Json::array();
        f->completed = 0;
        f->child_succeeded.assign(n, 0);
        f->child_points.assign(n, nullptr);
        for (std::size_t i = 0; i < n; ++i) {
            if (!redrive) f->results.push_back(nullptr);
            if (redrive && resume->succeeded[i]) {  // a branch that succeeded keeps its result
                f->child_succeeded[i] = 1;
                ++f->completed;
                f->children.push_back(nullptr);
                continue;
            }
            auto child = NewChild(f, Frame::Kind::kBranch, st.branches[i].get(), i);
            f->children.push_back(child);
            if (redrive && resume->points[i]) RestoreInto(child, resume->points[i]);
            else Queue(child, child->machine->Find(child->machine->start_at), input);
        }
        if (f->completed == n) ParallelSucceeded(f);
    }

    void ParallelSucceeded(const std::shared_ptr<Frame>& f) {
        Event(f.get(), "ParallelStateSucceeded", Json::object());
        f->child_succeeded.clear();
        Json results = std::move(f->results);
        CompleteWithResult(f, std::move(results));
    }

    // Map ---------------------------------------------------------------------------------------

    std::optional<std::int64_t> IntFromPath(Frame& f, const std::optional<JsonPath>& path, const char* field,
                                            RuntimeError& failure) {
        auto v = path->Evaluate(Env(f, f.effective_input).scope);
        if (!v || !v->is_number_integer() || v->get<std::int64_t>() < 0) {
            failure = Runtime(std::string("The ") + field + " path '" + path->text() +
                              "' does not reference a non-negative integer");
            return std::nullopt;
        }
        return v->get<std::int64_t>();
    }

    void RunMap(const std::shared_ptr<Frame>& f, const std::shared_ptr<RedrivePoint>& resume) {
        const State& st = *f->state;
        RuntimeError failure;
        f->max_concurrency = st.max_concurrency;
        if (st.max_concurrency_path) {
            auto v = IntFromPath(*f, st.max_concurrency_path, "MaxConcurrencyPath", failure);
            if (!v) {
                StateError(f, failure);
                return;
            }
            f->max_concurrency = *v;
        }
        f->tolerated_count = st.tolerated_failure_count;
        f->tolerated_percentage = st.tolerated_failure_percentage;
        if (st.tolerated_failure_count_path) {
            auto v = IntFromPath(*f, st.tolerated_failure_count_path, "ToleratedFailureCountPath", failure);
            if (!v) {
                StateError(f, failure);
                return;
            }
            f->tolerated_count = *v;
        }
        if (st.tolerated_failure_percentage_path) {
            auto v = st.tolerated_failure_percentage_path->Evaluate(Env(*f, f->effective_input).scope);
            if (!v || !v->is_number() || v->get<double>() < 0 || v->get<double>() > 100) {
                StateError(f, Runtime("The ToleratedFailurePercentagePath path does not reference a number "
                                      "between 0 and 100"));
                return;
            }
            f->tolerated_percentage = v->get<double>();
        }
        if (Testing(*f)) {
            if (f->max_concurrency) Inspect(*f, "maxConcurrency", f->max_concurrency);
            if (f->tolerated_count) Inspect(*f, "toleratedFailureCount", *f->tolerated_count);
            if (f->tolerated_percentage) Inspect(*f, "toleratedFailurePercentage", *f->tolerated_percentage);
        }
        if (resume && resume->children && resume->items.is_array() &&
            resume->succeeded.size() == resume->items.size()) {
            StartIterations(f, resume->items, resume);  // redrive: the same items, only the unfinished ones
            return;
        }
        if (Mocked(f)) return;
        if (st.item_reader) {
            Json params = Json::object();
            if (st.item_reader->parameters) {
                auto p = st.item_reader->parameters->Evaluate(Env(*f, f->effective_input), errors::kParameterPathFailure);
                if (!p) {
                    StateError(f, p.error());
                    return;
                }
                params = std::move(*p);
            }
            std::uint64_t id = next_id++;
            f->read_id = id;
            f->waiting = Frame::Waiting::kItems;
            reads[id] = f;
            effects.emplace_back(ReadItems{id, st.name, st.item_reader->resource, std::move(params),
                                           st.item_reader->input_type});
            return;
        }
        auto items = st.items_path->Evaluate(Env(*f, f->effective_input).scope);
        if (!items || !items->is_array()) {
            StateError(f, Runtime("An error occurred while executing the state '" + st.name + "'. Invalid path '" +
                                  st.items_path->text() + "': the ItemsPath must reference a JSON array"));
            return;
        }
        Inspect(*f, "afterItemsPath", *items);
        StartIterations(f, std::move(*items), nullptr);
    }

    void OnItemsRead(std::uint64_t id, Result<std::string> text) {
        auto it = reads.find(id);
        if (it == reads.end()) return;
        auto f = it->second;
        reads.erase(it);
        f->read_id = 0;
        const State& st = *f->state;
        if (!text) {
            StateError(f, RuntimeError{std::string(errors::kItemReaderFailed), text.error().message});
            return;
        }
        auto items = ParseItems(*text, *st.item_reader);
        if (!items) {
            StateError(f, RuntimeError{std::string(errors::kItemReaderFailed), items.error().message});
            return;
        }
        std::optional<std::int64_t> max_items = st.item_reader->max_items;
        if (st.item_reader->max_items_path) {
            RuntimeError failure;
            max_items = IntFromPath(*f, st.item_reader->max_items_path, "MaxItemsPath", failure);
            if (!max_items) {
                StateError(f, failure);
                return;
            }
        }
        if (max_items && static_cast<std::int64_t>(items->size()) > *max_items) {
            items->erase(items->begin() + *max_items, items->end());
        }
        StartIterations(f, std::move(*items), nullptr);
    }

    void StartIterations(const std::shared_ptr<Frame>& f, Json items, const std::shared_ptr<RedrivePoint>& resume) {
        const State& st = *f->state;
        f->items = std::move(items);
        std::size_t n = f->items.size();
        f->next_item = 0;
        f->running = 0;
        f->completed = 0;
        f->failed = 0;
        f->children.assign(n, nullptr);
        f->child_succeeded.assign(n, 0);
        f->child_points.assign(n, nullptr);
        f->restore.clear();
        if (resume && resume->results.is_array() && resume->results.size() == n) {
            f->results = resume->results;
            f->restore = resume->points;
            for (std::size_t i = 0; i < n; ++i) {
                if (!resume->succeeded[i]) continue;
                f->child_succeeded[i] = 1;
                ++f->completed;
            }
        } else {
            f->results = Json::array();
            for (std::size_t i = 0; i < n; ++i) f->results.push_back(nullptr);
        }
        f->waiting = Frame::Waiting::kChildren;
        Event(f.get(), "MapStateStarted", Json{{"length", n}});
        if (st.distributed) Event(f.get(), resume ? "MapRunRedriven" : "MapRunStarted", Json::object());
        if (f->completed == n) {
            FinishMap(f);
            return;
        }
        LaunchIterations(f);
    }

    void LaunchIterations(const std::shared_ptr<Frame>& f) {
        const State& st = *f->state;
        while (f->next_item < f->items.size() &&
               (f->max_concurrency == 0 || f->running < static_cast<std::size_t>(f->max_concurrency))) {
            std::size_t i = f->next_item++;
            if (f->child_succeeded[i]) continue;  // redrive: done before
            if (i < f->restore.size() && f->restore[i]) {
                auto child = NewChild(f, Frame::Kind::kIteration, st.processor.get(), i);
                f->children[i] = child;
                ++f->running;
                Event(f.get(), "MapIterationStarted", Json{{"name", st.name}, {"index", i}});
                child->last_event_id = f->last_event_id;
                RestoreInto(child, f->restore[i]);
                f->restore[i] = nullptr;
                continue;
            }
            Json input = f->items[i];
            if (st.item_selector) {
                Json& ctx = ContextFor(*f);
                ctx["Map"] = {{"Item", {{"Index", i}, {"Value", f->items[i]}}}};
                auto p = st.item_selector->Evaluate(EvalEnv{PathScope{&f->effective_input, &ctx, &f->variables}, &random},
                                                    errors::kParameterPathFailure);
                ctx.erase("Map");
                if (!p) {
                    AbortChildren(*f);
                    MapFailed(f, p.error());
                    return;
                }
                input = std::move(*p);
            }
            auto child = NewChild(f, Frame::Kind::kIteration, st.processor.get(), i);
            f->children[i] = child;
            ++f->running;
            Event(f.get(), "MapIterationStarted", Json{{"name", st.name}, {"index", i}});
            child->last_event_id = f->last_event_id;
            Queue(child, child->machine->Find(child->machine->start_at), std::move(input));
        }
    }

    bool ToleranceExceeded(const Frame& f) const {
        bool configured = f.tolerated_count || f.tolerated_percentage;
        if (!configured) return f.failed > 0;
        if (f.tolerated_count && static_cast<std::int64_t>(f.failed) > *f.tolerated_count) return true;
        if (f.tolerated_percentage && !f.items.empty() &&
            static_cast<double>(f.failed) * 100.0 / static_cast<double>(f.items.size()) > *f.tolerated_percentage) {
            return true;
        }
        return false;
    }

    void MapFailed(const std::shared_ptr<Frame>& f, RuntimeError e) {
        if (f->state->distributed) Event(f.get(), "MapRunFailed", Json{{"error", e.error}, {"cause", e.cause}});
        Event(f.get(), "MapStateFailed", Json::object());
        StateError(f, std::move(e));
    }

    void FinishMap(const std::shared_ptr<Frame>& f) {
        if (f->state->distributed) Event(f.get(), "MapRunSucceeded", Json::object());
        Event(f.get(), "MapStateSucceeded", Json::object());
        f->child_succeeded.clear();
        f->restore.clear();
        Json results = std::move(f->results);
        f->results = Json();
        CompleteWithResult(f, std::move(results));
    }

    void OnChildDone(Frame& child, bool ok, Json output, RuntimeError e) {
        Frame* raw = child.parent;
        if (!raw || raw->done || raw->waiting != Frame::Waiting::kChildren) return;
        std::shared_ptr<Frame> f = SharedOf(raw);
        if (!f) return;
        const State& st = *f->state;
        std::size_t i = child.index;
        if (i < f->child_points.size()) {
            if (ok) f->child_succeeded[i] = 1;
            else f->child_points[i] = child.point;
        }
        if (st.type == StateType::kParallel) {
            if (!ok) {
                AbortChildren(*f);
                Event(f.get(), "ParallelStateFailed", Json{{"error", e.error}, {"cause", e.cause}});
                StateError(f, std::move(e));
                return;
            }
            f->results[i] = std::move(output);
            if (++f->completed == st.branches.size()) ParallelSucceeded(f);
            return;
        }
        // Map
        --f->running;
        ++f->completed;
        if (ok) {
            Event(f.get(), "MapIterationSucceeded", Json{{"name", st.name}, {"index", i}});
            f->results[i] = std::move(output);
        } else {
            Event(f.get(), "MapIterationFailed", Json{{"name", st.name}, {"index", i}});
            bool tolerance = st.distributed || f->tolerated_count || f->tolerated_percentage;
            if (!tolerance) {
                AbortChildren(*f);
                MapFailed(f, std::move(e));
                return;
            }
            ++f->failed;
            f->results[i] = ErrorOutput(e);
            if (ToleranceExceeded(*f)) {
                AbortChildren(*f);
                MapFailed(f, RuntimeError{std::string(errors::kExceedToleratedFailureThreshold),
                                          "The specified tolerated failure threshold was exceeded"});
                return;
            }
        }
        f->children[i].reset();
        if (f->completed == f->items.size()) {
            FinishMap(f);
            return;
        }
        LaunchIterations(f);
    }

    /// The owning shared_ptr of a frame (frames are owned by their parent or by `root`).
    static std::shared_ptr<Frame> SharedOf(Frame* f) { return f->self.lock(); }

    // --- frame completion and abort ------------------------------------------------------------

    void FrameSucceeded(const std::shared_ptr<Frame>& f, Json output) {
        f->done = true;
        if (f->kind == Frame::Kind::kRoot) {
            if (execution_timer) CancelTimerId(execution_timer);
            Event(f.get(), "ExecutionSucceeded", Json{{"output", output.dump()}});
            owner.status_ = ExecutionStatus::kSucceeded;
            owner.output_ = output;
            effects.emplace_back(ExecutionFinished{ExecutionStatus::kSucceeded, std::move(output), "", ""});
            return;
        }
        OnChildDone(*f, true, std::move(output), {});
    }

    void FrameFailed(const std::shared_ptr<Frame>& f, RuntimeError e) {
        if (Testing(*f)) {
            TestDone(f, "FAILED", std::nullopt, std::move(e), "");
            return;
        }
        f->point = MakePoint(*f);
        f->done = true;
        f->waiting = Frame::Waiting::kNone;
        if (f->kind == Frame::Kind::kRoot) {
            Finish(ExecutionStatus::kFailed, "ExecutionFailed", std::move(e));
            return;
        }
        OnChildDone(*f, false, Json(), std::move(e));
    }

    void Finish(ExecutionStatus status, const char* event, RuntimeError e) {
        if (outcome && outcome->status.empty()) {
            outcome->status = "FAILED";
            outcome->error = e.error;
            outcome->cause = e.cause;
        }
        if (execution_timer) CancelTimerId(execution_timer);
        AbortFrame(*root, true);
        Event(root.get(), event, Json{{"error", e.error}, {"cause", e.cause}});
        owner.status_ = status;
        owner.error_ = e.error;
        owner.cause_ = e.cause;
        effects.emplace_back(ExecutionFinished{status, std::nullopt, std::move(e.error), std::move(e.cause)});
    }

    void AbortChildren(Frame& f) {
        for (auto& c : f.children) {
            if (c && !c->done) {
                AbortFrame(*c, true);
                if (c->index < f.child_points.size()) f.child_points[c->index] = c->point;
                if (c->kind == Frame::Kind::kIteration) {
                    Event(&f, "MapIterationAborted", Json{{"name", f.state->name}, {"index", c->index}});
                }
            }
        }
        f.children.clear();
    }

    /// Stops everything `f` waits for; `emit` adds the *StateAborted event of its current state.
    void AbortFrame(Frame& f, bool emit) {
        bool was_waiting = f.waiting != Frame::Waiting::kNone;
        if (f.task_id) {
            std::uint64_t id = f.task_id;
            tasks.erase(id);
            f.task_id = 0;
            effects.emplace_back(CancelTask{id});
        }
        CancelTimerId(f.timer_id);
        CancelTimerId(f.timeout_timer);
        CancelTimerId(f.heartbeat_timer);
        if (f.read_id) {
            reads.erase(f.read_id);
            f.read_id = 0;
        }
        AbortChildren(f);
        if (!f.done) f.point = MakePoint(f);
        if (emit && was_waiting && f.state && !f.done) {
            Event(&f, TypeName(*f.state) + "StateAborted", Json{{"name", f.state->name}});
        }
        f.waiting = Frame::Waiting::kNone;
        f.done = true;
    }

    // --- timers ---------------------------------------------------------------------------------

    void OnTimer(std::uint64_t id) {
        auto it = timers.find(id);
        if (it == timers.end()) return;
        TimerEntry entry = std::move(it->second);
        timers.erase(it);
        auto& f = entry.frame;
        switch (entry.kind) {
            case TimerKind::kExecutionTimeout:
                execution_timer = 0;
                Finish(ExecutionStatus::kTimedOut, "ExecutionTimedOut",
                       RuntimeError{std::string(errors::kTimeout), "The execution timed out"});
                return;
            case TimerKind::kWait:
                if (f->done || f->timer_id != id) return;
                f->timer_id = 0;
                f->waiting = Frame::Waiting::kNone;
                FinishWait(f);
                return;
            case TimerKind::kRetry:
                if (f->done || f->timer_id != id) return;
                f->timer_id = 0;
                steps.push_back(StepEntry{f, true});
                return;
            case TimerKind::kTaskTimeout:
                if (f->done || f->timeout_timer != id) return;
                f->timeout_timer = 0;
                OnTaskTimedOut(f, errors::kTimeout);
                return;
            case TimerKind::kHeartbeat:
                if (f->done || f->heartbeat_timer != id) return;
                f->heartbeat_timer = 0;
                OnTaskTimedOut(f, errors::kHeartbeatTimeout);
                return;
        }
    }

    void OnHeartbeat(std::uint64_t id) {
        auto it = tasks.find(id);
        if (it == tasks.end()) return;
        auto f = it->second;
        if (!f->heartbeat_timer) return;
        CancelTimerId(f->heartbeat_timer);
        f->heartbeat_timer = ScheduleTimerAt(f, TimerKind::kHeartbeat, now + std::chrono::seconds(f->heartbeat_seconds));
    }

    /// Runs a host callback safely: bad input never escapes as an exception.
    template <typename Fn>
    std::vector<Effect> Run(TimePoint t, Fn&& fn) {
        if (owner.status_ != ExecutionStatus::kRunning) return {};
        now = t;
        try {
            fn();
            Pump();
        } catch (const std::exception& ex) {
            // nlohmann rejects e.g. invalid UTF-8 while serialising; that is a runtime error of the
            // execution, not of the host.
            if (owner.status_ == ExecutionStatus::kRunning) {
                steps.clear();
                Finish(ExecutionStatus::kFailed, "ExecutionFailed", Runtime(std::string("Internal error: ") + ex.what()));
            }
        }
        return TakeEffects();
    }
};

Execution::Execution(std::shared_ptr<const StateMachine> machine, ExecutionInfo info, Json input, std::uint64_t seed)
    : impl_(std::make_unique<Impl>(*this, std::move(machine), std::move(info), std::move(input), seed)) {}

Execution::~Execution() = default;

std::vector<Effect> Execution::Start(TimePoint now) {
    return impl_->Run(now, [&] {
        Impl& m = *impl_;
        m.root = std::make_shared<Frame>();
        m.root->kind = Frame::Kind::kRoot;
        m.root->machine = m.machine.get();
        m.root->self = m.root;
        m.Event(m.root.get(), "ExecutionStarted",
                Json{{"input", m.execution_input.dump()}, {"roleArn", m.info.role_arn}});
        if (auto e = Impl::CheckSize(m.execution_input, "execution input")) {
            m.Finish(ExecutionStatus::kFailed, "ExecutionFailed", *e);
            return;
        }
        if (m.test) {
            // TestState runs for at most five minutes (AWS: "fails with the States.Timeout error").
            if (m.test->variables.is_object()) m.root->variables = m.test->variables;
            m.execution_timer = m.ScheduleTimerAt(m.root, Impl::TimerKind::kExecutionTimeout, now + std::chrono::minutes(5));
            const State* st = m.machine->Find(m.test->state_name);
            if (!st) {
                m.Finish(ExecutionStatus::kFailed, "ExecutionFailed",
                         Impl::Runtime("The state '" + m.test->state_name + "' does not exist"));
                return;
            }
            m.Queue(m.root, st, m.execution_input);
            return;
        }
        if (m.machine->timeout_seconds) {
            m.execution_timer = m.ScheduleTimerAt(m.root, Impl::TimerKind::kExecutionTimeout,
                                                  now + std::chrono::seconds(*m.machine->timeout_seconds));
        }
        m.Queue(m.root, m.machine->Find(m.machine->start_at), m.execution_input);
    });
}

Execution::Execution(std::shared_ptr<const StateMachine> machine, ExecutionInfo info, Json input, std::uint64_t seed,
                     TestOptions test)
    : impl_(std::make_unique<Impl>(*this, std::move(machine), std::move(info), std::move(input), seed)) {
    impl_->test = std::move(test);
    impl_->outcome = TestOutcome{};
}

std::vector<Effect> Execution::Redrive(TimePoint now) {
    Impl& m = *impl_;
    if (status_ == ExecutionStatus::kRunning || status_ == ExecutionStatus::kSucceeded || !m.root || m.test) return {};
    status_ = ExecutionStatus::kRunning;
    output_.reset();
    error_.clear();
    cause_.clear();
    return m.Run(now, [&] {
        ++m.info.redrive_count;
        m.context["Execution"]["RedriveCount"] = m.info.redrive_count;
        m.context["Execution"]["RedriveTime"] = core::FormatIso8601(now);
        m.steps.clear();
        m.tasks.clear();
        m.timers.clear();
        m.reads.clear();
        std::shared_ptr<RedrivePoint> point = m.root->point;
        auto root = std::make_shared<Frame>();
        root->kind = Frame::Kind::kRoot;
        root->machine = m.machine.get();
        root->self = root;
        root->last_event_id = m.root->last_event_id;
        m.root = root;
        m.Event(root.get(), "ExecutionRedriven", Json{{"redriveCount", m.info.redrive_count}});
        if (m.machine->timeout_seconds) {  // AWS: the machine's timeout starts again at the redrive
            m.execution_timer = m.ScheduleTimerAt(root, Impl::TimerKind::kExecutionTimeout,
                                                  now + std::chrono::seconds(*m.machine->timeout_seconds));
        }
        if (point && point->state) m.RestoreInto(root, point);
        else m.Queue(root, m.machine->Find(m.machine->start_at), m.execution_input);
    });
}

std::int64_t Execution::redrive_count() const { return impl_->info.redrive_count; }

const std::optional<TestOutcome>& Execution::test_outcome() const { return impl_->outcome; }

std::vector<Effect> Execution::TaskSucceeded(std::uint64_t task_id, Json output, TimePoint now) {
    return impl_->Run(now, [&] { impl_->OnTaskSucceeded(task_id, std::move(output)); });
}

std::vector<Effect> Execution::TaskFailed(std::uint64_t task_id, std::string error, std::string cause, TimePoint now) {
    return impl_->Run(now, [&] { impl_->OnTaskFailed(task_id, RuntimeError{std::move(error), std::move(cause)}); });
}

std::vector<Effect> Execution::TaskHeartbeat(std::uint64_t task_id, TimePoint now) {
    return impl_->Run(now, [&] { impl_->OnHeartbeat(task_id); });
}

std::vector<Effect> Execution::TimerFired(std::uint64_t timer_id, TimePoint now) {
    return impl_->Run(now, [&] { impl_->OnTimer(timer_id); });
}

std::vector<Effect> Execution::ItemsRead(std::uint64_t read_id, core::Result<std::string> text, TimePoint now) {
    return impl_->Run(now, [&] { impl_->OnItemsRead(read_id, std::move(text)); });
}

std::vector<Effect> Execution::Stop(std::string error, std::string cause, TimePoint now) {
    return impl_->Run(now, [&] {
        impl_->steps.clear();
        impl_->Finish(ExecutionStatus::kAborted, "ExecutionAborted", RuntimeError{std::move(error), std::move(cause)});
    });
}

std::vector<std::uint64_t> Execution::PendingTasks() const {
    std::vector<std::uint64_t> out;
    for (const auto& [id, frame] : impl_->tasks) out.push_back(id);
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace sim::aws::sfn::asl
