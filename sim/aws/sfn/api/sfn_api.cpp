#include "sim/aws/sfn/api/sfn_api.hpp"

#include <functional>
#include <map>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "sim/aws/protocol/aws_request.hpp"
#include "sim/aws/protocol/errors.hpp"
#include "sim/core/trace.hpp"

namespace sim::aws::sfn::api {

namespace {

using core::Request;
using core::Respond;
using core::Response;
using engine::ExecutionRecord;
using engine::ExecutionStatus;
using engine::Json;
using engine::MachineType;
using engine::SfnError;
using engine::SfnErrorCode;
using engine::StateMachineInfo;
using engine::StoredEvent;

constexpr const char* kJsonType = "application/x-amz-json-1.0";
constexpr std::size_t kDefaultPage = 100;

/// A request parameter that is missing or of the wrong type (ValidationException).
struct BadInput : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct WireError {
    int status;
    const char* code;
};

/// The one table from engine errors to AWS error codes.
WireError ToWire(SfnErrorCode code) {
    switch (code) {
        case SfnErrorCode::kInvalidArn: return {400, "InvalidArn"};
        case SfnErrorCode::kInvalidName: return {400, "InvalidName"};
        case SfnErrorCode::kInvalidDefinition: return {400, "InvalidDefinition"};
        case SfnErrorCode::kInvalidExecutionInput: return {400, "InvalidExecutionInput"};
        case SfnErrorCode::kInvalidOutput: return {400, "InvalidOutput"};
        case SfnErrorCode::kInvalidToken: return {400, "InvalidToken"};
        case SfnErrorCode::kStateMachineDoesNotExist: return {400, "StateMachineDoesNotExist"};
        case SfnErrorCode::kStateMachineAlreadyExists: return {400, "StateMachineAlreadyExists"};
        case SfnErrorCode::kStateMachineTypeNotSupported: return {400, "StateMachineTypeNotSupported"};
        case SfnErrorCode::kExecutionDoesNotExist: return {400, "ExecutionDoesNotExist"};
        case SfnErrorCode::kExecutionAlreadyExists: return {400, "ExecutionAlreadyExists"};
        case SfnErrorCode::kExecutionNotRedrivable: return {400, "ExecutionNotRedrivable"};
        case SfnErrorCode::kExecutionLimitExceeded: return {400, "ExecutionLimitExceeded"};
        case SfnErrorCode::kTaskDoesNotExist: return {400, "TaskDoesNotExist"};
        case SfnErrorCode::kResourceNotFound: return {400, "ResourceNotFound"};
        case SfnErrorCode::kTooManyTags: return {400, "TooManyTags"};
        case SfnErrorCode::kValidation: return {400, "ValidationException"};
    }
    return {400, "ValidationException"};
}

double Epoch(core::TimePoint t) { return core::ToEpochSeconds(t); }

std::string RequiredString(const Json& in, const char* name) {
    if (!in.contains(name) || !in[name].is_string() || in[name].get<std::string>().empty())
        throw BadInput(std::string("1 validation error detected: Value at '") + name +
                       "' failed to satisfy constraint: Member must not be null");
    return in[name].get<std::string>();
}

std::optional<std::string> OptionalString(const Json& in, const char* name) {
    if (!in.contains(name) || in[name].is_null()) return std::nullopt;
    if (!in[name].is_string()) throw BadInput(std::string("Value at '") + name + "' must be a string");
    return in[name].get<std::string>();
}

std::size_t MaxResults(const Json& in) {
    if (!in.contains("maxResults") || in["maxResults"].is_null()) return kDefaultPage;
    if (!in["maxResults"].is_number_integer() || in["maxResults"].get<std::int64_t>() < 0 ||
        in["maxResults"].get<std::int64_t>() > 1000)
        throw BadInput("1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must "
                       "have value less than or equal to 1000");
    auto v = in["maxResults"].get<std::size_t>();
    return v == 0 ? kDefaultPage : v;
}

/// Page tokens are "<kind>:<number>"; anything else is InvalidToken.
std::optional<std::int64_t> PageToken(const Json& in, std::string_view kind) {
    auto token = OptionalString(in, "nextToken");
    if (!token) return std::nullopt;
    std::string prefix = std::string(kind) + ":";
    if (token->rfind(prefix, 0) != 0) throw std::invalid_argument("Invalid Token: '" + *token + "'");
    try {
        return std::stoll(token->substr(prefix.size()));
    } catch (const std::exception&) {
        throw std::invalid_argument("Invalid Token: '" + *token + "'");
    }
}

std::map<std::string, std::string> TagsFrom(const Json& in) {
    std::map<std::string, std::string> tags;
    if (!in.contains("tags")) return tags;
    if (!in["tags"].is_array()) throw BadInput("Value at 'tags' must be a list");
    for (const auto& t : in["tags"]) {
        if (!t.is_object() || !t.contains("key") || !t["key"].is_string())
            throw BadInput("Every tag needs a string 'key'");
        tags[t["key"].get<std::string>()] = t.value("value", std::string());
    }
    return tags;
}

Json TagList(const std::map<std::string, std::string>& tags) {
    Json out = Json::array();
    for (const auto& [k, v] : tags) out.push_back(Json{{"key", k}, {"value", v}});
    return out;
}

std::string_view TypeName(MachineType t) { return t == MachineType::kExpress ? "EXPRESS" : "STANDARD"; }

Json LoggingOf(const StateMachineInfo& m) {
    if (m.logging_configuration.is_object()) return m.logging_configuration;
    return Json{{"level", "OFF"}, {"includeExecutionData", false}};
}
Json TracingOf(const StateMachineInfo& m) {
    if (m.tracing_configuration.is_object()) return m.tracing_configuration;
    return Json{{"enabled", false}};
}

Json ExecutionJson(const ExecutionRecord& e, bool with_data) {
    Json out = {{"executionArn", e.arn},
                {"stateMachineArn", e.state_machine_arn},
                {"name", e.name},
                {"status", asl::ExecutionStatusName(e.status)},
                {"startDate", Epoch(e.start_date)}};
    if (e.stop_date) out["stopDate"] = Epoch(*e.stop_date);
    out["redriveCount"] = e.redrive_count;
    if (e.redrive_date) out["redriveDate"] = Epoch(*e.redrive_date);
    if (!with_data) return out;
    out["input"] = e.input;
    out["inputDetails"] = {{"included", true}};
    if (e.output) {
        out["output"] = *e.output;
        out["outputDetails"] = {{"included", true}};
    }
    if (!e.error.empty()) out["error"] = e.error;
    if (!e.cause.empty()) out["cause"] = e.cause;
    if (!e.trace_header.empty()) out["traceHeader"] = e.trace_header;
    return out;
}

/// "arn:aws:states:::sqs:sendMessage.waitForTaskToken" -> ("sqs", "sendMessage.waitForTaskToken").
std::pair<std::string, std::string> SplitResource(const std::string& resource) {
    constexpr std::string_view kStates = "arn:aws:states:::";
    if (resource.rfind(kStates, 0) == 0) {
        std::string rest = resource.substr(kStates.size());
        auto colon = rest.rfind(':');
        if (colon != std::string::npos) return {rest.substr(0, colon), rest.substr(colon + 1)};
        return {rest, rest};
    }
    if (resource.rfind("arn:aws:lambda:", 0) == 0) return {"lambda", resource};
    return {"activity", resource};
}

std::string LowerFirst(std::string s) {
    if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
    return s;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

/// One history event in AWS's shape: the interpreter's details go into the member for its type.
Json EventJson(const StoredEvent& e, const std::string& region, bool include_data) {
    Json out = {{"timestamp", Epoch(e.timestamp)}, {"type", e.type}, {"id", e.id}, {"previousEventId", e.previous_event_id}};
    const Json& d = e.details.is_object() ? e.details : Json::object();
    auto text = [](const Json& v) -> Json { return v.is_string() ? v : Json(v.dump()); };
    auto copy = [&](Json& into, const char* key) {
        if (d.contains(key) && !(d[key].is_string() && d[key].get<std::string>().empty())) into[key] = d[key];
    };
    Json details = Json::object();
    std::string member;
    const std::string& t = e.type;
    if (EndsWith(t, "StateEntered")) {
        member = "stateEnteredEventDetails";
        details["name"] = d.value("name", std::string());
        if (include_data) details["input"] = text(d.value("input", Json::object()));
        details["inputDetails"] = {{"truncated", false}};
    } else if (EndsWith(t, "StateExited")) {
        member = "stateExitedEventDetails";
        details["name"] = d.value("name", std::string());
        if (include_data) details["output"] = text(d.value("output", Json::object()));
        details["outputDetails"] = {{"truncated", false}};
    } else if (t == "ExecutionStarted") {
        member = "executionStartedEventDetails";
        if (include_data) details["input"] = text(d.value("input", Json::object()));
        details["inputDetails"] = {{"truncated", false}};
        copy(details, "roleArn");
    } else if (t == "ExecutionSucceeded") {
        member = "executionSucceededEventDetails";
        if (include_data) details["output"] = text(d.value("output", Json::object()));
        details["outputDetails"] = {{"truncated", false}};
    } else if (t == "ExecutionFailed" || t == "ExecutionAborted" || t == "ExecutionTimedOut" || t == "MapRunFailed") {
        member = LowerFirst(t) + "EventDetails";
        copy(details, "error");
        copy(details, "cause");
    } else if (t.rfind("Task", 0) == 0 && !EndsWith(t, "StateAborted")) {
        member = LowerFirst(t) + "EventDetails";
        auto [type, resource] = SplitResource(d.value("resource", std::string()));
        details["resourceType"] = type;
        details["resource"] = resource;
        if (t == "TaskScheduled") {
            details["region"] = region;
            if (include_data) details["parameters"] = text(d.value("parameters", Json::object()));
            copy(details, "timeoutInSeconds");
            copy(details, "heartbeatInSeconds");
        }
        if (t == "TaskSucceeded" || t == "TaskSubmitted") {
            if (include_data) details["output"] = text(d.value("output", Json::object()));
            details["outputDetails"] = {{"truncated", false}};
        }
        copy(details, "error");
        copy(details, "cause");
    } else if (t == "ExecutionRedriven") {
        member = "executionRedrivenEventDetails";
        details["redriveCount"] = d.value("redriveCount", 0);
    } else if (t == "MapStateStarted") {
        member = "mapStateStartedEventDetails";
        details["length"] = d.value("length", 0);
    } else if (t.rfind("MapIteration", 0) == 0) {
        member = LowerFirst(t) + "EventDetails";
        copy(details, "name");
        if (d.contains("index")) details["index"] = d["index"];
    }
    if (!member.empty()) out[member] = std::move(details);
    return out;
}

}  // namespace

struct SfnApi::Impl {
    engine::SfnEngine& engine;
    core::IdGenerator ids;

