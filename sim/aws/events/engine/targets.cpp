#include "sim/aws/events/engine/targets.hpp"

#include <algorithm>
#include <memory>

#include <spdlog/spdlog.h>

namespace sim::aws::events {

namespace {

std::vector<std::string> SplitArn(const std::string& arn) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (int i = 0; i < 6; ++i) {
        auto colon = i == 5 ? std::string::npos : arn.find(':', start);
        parts.push_back(arn.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    return parts;
}

/// "<service>.<Code>" from a JSON 1.0 error body.
std::pair<std::string, std::string> WireError(const core::Response& r, const std::string& service) {
    auto out = Json::parse(r.body, nullptr, false);
    std::string type = out.is_object() ? out.value("__type", std::string()) : std::string();
    if (auto hash = type.find('#'); hash != std::string::npos) type = type.substr(hash + 1);
    if (type.empty()) type = "HTTP" + std::to_string(r.status);
    std::string message = out.is_object() ? out.value("message", out.value("Message", std::string())) : r.body;
    return {service + "." + type, message};
}

core::Request JsonRequest(const std::string& target, const Json& body) {
    core::Request req;
    req.method = "POST";
    req.target = "/";
    req.headers.Set("Host", "localhost");
    req.headers.Set("X-Amz-Target", target);
    req.headers.Set("Content-Type", "application/x-amz-json-1.0");
    req.body = body.dump();
    return req;
}

}  // namespace

TargetKind KindOf(const std::string& arn) {
    auto p = SplitArn(arn);
    if (p.size() < 6 || p[0] != "arn") return TargetKind::kUnsupported;
    if (p[2] == "sqs" && !p[5].empty()) return TargetKind::kSqs;
    if (p[2] == "states" && p[5].rfind("stateMachine:", 0) == 0) return TargetKind::kStepFunctions;
    if (p[2] == "lambda" && p[5].rfind("function:", 0) == 0) return TargetKind::kFunction;
    return TargetKind::kUnsupported;
}

core::Status<> ValidateTargetArn(const std::string& arn) {
    if (arn.rfind("arn:", 0) != 0 || SplitArn(arn).size() < 6)
        return core::Fail(core::Error::InvalidArgument("Parameter " + arn + " is not valid. Reason: Provided Arn is not in correct format."));
    if (KindOf(arn) == TargetKind::kUnsupported)
        return core::Fail(core::Error::InvalidArgument("Target " + arn +
                                                       " is not supported: use an SQS queue, a Step Functions state machine or a Lambda function"));
    return core::Ok();
}

core::Status<> ValidateRetryPolicy(const RetryPolicy& p) {
    if (p.maximum_retry_attempts < 0 || p.maximum_retry_attempts > 185)
        return core::Fail(core::Error::InvalidArgument("RetryPolicy.MaximumRetryAttempts must be between 0 and 185, not " +
                                                       std::to_string(p.maximum_retry_attempts) + "."));
    if (p.maximum_event_age_seconds < 60 || p.maximum_event_age_seconds > 86400)
        return core::Fail(core::Error::InvalidArgument(
            "RetryPolicy.MaximumEventAgeInSeconds must be between 60 and 86400, not " +
            std::to_string(p.maximum_event_age_seconds) + "."));
    return core::Ok();
}

Json StoredTarget(const Target& t) {
    Json out = {{"id", t.id}, {"arn", t.arn}, {"role", t.role_arn},
                {"retry", {t.retry_policy.maximum_retry_attempts, t.retry_policy.maximum_event_age_seconds}},
                {"dlq", t.dead_letter_arn}, {"group", t.message_group_id}};
    if (t.input) out["input"] = *t.input;
    if (t.input_path) out["input_path"] = *t.input_path;
    if (t.input_transformer)
        out["transformer"] = {{"paths", t.input_transformer->input_paths}, {"template", t.input_transformer->input_template}};
    return out;
}

Target LoadTarget(const Json& j) {
    Target t;
    t.id = j.at("id").get<std::string>();
    t.arn = j.at("arn").get<std::string>();
    t.role_arn = j.value("role", "");
    t.retry_policy.maximum_retry_attempts = j.at("retry").at(0).get<int>();
    t.retry_policy.maximum_event_age_seconds = j.at("retry").at(1).get<int>();
    t.dead_letter_arn = j.value("dlq", "");
    t.message_group_id = j.value("group", "");
    if (j.contains("input")) t.input = j["input"].get<std::string>();
    if (j.contains("input_path")) t.input_path = j["input_path"].get<std::string>();
    if (j.contains("transformer")) {
        InputTransformer x;
        x.input_paths = j["transformer"].at("paths").get<std::map<std::string, std::string>>();
        x.input_template = j["transformer"].at("template").get<std::string>();
        t.input_transformer = std::move(x);
    }
    return t;
}

std::int64_t StoredTime(core::TimePoint t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

core::TimePoint LoadTime(std::int64_t ns) {
    return core::TimePoint(std::chrono::duration_cast<core::TimePoint::duration>(std::chrono::nanoseconds(ns)));
}

const Json* JsonPath(const Json& doc, const std::string& path) {
    if (path.empty() || path[0] != '$') return nullptr;
    const Json* cur = &doc;
    std::size_t i = 1;
    while (i < path.size()) {
        if (path[i] == '.') {
            std::size_t end = path.find_first_of(".[", i + 1);
            std::string key = path.substr(i + 1, end == std::string::npos ? std::string::npos : end - i - 1);
            if (!cur->is_object() || !cur->contains(key)) return nullptr;
            cur = &(*cur)[key];
            i = end == std::string::npos ? path.size() : end;
        } else if (path[i] == '[') {
            auto close = path.find(']', i);
            if (close == std::string::npos) return nullptr;
            std::string index = path.substr(i + 1, close - i - 1);
            if (!cur->is_array() || index.empty() || !std::all_of(index.begin(), index.end(), ::isdigit)) return nullptr;
            auto n = std::stoul(index);
            if (n >= cur->size()) return nullptr;
            cur = &(*cur)[n];
            i = close + 1;
        } else {
            return nullptr;
        }
    }
    return cur;
}

core::Result<std::string> RenderInput(const Target& t, const Json& event, const std::string& rule_name,
                                      const std::string& rule_arn) {
    if (t.input) return *t.input;
    if (t.input_path) {
        const Json* v = JsonPath(event, *t.input_path);
        return v ? v->dump() : std::string("null");
    }
    if (!t.input_transformer) return event.dump();
    // Placeholders <name> take the value at their path: strings without quotes (the template
    // quotes them where it wants a JSON string), other values as JSON text
    // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html).
    std::map<std::string, std::string> values;
    for (const auto& [name, path] : t.input_transformer->input_paths) {
        const Json* v = JsonPath(event, path);
        values[name] = !v ? "" : v->is_string() ? v->get<std::string>() : v->dump();
    }
    values["aws.events.rule-arn"] = rule_arn;
    values["aws.events.rule-name"] = rule_name;
    values["aws.events.event"] = event.dump();
    values["aws.events.event.json"] = event.dump();
    if (event.contains("time") && event["time"].is_string()) values["aws.events.event.ingestion-time"] = event["time"];
    const std::string& tmpl = t.input_transformer->input_template;
    std::string out;
    for (std::size_t i = 0; i < tmpl.size();) {
        if (tmpl[i] == '<') {
            auto close = tmpl.find('>', i);
            if (close != std::string::npos) {
                auto it = values.find(tmpl.substr(i + 1, close - i - 1));
                if (it != values.end()) {
                    out += it->second;
                    i = close + 1;
                    continue;
                }
            }
        }
        out += tmpl[i++];
    }
    return out;
}

struct TargetDelivery::Attempt {
    Target target;
    std::string payload;
    Source source;
    int attempts = 0;
    core::TimePoint first;
};

TargetDelivery::TargetDelivery(core::EventLoop& loop, clock::Clock& clock, core::Transport& transport,
                               lambda::FunctionRegistry& functions, std::uint64_t seed)
    : loop_(loop),
      clock_(clock), transport_(transport), functions_(functions), ids_(seed) {}

void TargetDelivery::Deliver(const Target& target, std::string payload, Source source) {
    auto a = std::make_shared<Attempt>();
    a->target = target;
    a->payload = std::move(payload);
    a->source = std::move(source);
    a->first = clock_.Now();
    Try(std::move(a));
}

void TargetDelivery::Try(std::shared_ptr<Attempt> a) {
    ++a->attempts;
    ++stats_.attempts;
    const std::string& arn = a->target.arn;
    switch (KindOf(arn)) {
        case TargetKind::kSqs:
            SendToQueue(arn, a->payload, a->target.message_group_id, {},
                        [this, a](std::optional<std::pair<std::string, std::string>> error) {
                            if (!error) return void(++stats_.delivered);
                            Failed(a, error->first, error->second);
                        });
            return;
        case TargetKind::kStepFunctions: {
            Json body = {{"stateMachineArn", arn}, {"input", a->payload}};
            transport_.Send("aws", JsonRequest("AWSStepFunctions.StartExecution", body), [this, a](core::Response r) {
                if (r.status / 100 == 2) return void(++stats_.delivered);
                auto [code, message] = WireError(r, "StepFunctions");
                Failed(a, code, message);
            });
            return;
        }
        case TargetKind::kFunction: {
            Json event = Json::parse(a->payload, nullptr, false);
            if (event.is_discarded()) event = a->payload;
            // Asynchronous invocation: the function runs on a later loop turn.
            loop_.Post([this, a, event = std::move(event)] {
                functions_.Invoke(a->target.arn, event, [this, a](lambda::FunctionOutcome outcome) {
                    if (outcome) return void(++stats_.delivered);
                    Failed(a, outcome.error().error, outcome.error().cause);
                });
            });
            return;
        }
        case TargetKind::kUnsupported:
            Failed(a, "ValidationException", "unsupported target " + arn);
            return;
    }
}

void TargetDelivery::Failed(std::shared_ptr<Attempt> a, std::string code, std::string message) {
    const RetryPolicy& p = a->target.retry_policy;
    auto delay = std::chrono::seconds(std::min<std::int64_t>(std::int64_t{1} << std::min(a->attempts - 1, 20), 300));
    bool can_retry = a->attempts <= p.maximum_retry_attempts &&
                     clock_.Now() + delay - a->first <= std::chrono::seconds(p.maximum_event_age_seconds);
    if (can_retry) {
        ++stats_.retried;
        clock_.ScheduleAfter(delay, [this, a] { Try(a); });
        return;
    }
    if (a->target.dead_letter_arn.empty()) {
        ++stats_.dropped;
        spdlog::warn("[events] {} target {} failed after {} attempts ({}: {}); no dead-letter queue", a->source.arn,
                     a->target.arn, a->attempts, code, message);
        return;
    }
    std::map<std::string, std::string> attributes = {{"ERROR_CODE", code},
                                                     {"ERROR_MESSAGE", message.substr(0, 256)},
                                                     {a->source.attribute, a->source.arn},
                                                     {"TARGET_ARN", a->target.arn}};
    SendToQueue(a->target.dead_letter_arn, a->payload, "", attributes,
                [this, a](std::optional<std::pair<std::string, std::string>> error) {
                    if (!error) return void(++stats_.dead_lettered);
                    ++stats_.dropped;
                    spdlog::error("[events] {} target {}: the dead-letter queue {} refused the event ({}: {})",
                                  a->source.arn, a->target.arn, a->target.dead_letter_arn, error->first, error->second);
                });
}

void TargetDelivery::SendToQueue(const std::string& queue_arn, const std::string& body, const std::string& group_id,
                                 const std::map<std::string, std::string>& attributes,
                                 std::function<void(std::optional<std::pair<std::string, std::string>>)> done) {
    auto p = SplitArn(queue_arn);
    Json req = {{"QueueUrl", "http://localhost/" + p[4] + "/" + p[5]}, {"MessageBody", body}};
    if (!group_id.empty()) req["MessageGroupId"] = group_id;
    if (p[5].size() > 5 && p[5].compare(p[5].size() - 5, 5, ".fifo") == 0) {
        if (group_id.empty()) req["MessageGroupId"] = "default";
        req["MessageDeduplicationId"] = ids_.Hex(16);
    }
    if (!attributes.empty()) {
        Json attrs = Json::object();
        for (const auto& [k, v] : attributes)
            if (!v.empty()) attrs[k] = {{"DataType", "String"}, {"StringValue", v}};
        req["MessageAttributes"] = attrs;
    }
    transport_.Send("aws", JsonRequest("AmazonSQS.SendMessage", req), [done = std::move(done)](core::Response r) {
        if (r.status / 100 == 2) return done(std::nullopt);
        done(WireError(r, "SQS"));
    });
}

}  // namespace sim::aws::events
