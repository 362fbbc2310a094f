#include "sim/app/aws_auth.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <spdlog/spdlog.h>

#include "sim/aws/protocol/errors.hpp"
#include "sim/aws/protocol/sigv4.hpp"
#include "sim/aws/s3/api/s3_api.hpp"
#include "sim/aws/s3/engine/checksums.hpp"
#include "sim/core/time.hpp"

namespace sim::app {

namespace protocol = aws::protocol;
using protocol::AwsService;

namespace {

std::string Lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::vector<std::pair<std::string, std::string>> QueryPairs(std::string_view raw) {
    std::vector<std::pair<std::string, std::string>> out;
    while (!raw.empty()) {
        auto amp = raw.find('&');
        std::string_view item = raw.substr(0, amp);
        if (!item.empty()) {
            auto eq = item.find('=');
            out.emplace_back(core::PercentDecode(item.substr(0, eq), true),
                             eq == std::string_view::npos ? std::string() : core::PercentDecode(item.substr(eq + 1), true));
        }
        if (amp == std::string_view::npos) break;
        raw.remove_prefix(amp + 1);
    }
    return out;
}

/// Legacy S3 query authentication (SigV2: AWSAccessKeyId, Signature, Expires), which botocore and
/// the CLI still produce for presigned URLs unless told to use SigV4.
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html#RESTAuthenticationQueryStringAuth
std::optional<AuthFailure> VerifyPresignedV2(const core::Request& req, std::string_view virtual_bucket,
                                             const std::optional<std::string>& secret, core::TimePoint now) {
    auto query = QueryPairs(req.Query());
    auto param = [&](std::string_view name) -> std::optional<std::string> {
        for (const auto& [k, v] : query)
            if (k == name) return v;
        return std::nullopt;
    };
    auto signature = param("Signature");
    auto expires = param("Expires");
    if (!param("AWSAccessKeyId") || !signature || !expires) {
        return AuthFailure{400, "AuthorizationQueryParametersError",
                           "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"};
    }
    long long expires_at = 0;
    try {
        expires_at = std::stoll(*expires);
    } catch (const std::exception&) {
        return AuthFailure{403, "AccessDenied", "Invalid date (should be seconds since epoch): " + *expires};
    }
    if (std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() > expires_at) {
        return AuthFailure{403, "AccessDenied", "Request has expired"};
    }
    if (!secret) {
        return AuthFailure{403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."};
    }
    static const std::vector<std::string> kSubresources = {
        "acl", "delete", "lifecycle", "location", "logging", "notification", "partNumber", "policy",
        "requestPayment", "response-cache-control", "response-content-disposition", "response-content-encoding",
        "response-content-language", "response-content-type", "response-expires", "restore", "tagging", "torrent",
        "uploadId", "uploads", "versionId", "versioning", "versions", "website"};
    std::vector<std::pair<std::string, std::string>> sub;
    for (const auto& [k, v] : query) {
        if (std::find(kSubresources.begin(), kSubresources.end(), k) != kSubresources.end()) sub.emplace_back(k, v);
    }
    std::sort(sub.begin(), sub.end());
    std::string resource =
        virtual_bucket.empty() ? std::string(req.Path()) : "/" + std::string(virtual_bucket) + std::string(req.Path());
    for (std::size_t i = 0; i < sub.size(); ++i) {
        resource += i == 0 ? '?' : '&';
        resource += sub[i].first;
        if (!sub[i].second.empty()) resource += "=" + sub[i].second;
    }
    std::vector<std::pair<std::string, std::string>> amz;
    for (const auto& [name, value] : req.headers.fields()) {
        if (core::StartsWithIgnoreCase(name, "x-amz-")) amz.emplace_back(Lower(name), value);
    }
    std::sort(amz.begin(), amz.end());
    std::string to_sign = req.method + "\n" + std::string(req.headers.Get("Content-MD5").value_or("")) + "\n" +
                          std::string(req.headers.Get("Content-Type").value_or("")) + "\n" + *expires + "\n";
    for (const auto& [name, value] : amz) to_sign += name + ":" + value + "\n";
    to_sign += resource;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha1(), secret->data(), static_cast<int>(secret->size()),
         reinterpret_cast<const unsigned char*>(to_sign.data()), to_sign.size(), mac, &len);
    if (aws::s3::engine::Base64Encode(std::string_view(reinterpret_cast<const char*>(mac), len)) != *signature) {
        return AuthFailure{403, "SignatureDoesNotMatch",
                           "The request signature we calculated does not match the signature you provided. Check your "
                           "key and signing method."};
    }
    return std::nullopt;
}


std::string Prefix(AwsService s) {
    switch (s) {
        case AwsService::kS3: return "s3";
        case AwsService::kSqs: return "sqs";
        case AwsService::kStepFunctions: return "states";
        case AwsService::kEvents: return "events";
        case AwsService::kScheduler: return "scheduler";
        case AwsService::kLambda: return "lambda";
        case AwsService::kUnknown: break;
    }
    return "unknown";
}

/// The S3 action of an operation (they differ from operation names: ListObjectsV2 is
/// s3:ListBucket, HeadObject s3:GetObject, UploadPart s3:PutObject, ...).
/// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
AwsOperation DescribeS3(const core::Request& req, std::string_view account_id) {
    (void)account_id;
    std::string bucket = aws::s3::api::VirtualHostedBucket(req.headers.Get("Host").value_or(""));
    std::string_view path = req.Path();
    if (path.starts_with('/')) path.remove_prefix(1);
    std::string key;
    if (!bucket.empty()) {
        key = core::PercentDecode(path);
    } else if (!path.empty()) {
        auto slash = path.find('/');
        bucket = core::PercentDecode(path.substr(0, slash));
        if (slash != std::string_view::npos) key = core::PercentDecode(path.substr(slash + 1));
    }
    auto has = [&](std::string_view name) { return req.QueryParam(name).has_value(); };
    const std::string& m = req.method;
    AwsOperation op{AwsService::kS3, "", "*"};
    auto act = [&](const char* action) { op.action = std::string("s3:") + action; };
    if (bucket.empty()) {
        act("ListAllMyBuckets");
        return op;
    }
    if (key.empty()) {
        op.resource = "arn:aws:s3:::" + bucket;
        if (m == "PUT") {
            if (has("versioning")) act("PutBucketVersioning");
            else if (has("policy")) act("PutBucketPolicy");
            else if (has("tagging")) act("PutBucketTagging");
            else if (has("acl")) act("PutBucketAcl");
            else if (has("cors")) act("PutBucketCORS");
            else if (has("lifecycle")) act("PutLifecycleConfiguration");
            else if (has("notification")) act("PutBucketNotification");
            else act("CreateBucket");
        } else if (m == "DELETE") {
            if (has("policy")) act("DeleteBucketPolicy");
            else if (has("tagging")) act("PutBucketTagging");
            else act("DeleteBucket");
        } else if (m == "POST" && has("delete")) {
            act("DeleteObject");  // DeleteObjects is authorized as DeleteObject on the bucket's objects
            op.resource = "arn:aws:s3:::" + bucket + "/*";
        } else {
            if (has("location")) act("GetBucketLocation");
            else if (has("versioning")) act("GetBucketVersioning");
            else if (has("versions")) act("ListBucketVersions");
            else if (has("uploads")) act("ListBucketMultipartUploads");
            else if (has("policy")) act("GetBucketPolicy");
            else if (has("tagging")) act("GetBucketTagging");
            else if (has("acl")) act("GetBucketAcl");
            else act("ListBucket");  // ListObjects(V2), HeadBucket
        }
        return op;
    }
    op.resource = "arn:aws:s3:::" + bucket + "/" + key;
    if (m == "GET" || m == "HEAD") {
        if (has("tagging")) act(has("versionId") ? "GetObjectVersionTagging" : "GetObjectTagging");
        else if (has("uploadId")) act("ListMultipartUploadParts");
        else if (has("acl")) act("GetObjectAcl");
        else act(has("versionId") ? "GetObjectVersion" : "GetObject");
    } else if (m == "DELETE") {
        if (has("tagging")) act("DeleteObjectTagging");
        else if (has("uploadId")) act("AbortMultipartUpload");
        else act(has("versionId") ? "DeleteObjectVersion" : "DeleteObject");
    } else if (m == "PUT" && has("tagging")) {
        act("PutObjectTagging");
    } else if (m == "PUT" && has("acl")) {
        act("PutObjectAcl");
    } else {
        act("PutObject");  // PutObject, CopyObject, multipart create/upload/complete
    }
    return op;
}

std::string JsonField(const nlohmann::json& body, const char* name) {
    auto it = body.find(name);
    return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::map<std::string, AwsCredential> AwsAuthOptions::DefaultCredentials() {
    return {{"test", {"test", "infra-team"}}, {"app-team", {"app-team-secret", "app-team"}}};
}

std::map<std::string, std::vector<aws::iam::Policy>> AwsAuthOptions::DefaultPolicies() {
    static const char* kInfra = R"({"Version": "2012-10-17", "Statement": [
      {"Sid": "InfraManagesEverything", "Effect": "Allow", "Action": "*", "Resource": "*"}]})";
    static const char* kApp = R"({"Version": "2012-10-17", "Statement": [
      {"Sid": "ReadEverything", "Effect": "Allow", "Resource": "*",
       "Action": ["s3:Get*", "s3:List*", "sqs:Get*", "sqs:List*", "states:Describe*", "states:List*", "states:Get*",
                  "events:Describe*", "events:List*", "events:Test*", "scheduler:Get*", "scheduler:List*",
                  "lambda:Get*", "lambda:List*"]},
      {"Sid": "RunQueues", "Effect": "Allow", "Resource": "arn:aws:sqs:*:*:*",
       "Action": ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"]},
      {"Sid": "RunStateMachines", "Effect": "Allow", "Resource": "arn:aws:states:*:*:*",
       "Action": ["states:StartExecution", "states:StartSyncExecution", "states:StopExecution",
                  "states:UpdateStateMachine", "states:SendTaskSuccess", "states:SendTaskFailure",
                  "states:SendTaskHeartbeat", "states:RedriveExecution"]},
      {"Sid": "InvokeFunctions", "Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "*"},
      {"Sid": "ReadWriteObjects", "Effect": "Allow", "Resource": "arn:aws:s3:::*/*",
       "Action": ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:PutObjectTagging",
                  "s3:DeleteObjectTagging"]},
      {"Sid": "DenyResourceAdmin", "Effect": "Deny", "Resource": "*",
       "Action": ["s3:CreateBucket", "s3:DeleteBucket", "sqs:CreateQueue", "sqs:DeleteQueue", "events:PutRule",
                  "events:DeleteRule", "scheduler:CreateSchedule", "scheduler:DeleteSchedule"]},
      {"Sid": "DenyPolicyChanges", "Effect": "Deny", "Resource": "*",
       "Action": ["iam:*", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketAcl", "s3:PutObjectAcl",
                  "sqs:AddPermission", "sqs:RemovePermission", "sqs:SetQueueAttributes", "lambda:AddPermission",
                  "lambda:RemovePermission", "events:PutPermission", "events:RemovePermission"]}]})";
    std::map<std::string, std::vector<aws::iam::Policy>> out;
    out["infra-team"].push_back(aws::iam::ParsePolicy("infra-team", nlohmann::json::parse(kInfra)).value());
    out["app-team"].push_back(aws::iam::ParsePolicy("app-team", nlohmann::json::parse(kApp)).value());
    return out;
}

