#include "sim/aws/scheduler/api/scheduler_api.hpp"

#include <cmath>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "sim/aws/protocol/aws_request.hpp"
#include "sim/aws/protocol/errors.hpp"
#include "sim/aws/protocol/page_token.hpp"
#include "sim/core/random.hpp"

namespace sim::aws::scheduler {

namespace {

using Json = events::Json;

struct BadInput : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::optional<std::string> Str(const Json& in, const char* name) {
    if (!in.contains(name) || in[name].is_null()) return std::nullopt;
    if (!in[name].is_string()) throw BadInput(std::string(name) + " must be a string");
    return in[name].get<std::string>();
}

std::optional<core::TimePoint> Date(const Json& in, const char* name) {
    if (!in.contains(name) || in[name].is_null()) return std::nullopt;
    if (in[name].is_number())
        return core::FromEpochMillis(static_cast<std::int64_t>(std::llround(in[name].get<double>() * 1000)));
    if (in[name].is_string()) {
        auto t = core::ParseIso8601(in[name].get<std::string>());
        if (t) return *t;
    }
    throw BadInput(std::string(name) + " must be a timestamp");
}

const char* WireCode(SchedulerErrorCode c) {
    switch (c) {
        case SchedulerErrorCode::kValidation: return "ValidationException";
        case SchedulerErrorCode::kResourceNotFound: return "ResourceNotFoundException";
        case SchedulerErrorCode::kConflict: return "ConflictException";
    }
    return "ValidationException";
}
int WireStatus(SchedulerErrorCode c) {
    return c == SchedulerErrorCode::kResourceNotFound ? 404 : c == SchedulerErrorCode::kConflict ? 409 : 400;
}

ScheduleSpec SpecFrom(const std::string& name, const Json& in) {
    ScheduleSpec s;
    s.name = name;
    s.group = Str(in, "GroupName").value_or("default");
    auto expr = Str(in, "ScheduleExpression");
    if (!expr) throw BadInput("ScheduleExpression is required");
    s.expression = *expr;
    s.timezone = Str(in, "ScheduleExpressionTimezone").value_or("UTC");
    s.start_date = Date(in, "StartDate");
    s.end_date = Date(in, "EndDate");
    auto state = Str(in, "State").value_or("ENABLED");
    if (state != "ENABLED" && state != "DISABLED") throw BadInput("State must be ENABLED or DISABLED");
    s.enabled = state == "ENABLED";
    if (!in.contains("FlexibleTimeWindow") || !in["FlexibleTimeWindow"].is_object()) throw BadInput("FlexibleTimeWindow is required");
    const Json& f = in["FlexibleTimeWindow"];
    auto mode = Str(f, "Mode").value_or("");
    if (mode != "OFF" && mode != "FLEXIBLE") throw BadInput("FlexibleTimeWindow.Mode must be OFF or FLEXIBLE");
    s.flexible = mode == "FLEXIBLE";
    if (f.contains("MaximumWindowInMinutes")) s.maximum_window_minutes = f["MaximumWindowInMinutes"].get<int>();
    auto action = Str(in, "ActionAfterCompletion").value_or("NONE");
    if (action != "NONE" && action != "DELETE") throw BadInput("ActionAfterCompletion must be NONE or DELETE");
    s.delete_after_completion = action == "DELETE";
    s.description = Str(in, "Description").value_or("");
    if (!in.contains("Target") || !in["Target"].is_object()) throw BadInput("Target is required");
    const Json& t = in["Target"];
    auto arn = Str(t, "Arn");
    auto role = Str(t, "RoleArn");
    if (!arn || !role) throw BadInput("Target.Arn and Target.RoleArn are required");
    s.target.id = "schedule";
    s.target.arn = *arn;
    s.target.role_arn = *role;
    s.target.input = Str(t, "Input");
    if (t.contains("RetryPolicy") && t["RetryPolicy"].is_object()) {
        const Json& r = t["RetryPolicy"];
        if (r.contains("MaximumRetryAttempts")) s.target.retry_policy.maximum_retry_attempts = r["MaximumRetryAttempts"].get<int>();
        if (r.contains("MaximumEventAgeInSeconds"))
            s.target.retry_policy.maximum_event_age_seconds = r["MaximumEventAgeInSeconds"].get<int>();
    }
    if (t.contains("DeadLetterConfig") && t["DeadLetterConfig"].is_object())
        s.target.dead_letter_arn = Str(t["DeadLetterConfig"], "Arn").value_or("");
    if (t.contains("SqsParameters") && t["SqsParameters"].is_object())
        s.target.message_group_id = Str(t["SqsParameters"], "MessageGroupId").value_or("");
    return s;
}

Json TargetJson(const events::Target& t) {
    Json out = {{"Arn", t.arn}, {"RoleArn", t.role_arn}};
    if (t.input) out["Input"] = *t.input;
    out["RetryPolicy"] = {{"MaximumEventAgeInSeconds", t.retry_policy.maximum_event_age_seconds},
                          {"MaximumRetryAttempts", t.retry_policy.maximum_retry_attempts}};
    if (!t.dead_letter_arn.empty()) out["DeadLetterConfig"] = {{"Arn", t.dead_letter_arn}};
    if (!t.message_group_id.empty()) out["SqsParameters"] = {{"MessageGroupId", t.message_group_id}};
    return out;
}

Json ScheduleJson(const ScheduleInfo& i) {
    const auto& s = i.spec;
    Json out = {{"Arn", i.arn},
                {"Name", s.name},
                {"GroupName", s.group},
                {"ScheduleExpression", s.expression},
                {"ScheduleExpressionTimezone", s.timezone},
                {"State", s.enabled ? "ENABLED" : "DISABLED"},
                {"FlexibleTimeWindow", s.flexible ? Json{{"Mode", "FLEXIBLE"}, {"MaximumWindowInMinutes", s.maximum_window_minutes}}
                                                  : Json{{"Mode", "OFF"}}},
                {"ActionAfterCompletion", s.delete_after_completion ? "DELETE" : "NONE"},
                {"Target", TargetJson(s.target)},
                {"CreationDate", core::ToEpochSeconds(i.creation_date)},
                {"LastModificationDate", core::ToEpochSeconds(i.last_modification_date)}};
    if (s.start_date) out["StartDate"] = core::ToEpochSeconds(*s.start_date);
    if (s.end_date) out["EndDate"] = core::ToEpochSeconds(*s.end_date);
    if (!s.description.empty()) out["Description"] = s.description;
    return out;
}

Json GroupJson(const GroupInfo& g) {
    return {{"Arn", g.arn},
            {"Name", g.name},
            {"State", "ACTIVE"},
            {"CreationDate", core::ToEpochSeconds(g.creation_date)},
            {"LastModificationDate", core::ToEpochSeconds(g.last_modification_date)}};
}

/// NextToken and MaxResults (1-1000) of the List operations' query string.
struct Paging {
    std::string after;
    std::size_t limit = 1000;
};
Paging PagingFrom(const core::Request& req) {
    Paging p;
    if (auto max = req.QueryParam("MaxResults")) {
        std::size_t used = 0;
        long long v = 0;
        try {
            v = std::stoll(std::string(*max), &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != max->size() || v < 1 || v > 1000)
            throw BadInput("1 validation error detected: Value '" + std::string(*max) +
                           "' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 1000");
        p.limit = static_cast<std::size_t>(v);
    }
    if (auto token = req.QueryParam("NextToken")) {
        auto key = protocol::DecodePageToken(*token);
        if (!key) throw BadInput("Invalid NextToken: " + std::string(*token));
        p.after = std::move(*key);
    }
    return p;
}

template <typename T>
Json WithNextToken(Json out, const core::Page<T>& page) {
    if (page.next) out["NextToken"] = protocol::EncodePageToken(*page.next);
    return out;
}

}  // namespace

struct SchedulerApi::Impl {
    SchedulerEngine& engine;
    core::IdGenerator ids;