    struct Ctx {
        std::string region;
        std::string trace;
    };
    using Reply = std::function<void(std::optional<SfnError>, Json)>;
    using Op = std::function<void(Impl&, const Json&, const Ctx&, Reply)>;

    static const std::map<std::string, Op, std::less<>>& Ops() {
        static const std::map<std::string, Op, std::less<>> ops = {
            {"CreateStateMachine", &Impl::CreateStateMachine},
            {"DescribeStateMachine", &Impl::DescribeStateMachine},
            {"ListStateMachines", &Impl::ListStateMachines},
            {"UpdateStateMachine", &Impl::UpdateStateMachine},
            {"DeleteStateMachine", &Impl::DeleteStateMachine},
            {"StartExecution", &Impl::StartExecution},
            {"StartSyncExecution", &Impl::StartSyncExecution},
            {"DescribeExecution", &Impl::DescribeExecution},
            {"ListExecutions", &Impl::ListExecutions},
            {"GetExecutionHistory", &Impl::GetExecutionHistory},
            {"StopExecution", &Impl::StopExecution},
            {"RedriveExecution", &Impl::RedriveExecution},
            {"TestState", &Impl::TestState},
            {"DescribeStateMachineForExecution", &Impl::DescribeStateMachineForExecution},
            {"SendTaskSuccess", &Impl::SendTaskSuccess},
            {"SendTaskFailure", &Impl::SendTaskFailure},
            {"SendTaskHeartbeat", &Impl::SendTaskHeartbeat},
            {"TagResource", &Impl::TagResource},
            {"UntagResource", &Impl::UntagResource},
            {"ListTagsForResource", &Impl::ListTagsForResource},
        };
        return ops;
    }