core::Result<std::map<std::string, AwsCredential>> ParseCredentials(const std::map<std::string, std::string>& entries) {
    std::map<std::string, AwsCredential> out;
    for (const auto& [key, value] : entries) {
        auto colon = value.find(':');
        if (key.empty() || colon == std::string::npos || colon == 0 || colon + 1 == value.size())
            return core::Fail(core::Error::InvalidArgument("--aws-credential " + key +
                                                          ": expected ACCESS_KEY=PRINCIPAL:SECRET"));
        out[key] = {value.substr(colon + 1), value.substr(0, colon)};
    }
    return out;
}

core::Result<std::map<std::string, std::vector<aws::iam::Policy>>> ParsePolicies(const nlohmann::json& document) {
    if (!document.is_object())
        return core::Fail(core::Error::InvalidArgument(
            "IAM policies: expected {\"<principal>\": {\"<policy name>\": <policy document>}}"));
    std::map<std::string, std::vector<aws::iam::Policy>> out;
    for (const auto& [principal, named] : document.items()) {
        if (!named.is_object())
            return core::Fail(core::Error::InvalidArgument("IAM policies of " + principal +
                                                          ": expected an object of named policy documents"));
        auto& list = out[principal];
        for (const auto& [name, doc] : named.items()) {
            auto policy = aws::iam::ParsePolicy(name, doc);
            if (!policy) return core::Fail(policy.error());
            list.push_back(std::move(policy).value());
        }
    }
    return out;
}