    void Handle(core::Request req, core::Respond respond) {
        std::string rid = ids.Uuid();
        auto error = [&](int status, const std::string& code, const std::string& message) {
            auto r = protocol::JsonError(status, code, message, rid, {}, "application/json");
            r.headers.Set("x-amzn-ErrorType", code);
            respond(std::move(r));
        };
        auto ok = [&](const Json& body) {
            core::Response r;
            r.body = body.dump();
            r.headers.Set("Content-Type", "application/json");
            r.headers.Set("x-amzn-RequestId", rid);
            respond(std::move(r));
        };
        auto fail = [&](const SchedulerError& e) { error(WireStatus(e.code), WireCode(e.code), e.message); };
        try {
            std::string path(req.Path());
            std::vector<std::string> seg;
            for (std::size_t start = 1; start <= path.size();) {
                auto slash = path.find('/', start);
                std::string s = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
                if (!s.empty()) seg.push_back(core::PercentDecode(s));
                if (slash == std::string::npos) break;
                start = slash + 1;
            }
            Json in = req.body.empty() ? Json::object() : Json::parse(req.body, nullptr, false);
            if (in.is_discarded() || !in.is_object()) throw BadInput("The request body is not a JSON object.");
            const std::string& m = req.method;
            if (!seg.empty() && seg[0] == "schedules") {
                if (seg.size() == 1 && m == "GET") {
                    Paging p = PagingFrom(req);
                    auto page = engine.ListSchedules(std::string(req.QueryParam("ScheduleGroup").value_or("")),
                                                     std::string(req.QueryParam("NamePrefix").value_or("")),
                                                     std::string(req.QueryParam("State").value_or("")), p.after, p.limit);
                    Json list = Json::array();
                    for (const auto& i : page.items)
                        list.push_back({{"Arn", i.arn},
                                        {"Name", i.spec.name},
                                        {"GroupName", i.spec.group},
                                        {"State", i.spec.enabled ? "ENABLED" : "DISABLED"},
                                        {"CreationDate", core::ToEpochSeconds(i.creation_date)},
                                        {"LastModificationDate", core::ToEpochSeconds(i.last_modification_date)},
                                        {"Target", {{"Arn", i.spec.target.arn}}}});
                    return ok(WithNextToken(Json{{"Schedules", list}}, page));
                }
                if (seg.size() == 2) {
                    std::string group = req.QueryParam("groupName").value_or("default");
                    if (m == "POST") {
                        auto r = engine.CreateSchedule(SpecFrom(seg[1], in));
                        return r ? ok(Json{{"ScheduleArn", *r}}) : fail(r.error());
                    }
                    if (m == "PUT") {
                        auto r = engine.UpdateSchedule(SpecFrom(seg[1], in));
                        return r ? ok(Json{{"ScheduleArn", *r}}) : fail(r.error());
                    }
                    if (m == "GET") {
                        auto r = engine.GetSchedule(seg[1], group);
                        return r ? ok(ScheduleJson(*r)) : fail(r.error());
                    }
                    if (m == "DELETE") {
                        auto r = engine.DeleteSchedule(seg[1], group);
                        return r ? ok(Json::object()) : fail(r.error());
                    }
                }
            }
            if (!seg.empty() && seg[0] == "schedule-groups") {
                if (seg.size() == 1 && m == "GET") {
                    Paging p = PagingFrom(req);
                    auto page = engine.ListScheduleGroups(std::string(req.QueryParam("NamePrefix").value_or("")), p.after,
                                                          p.limit);
                    Json list = Json::array();
                    for (const auto& g : page.items) list.push_back(GroupJson(g));
                    return ok(WithNextToken(Json{{"ScheduleGroups", list}}, page));
                }
                if (seg.size() == 2) {
                    if (m == "POST") {
                        auto r = engine.CreateScheduleGroup(seg[1]);
                        return r ? ok(Json{{"ScheduleGroupArn", *r}}) : fail(r.error());
                    }
                    if (m == "GET") {
                        auto r = engine.GetScheduleGroup(seg[1]);
                        return r ? ok(GroupJson(*r)) : fail(r.error());
                    }
                    if (m == "DELETE") {
                        auto r = engine.DeleteScheduleGroup(seg[1]);
                        return r ? ok(Json::object()) : fail(r.error());
                    }
                }
            }
            error(404, "UnknownOperationException", "Unsupported Scheduler operation: " + m + " " + path);
        } catch (const BadInput& e) {
            error(400, "ValidationException", e.what());
        } catch (const nlohmann::json::exception& e) {
            error(400, "ValidationException", std::string("Malformed request: ") + e.what());
        } catch (const std::exception& e) {
            spdlog::error("[scheduler] {} {} {} failed: {}", rid, req.method, req.target, e.what());
            error(500, "InternalServerException", "Internal failure");
        }
    }
};

SchedulerApi::SchedulerApi(SchedulerEngine& engine, std::uint64_t seed) : impl_(new Impl{engine, core::IdGenerator(seed)}) {}
SchedulerApi::~SchedulerApi() = default;

void SchedulerApi::Install(core::Router& router) {
    router.AddWhen("*", "/{path...}",
                   [](const core::Request& r) { return protocol::DetectService(r) == protocol::AwsService::kScheduler; },
                   [this](core::Request r, core::Respond respond) { impl_->Handle(std::move(r), std::move(respond)); });
}

}  // namespace sim::aws::scheduler