    template <typename T>
    static bool Failed(const core::Result<T, SfnError>& r, const Reply& reply) {
        if (r.ok()) return false;
        reply(r.error(), Json());
        return true;
    }

    void CreateStateMachine(const Json& in, const Ctx& ctx, Reply reply) {
        engine::CreateStateMachineRequest r;
        r.name = RequiredString(in, "name");
        r.definition = RequiredString(in, "definition");
        r.role_arn = RequiredString(in, "roleArn");
        auto type = OptionalString(in, "type").value_or("STANDARD");
        if (type != "STANDARD" && type != "EXPRESS")
            throw BadInput("1 validation error detected: Value '" + type +
                           "' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]");
        r.type = type == "EXPRESS" ? MachineType::kExpress : MachineType::kStandard;
        r.region = ctx.region;
        r.description = OptionalString(in, "description").value_or("");
        if (in.contains("loggingConfiguration")) r.logging_configuration = in["loggingConfiguration"];
        if (in.contains("tracingConfiguration")) r.tracing_configuration = in["tracingConfiguration"];
        r.tags = TagsFrom(in);
        auto m = engine.CreateStateMachine(r);
        if (Failed(m, reply)) return;
        reply(std::nullopt, Json{{"stateMachineArn", m->arn}, {"creationDate", Epoch(m->creation_date)}});
    }

