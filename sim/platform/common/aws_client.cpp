#include "sim/platform/common/aws_client.hpp"

#include <utility>

#include "sim/core/trace.hpp"

namespace sim::platform {

namespace {

constexpr const char* kJson10 = "application/x-amz-json-1.0";
constexpr const char* kJson11 = "application/x-amz-json-1.1";

std::string XmlElement(const std::string& xml, const std::string& name) {
    auto open = xml.find("<" + name + ">");
    if (open == std::string::npos) return {};
    open += name.size() + 2;
    auto close = xml.find("</" + name + ">", open);
    return close == std::string::npos ? std::string{} : xml.substr(open, close - open);
}

std::string ObjectTarget(const std::string& bucket, const std::string& key) {
    return "/" + core::PercentEncode(bucket) + "/" + core::PercentEncode(key, /*keep_slash=*/true);
}

}  // namespace

AwsClient::AwsClient(core::Transport& transport, std::string service, std::string region, std::string account_id)
    : transport_(transport), service_(std::move(service)), region_(std::move(region)), account_id_(std::move(account_id)) {}

std::string AwsClient::QueueArn(const std::string& n) const { return "arn:aws:sqs:" + region_ + ":" + account_id_ + ":" + n; }
std::string AwsClient::FunctionArn(const std::string& n) const {
    return "arn:aws:lambda:" + region_ + ":" + account_id_ + ":function:" + n;
}
std::string AwsClient::StateMachineArn(const std::string& n) const {
    return "arn:aws:states:" + region_ + ":" + account_id_ + ":stateMachine:" + n;
}
std::string AwsClient::RoleArn(const std::string& n) const { return "arn:aws:iam::" + account_id_ + ":role/" + n; }

void AwsClient::Send(core::Request request, std::function<void(const core::Response&)> done) {
    transport_.Send(service_, std::move(request), [done = std::move(done)](core::Response r) { done(r); });
}

AwsError AwsClient::ErrorOf(const core::Response& r) {
    AwsError e;
    e.status = r.status;
    if (r.headers.Get("X-Cardsim-Transport-Error")) {
        e.code = "TransportError";
        e.message = std::string(*r.headers.Get("X-Cardsim-Transport-Error")) + ": " + r.body;
        return e;
    }
    if (auto t = r.headers.Get("X-Amzn-ErrorType")) {
        std::string code(*t);
        e.code = code.substr(0, code.find(':'));
    }
    auto body = Json::parse(r.body, nullptr, false);
    if (body.is_object()) {
        if (e.code.empty()) {
            std::string type = body.value("__type", body.value("code", body.value("Code", std::string{})));
            auto hash = type.rfind('#');
            e.code = hash == std::string::npos ? type : type.substr(hash + 1);
        }
        e.message = body.value("message", body.value("Message", std::string{}));
    } else if (!r.body.empty() && r.body.find("<Error>") != std::string::npos) {
        e.code = XmlElement(r.body, "Code");
        e.message = XmlElement(r.body, "Message");
    }
    if (e.code.empty()) e.code = r.status == 404 ? "NotFound" : "HTTP" + std::to_string(r.status);
    if (e.message.empty()) e.message = "HTTP " + std::to_string(r.status);
    return e;
}

void AwsClient::CallJson(const std::string& target, const std::string& content_type, const Json& body,
                         AwsCallback<Json> done, const std::string& trace_id) {
    core::Request req;
    req.method = "POST";
    req.target = "/";
    if (!trace_id.empty()) req.headers.Set(core::kTraceHeader, trace_id);
    req.headers.Set("X-Amz-Target", target);
    req.headers.Set("Content-Type", content_type);
    req.body = body.dump();
    Send(std::move(req), [done = std::move(done)](const core::Response& r) {
        if (r.status / 100 != 2) return done(core::Fail(ErrorOf(r)));
        if (r.body.empty()) return done(Json::object());
        auto parsed = Json::parse(r.body, nullptr, false);
        if (parsed.is_discarded())
            return done(core::Fail(AwsError{r.status, "MalformedResponse", "the response is not JSON"}));
        done(std::move(parsed));
    });
}

// --- SQS ---------------------------------------------------------------------------------------

void AwsClient::CreateQueue(const std::string& name, const std::map<std::string, std::string>& attributes,
                            AwsCallback<std::string> done) {
    Json body = {{"QueueName", name}};
    if (!attributes.empty()) body["Attributes"] = attributes;
    CallJson("AmazonSQS.CreateQueue", kJson10, body, [done = std::move(done)](AwsResult<Json> r) {
        if (!r) return done(core::Fail(r.error()));
        done(r->value("QueueUrl", std::string{}));
    });
}

void AwsClient::GetQueueUrl(const std::string& name, AwsCallback<std::string> done) {
    CallJson("AmazonSQS.GetQueueUrl", kJson10, {{"QueueName", name}}, [done = std::move(done)](AwsResult<Json> r) {
        if (!r) return done(core::Fail(r.error()));
        done(r->value("QueueUrl", std::string{}));
    });
}

void AwsClient::SetQueueAttributes(const std::string& queue_url, const std::map<std::string, std::string>& attributes,
                                   AwsCallback<core::Unit> done) {
    CallJson("AmazonSQS.SetQueueAttributes", kJson10, {{"QueueUrl", queue_url}, {"Attributes", attributes}},
             [done = std::move(done)](AwsResult<Json> r) {
                 if (!r) return done(core::Fail(r.error()));
                 done(core::Unit{});
             });
}

void AwsClient::GetQueueAttributes(const std::string& queue_url, AwsCallback<std::map<std::string, std::string>> done) {
    CallJson("AmazonSQS.GetQueueAttributes", kJson10, {{"QueueUrl", queue_url}, {"AttributeNames", {"All"}}},
             [done = std::move(done)](AwsResult<Json> r) {
                 if (!r) return done(core::Fail(r.error()));
                 std::map<std::string, std::string> out;
                 for (const auto& [k, v] : r->value("Attributes", Json::object()).items())
                     out[k] = v.is_string() ? v.get<std::string>() : v.dump();
                 done(std::move(out));
             });
}

void AwsClient::SendMessage(const std::string& queue_url, const std::string& body,
                            const std::map<std::string, std::string>& attributes, AwsCallback<std::string> done,
                            int delay_seconds) {
    Json req = {{"QueueUrl", queue_url}, {"MessageBody", body}};
    if (delay_seconds > 0) req["DelaySeconds"] = delay_seconds;
    if (!attributes.empty()) {
        Json attrs = Json::object();
        for (const auto& [k, v] : attributes) attrs[k] = {{"DataType", "String"}, {"StringValue", v}};
        req["MessageAttributes"] = std::move(attrs);
    }
    // The trace attribute is also the request's trace, so the send is a span of the same trace.
    auto trace = attributes.find("trace_id");
    CallJson("AmazonSQS.SendMessage", kJson10, req, [done = std::move(done)](AwsResult<Json> r) {
        if (!r) return done(core::Fail(r.error()));
        done(r->value("MessageId", std::string{}));
    }, trace == attributes.end() ? std::string() : trace->second);
}

void AwsClient::ReceiveMessage(const std::string& queue_url, int max_messages, int wait_seconds,
                               AwsCallback<std::vector<SqsMessage>> done, int visibility_timeout) {
    Json req = {{"QueueUrl", queue_url},
                {"MaxNumberOfMessages", max_messages},
                {"WaitTimeSeconds", wait_seconds},
                {"AttributeNames", {"All"}},
                {"MessageAttributeNames", {"All"}}};
    if (visibility_timeout >= 0) req["VisibilityTimeout"] = visibility_timeout;
    CallJson("AmazonSQS.ReceiveMessage", kJson10, req, [done = std::move(done)](AwsResult<Json> r) {
        if (!r) return done(core::Fail(r.error()));
        std::vector<SqsMessage> out;
        for (const auto& m : r->value("Messages", Json::array())) {
            SqsMessage msg;
            msg.message_id = m.value("MessageId", "");
            msg.receipt_handle = m.value("ReceiptHandle", "");
            msg.body = m.value("Body", "");
            for (const auto& [k, v] : m.value("Attributes", Json::object()).items())
                if (v.is_string()) msg.attributes[k] = v.get<std::string>();
            for (const auto& [k, v] : m.value("MessageAttributes", Json::object()).items())
                if (v.is_object() && v.contains("StringValue")) msg.message_attributes[k] = v["StringValue"].get<std::string>();
            out.push_back(std::move(msg));
        }
        done(std::move(out));
    });
}

void AwsClient::DeleteMessage(const std::string& queue_url, const std::string& receipt_handle,
                              AwsCallback<core::Unit> done) {
    CallJson("AmazonSQS.DeleteMessage", kJson10, {{"QueueUrl", queue_url}, {"ReceiptHandle", receipt_handle}},
             [done = std::move(done)](AwsResult<Json> r) {
                 if (!r) return done(core::Fail(r.error()));
                 done(core::Unit{});
             });
}

// --- S3 ----------------------------------------------------------------------------------------

void AwsClient::CreateBucket(const std::string& bucket, AwsCallback<core::Unit> done) {
    core::Request req;
    req.method = "PUT";
    req.target = "/" + core::PercentEncode(bucket);
    Send(std::move(req), [done = std::move(done)](const core::Response& r) {
        if (r.status / 100 != 2) return done(core::Fail(ErrorOf(r)));
        done(core::Unit{});
    });
}

void AwsClient::PutObject(const std::string& bucket, const std::string& key, std::string body,
                          const std::string& content_type, AwsCallback<std::string> done) {
    core::Request req;
    req.method = "PUT";
    req.target = ObjectTarget(bucket, key);
    req.headers.Set("Content-Type", content_type);
    req.body = std::move(body);
    Send(std::move(req), [done = std::move(done)](const core::Response& r) {
        if (r.status / 100 != 2) return done(core::Fail(ErrorOf(r)));
        done(std::string(r.headers.Get("ETag").value_or("")));
    });
}

void AwsClient::GetObject(const std::string& bucket, const std::string& key, AwsCallback<S3Object> done) {
    core::Request req;
    req.method = "GET";
    req.target = ObjectTarget(bucket, key);
    Send(std::move(req), [done = std::move(done)](const core::Response& r) {
        if (r.status / 100 != 2) return done(core::Fail(ErrorOf(r)));
        S3Object o;
        o.body = core::BodyText(r);
        o.size = o.body.size();
        o.content_type = std::string(r.headers.Get("Content-Type").value_or(""));
        o.etag = std::string(r.headers.Get("ETag").value_or(""));
        done(std::move(o));
    });
}

void AwsClient::HeadObject(const std::string& bucket, const std::string& key, AwsCallback<S3Object> done) {
    core::Request req;
    req.method = "HEAD";
    req.target = ObjectTarget(bucket, key);
    Send(std::move(req), [done = std::move(done)](const core::Response& r) {
        if (r.status / 100 != 2) {
            AwsError e = ErrorOf(r);
            if (r.status == 404) e.code = "NoSuchKey";  // HEAD has no body to carry the code (AWS: 404 Not Found)
            return done(core::Fail(std::move(e)));
        }
        S3Object o;
        o.content_type = std::string(r.headers.Get("Content-Type").value_or(""));
        o.etag = std::string(r.headers.Get("ETag").value_or(""));
        if (auto len = r.headers.Get("Content-Length")) o.size = std::stoull(std::string(*len));
        done(std::move(o));
    });
}

// --- Step Functions ------------------------------------------------------------------------------

void AwsClient::CreateStateMachine(const std::string& name, const std::string& definition, const std::string& role_arn,
                                   AwsCallback<std::string> done) {
    Json req = {{"name", name}, {"definition", definition}, {"roleArn", role_arn}, {"type", "STANDARD"}};
    CallJson("AWSStepFunctions.CreateStateMachine", kJson10, req, [done = std::move(done)](AwsResult<Json> r) {
        if (!r) return done(core::Fail(r.error()));
        done(r->value("stateMachineArn", std::string{}));
    });
}

void AwsClient::UpdateStateMachine(const std::string& arn, const std::string& definition, AwsCallback<core::Unit> done) {
    CallJson("AWSStepFunctions.UpdateStateMachine", kJson10, {{"stateMachineArn", arn}, {"definition", definition}},
             [done = std::move(done)](AwsResult<Json> r) {
                 if (!r) return done(core::Fail(r.error()));
                 done(core::Unit{});
             });
}

void AwsClient::StartExecution(const std::string& state_machine_arn, const std::string& name, const Json& input,
                               AwsCallback<std::string> done) {
    Json req = {{"stateMachineArn", state_machine_arn}, {"input", input.dump()}};
    if (!name.empty()) req["name"] = name;
    CallJson("AWSStepFunctions.StartExecution", kJson10, req, [done = std::move(done)](AwsResult<Json> r) {
        if (!r) return done(core::Fail(r.error()));
        done(r->value("executionArn", std::string{}));
    });
}

void AwsClient::DescribeExecution(const std::string& execution_arn, AwsCallback<Json> done) {
    CallJson("AWSStepFunctions.DescribeExecution", kJson10, {{"executionArn", execution_arn}}, std::move(done));
}

// --- EventBridge ---------------------------------------------------------------------------------

void AwsClient::PutRule(const std::string& name, const std::string& schedule_expression,
                        const std::string& event_pattern, const std::string& description,
                        AwsCallback<std::string> done) {
    Json req = {{"Name", name}, {"State", "ENABLED"}};
    if (!schedule_expression.empty()) req["ScheduleExpression"] = schedule_expression;
    if (!event_pattern.empty()) req["EventPattern"] = event_pattern;
    if (!description.empty()) req["Description"] = description;
    CallJson("AWSEvents.PutRule", kJson11, req, [done = std::move(done)](AwsResult<Json> r) {
        if (!r) return done(core::Fail(r.error()));
        done(r->value("RuleArn", std::string{}));
    });
}

void AwsClient::PutTargets(const std::string& rule, const Json& targets, AwsCallback<core::Unit> done) {
    CallJson("AWSEvents.PutTargets", kJson11, {{"Rule", rule}, {"Targets", targets}},
             [done = std::move(done)](AwsResult<Json> r) {
                 if (!r) return done(core::Fail(r.error()));
                 if (r->value("FailedEntryCount", 0) > 0) {
                     const Json& first = (*r)["FailedEntries"].at(0);
                     return done(core::Fail(AwsError{200, first.value("ErrorCode", "FailedEntry"),
                                                     first.value("ErrorMessage", "a target was refused")}));
                 }
                 done(core::Unit{});
             });
}

// --- Lambda ------------------------------------------------------------------------------------

namespace {
// The edge routes REST services by the SigV4 credential scope; in-process callers are trusted, so
// the scope alone (unsigned) is enough to reach Lambda.
void LambdaScope(core::Request& req, const std::string& region) {
    req.headers.Set("Authorization", "AWS4-HMAC-SHA256 Credential=platform/20270101/" + region +
                                         "/lambda/aws4_request, SignedHeaders=host, Signature=unsigned");
}
}  // namespace

void AwsClient::CreateEventSourceMapping(const std::string& function_name, const std::string& event_source_arn,
                                         int batch_size, bool report_batch_item_failures,
                                         AwsCallback<std::string> done) {
    Json body = {{"FunctionName", function_name}, {"EventSourceArn", event_source_arn}, {"BatchSize", batch_size},
                 {"Enabled", true}};
    if (report_batch_item_failures) body["FunctionResponseTypes"] = {"ReportBatchItemFailures"};
    core::Request req;
    req.method = "POST";
    req.target = "/2015-03-31/event-source-mappings/";
    req.headers.Set("Content-Type", "application/json");
    LambdaScope(req, region_);
    req.body = body.dump();
    Send(std::move(req), [done = std::move(done)](const core::Response& r) {
        if (r.status / 100 != 2) return done(core::Fail(ErrorOf(r)));
        auto parsed = Json::parse(r.body, nullptr, false);
        if (!parsed.is_object()) return done(core::Fail(AwsError{r.status, "MalformedResponse", "not JSON"}));
        done(parsed.value("UUID", std::string{}));
    });
}

void AwsClient::ListEventSourceMappings(const std::string& function_name, AwsCallback<Json> done) {
    core::Request req;
    req.method = "GET";
    req.target = "/2015-03-31/event-source-mappings/?FunctionName=" + core::PercentEncode(function_name);
    LambdaScope(req, region_);
    Send(std::move(req), [done = std::move(done)](const core::Response& r) {
        if (r.status / 100 != 2) return done(core::Fail(ErrorOf(r)));
        auto parsed = Json::parse(r.body, nullptr, false);
        if (!parsed.is_object()) return done(core::Fail(AwsError{r.status, "MalformedResponse", "not JSON"}));
        done(std::move(parsed));
    });
}

}  // namespace sim::platform
