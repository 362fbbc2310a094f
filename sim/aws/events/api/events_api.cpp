#include "sim/aws/events/api/events_api.hpp"

#include <functional>
#include <map>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "sim/aws/protocol/errors.hpp"
#include "sim/aws/protocol/page_token.hpp"
#include "sim/core/random.hpp"

namespace sim::aws::events {

namespace {

constexpr const char* kJsonType = "application/x-amz-json-1.1";

struct BadInput : std::runtime_error {
    using std::runtime_error::runtime_error;
};

const char* WireCode(EventsErrorCode code) {
    switch (code) {
        case EventsErrorCode::kValidation: return "ValidationException";
        case EventsErrorCode::kResourceNotFound: return "ResourceNotFoundException";
        case EventsErrorCode::kInvalidEventPattern: return "InvalidEventPatternException";
        case EventsErrorCode::kLimitExceeded: return "LimitExceededException";
        case EventsErrorCode::kAlreadyExists: return "ResourceAlreadyExistsException";
    }
    return "ValidationException";
}

std::string Required(const Json& in, const char* name) {
    if (!in.contains(name) || !in[name].is_string() || in[name].get<std::string>().empty())
        throw BadInput(std::string("1 validation error detected: Value at '") + name +
                       "' failed to satisfy constraint: Member must not be null");
    return in[name].get<std::string>();
}

std::optional<std::string> Optional(const Json& in, const char* name) {
    if (!in.contains(name) || in[name].is_null()) return std::nullopt;
    if (!in[name].is_string()) throw BadInput(std::string("Value at '") + name + "' must be a string");
    return in[name].get<std::string>();
}

std::string Bus(const Json& in) { return Optional(in, "EventBusName").value_or("default"); }

/// NextToken and Limit (1-100; 100 when absent, the most AWS returns in one page).
struct Paging {
    std::string after;
    std::size_t limit = 100;
};
Paging PagingFrom(const Json& in) {
    Paging p;
    if (in.contains("Limit") && !in["Limit"].is_null()) {
        if (!in["Limit"].is_number_integer()) throw BadInput("Value at 'limit' must be an integer");
        auto limit = in["Limit"].get<std::int64_t>();
        if (limit < 1 || limit > 100)
            throw BadInput("1 validation error detected: Value '" + std::to_string(limit) +
                           "' at 'limit' failed to satisfy constraint: Member must have value " +
                           (limit < 1 ? "greater than or equal to 1" : "less than or equal to 100"));
        p.limit = static_cast<std::size_t>(limit);
    }
    if (auto token = Optional(in, "NextToken")) {
        auto key = protocol::DecodePageToken(*token);
        if (!key) throw BadInput("The NextToken provided is invalid.");
        p.after = std::move(*key);
    }
    return p;
}

template <typename T>
void AddNextToken(Json& out, const core::Page<T>& page) {
    if (page.next) out["NextToken"] = protocol::EncodePageToken(*page.next);
}

Target TargetFrom(const Json& j) {
    if (!j.is_object()) throw BadInput("Every target must be an object");
    Target t;
    t.id = Required(j, "Id");
    t.arn = Required(j, "Arn");
    t.role_arn = Optional(j, "RoleArn").value_or("");
    t.input = Optional(j, "Input");
    t.input_path = Optional(j, "InputPath");
    if (j.contains("InputTransformer")) {
        const Json& x = j["InputTransformer"];
        InputTransformer it;
        it.input_template = Required(x, "InputTemplate");
        if (x.contains("InputPathsMap") && x["InputPathsMap"].is_object())
            for (auto e = x["InputPathsMap"].begin(); e != x["InputPathsMap"].end(); ++e)
                it.input_paths[e.key()] = e.value().get<std::string>();
        t.input_transformer = std::move(it);
    }
    if (j.contains("RetryPolicy") && j["RetryPolicy"].is_object()) {
        const Json& r = j["RetryPolicy"];
        if (r.contains("MaximumRetryAttempts")) t.retry_policy.maximum_retry_attempts = r["MaximumRetryAttempts"].get<int>();
        if (r.contains("MaximumEventAgeInSeconds"))
            t.retry_policy.maximum_event_age_seconds = r["MaximumEventAgeInSeconds"].get<int>();
        if (auto v = ValidateRetryPolicy(t.retry_policy); !v) throw BadInput(v.error().message);
    }
    if (j.contains("DeadLetterConfig") && j["DeadLetterConfig"].is_object())
        t.dead_letter_arn = Optional(j["DeadLetterConfig"], "Arn").value_or("");
    if (j.contains("SqsParameters") && j["SqsParameters"].is_object())
        t.message_group_id = Optional(j["SqsParameters"], "MessageGroupId").value_or("");
    return t;
}

Json TargetJson(const Target& t) {
    Json out = {{"Id", t.id}, {"Arn", t.arn}};
    if (!t.role_arn.empty()) out["RoleArn"] = t.role_arn;
    if (t.input) out["Input"] = *t.input;
    if (t.input_path) out["InputPath"] = *t.input_path;
    if (t.input_transformer) {
        Json paths = Json::object();
        for (const auto& [k, v] : t.input_transformer->input_paths) paths[k] = v;
        out["InputTransformer"] = {{"InputPathsMap", paths}, {"InputTemplate", t.input_transformer->input_template}};
    }
    out["RetryPolicy"] = {{"MaximumRetryAttempts", t.retry_policy.maximum_retry_attempts},
                          {"MaximumEventAgeInSeconds", t.retry_policy.maximum_event_age_seconds}};
    if (!t.dead_letter_arn.empty()) out["DeadLetterConfig"] = {{"Arn", t.dead_letter_arn}};
    if (!t.message_group_id.empty()) out["SqsParameters"] = {{"MessageGroupId", t.message_group_id}};
    return out;
}

Json RuleJson(const RuleInfo& r) {
    Json out = {{"Name", r.name}, {"Arn", r.arn}, {"State", r.enabled ? "ENABLED" : "DISABLED"}, {"EventBusName", r.event_bus}};
    if (!r.schedule_expression.empty()) out["ScheduleExpression"] = r.schedule_expression;
    if (!r.event_pattern.empty()) out["EventPattern"] = r.event_pattern;
    if (!r.description.empty()) out["Description"] = r.description;
    if (!r.role_arn.empty()) out["RoleArn"] = r.role_arn;
    return out;
}

Json BusJson(const BusInfo& b) {
    Json out = {{"Name", b.name}, {"Arn", b.arn}};
    if (!b.description.empty()) out["Description"] = b.description;
    out["CreationTime"] = core::ToEpochSeconds(b.created);
    out["LastModifiedTime"] = core::ToEpochSeconds(b.last_modified);
    return out;
}

Json FailedEntries(const std::vector<TargetFailure>& failures) {
    Json out = Json::array();
    for (const auto& f : failures)
        out.push_back({{"TargetId", f.target_id}, {"ErrorCode", f.error_code}, {"ErrorMessage", f.error_message}});
    return out;
}

}  // namespace

struct EventsApi::Impl {
    EventsEngine& engine;
    core::IdGenerator ids;