    void DescribeStateMachine(const Json& in, const Ctx&, Reply reply) {
        auto m = engine.DescribeStateMachine(RequiredString(in, "stateMachineArn"));
        if (Failed(m, reply)) return;
        Json out = {{"stateMachineArn", m->arn},
                    {"name", m->name},
                    {"status", "ACTIVE"},
                    {"definition", m->revision->definition},
                    {"roleArn", m->revision->role_arn},
                    {"type", TypeName(m->type)},
                    {"creationDate", Epoch(m->creation_date)},
                    {"loggingConfiguration", LoggingOf(*m)},
                    {"tracingConfiguration", TracingOf(*m)},
                    {"revisionId", m->revision->revision_id}};
        if (!m->description.empty()) out["description"] = m->description;
        reply(std::nullopt, out);
    }

    void ListStateMachines(const Json& in, const Ctx&, Reply reply) {
        std::size_t max = MaxResults(in);
        std::int64_t after = PageToken(in, "sm").value_or(0);
        Json out = {{"stateMachines", Json::array()}};
        std::int64_t last = 0;
        for (const auto& m : engine.ListStateMachines()) {
            if (m.seq <= after) continue;
            if (out["stateMachines"].size() == max) {
                out["nextToken"] = "sm:" + std::to_string(last);
                break;
            }
            out["stateMachines"].push_back(Json{{"stateMachineArn", m.arn},
                                                {"name", m.name},
                                                {"type", TypeName(m.type)},
                                                {"creationDate", Epoch(m.creation_date)}});
            last = m.seq;
        }
        reply(std::nullopt, out);
    }

    void UpdateStateMachine(const Json& in, const Ctx&, Reply reply) {
        engine::UpdateStateMachineRequest r;
        r.arn = RequiredString(in, "stateMachineArn");
        r.definition = OptionalString(in, "definition");
        r.role_arn = OptionalString(in, "roleArn");
        if (in.contains("loggingConfiguration")) r.logging_configuration = in["loggingConfiguration"];
        if (in.contains("tracingConfiguration")) r.tracing_configuration = in["tracingConfiguration"];
        if (!r.definition && !r.role_arn && !r.logging_configuration && !r.tracing_configuration)
            throw BadInput("Either the definition, the role ARN, the LoggingConfiguration, or the "
                           "TracingConfiguration must be specified");
        auto m = engine.UpdateStateMachine(r);
        if (Failed(m, reply)) return;
        reply(std::nullopt, Json{{"updateDate", Epoch(*m->update_date)}, {"revisionId", m->revision->revision_id}});
    }