AwsOperation DescribeOperation(const core::Request& request, AwsService service, std::string_view account_id) {
    if (service == AwsService::kS3) return DescribeS3(request, account_id);
    std::string region = protocol::RegionOf(request);
    std::string arn_prefix = "arn:aws:" + Prefix(service) + ":" + region + ":" + std::string(account_id) + ":";
    AwsOperation op{service, Prefix(service) + ":" + request.method, "*"};
    auto target = request.headers.Get("X-Amz-Target");
    std::string name = target ? std::string(target->substr(target->find('.') + 1)) : std::string();
    nlohmann::json body = nlohmann::json::object();
    if (target && !request.body.empty()) {
        body = nlohmann::json::parse(request.body, nullptr, false);
        if (!body.is_object()) body = nlohmann::json::object();
    }
    switch (service) {
        case AwsService::kSqs: {
            std::string queue_url, queue_name;
            if (target) {
                queue_url = JsonField(body, "QueueUrl");
                queue_name = JsonField(body, "QueueName");
            } else {
                auto form = protocol::ParseForm(request.Query());
                if (request.method == "POST")
                    for (auto& [k, v] : protocol::ParseForm(request.body)) form[k] = v;
                name = form["Action"];
                queue_url = form["QueueUrl"];
                queue_name = form["QueueName"];
                if (queue_url.empty() && request.Path().size() > 1) queue_url = std::string(request.Path());
            }
            // Batch operations are authorized as their single-message actions.
            if (name.ends_with("Batch")) name.resize(name.size() - 5);
            op.action = "sqs:" + name;
            if (!queue_url.empty()) queue_name = queue_url.substr(queue_url.rfind('/') + 1);
            if (!queue_name.empty()) op.resource = arn_prefix + queue_name;
            break;
        }
        case AwsService::kStepFunctions: {
            op.action = "states:" + name;
            for (const char* field : {"stateMachineArn", "executionArn", "activityArn", "resourceArn", "mapRunArn"}) {
                if (auto arn = JsonField(body, field); !arn.empty()) {
                    op.resource = arn;
                    break;
                }
            }
            if (op.resource == "*" && name == "CreateStateMachine" && !JsonField(body, "name").empty())
                op.resource = arn_prefix + "stateMachine:" + JsonField(body, "name");
            break;
        }
        case AwsService::kEvents: {
            op.action = "events:" + name;
            std::string rule = JsonField(body, "Name");
            if (rule.empty()) rule = JsonField(body, "Rule");
            std::string bus = JsonField(body, "EventBusName");
            if (name.find("Rule") != std::string::npos || name.find("Targets") != std::string::npos) {
                if (!rule.empty())
                    op.resource = arn_prefix + "rule/" + (bus.empty() || bus == "default" ? "" : bus + "/") + rule;
            } else if (name.find("EventBus") != std::string::npos && !rule.empty()) {
                op.resource = arn_prefix + "event-bus/" + rule;
            }
            break;
        }
        case AwsService::kLambda: {
            // /2015-03-31/functions[/{name}[/invocations]], /2015-03-31/event-source-mappings[/{uuid}]
            std::vector<std::string> seg;
            std::string_view path = request.Path();
            while (!path.empty()) {
                path.remove_prefix(path.starts_with('/') ? 1 : 0);
                auto slash = path.find('/');
                seg.push_back(core::PercentDecode(path.substr(0, slash)));
                path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
            }
            const std::string& m = request.method;
            if (seg.size() >= 2 && seg[1] == "functions") {
                if (seg.size() >= 3) {
                    std::string fn = seg[2];
                    op.resource = fn.starts_with("arn:") ? fn : arn_prefix + "function:" + fn;
                }
                if (seg.size() >= 4 && seg[3] == "invocations") op.action = "lambda:InvokeFunction";
                else if (seg.size() == 2) op.action = m == "POST" ? "lambda:CreateFunction" : "lambda:ListFunctions";
                else if (m == "DELETE") op.action = "lambda:DeleteFunction";
                else if (m == "GET") op.action = "lambda:GetFunction";
                else op.action = "lambda:UpdateFunctionConfiguration";
            } else if (seg.size() >= 2 && seg[1] == "event-source-mappings") {
                if (seg.size() == 2) op.action = m == "POST" ? "lambda:CreateEventSourceMapping"
                                                             : "lambda:ListEventSourceMappings";
                else if (m == "DELETE") op.action = "lambda:DeleteEventSourceMapping";
                else if (m == "PUT") op.action = "lambda:UpdateEventSourceMapping";
                else op.action = "lambda:GetEventSourceMapping";
            }
            break;
        }
        case AwsService::kScheduler: {
            // /schedules[/{Name}], /schedule-groups[/{Name}]
            std::string_view path = request.Path();
            path.remove_prefix(path.starts_with('/') ? 1 : 0);
            auto slash = path.find('/');
            std::string collection(path.substr(0, slash));
            std::string item = slash == std::string_view::npos ? std::string() : core::PercentDecode(path.substr(slash + 1));
            std::string noun = collection == "schedules" ? "Schedule" : collection == "schedule-groups" ? "ScheduleGroup" : "";
            if (noun.empty()) break;
            const std::string& m = request.method;
            if (item.empty()) {
                op.action = "scheduler:List" + noun + "s";
            } else {
                op.action = "scheduler:" + std::string(m == "POST" ? "Create" : m == "PUT" ? "Update" : m == "DELETE" ? "Delete" : "Get") + noun;
                std::string group = request.QueryParam("groupName").value_or("default");
                op.resource = arn_prefix + (noun == "Schedule" ? "schedule/" + group + "/" + item : "schedule-group/" + item);
            }
            break;
        }
        case AwsService::kS3:
        case AwsService::kUnknown: break;
    }
    return op;
}