    using Result = core::Result<Json, EventsError>;
    using Op = std::function<Result(Impl&, const Json&)>;

    static const std::map<std::string, Op, std::less<>>& Ops() {
        static const std::map<std::string, Op, std::less<>> ops = {
            {"PutRule", &Impl::PutRule},         {"DescribeRule", &Impl::DescribeRule},
            {"ListRules", &Impl::ListRules},     {"DeleteRule", &Impl::DeleteRule},
            {"EnableRule", &Impl::EnableRule},   {"DisableRule", &Impl::DisableRule},
            {"PutTargets", &Impl::PutTargets},   {"RemoveTargets", &Impl::RemoveTargets},
            {"ListTargetsByRule", &Impl::ListTargetsByRule}, {"PutEvents", &Impl::PutEvents},
            {"TestEventPattern", &Impl::TestEventPattern},
            {"ListRuleNamesByTarget", &Impl::ListRuleNamesByTarget},
            {"CreateEventBus", &Impl::CreateEventBus},   {"DeleteEventBus", &Impl::DeleteEventBus},
            {"DescribeEventBus", &Impl::DescribeEventBus}, {"ListEventBuses", &Impl::ListEventBuses},
        };
        return ops;
    }

    Result CreateEventBus(const Json& in) {
        if (Optional(in, "EventSourceName"))
            throw BadInput("Partner event buses (EventSourceName) are not supported by cardsim.");
        std::string description = Optional(in, "Description").value_or("");
        auto arn = engine.CreateEventBus(Required(in, "Name"), description);
        if (!arn) return core::Fail(arn.error());
        Json out = {{"EventBusArn", *arn}};
        if (!description.empty()) out["Description"] = description;
        return out;
    }
    Result DeleteEventBus(const Json& in) {
        auto s = engine.DeleteEventBus(Required(in, "Name"));
        if (!s) return core::Fail(s.error());
        return Json::object();
    }
    Result DescribeEventBus(const Json& in) {
        auto b = engine.DescribeEventBus(Optional(in, "Name").value_or("default"));
        if (!b) return core::Fail(b.error());
        return BusJson(*b);
    }
    Result ListEventBuses(const Json& in) {
        Paging p = PagingFrom(in);
        auto page = engine.ListEventBuses(Optional(in, "NamePrefix").value_or(""), p.after, p.limit);
        Json buses = Json::array();
        for (const auto& b : page.items) buses.push_back(BusJson(b));
        Json out = {{"EventBuses", buses}};
        AddNextToken(out, page);
        return out;
    }