    void DeleteStateMachine(const Json& in, const Ctx&, Reply reply) {
        auto s = engine.DeleteStateMachine(RequiredString(in, "stateMachineArn"));
        if (Failed(s, reply)) return;
        reply(std::nullopt, Json::object());
    }

    static engine::StartExecutionRequest StartRequest(const Json& in, const Ctx& ctx) {
        engine::StartExecutionRequest r;
        r.state_machine_arn = RequiredString(in, "stateMachineArn");
        r.name = OptionalString(in, "name");
        r.input = OptionalString(in, "input");
        r.trace_header = OptionalString(in, "traceHeader").value_or(ctx.trace);
        return r;
    }

    void StartExecution(const Json& in, const Ctx& ctx, Reply reply) {
        auto e = engine.StartExecution(StartRequest(in, ctx));
        if (Failed(e, reply)) return;
        reply(std::nullopt, Json{{"executionArn", e->arn}, {"startDate", Epoch(e->start_date)}});
    }

    void StartSyncExecution(const Json& in, const Ctx& ctx, Reply reply) {
        auto answered = std::make_shared<bool>(false);
        auto s = engine.StartSyncExecution(StartRequest(in, ctx), [reply, answered](const ExecutionRecord& e) {
            if (*answered) return;
            *answered = true;
            Json out = ExecutionJson(e, true);
            out.erase("redriveCount");
            out.erase("redriveDate");
            auto ms = e.stop_date ? std::chrono::duration_cast<std::chrono::milliseconds>(*e.stop_date - e.start_date).count()
                                  : 0;
            out["billingDetails"] = {{"billedMemoryUsedInMB", 64}, {"billedDurationInMilliseconds", std::max<std::int64_t>(ms, 100)}};
            reply(std::nullopt, out);
        });
        if (!s.ok() && !*answered) {
            *answered = true;
            reply(s.error(), Json());
        }
    }

    void DescribeExecution(const Json& in, const Ctx&, Reply reply) {
        auto e = engine.DescribeExecution(RequiredString(in, "executionArn"));
        if (Failed(e, reply)) return;
        Json out = ExecutionJson(*e, true);
        auto blocker = engine.RedriveBlocker(*e);
        out["redriveStatus"] = blocker ? "NOT_REDRIVABLE" : "REDRIVABLE";
        if (blocker) out["redriveStatusReason"] = *blocker;
        reply(std::nullopt, out);
    }

    void ListExecutions(const Json& in, const Ctx&, Reply reply) {
        std::string arn = RequiredString(in, "stateMachineArn");
        std::optional<ExecutionStatus> status;
        if (auto f = OptionalString(in, "statusFilter")) {
            static const std::map<std::string, ExecutionStatus> kStatuses = {
                {"RUNNING", ExecutionStatus::kRunning},     {"SUCCEEDED", ExecutionStatus::kSucceeded},
                {"FAILED", ExecutionStatus::kFailed},       {"TIMED_OUT", ExecutionStatus::kTimedOut},
                {"ABORTED", ExecutionStatus::kAborted}};
            auto it = kStatuses.find(*f);
            if (it == kStatuses.end() && *f != "PENDING_REDRIVE")
                throw BadInput("1 validation error detected: Value '" + *f +
                               "' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: "
                               "[SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]");
            // PENDING_REDRIVE never matches (no redrive): an impossible status filters out everything.
            status = it == kStatuses.end() ? std::optional<ExecutionStatus>() : it->second;
            if (it == kStatuses.end()) return reply(std::nullopt, Json{{"executions", Json::array()}});
        }
        std::optional<bool> redriven;
        if (auto f = OptionalString(in, "redriveFilter")) {
            if (*f != "REDRIVEN" && *f != "NOT_REDRIVEN")
                throw BadInput("1 validation error detected: Value '" + *f +
                               "' at 'redriveFilter' failed to satisfy constraint: Member must satisfy enum value set: "
                               "[REDRIVEN, NOT_REDRIVEN]");
            redriven = *f == "REDRIVEN";
        }
        std::size_t max = MaxResults(in);
        std::int64_t before = PageToken(in, "ex").value_or(0);
        auto list = engine.ListExecutions(arn, status, before, max + 1, redriven);
        if (Failed(list, reply)) return;
        Json out = {{"executions", Json::array()}};
        for (std::size_t i = 0; i < list->size() && i < max; ++i)
            out["executions"].push_back(ExecutionJson((*list)[i], false));
        if (list->size() > max) out["nextToken"] = "ex:" + std::to_string((*list)[max - 1].seq);
        reply(std::nullopt, out);
    }