AwsAuth::AwsAuth(clock::Clock& clock, AwsAuthOptions options) : clock_(clock), options_(std::move(options)) {}

std::optional<std::string> AwsAuth::SecretOf(std::string_view access_key) const {
    auto it = options_.credentials.find(std::string(access_key));
    if (it == options_.credentials.end()) return std::nullopt;
    return it->second.secret;
}

core::Result<std::string, AuthFailure> AwsAuth::Authenticate(const core::Request& request, AwsService service,
                                                             std::string_view virtual_bucket,
                                                             bool require_signature) const {
    bool s3 = service == AwsService::kS3;
    bool header = request.headers.Has("Authorization");
    bool presigned = request.QueryParam("X-Amz-Signature").has_value();
    if (s3 && !header && !presigned && request.QueryParam("Signature") && request.QueryParam("AWSAccessKeyId")) {
        auto access_key = *request.QueryParam("AWSAccessKeyId");
        if (auto failure = VerifyPresignedV2(request, virtual_bucket, SecretOf(access_key), clock_.Now()))
            return core::Fail(std::move(*failure));
        return access_key;
    }
    if (!header && !presigned) {
        if (!require_signature) return std::string();
        if (s3) return core::Fail(AuthFailure{403, "AccessDenied", "Anonymous access is denied: sign the request."});
        return core::Fail(AuthFailure{403, "MissingAuthenticationToken", "Request is missing Authentication Token"});
    }
    if (header && require_signature && protocol::ParseAuthorization(*request.headers.Get("Authorization"))) {
        // Clock skew of header-signed requests (presigned ones expire by X-Amz-Expires instead).
        auto date = request.headers.Get("X-Amz-Date");
        auto signed_at = date ? protocol::ParseAmzDate(*date) : std::nullopt;
        if (!signed_at) {
            return core::Fail(AuthFailure{s3 ? 403 : 400, s3 ? "AccessDenied" : "IncompleteSignature",
                                          "Authorization header requires existence of either a 'X-Amz-Date' or a "
                                          "'Date' header."});
        }
        auto now = clock_.Now();
        auto skew = *signed_at > now ? *signed_at - now : now - *signed_at;
        if (skew > options_.max_skew) {
            std::string detail = "Signature date " + std::string(*date) + " is more than 15 minutes from the server time " +
                                 protocol::AmzDate(now);
            if (s3) return core::Fail(AuthFailure{403, "RequestTimeTooSkewed",
                                                  "The difference between the request time and the current time is too "
                                                  "large. " + detail});
            return core::Fail(AuthFailure{400, "RequestExpired", "Request has expired. " + detail});
        }
    }
    auto verdict = protocol::VerifySigV4(
        request, [this](std::string_view key) { return SecretOf(key); }, clock_.Now(), s3);
    switch (verdict.status) {
        case protocol::SigV4Status::kUnsigned:
        case protocol::SigV4Status::kValid: return verdict.access_key;
        case protocol::SigV4Status::kMalformed:
            if (s3)
                return core::Fail(AuthFailure{400, presigned ? "AuthorizationQueryParametersError" : "AuthorizationHeaderMalformed",
                                              verdict.message});
            return core::Fail(AuthFailure{400, "IncompleteSignature", verdict.message});
        case protocol::SigV4Status::kUnknownAccessKey:
            return core::Fail(AuthFailure{403, s3 ? "InvalidAccessKeyId" : "InvalidClientTokenId",
                                          s3 ? verdict.message : "The security token included in the request is invalid."});
        case protocol::SigV4Status::kMismatch:
            spdlog::debug("[auth] signature mismatch for {}; canonical request:\n{}", verdict.access_key,
                          verdict.canonical_request);
            return core::Fail(AuthFailure{403, "SignatureDoesNotMatch", verdict.message});
        case protocol::SigV4Status::kExpired:
            if (s3) return core::Fail(AuthFailure{403, "AccessDenied", verdict.message});
            return core::Fail(AuthFailure{400, "RequestExpired", verdict.message});
    }
    return core::Fail(AuthFailure{403, "AccessDenied", "unknown signature verdict"});
}