    Result PutRule(const Json& in) {
        PutRuleRequest r;
        r.name = Required(in, "Name");
        r.event_bus = Bus(in);
        r.schedule_expression = Optional(in, "ScheduleExpression");
        r.event_pattern = Optional(in, "EventPattern");
        if (auto state = Optional(in, "State")) {
            if (*state != "ENABLED" && *state != "DISABLED")
                throw BadInput("1 validation error detected: Value '" + *state +
                               "' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED]");
            r.enabled = *state == "ENABLED";
        }
        r.description = Optional(in, "Description").value_or("");
        r.role_arn = Optional(in, "RoleArn").value_or("");
        auto arn = engine.PutRule(r);
        if (!arn) return core::Fail(arn.error());
        return Json{{"RuleArn", *arn}};
    }
    Result DescribeRule(const Json& in) {
        auto r = engine.DescribeRule(Required(in, "Name"), Bus(in));
        if (!r) return core::Fail(r.error());
        Json out = RuleJson(*r);
        out["CreatedBy"] = engine.AccountId();
        return out;
    }
    Result ListRules(const Json& in) {
        Paging p = PagingFrom(in);
        if (auto bus = engine.DescribeEventBus(Bus(in)); !bus) return core::Fail(bus.error());
        auto page = engine.ListRules(Optional(in, "NamePrefix").value_or(""), Bus(in), p.after, p.limit);
        Json rules = Json::array();
        for (const auto& r : page.items) rules.push_back(RuleJson(r));
        Json out = {{"Rules", rules}};
        AddNextToken(out, page);
        return out;
    }
    Result ListRuleNamesByTarget(const Json& in) {
        Paging p = PagingFrom(in);
        if (auto bus = engine.DescribeEventBus(Bus(in)); !bus) return core::Fail(bus.error());
        auto page = engine.ListRuleNamesByTarget(Required(in, "TargetArn"), Bus(in), p.after, p.limit);
        Json out = {{"RuleNames", page.items}};
        AddNextToken(out, page);
        return out;
    }
    Result DeleteRule(const Json& in) {
        auto s = engine.DeleteRule(Required(in, "Name"), Bus(in), in.value("Force", false));
        if (!s) return core::Fail(s.error());
        return Json::object();
    }
    Result EnableRule(const Json& in) { return SetEnabled(in, true); }
    Result DisableRule(const Json& in) { return SetEnabled(in, false); }
    Result SetEnabled(const Json& in, bool enabled) {
        auto s = engine.SetRuleEnabled(Required(in, "Name"), Bus(in), enabled);
        if (!s) return core::Fail(s.error());
        return Json::object();
    }
    Result PutTargets(const Json& in) {
        if (!in.contains("Targets") || !in["Targets"].is_array()) throw BadInput("Value at 'targets' must be a list");
        std::vector<Target> targets;
        for (const auto& t : in["Targets"]) targets.push_back(TargetFrom(t));
        auto f = engine.PutTargets(Required(in, "Rule"), Bus(in), targets);
        if (!f) return core::Fail(f.error());
        return Json{{"FailedEntryCount", f->size()}, {"FailedEntries", FailedEntries(*f)}};
    }
    Result RemoveTargets(const Json& in) {
        if (!in.contains("Ids") || !in["Ids"].is_array()) throw BadInput("Value at 'ids' must be a list");
        std::vector<std::string> ids_in;
        for (const auto& id : in["Ids"]) ids_in.push_back(id.get<std::string>());
        auto f = engine.RemoveTargets(Required(in, "Rule"), Bus(in), ids_in);
        if (!f) return core::Fail(f.error());
        return Json{{"FailedEntryCount", f->size()}, {"FailedEntries", FailedEntries(*f)}};
    }
    Result ListTargetsByRule(const Json& in) {
        Paging p = PagingFrom(in);
        auto page = engine.ListTargetsByRule(Required(in, "Rule"), Bus(in), p.after, p.limit);
        if (!page) return core::Fail(page.error());
        Json targets = Json::array();
        for (const auto& x : page->items) targets.push_back(TargetJson(x));
        Json out = {{"Targets", targets}};
        AddNextToken(out, *page);
        return out;
    }
    Result PutEvents(const Json& in) {
        if (!in.contains("Entries") || !in["Entries"].is_array() || in["Entries"].empty() || in["Entries"].size() > 10)
            throw BadInput("1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and 10");
        std::vector<PutEventsEntry> entries;
        for (const auto& e : in["Entries"]) {
            PutEventsEntry p;
            p.source = Optional(e, "Source").value_or("");
            p.detail_type = Optional(e, "DetailType").value_or("");
            p.detail = Optional(e, "Detail").value_or("");
            p.event_bus = Bus(e);
            if (e.contains("Resources") && e["Resources"].is_array())
                for (const auto& r : e["Resources"]) p.resources.push_back(r.get<std::string>());
            if (e.contains("Time") && e["Time"].is_number())
                p.time = core::FromEpochMillis(static_cast<std::int64_t>(e["Time"].get<double>() * 1000));
            entries.push_back(std::move(p));
        }
        Json results = Json::array();
        int failed = 0;
        for (const auto& r : engine.PutEvents(entries)) {
            if (r.event_id.empty()) {
                ++failed;
                results.push_back({{"ErrorCode", r.error_code}, {"ErrorMessage", r.error_message}});
            } else {
                results.push_back({{"EventId", r.event_id}});
            }
        }
        return Json{{"FailedEntryCount", failed}, {"Entries", results}};
    }
    Result TestEventPattern(const Json& in) {
        auto r = engine.TestEventPattern(Required(in, "EventPattern"), Required(in, "Event"));
        if (!r) return core::Fail(r.error());
        return Json{{"Result", *r}};
    }
};

EventsApi::EventsApi(EventsEngine& engine, std::uint64_t seed) : impl_(new Impl{engine, core::IdGenerator(seed)}) {}
EventsApi::~EventsApi() = default;

void EventsApi::Install(core::Router& router) {
    router.AddWhen("POST", "/{path...}", core::HeaderPrefix("X-Amz-Target", "AWSEvents."),
                   [this](core::Request r, core::Respond respond) { Handle(std::move(r), std::move(respond)); });
}

void EventsApi::Handle(core::Request request, core::Respond respond) {
    std::string request_id = impl_->ids.Uuid();
    auto target = request.headers.Get("X-Amz-Target").value_or("");
    std::string op(target.substr(target.find('.') + 1));
    auto error = [&](int status, const std::string& code, const std::string& message) {
        respond(protocol::JsonError(status, code, message, request_id, {}, kJsonType));
    };
    auto it = Impl::Ops().find(op);
    if (it == Impl::Ops().end())
        return error(400, "UnknownOperationException", "The action or operation " + op + " is not valid for this web service.");
    Json in = request.body.empty() ? Json::object() : Json::parse(request.body, nullptr, false);
    if (in.is_discarded() || !in.is_object()) return error(400, "SerializationException", "The request body is not a JSON object.");
    try {
        auto out = it->second(*impl_, in);
        if (!out) return error(400, WireCode(out.error().code), out.error().message);
        core::Response r;
        r.body = out->dump(-1, ' ', false, Json::error_handler_t::replace);
        r.headers.Set("Content-Type", kJsonType);
        r.headers.Set("x-amzn-RequestId", request_id);
        respond(std::move(r));
    } catch (const BadInput& e) {
        error(400, "ValidationException", e.what());
    } catch (const nlohmann::json::exception& e) {
        error(400, "ValidationException", std::string("Malformed request: ") + e.what());
    } catch (const std::exception& e) {
        spdlog::error("[events] {} {} failed: {}", request_id, op, e.what());
        error(500, "InternalException", "Internal failure");
    }
}

}  // namespace sim::aws::events