    void GetExecutionHistory(const Json& in, const Ctx&, Reply reply) {
        std::string arn = RequiredString(in, "executionArn");
        bool reverse = in.value("reverseOrder", false);
        bool include_data = in.value("includeExecutionData", true);
        std::size_t max = MaxResults(in);
        std::int64_t after = PageToken(in, "ev").value_or(0);
        auto events = engine.GetExecutionHistory(arn, reverse, after, max + 1);
        if (Failed(events, reply)) return;
        std::string region = arn.size() > 15 ? arn.substr(15, arn.find(':', 15) - 15) : "";
        Json out = {{"events", Json::array()}};
        for (std::size_t i = 0; i < events->size() && i < max; ++i)
            out["events"].push_back(EventJson((*events)[i], region, include_data));
        if (events->size() > max) out["nextToken"] = "ev:" + std::to_string((*events)[max - 1].id);
        reply(std::nullopt, out);
    }

    void StopExecution(const Json& in, const Ctx&, Reply reply) {
        auto e = engine.StopExecution(RequiredString(in, "executionArn"), OptionalString(in, "error").value_or(""),
                                      OptionalString(in, "cause").value_or(""));
        if (Failed(e, reply)) return;
        reply(std::nullopt, Json{{"stopDate", Epoch(e->stop_date.value_or(e->start_date))}});
    }

    void RedriveExecution(const Json& in, const Ctx&, Reply reply) {
        auto token = OptionalString(in, "clientToken");
        if (token && (token->empty() || token->size() > 64))
            throw BadInput("1 validation error detected: Value at 'clientToken' failed to satisfy constraint: Member "
                           "must have length less than or equal to 64");
        auto e = engine.RedriveExecution(RequiredString(in, "executionArn"), token);
        if (Failed(e, reply)) return;
        reply(std::nullopt, Json{{"redriveDate", Epoch(e->redrive_date.value_or(e->start_date))}});
    }

