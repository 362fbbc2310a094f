#include "sim/aws/sfn/engine/transport_integrations.hpp"


#include "sim/core/message.hpp"
#include "sim/core/trace.hpp"

namespace sim::aws::sfn::engine {

namespace {

constexpr std::string_view kStates = "arn:aws:states:::";

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string StringParam(const Json& p, const char* name) {
    if (!p.is_object() || !p.contains(name)) return {};
    const Json& v = p[name];
    return v.is_string() ? v.get<std::string>() : v.dump();
}

/// The text between <tag> and </tag> after `from`, or empty.
std::string XmlText(std::string_view xml, std::string_view tag, std::size_t from = 0, std::size_t* end = nullptr) {
    std::string open = "<" + std::string(tag) + ">", close = "</" + std::string(tag) + ">";
    auto a = xml.find(open, from);
    if (a == std::string_view::npos) return {};
    a += open.size();
    auto b = xml.find(close, a);
    if (b == std::string_view::npos) return {};
    if (end) *end = b + close.size();
    return std::string(xml.substr(a, b - a));
}

TaskFailure S3Failure(const core::Response& r) {
    std::string code = XmlText(r.body, "Code");
    if (code.empty()) code = "S3Exception";
    else if (code.size() < 9 || code.substr(code.size() - 9) != "Exception") code += "Exception";
    std::string message = XmlText(r.body, "Message");
    return TaskFailure{"S3." + code, message.empty() ? "status " + std::to_string(r.status) : message};
}

std::string S3Target(const std::string& bucket, const std::string& key) {
    return "/" + core::PercentEncode(bucket) + "/" + core::PercentEncode(key, /*keep_slash=*/true);
}

core::Request AwsRequest(const std::string& trace) {
    core::Request req;
    req.headers.Set("Host", "localhost");
    if (!trace.empty()) req.headers.Set(core::kTraceHeader, trace);
    return req;
}

}  // namespace

const BatchTaskRegistry::BatchTask* BatchTaskRegistry::Find(std::string_view td) const {
    if (auto slash = td.rfind('/'); StartsWith(td, "arn:") && slash != std::string_view::npos) td = td.substr(slash + 1);
    if (auto colon = td.find(':'); colon != std::string_view::npos) td = td.substr(0, colon);
    auto it = tasks_.find(td);
    return it == tasks_.end() ? nullptr : &it->second;
}

TransportIntegrations::TransportIntegrations(core::EventLoop& loop, core::Transport& transport, core::HttpClient* http,
                                             FunctionRegistry& functions, BatchTaskRegistry& batch,
                                             std::string account_id, std::uint64_t seed)
    : loop_(loop),
      transport_(transport),
      http_(http),
      functions_(functions),
      batch_(batch),
      account_id_(std::move(account_id)),
      ids_(seed) {}

void TransportIntegrations::Later(TaskCallback done, TaskOutcome outcome) {
    loop_.Post([done = std::move(done), outcome = std::move(outcome)]() mutable { done(std::move(outcome)); });
}

void TransportIntegrations::Invoke(const TaskRequest& request, TaskCallback done) {
    const std::string& r = request.resource;
    if (r == "arn:aws:states:::sqs:sendMessage") return SqsSendMessage(request, std::move(done));
    if (r == "arn:aws:states:::aws-sdk:s3:getObject" || r == "arn:aws:states:::s3:getObject")
        return S3Object(request, false, std::move(done));
    if (r == "arn:aws:states:::aws-sdk:s3:putObject" || r == "arn:aws:states:::s3:putObject")
        return S3Object(request, true, std::move(done));
    if (r == "arn:aws:states:::http:invoke") return HttpInvoke(request, std::move(done));
    if (r == "arn:aws:states:::lambda:invoke") {
        return Function(request, StringParam(request.parameters, "FunctionName"), true, std::move(done));
    }
    if (r == "arn:aws:states:::ecs:runTask") return RunTask(request, false, std::move(done));
    if (r == "arn:aws:states:::ecs:runTask.sync") return RunTask(request, true, std::move(done));
    if (StartsWith(r, "arn:aws:lambda:") || (!StartsWith(r, "arn:") && functions_.Find(r)))
        return Function(request, r, false, std::move(done));
    Later(std::move(done), core::Fail(TaskFailure{"States.Runtime", "Unsupported resource: " + r}));
}

void TransportIntegrations::SqsSendMessage(const TaskRequest& request, TaskCallback done) {
    const Json& p = request.parameters;
    Json body = Json::object();
    body["QueueUrl"] = StringParam(p, "QueueUrl");
    body["MessageBody"] = StringParam(p, "MessageBody");
    for (const char* k : {"DelaySeconds", "MessageAttributes", "MessageSystemAttributes", "MessageGroupId",
                          "MessageDeduplicationId"})
        if (p.is_object() && p.contains(k)) body[k] = p[k];
    core::Request req = AwsRequest(request.trace_header);
    req.method = "POST";
    req.target = "/";
    req.headers.Set("X-Amz-Target", "AmazonSQS.SendMessage");
    req.headers.Set("Content-Type", "application/x-amz-json-1.0");
    req.body = body.dump();
    transport_.Send("aws", std::move(req), [done = std::move(done)](core::Response resp) {
        Json out = Json::parse(resp.body, nullptr, false);
        if (resp.status / 100 == 2 && out.is_object()) return done(out);
        std::string type = out.is_object() ? out.value("__type", std::string()) : std::string();
        if (auto hash = type.find('#'); hash != std::string::npos) type = type.substr(hash + 1);
        if (type.empty()) type = "AmazonSQSException";
        std::string message = out.is_object() ? out.value("message", out.value("Message", std::string())) : resp.body;
        done(core::Fail(TaskFailure{"SQS." + type, message}));
    });
}

void TransportIntegrations::S3Object(const TaskRequest& request, bool put, TaskCallback done) {
    const Json& p = request.parameters;
    std::string bucket = StringParam(p, "Bucket"), key = StringParam(p, "Key");
    if (bucket.empty() || key.empty())
        return Later(std::move(done), core::Fail(TaskFailure{"S3.S3Exception", "Bucket and Key are required"}));
    core::Request req = AwsRequest(request.trace_header);
    req.method = put ? "PUT" : "GET";
    req.target = S3Target(bucket, key);
    if (put) {
        req.body = StringParam(p, "Body");
        std::string type = StringParam(p, "ContentType");
        if (!type.empty()) req.headers.Set("Content-Type", type);
    }
    transport_.Send("aws", std::move(req), [put, done = std::move(done)](core::Response resp) {
        if (resp.status / 100 != 2) return done(core::Fail(S3Failure(resp)));
        Json out = Json::object();
        if (auto etag = resp.headers.Get("ETag")) out["ETag"] = std::string(*etag);
        if (!put) {
            std::string body = core::BodyText(resp);
            out["ContentLength"] = body.size();
            out["Body"] = std::move(body);
            if (auto t = resp.headers.Get("Content-Type")) out["ContentType"] = std::string(*t);
            if (auto m = resp.headers.Get("Last-Modified")) out["LastModified"] = std::string(*m);
        }
        done(out);
    });
}

void TransportIntegrations::HttpInvoke(const TaskRequest& request, TaskCallback done) {
    const Json& p = request.parameters;
    std::string endpoint = StringParam(p, "ApiEndpoint");
    auto scheme = endpoint.find("://");
    if (endpoint.empty() || scheme == std::string::npos)
        return Later(std::move(done), core::Fail(TaskFailure{"States.Runtime", "http:invoke needs an absolute ApiEndpoint"}));
    if (!http_) return Later(std::move(done), core::Fail(TaskFailure{"States.Runtime", "no HTTP client is configured"}));
    auto path = endpoint.find('/', scheme + 3);
    std::string base = endpoint.substr(0, path);
    std::string target = path == std::string::npos ? "/" : endpoint.substr(path);
    if (p.contains("QueryParameters") && p["QueryParameters"].is_object()) {
        bool first = target.find('?') == std::string::npos;
        for (auto it = p["QueryParameters"].begin(); it != p["QueryParameters"].end(); ++it) {
            target += first ? '?' : '&';
            first = false;
            target += core::PercentEncode(it.key()) + "=" +
                      core::PercentEncode(it.value().is_string() ? it.value().get<std::string>() : it.value().dump());
        }
    }
    core::Request req;
    req.method = StringParam(p, "Method");
    if (req.method.empty()) req.method = "GET";
    req.target = target;
    if (p.contains("Headers") && p["Headers"].is_object())
        for (auto it = p["Headers"].begin(); it != p["Headers"].end(); ++it)
            req.headers.Set(it.key(), it.value().is_string() ? it.value().get<std::string>() : it.value().dump());
    if (p.contains("RequestBody")) {
        const Json& b = p["RequestBody"];
        req.body = b.is_string() ? b.get<std::string>() : b.dump();
        if (!req.headers.Has("Content-Type")) req.headers.Set("Content-Type", "application/json");
    }
    if (!request.trace_header.empty()) req.headers.Set(core::kTraceHeader, request.trace_header);
    auto header_text = [](const core::Headers& h) {
        std::string text;
        for (const auto& [k, v] : h.fields()) text += (text.empty() ? "" : ", ") + k + ": " + v;
        return text;
    };
    Json traced;
    if (request.on_http) {
        traced = {{"protocol", base.substr(0, scheme)},
                  {"method", req.method},
                  {"url", base + req.target},
                  {"headers", header_text(req.headers)},
                  {"body", req.body}};
    }
    http_->Send(base, std::move(req), [done = std::move(done), on_http = request.on_http, traced = std::move(traced),
                                       header_text](core::Response resp) {
        if (on_http) {
            on_http(traced, Json{{"protocol", traced.at("protocol")},
                                 {"statusCode", std::to_string(resp.status)},
                                 {"statusMessage", std::string(core::ReasonPhrase(resp.status))},
                                 {"headers", header_text(resp.headers)},
                                 {"body", resp.body}});
        }
        Json out = Json::object();
        Json headers = Json::object();
        for (const auto& [k, v] : resp.headers.fields()) headers[k] = Json::array({v});
        out["Headers"] = headers;
        Json body = Json::parse(resp.body, nullptr, false);
        out["ResponseBody"] = body.is_discarded() ? Json(resp.body) : body;
        out["StatusCode"] = std::to_string(resp.status);
        out["StatusText"] = std::string(core::ReasonPhrase(resp.status));
        if (resp.status / 100 == 2) return done(out);
        if (resp.headers.Has("X-Cardsim-Transport-Error"))
            return done(core::Fail(TaskFailure{"States.Http.Socket", out.dump()}));
        done(core::Fail(TaskFailure{"States.Http.StatusCode." + std::to_string(resp.status), out.dump()}));
    });
}

void TransportIntegrations::Function(const TaskRequest& request, std::string_view name, bool optimized,
                                     TaskCallback done) {
    if (!functions_.Find(name)) {
        return Later(std::move(done), core::Fail(TaskFailure{"Lambda.ResourceNotFoundException",
                                                             "Function not found: " + std::string(name)}));
    }
    Json payload = request.parameters;
    if (optimized) payload = request.parameters.is_object() && request.parameters.contains("Payload")
                                 ? request.parameters["Payload"]
                                 : Json::object();
    // Run the function on a later loop turn: Invoke must not answer from inside itself.
    loop_.Post([this, name = std::string(name), payload = std::move(payload), optimized, done = std::move(done)]() mutable {
        functions_.Invoke(name, payload, [optimized, done = std::move(done)](TaskOutcome outcome) {
            if (!outcome || !optimized) return done(std::move(outcome));
            done(Json{{"ExecutedVersion", "$LATEST"}, {"Payload", std::move(outcome).value()}, {"StatusCode", 200}});
        });
    });
}

void TransportIntegrations::RunTask(const TaskRequest& request, bool sync, TaskCallback done) {
    std::string td = StringParam(request.parameters, "TaskDefinition");
    const BatchTaskRegistry::BatchTask* task = batch_.Find(td);
    if (!task) {
        return Later(std::move(done), core::Fail(TaskFailure{"ECS.ClientException",
                                                             "Unable to find task definition '" + td + "'"}));
    }
    std::string cluster = StringParam(request.parameters, "Cluster");
    if (cluster.empty()) cluster = "default";
    if (auto slash = cluster.rfind('/'); slash != std::string::npos) cluster = cluster.substr(slash + 1);
    std::string family = td;
    if (auto slash = family.rfind('/'); slash != std::string::npos) family = family.substr(slash + 1);
    if (auto colon = family.find(':'); colon != std::string::npos) family = family.substr(0, colon);
    std::string prefix = "arn:aws:ecs:" + request.region + ":" + account_id_ + ":";
    Json described = {{"TaskArn", prefix + "task/" + cluster + "/" + ids_.Hex(16)},
                      {"ClusterArn", prefix + "cluster/" + cluster},
                      {"TaskDefinitionArn", prefix + "task-definition/" + family + ":1"},
                      {"LaunchType", request.parameters.value("LaunchType", std::string("FARGATE"))},
                      {"LastStatus", "PENDING"},
                      {"DesiredStatus", "RUNNING"}};
    Json params = request.parameters;
    if (!sync) {
        loop_.Post([task = *task, params] { task(params, [](TaskOutcome) {}); });
        return Later(std::move(done), Json{{"Tasks", Json::array({described})}, {"Failures", Json::array()}});
    }
    loop_.Post([task = *task, params, described, family, done = std::move(done)]() mutable {
        task(params, [described, family, done = std::move(done)](TaskOutcome outcome) mutable {
            described["LastStatus"] = "STOPPED";
            described["DesiredStatus"] = "STOPPED";
            described["StopCode"] = "EssentialContainerExited";
            int exit_code = outcome ? 0 : 1;
            described["Containers"] = Json::array({Json{{"Name", family}, {"ExitCode", exit_code}, {"LastStatus", "STOPPED"}}});
            if (!outcome) {
                described["StoppedReason"] = outcome.error().cause;
                return done(core::Fail(TaskFailure{outcome.error().error.empty() ? "States.TaskFailed" : outcome.error().error,
                                                   Json{{"Tasks", Json::array({described})}}.dump()}));
            }
            Json result = {{"Tasks", Json::array({described})}, {"Failures", Json::array()}};
            if (!outcome->is_null()) result["Output"] = *outcome;
            done(result);
        });
    });
}

void TransportIntegrations::ReadItems(const ItemsRequest& request, std::function<void(core::Result<std::string>)> done) {
    const Json& p = request.parameters;
    std::string bucket = StringParam(p, "Bucket");
    bool list = request.resource == "arn:aws:states:::s3:listObjectsV2";
    if (!list && request.resource != "arn:aws:states:::s3:getObject") {
        loop_.Post([done, r = request.resource] {
            done(core::Fail(core::Error::InvalidArgument("unsupported ItemReader resource " + r)));
        });
        return;
    }
    core::Request req = AwsRequest("");
    req.method = "GET";
    if (list) {
        req.target = "/" + core::PercentEncode(bucket) + "?list-type=2";
        std::string prefix = StringParam(p, "Prefix");
        if (!prefix.empty()) req.target += "&prefix=" + core::PercentEncode(prefix);
    } else {
        req.target = S3Target(bucket, StringParam(p, "Key"));
    }
    transport_.Send("aws", std::move(req), [list, done = std::move(done)](core::Response resp) {
        if (resp.status / 100 != 2) {
            TaskFailure f = S3Failure(resp);
            return done(core::Fail(core::Error::NotFound(f.error + ": " + f.cause)));
        }
        if (!list) return done(core::BodyText(resp));
        Json items = Json::array();
        std::size_t pos = 0, end = 0;
        while (true) {
            std::string contents = XmlText(resp.body, "Contents", pos, &end);
            if (contents.empty()) break;
            pos = end;
            Json item = {{"Key", XmlText(contents, "Key")}, {"ETag", XmlText(contents, "ETag")},
                         {"LastModified", XmlText(contents, "LastModified")}, {"StorageClass", XmlText(contents, "StorageClass")}};
            std::string size = XmlText(contents, "Size");
            item["Size"] = size.empty() ? 0 : std::stoll(size);
            items.push_back(std::move(item));
        }
        done(items.dump());
    });
}

}  // namespace sim::aws::sfn::engine