std::optional<protocol::ChunkSigningContext> AwsAuth::ChunkSigning(const core::Request& request) const {
    auto header = request.headers.Get("Authorization");
    if (!header) return std::nullopt;
    auto parsed = protocol::ParseAuthorization(*header);
    if (!parsed) return std::nullopt;
    auto secret = SecretOf(parsed->access_key);
    if (!secret) return std::nullopt;
    return protocol::ChunkSigningContextOf(request, *secret);
}

std::optional<AuthFailure> AwsAuth::S3Authenticate(const core::Request& request, std::string_view virtual_bucket) const {
    auto r = Authenticate(request, AwsService::kS3, virtual_bucket, /*require_signature=*/false);
    if (r) return std::nullopt;
    return r.error();
}

std::optional<core::Response> AwsAuth::Check(core::Request& request) const {
    if (options_.mode == AuthMode::kOff) return std::nullopt;
    // In-process callers (Step Functions integrations, the fakes) and the control plane are trusted.
    if (request.remote.empty() || request.Path().starts_with("/_sim/") || request.Path().starts_with("/_aws/"))
        return std::nullopt;
    AwsService service = protocol::DetectService(request);
    auto render = [&](int status, const std::string& code, const std::string& message) -> core::Response {
        std::string rid = "auth-" + std::to_string(++denials_);
        switch (service) {
            case AwsService::kS3:
                return protocol::RestXmlError(status, code, message, request.Path(), rid, request.method == "HEAD");
            case AwsService::kSqs:
                if (!request.headers.Has("X-Amz-Target"))
                    return protocol::QueryXmlError(status, code, message, rid,
                                                   "http://queue.amazonaws.com/doc/2012-11-05/");
                return protocol::JsonError(status, "com.amazon.coral.service#" + code, message, rid,
                                           code + (status >= 500 ? ";Receiver" : ";Sender"));
            case AwsService::kStepFunctions:
                return protocol::JsonError(status, "com.amazon.coral.service#" + code, message, rid);
            case AwsService::kEvents:
                return protocol::JsonError(status, "com.amazon.coral.service#" + code, message, rid, {},
                                           "application/x-amz-json-1.1");
            case AwsService::kLambda:
            case AwsService::kScheduler:
            case AwsService::kUnknown: {
                auto r = protocol::JsonError(status, code, message, rid, {}, "application/json");
                r.headers.Set("x-amzn-ErrorType", code);
                return r;
            }
        }
        return core::Response::Problem(status, code, message);
    };
    std::string virtual_bucket;
    if (service == AwsService::kS3) virtual_bucket = aws::s3::api::VirtualHostedBucket(request.headers.Get("Host").value_or(""));
    auto who = Authenticate(request, service, virtual_bucket, /*require_signature=*/true);
    if (!who) {
        spdlog::info("[auth] {} {} {}: {} {} ({})", request.remote, request.method, request.target, who.error().code,
                     who.error().message, protocol::ToString(service));
        return render(who.error().status, who.error().code, who.error().message);
    }
    const AwsCredential& credential = options_.credentials.at(*who);
    AwsOperation op = DescribeOperation(request, service, options_.account_id);
    aws::iam::RequestContext context{op.action, op.resource, {}};
    context.keys["aws:RequestedRegion"] = protocol::RegionOf(request);
    context.keys["aws:username"] = credential.principal;
    context.keys["aws:PrincipalArn"] = "arn:aws:iam::" + options_.account_id + ":role/" + credential.principal;
    context.keys["aws:SecureTransport"] = "false";  // cardsim serves plain HTTP
    static const std::vector<aws::iam::Policy> kNone;
    auto policies = options_.policies.find(credential.principal);
    auto evaluation = aws::iam::Evaluate(policies == options_.policies.end() ? kNone : policies->second, context);
    if (evaluation.Allowed()) {
        spdlog::debug("[auth] {} ({}): {}", credential.principal, *who, evaluation.explanation);
        return std::nullopt;
    }
    spdlog::info("[auth] {} ({}): {}", credential.principal, *who, evaluation.explanation);
    std::string principal_arn = context.keys["aws:PrincipalArn"];
    std::string message = "User: " + principal_arn + " is not authorized to perform: " + op.action + " on resource: " +
                          op.resource + " because " +
                          (evaluation.decision == aws::iam::Decision::kExplicitDeny
                               ? "an explicit deny in an identity-based policy (" + evaluation.explanation + ")"
                               : "no identity-based policy allows the " + op.action + " action (" +
                                     evaluation.explanation + ")");
    bool json = service == AwsService::kStepFunctions || service == AwsService::kEvents ||
                service == AwsService::kLambda || service == AwsService::kScheduler;
    std::string code = json ? "AccessDeniedException" : "AccessDenied";
    if (service == AwsService::kSqs && request.headers.Has("X-Amz-Target")) code = "AccessDenied";
    // JSON 1.0/1.1 services answer AccessDeniedException with 400, REST and query ones with 403.
    bool coral = service == AwsService::kStepFunctions || service == AwsService::kEvents;
    return render(coral ? 400 : 403, code, message);
}

}  // namespace sim::app