    void TestState(const Json& in, const Ctx& ctx, Reply reply) {
        engine::TestStateRequest r;
        r.definition = RequiredString(in, "definition");
        r.role_arn = OptionalString(in, "roleArn").value_or("");
        r.input = OptionalString(in, "input");
        r.variables = OptionalString(in, "variables");
        r.state_name = OptionalString(in, "stateName");
        r.region = ctx.region;
        std::string level = OptionalString(in, "inspectionLevel").value_or("INFO");
        if (level != "INFO" && level != "DEBUG" && level != "TRACE")
            throw BadInput("1 validation error detected: Value '" + level +
                           "' at 'inspectionLevel' failed to satisfy constraint: Member must satisfy enum value set: "
                           "[INFO, DEBUG, TRACE]");
        if (in.contains("revealSecrets") && !in["revealSecrets"].is_boolean())
            throw BadInput("Value at 'revealSecrets' must be a boolean");
        r.trace_http = level == "TRACE";
        if (in.contains("mock") && in["mock"].is_object()) {
            const Json& mock = in["mock"];
            if (auto result = OptionalString(mock, "result")) {
                Json parsed = Json::parse(*result, nullptr, false);
                if (parsed.is_discarded()) throw BadInput("mock.result must be a JSON text");
                r.mock_result = std::move(parsed);
            }
            if (mock.contains("errorOutput") && mock["errorOutput"].is_object()) {
                const Json& e = mock["errorOutput"];
                r.mock_error = std::make_pair(RequiredString(e, "error"), OptionalString(e, "cause").value_or(""));
            }
            if (r.mock_result && r.mock_error) throw BadInput("mock takes either result or errorOutput, not both");
        } else if (in.contains("context")) {
            throw BadInput("context may only be given together with a mock");
        }
        if (in.contains("stateConfiguration") && in["stateConfiguration"].is_object()) {
            const Json& c = in["stateConfiguration"];
            if (c.contains("retrierRetryCount")) {
                if (!c["retrierRetryCount"].is_number_integer() || c["retrierRetryCount"].get<std::int64_t>() < 0)
                    throw BadInput("stateConfiguration.retrierRetryCount must be a non-negative integer");
                r.retrier_retry_count = c["retrierRetryCount"].get<std::int64_t>();
            }
        }
        engine.TestState(r, [reply, level](engine::SfnResult<engine::TestStateResult> result) {
            if (!result) return reply(result.error(), Json());
            Json out = {{"status", result->status}};
            if (result->output) out["output"] = *result->output;
            if (!result->error.empty()) out["error"] = result->error;
            if (!result->cause.empty()) out["cause"] = result->cause;
            if (!result->next_state.empty()) out["nextState"] = result->next_state;
            if (level != "INFO") {
                // Data fields are JSON texts; request/response (TRACE, HTTP Task) and errorDetails objects.
                Json data = Json::object();
                for (auto it = result->inspection.begin(); it != result->inspection.end(); ++it) {
                    const std::string& k = it.key();
                    bool structured = k == "request" || k == "response" || k == "errorDetails" ||
                                      k == "toleratedFailureCount" || k == "toleratedFailurePercentage" ||
                                      k == "maxConcurrency";
                    if ((k == "request" || k == "response") && level != "TRACE") continue;
                    data[k] = structured ? it.value() : Json(it.value().dump(-1, ' ', false, Json::error_handler_t::replace));
                }
                out["inspectionData"] = std::move(data);
            }
            reply(std::nullopt, out);
        });
    }

    void DescribeStateMachineForExecution(const Json& in, const Ctx&, Reply reply) {
        auto e = engine.DescribeExecution(RequiredString(in, "executionArn"));
        if (Failed(e, reply)) return;
        Json out = {{"stateMachineArn", e->state_machine_arn},
                    {"name", e->state_machine_name},
                    {"definition", e->revision->definition},
                    {"roleArn", e->revision->role_arn},
                    {"revisionId", e->revision->revision_id}};
        auto m = engine.DescribeStateMachine(e->state_machine_arn);
        if (m.ok()) {
            out["updateDate"] = Epoch(m->update_date.value_or(m->creation_date));
            out["loggingConfiguration"] = LoggingOf(*m);
            out["tracingConfiguration"] = TracingOf(*m);
        } else {
            out["updateDate"] = Epoch(e->start_date);
        }
        reply(std::nullopt, out);
    }

    void SendTaskSuccess(const Json& in, const Ctx&, Reply reply) {
        auto s = engine.SendTaskSuccess(RequiredString(in, "taskToken"), RequiredString(in, "output"));
        if (Failed(s, reply)) return;
        reply(std::nullopt, Json::object());
    }

    void SendTaskFailure(const Json& in, const Ctx&, Reply reply) {
        auto s = engine.SendTaskFailure(RequiredString(in, "taskToken"), OptionalString(in, "error").value_or(""),
                                        OptionalString(in, "cause").value_or(""));
        if (Failed(s, reply)) return;
        reply(std::nullopt, Json::object());
    }

    void SendTaskHeartbeat(const Json& in, const Ctx&, Reply reply) {
        auto s = engine.SendTaskHeartbeat(RequiredString(in, "taskToken"));
        if (Failed(s, reply)) return;
        reply(std::nullopt, Json::object());
    }

    void TagResource(const Json& in, const Ctx&, Reply reply) {
        auto s = engine.TagResource(RequiredString(in, "resourceArn"), TagsFrom(in));
        if (Failed(s, reply)) return;
        reply(std::nullopt, Json::object());
    }

    void UntagResource(const Json& in, const Ctx&, Reply reply) {
        std::vector<std::string> keys;
        if (!in.contains("tagKeys") || !in["tagKeys"].is_array()) throw BadInput("Value at 'tagKeys' must be a list");
        for (const auto& k : in["tagKeys"]) {
            if (!k.is_string()) throw BadInput("Value at 'tagKeys' must be a list of strings");
            keys.push_back(k.get<std::string>());
        }
        auto s = engine.UntagResource(RequiredString(in, "resourceArn"), keys);
        if (Failed(s, reply)) return;
        reply(std::nullopt, Json::object());
    }

    void ListTagsForResource(const Json& in, const Ctx&, Reply reply) {
        auto tags = engine.ListTagsForResource(RequiredString(in, "resourceArn"));
        if (Failed(tags, reply)) return;
        reply(std::nullopt, Json{{"tags", TagList(*tags)}});
    }
};

SfnApi::SfnApi(engine::SfnEngine& engine, std::uint64_t seed) : impl_(new Impl{engine, core::IdGenerator(seed)}) {}

SfnApi::~SfnApi() = default;

void SfnApi::Install(core::Router& router) {
    router.AddWhen("POST", "/{path...}", core::HeaderPrefix("X-Amz-Target", "AWSStepFunctions."),
                   [this](Request r, Respond respond) { Handle(std::move(r), std::move(respond)); });
}

void SfnApi::Handle(Request request, Respond respond) {
    std::string request_id = impl_->ids.Uuid();
    auto target = request.headers.Get("X-Amz-Target").value_or("");
    std::string op(target.substr(target.find('.') + 1));
    auto error = [request_id](int status, const std::string& code, const std::string& message) {
        return protocol::JsonError(status, "com.amazonaws.sfn#" + code, message, request_id, {}, kJsonType);
    };
    const auto& ops = Impl::Ops();
    auto it = ops.find(op);
    if (it == ops.end())
        return respond(protocol::JsonError(400, "com.amazon.coral.service#UnknownOperationException",
                                           "The action or operation " + op + " is not valid for this web service.",
                                           request_id, {}, kJsonType));
    Json in = request.body.empty() ? Json::object() : Json::parse(request.body, nullptr, false);
    if (in.is_discarded() || !in.is_object())
        return respond(protocol::JsonError(400, "com.amazon.coral.service#SerializationException",
                                           "The request body is not a JSON object.", request_id, {}, kJsonType));
    Impl::Ctx ctx;
    ctx.region = protocol::RegionOf(request, impl_->engine.Options().default_region);
    if (auto trace = request.headers.Get("X-Amzn-Trace-Id")) ctx.trace = std::string(*trace);
    // One answer per request, even if an operation both replied and then threw.
    auto answered = std::make_shared<bool>(false);
    auto reply = [respond, request_id, error, answered](std::optional<SfnError> err, Json out) {
        if (*answered) return;
        *answered = true;
        if (err) {
            WireError w = ToWire(err->code);
            return respond(error(w.status, w.code, err->message));
        }
        Response r;
        r.body = out.dump(-1, ' ', false, Json::error_handler_t::replace);
        r.headers.Set("Content-Type", kJsonType);
        r.headers.Set("x-amzn-RequestId", request_id);
        respond(std::move(r));
    };
    try {
        it->second(*impl_, in, ctx, reply);
    } catch (const BadInput& bad) {
        reply(SfnError{SfnErrorCode::kValidation, bad.what()}, Json());
    } catch (const std::invalid_argument& bad) {  // a malformed nextToken
        if (!*answered) {
            *answered = true;
            respond(error(400, "InvalidToken", bad.what()));
        }
    } catch (const std::exception& e) {
        spdlog::error("[sfn] {} failed: {} (request {})", op, e.what(), request_id);
        if (!*answered) {
            *answered = true;
            respond(error(500, "InternalFailure", "We encountered an internal error."));
        }
    }
}

}  // namespace sim::aws::sfn::api
