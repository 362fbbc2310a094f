#include "sim/aws/sqs/api/sqs_api.hpp"

#include <charconv>
#include <cstring>
#include <set>
#include <functional>
#include <unordered_map>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "sim/aws/protocol/aws_request.hpp"
#include "sim/aws/protocol/errors.hpp"
#include "sim/aws/protocol/xml.hpp"

namespace sim::aws::sqs {

namespace {

using Json = nlohmann::json;
using core::Request;
using core::Respond;
using core::Response;

constexpr std::string_view kXmlNamespace = "http://queue.amazonaws.com/doc/2012-11-05/";
constexpr std::string_view kJsonType = "application/x-amz-json-1.0";

// --- the one table from engine errors to wire codes -------------------------------------------

struct WireError {
    const char* shape;       ///< JSON __type suffix (the model's exception shape)
    const char* query_code;  ///< query protocol code (and x-amzn-query-error)
    int status;
};

WireError ToWire(ErrorCode code) {
    switch (code) {
        case ErrorCode::kInvalidParameterValue: return {"InvalidParameterValue", "InvalidParameterValue", 400};
        case ErrorCode::kMissingParameter: return {"MissingParameter", "MissingParameter", 400};
        case ErrorCode::kQueueDoesNotExist:
            return {"QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", 400};
        case ErrorCode::kQueueNameExists: return {"QueueNameExists", "QueueAlreadyExists", 400};
        case ErrorCode::kReceiptHandleIsInvalid: return {"ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", 404};
        case ErrorCode::kBatchEntryIdsNotDistinct:
            return {"BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400};
        case ErrorCode::kTooManyEntriesInBatchRequest:
            return {"TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400};
        case ErrorCode::kEmptyBatchRequest:
            return {"EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest", 400};
        case ErrorCode::kInvalidBatchEntryId:
            return {"InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId", 400};
        case ErrorCode::kBatchRequestTooLong:
            return {"BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong", 400};
        case ErrorCode::kInvalidMessageContents: return {"InvalidMessageContents", "InvalidMessageContents", 400};
        case ErrorCode::kPurgeQueueInProgress:
            return {"PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress", 403};
        case ErrorCode::kInvalidAttributeName: return {"InvalidAttributeName", "InvalidAttributeName", 400};
        case ErrorCode::kInvalidAttributeValue: return {"InvalidAttributeValue", "InvalidAttributeValue", 400};
        case ErrorCode::kMessageNotInflight:
            return {"MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight", 400};
        case ErrorCode::kOverLimit: return {"OverLimit", "OverLimit", 403};
        case ErrorCode::kUnsupportedOperation:
            return {"UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", 400};
        case ErrorCode::kResourceNotFound: return {"ResourceNotFoundException", "ResourceNotFoundException", 404};
    }
    return {"InternalFailure", "InternalFailure", 500};
}

/// Thrown while decoding a request; caught once per request and rendered in the protocol's shape.
struct BadInput {
    SqsError error;
};
[[noreturn]] void Throw(ErrorCode code, std::string message) { throw BadInput{{code, std::move(message)}}; }
[[noreturn]] void Missing(const std::string& name) {
    Throw(ErrorCode::kMissingParameter, "The request must contain the parameter " + name + ".");
}

// --- base64 -----------------------------------------------------------------------------------

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64Encode(std::string_view in) {
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        auto n = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
        out += {kB64[(n >> 18) & 63], kB64[(n >> 12) & 63], kB64[(n >> 6) & 63], kB64[n & 63]};
    }
    if (i + 1 == in.size()) {
        auto n = static_cast<unsigned char>(in[i]) << 16;
        out += {kB64[(n >> 18) & 63], kB64[(n >> 12) & 63], '=', '='};
    } else if (i + 2 == in.size()) {
        auto n = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
        out += {kB64[(n >> 18) & 63], kB64[(n >> 12) & 63], kB64[(n >> 6) & 63], '='};
    }
    return out;
}

std::optional<std::string> Base64Decode(std::string_view in) {
    std::string out;
    unsigned buf = 0;
    int bits = 0;
    std::size_t pad = 0;
    for (char c : in) {
        if (c == '=') {
            ++pad;
            continue;
        }
        if (pad) return std::nullopt;
        const char* p = std::strchr(kB64, c);
        if (!p || c == '\0') return std::nullopt;
        buf = (buf << 6) | static_cast<unsigned>(p - kB64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buf >> bits) & 0xff));
        }
    }
    if (pad > 2) return std::nullopt;
    return out;
}

// --- typed access to the (JSON or form-converted) input ---------------------------------------

std::optional<std::string> Str(const Json& in, const char* name) {
    auto it = in.find(name);
    if (it == in.end() || it->is_null()) return std::nullopt;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number() || it->is_boolean()) return it->dump();
    Throw(ErrorCode::kInvalidParameterValue, std::string("Value for parameter ") + name + " must be a string.");
}

std::string ReqStr(const Json& in, const char* name) {
    auto v = Str(in, name);
    if (!v) Missing(name);
    return *v;
}

std::optional<int> Int(const Json& in, const char* name) {
    auto it = in.find(name);
    if (it == in.end() || it->is_null()) return std::nullopt;
    if (it->is_number_integer()) {
        auto v = it->get<std::int64_t>();
        if (v < INT32_MIN || v > INT32_MAX)
            Throw(ErrorCode::kInvalidParameterValue, "Value " + it->dump() + " for parameter " + name + " is invalid.");
        return static_cast<int>(v);
    }
    if (it->is_string()) {
        std::string s = it->get<std::string>();
        int v = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return v;
        Throw(ErrorCode::kInvalidParameterValue,
              "Value " + s + " for parameter " + name + " is invalid. Reason: Must be an integer.");
    }
    Throw(ErrorCode::kInvalidParameterValue, "Value " + it->dump() + " for parameter " + name + " is invalid.");
}

std::map<std::string, std::string> StrMap(const Json& in, const char* name) {
    std::map<std::string, std::string> out;
    auto it = in.find(name);
    if (it == in.end() || it->is_null()) return out;
    if (!it->is_object()) Throw(ErrorCode::kInvalidParameterValue, std::string(name) + " must be a map.");
    for (auto e = it->begin(); e != it->end(); ++e) {
        if (e->is_string()) out[e.key()] = e->get<std::string>();
        else if (e->is_number() || e->is_boolean()) out[e.key()] = e->dump();
        else Throw(ErrorCode::kInvalidParameterValue, "Value for " + std::string(name) + "." + e.key() + " must be a string.");
    }
    return out;
}

std::vector<std::string> StrList(const Json& in, const char* name) {
    std::vector<std::string> out;
    auto it = in.find(name);
    if (it == in.end() || it->is_null()) return out;
    if (!it->is_array()) Throw(ErrorCode::kInvalidParameterValue, std::string(name) + " must be a list.");
    for (const auto& e : *it) {
        if (!e.is_string()) Throw(ErrorCode::kInvalidParameterValue, std::string(name) + " must be a list of strings.");
        out.push_back(e.get<std::string>());
    }
    return out;
}

AttributeMap MessageAttrs(const Json& in, const char* name) {
    AttributeMap out;
    auto it = in.find(name);
    if (it == in.end() || it->is_null()) return out;
    if (!it->is_object()) Throw(ErrorCode::kInvalidParameterValue, std::string(name) + " must be a map.");
    for (auto e = it->begin(); e != it->end(); ++e) {
        if (!e->is_object()) Throw(ErrorCode::kInvalidParameterValue, "Message attribute '" + e.key() + "' is invalid.");
        AttributeValue v;
        v.data_type = Str(*e, "DataType").value_or("");
        if (v.data_type.empty())
            Throw(ErrorCode::kInvalidParameterValue,
                  "The message attribute '" + e.key() + "' must contain non-empty message attribute type.");
        if (v.data_type.starts_with("Binary")) {
            v.is_binary = true;
            auto b = Str(*e, "BinaryValue");
            if (b) {
                auto decoded = Base64Decode(*b);
                if (!decoded)
                    Throw(ErrorCode::kInvalidParameterValue,
                          "The message attribute '" + e.key() + "' has an invalid base64 BinaryValue.");
                v.binary = std::move(*decoded);
            }
        } else {
            v.text = Str(*e, "StringValue").value_or("");
        }
        out[e.key()] = std::move(v);
    }
    return out;
}

Json AttrsToJson(const AttributeMap& m) {
    Json o = Json::object();
    for (const auto& [k, v] : m) {
        if (v.is_binary) o[k] = {{"BinaryValue", Base64Encode(v.binary)}, {"DataType", v.data_type}};
        else o[k] = {{"StringValue", v.text}, {"DataType", v.data_type}};
    }
    return o;
}

// --- query form -> JSON-shaped input -------------------------------------------------------------

using Params = std::vector<std::pair<std::string, std::string>>;

std::optional<int> Index(std::string_view s) {
    int v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

Json FormToJson(const Params& params) {
    static const std::map<std::string, std::string, std::less<>> kLists = {
        {"AttributeName", "AttributeNames"},
        {"MessageAttributeName", "MessageAttributeNames"},
        {"MessageSystemAttributeName", "MessageSystemAttributeNames"},
        {"TagKey", "TagKeys"},
        {"AWSAccountId", "AWSAccountIds"},
        {"ActionName", "Actions"},
        {"QueueUrl", "QueueUrls"}};
    Json out = Json::object();
    std::map<std::string, std::map<int, Params>> indexed;
    for (const auto& [k, v] : params) {
        auto dot = k.find('.');
        if (dot == std::string::npos) {
            out[k] = v;
            continue;
        }
        std::string prefix = k.substr(0, dot);
        std::string rest = k.substr(dot + 1);
        auto dot2 = rest.find('.');
        auto idx = Index(std::string_view(rest).substr(0, dot2));
        if (!idx) continue;
        indexed[prefix][*idx].emplace_back(dot2 == std::string::npos ? "" : rest.substr(dot2 + 1), v);
    }
    auto find = [](const Params& p, std::string_view key) -> std::optional<std::string> {
        for (const auto& [k, v] : p)
            if (k == key) return v;
        return std::nullopt;
    };
    for (const auto& [prefix, items] : indexed) {
        if (auto l = kLists.find(prefix); l != kLists.end()) {
            Json arr = Json::array();
            for (const auto& [i, p] : items)
                if (auto v = find(p, "")) arr.push_back(*v);
            out[l->second] = arr;
        } else if (prefix == "Attribute" || prefix == "Tag") {
            Json map = Json::object();
            const char* key_name = prefix == "Tag" ? "Key" : "Name";
            for (const auto& [i, p] : items) {
                auto k = find(p, key_name);
                if (k) map[*k] = find(p, "Value").value_or("");
            }
            out[prefix == "Tag" ? "Tags" : "Attributes"] = map;
        } else if (prefix == "MessageAttribute" || prefix == "MessageSystemAttribute") {
            Json map = Json::object();
            for (const auto& [i, p] : items) {
                auto name = find(p, "Name");
                if (!name) continue;
                Json value = Json::object();
                for (const auto& [k, v] : p)
                    if (k.starts_with("Value.")) value[k.substr(6)] = v;
                map[*name] = value;
            }
            out[prefix + "s"] = map;
        } else if (prefix.ends_with("RequestEntry")) {
            Json arr = Json::array();
            for (const auto& [i, p] : items) arr.push_back(FormToJson(p));
            out["Entries"] = arr;
        }
    }
    return out;
}

// --- JSON-shaped output -> query XML -----------------------------------------------------------

void WriteXmlValue(protocol::XmlWriter& w, const std::string& op, const std::string& name, const Json& v);

void WriteXmlObject(protocol::XmlWriter& w, const std::string& op, const Json& obj) {
    for (auto it = obj.begin(); it != obj.end(); ++it) WriteXmlValue(w, op, it.key(), *it);
}

std::string ScalarText(const Json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
    return v.dump();
}

void WriteXmlValue(protocol::XmlWriter& w, const std::string& op, const std::string& name, const Json& v) {
    if (name == "Attributes" && v.is_object()) {
        for (auto it = v.begin(); it != v.end(); ++it)
            w.Open("Attribute").Element("Name", it.key()).Element("Value", ScalarText(*it)).Close();
    } else if (name == "Tags" && v.is_object()) {
        for (auto it = v.begin(); it != v.end(); ++it)
            w.Open("Tag").Element("Key", it.key()).Element("Value", ScalarText(*it)).Close();
    } else if (name == "MessageAttributes" && v.is_object()) {
        for (auto it = v.begin(); it != v.end(); ++it) {
            w.Open("MessageAttribute").Element("Name", it.key()).Open("Value");
            WriteXmlObject(w, op, *it);
            w.Close().Close();
        }
    } else if (v.is_array()) {
        std::string element = name;
        if (name == "QueueUrls" || name == "queueUrls") element = "QueueUrl";
        else if (name == "Messages") element = "Message";
        else if (name == "Successful") element = op + "ResultEntry";
        else if (name == "Failed") element = "BatchResultErrorEntry";
        else if (name == "Results") element = "ListMessageMoveTasksResultEntry";
        for (const auto& e : v) {
            if (e.is_object()) {
                w.Open(element);
                WriteXmlObject(w, op, e);
                w.Close();
            } else {
                w.Element(element, ScalarText(e));
            }
        }
    } else if (v.is_object()) {
        w.Open(name);
        WriteXmlObject(w, op, v);
        w.Close();
    } else {
        w.Element(name, ScalarText(v));
    }
}

Response QueryXmlResponse(const std::string& op, const Json& output, const std::string& request_id) {
    static const std::set<std::string, std::less<>> kNoResult = {
        "DeleteMessage", "DeleteQueue",   "SetQueueAttributes", "PurgeQueue",      "ChangeMessageVisibility",
        "TagQueue",      "UntagQueue",    "AddPermission",      "RemovePermission"};
    protocol::XmlWriter w;
    w.Declaration().Open(op + "Response", kXmlNamespace);
    if (!kNoResult.contains(op)) {
        w.Open(op + "Result");
        WriteXmlObject(w, op, output);
        w.Close();
    }
    w.Open("ResponseMetadata").Element("RequestId", request_id).Close();
    Response r;
    r.status = 200;
    r.body = w.Finish();
    r.headers.Set("Content-Type", "text/xml");
    r.headers.Set("x-amzn-RequestId", request_id);
    return r;
}

/// The queue name in a queue URL ("http://host/000000000000/name", "/000000000000/name" or "name").
std::optional<std::string> NameFromUrl(std::string_view url, const std::string& account) {
    if (auto scheme = url.find("://"); scheme != std::string_view::npos) {
        url.remove_prefix(scheme + 3);
        auto slash = url.find('/');
        url = slash == std::string_view::npos ? std::string_view{} : url.substr(slash);
    }
    while (!url.empty() && url.front() == '/') url.remove_prefix(1);
    while (!url.empty() && url.back() == '/') url.remove_suffix(1);
    if (url.empty()) return std::nullopt;
    auto slash = url.rfind('/');
    if (slash == std::string_view::npos) return std::string(url);
    std::string_view owner = url.substr(0, slash);
    if (auto s = owner.rfind('/'); s != std::string_view::npos) owner = owner.substr(s + 1);
    if (owner != account) return std::nullopt;
    return std::string(url.substr(slash + 1));
}

}  // namespace

// --- the dispatcher ------------------------------------------------------------------------------

struct SqsApi::Impl {
    SqsEngine& engine;
    core::IdGenerator ids;
    std::uint64_t max_body_bytes;

    struct Ctx {
        std::string host;
        std::string region;
        std::string sender;
        std::string path_queue;  ///< query protocol: queue named by the request path
    };
    /// Called once with an error or the JSON-shaped output of the operation.
    using Done = std::function<void(std::optional<SqsError>, Json)>;
    using Op = std::function<void(Impl&, const Json&, const Ctx&, Done&)>;

    std::string QueueUrl(const Ctx& ctx, const std::string& name) const {
        return "http://" + ctx.host + "/" + engine.AccountId() + "/" + name;
    }

    std::string Queue(const Json& in, const Ctx& ctx) const {
        auto url = Str(in, "QueueUrl");
        if (!url || url->empty()) {
            if (!ctx.path_queue.empty()) return ctx.path_queue;
            Missing("QueueUrl");
        }
        auto name = NameFromUrl(*url, engine.AccountId());
        if (!name) Throw(ErrorCode::kQueueDoesNotExist, "The specified queue does not exist.");
        return *name;
    }

    static SendRequest ParseSend(const Json& in, const Ctx& ctx) {
        SendRequest r;
        auto body = Str(in, "MessageBody");
        if (!body) Missing("MessageBody");
        r.body = std::move(*body);
        r.delay_seconds = Int(in, "DelaySeconds");
        r.message_attributes = MessageAttrs(in, "MessageAttributes");
        r.system_attributes = MessageAttrs(in, "MessageSystemAttributes");
        r.group_id = Str(in, "MessageGroupId");
        r.deduplication_id = Str(in, "MessageDeduplicationId");
        r.sender_id = ctx.sender;
        return r;
    }

    static Json SendResultJson(const SendResult& s) {
        Json o = {{"MessageId", s.message_id}, {"MD5OfMessageBody", s.md5_of_body}};
        if (!s.md5_of_message_attributes.empty()) o["MD5OfMessageAttributes"] = s.md5_of_message_attributes;
        if (!s.md5_of_message_system_attributes.empty())
            o["MD5OfMessageSystemAttributes"] = s.md5_of_message_system_attributes;
        if (!s.sequence_number.empty()) o["SequenceNumber"] = s.sequence_number;
        return o;
    }

    static Json FailedJson(const BatchEntryError& f) {
        return {{"Id", f.id}, {"SenderFault", f.sender_fault}, {"Code", ToWire(f.code).query_code}, {"Message", f.message}};
    }

    template <typename T>
    static bool Check(const SqsResult<T>& r, Done& done) {
        if (r) return true;
        done(r.error(), Json());
        return false;
    }

    static const std::unordered_map<std::string, Op>& Ops() {
        static const std::unordered_map<std::string, Op> ops = {
            {"CreateQueue",
             [](Impl& self, const Json& in, const Ctx& ctx, Done& done) {
                 std::string name = ReqStr(in, "QueueName");
                 auto tags = StrMap(in, "tags");
                 if (tags.empty()) tags = StrMap(in, "Tags");
                 auto r = self.engine.CreateQueue(name, StrMap(in, "Attributes"), tags, ctx.region);
                 if (Check(r, done)) done(std::nullopt, {{"QueueUrl", self.QueueUrl(ctx, name)}});
             }},
            {"GetQueueUrl",
             [](Impl& self, const Json& in, const Ctx& ctx, Done& done) {
                 std::string name = ReqStr(in, "QueueName");
                 if (auto owner = Str(in, "QueueOwnerAWSAccountId"); owner && *owner != self.engine.AccountId())
                     Throw(ErrorCode::kQueueDoesNotExist, "The specified queue does not exist.");
                 if (!self.engine.QueueExists(name))
                     Throw(ErrorCode::kQueueDoesNotExist, "The specified queue does not exist.");
                 done(std::nullopt, {{"QueueUrl", self.QueueUrl(ctx, name)}});
             }},
            {"DeleteQueue",
             [](Impl& self, const Json& in, const Ctx& ctx, Done& done) {
                 auto r = self.engine.DeleteQueue(self.Queue(in, ctx));
                 if (Check(r, done)) done(std::nullopt, Json::object());
             }},
            {"ListQueues",
             [](Impl& self, const Json& in, const Ctx& ctx, Done& done) {
                 auto r = self.engine.ListQueues(Str(in, "QueueNamePrefix").value_or(""), Int(in, "MaxResults"),
                                                 Str(in, "NextToken"));
                 if (!Check(r, done)) return;
                 Json out = Json::object();
                 if (!r->names.empty()) {
                     out["QueueUrls"] = Json::array();
                     for (const auto& n : r->names) out["QueueUrls"].push_back(self.QueueUrl(ctx, n));
                 }
                 if (r->next_token) out["NextToken"] = *r->next_token;
                 done(std::nullopt, out);
             }},
            {"GetQueueAttributes",
             [](Impl& self, const Json& in, const Ctx& ctx, Done& done) {
                 auto names = StrList(in, "AttributeNames");
                 auto r = self.engine.GetQueueAttributes(self.Queue(in, ctx), names);
                 if (!Check(r, done)) return;
                 Json out = Json::object();
                 if (!r->empty()) out["Attributes"] = *r;
                 done(std::nullopt, out);
             }},
            {"SetQueueAttributes",
             [](Impl& self, const Json& in, const Ctx& ctx, Done& done) {
                 std::string queue = self.Queue(in, ctx);
                 if (in.find("Attributes") == in.end()) Missing("Attributes");
                 auto r = self.engine.SetQueueAttributes(queue, StrMap(in, "Attributes"));
                 if (Check(r, done)) done(std::nullopt, Json::object());
             }},
            {"PurgeQueue",
             [](Impl& self, const Json& in, const Ctx& ctx, Done& done) {
                 auto r = self.engine.PurgeQueue(self.Queue(in, ctx));
                 if (Check(r, done)) done(std::nullopt, Json::object());
             }},
            {"ListQueueTags",
             [](Impl& self, const Json& in, const Ctx& ctx, Done& done) {
                 auto r = self.engine.ListQueueTags(self.Queue(in, ctx));
                 if (!Check(r, done)) return;
                 Json out = Json::object();
                 if (!r->empty()) out["Tags"] = *r;
                 done(std::nullopt, out);
             }},
            {"TagQueue",
             [](Impl& self, const Json& in, const Ctx& ctx, Done& done) {
                 std::string queue = self.Queue(in, ctx);
                 if (in.find("Tags") == in.end()) Missing("Tags");
                 auto r = self.engine.TagQueue(queue, StrMap(in, "Tags"));
                 if (Check(r, done)) done(std::nullopt, Json::object());
             }},
            {"UntagQueue",
             [](Impl& self, const Json& in, const Ctx& ctx, Done& done) {
                 std::string queue = self.Queue(in, ctx);
                 if (in.find("TagKeys") == in.end()) Missing("TagKeys");
                 auto r = self.engine.UntagQueue(queue, StrList(in, "TagKeys"));
                 if (Check(r, done)) done(std::nullopt, Json::object());
             }},
            {"AddPermission",
             [](Impl& self, const Json& in, const Ctx& ctx, Done& done) {
                 std::string queue = self.Queue(in, ctx);
                 auto r = self.engine.AddPermission(queue, ReqStr(in, "Label"), StrList(in, "AWSAccountIds"),
                                                    StrList(in, "Actions"));
                 if (Check(r, done)) done(std::nullopt, Json::object());
             }},
            {"RemovePermission",
             [](Impl& self, const Json& in, const Ctx& ctx, Done& done) {
                 std::string queue = self.Queue(in, ctx);
                 auto r = self.engine.RemovePermission(queue, ReqStr(in, "Label"));
                 if (Check(r, done)) done(std::nullopt, Json::object());
             }},
            {"ListDeadLetterSourceQueues",
             [](Impl& self, const Json& in, const Ctx& ctx, Done& done) {
                 auto r = self.engine.ListDeadLetterSourceQueues(self.Queue(in, ctx), Int(in, "MaxResults"),
                                                                 Str(in, "NextToken"));
                 if (!Check(r, done)) return;
                 Json out = {{"queueUrls", Json::array()}};
                 for (const auto& n : r->names) out["queueUrls"].push_back(self.QueueUrl(ctx, n));
                 if (r->next_token) out["NextToken"] = *r->next_token;
                 done(std::nullopt, out);
             }},
            {"SendMessage",
             [](Impl& self, const Json& in, const Ctx& ctx, Done& done) {
                 std::string queue = self.Queue(in, ctx);
                 auto r = self.engine.SendMessage(queue, ParseSend(in, ctx));
                 if (Check(r, done)) done(std::nullopt, SendResultJson(*r));
             }},
            {"SendMessageBatch",
             [](Impl& self, const Json& in, const Ctx& ctx, Done& done) {
                 std::string queue = self.Queue(in, ctx);
                 std::vector<std::pair<std::string, SendRequest>> entries;
                 std::vector<BatchEntryError> early;
                 auto it = in.find("Entries");
                 if (it == in.end()) Missing("Entries");
                 if (!it->is_array()) Throw(ErrorCode::kInvalidParameterValue, "Entries must be a list.");
                 for (const auto& e : *it) {
                     std::string id = Str(e, "Id").value_or("");
                     try {
                         entries.emplace_back(id, ParseSend(e, ctx));
                     } catch (const BadInput& bad) {
                         // A malformed entry fails alone; an empty placeholder keeps batch-level checks.
                         early.push_back({id, bad.error.code, bad.error.message, true});
                         SendRequest placeholder;
                         entries.emplace_back(id, std::move(placeholder));
                     }
                 }
                 auto r = self.engine.SendMessageBatch(queue, entries);
                 if (!Check(r, done)) return;
                 Json out = {{"Successful", Json::array()}, {"Failed", Json::array()}};
                 for (const auto& [id, s] : r->successful) {
                     Json o = SendResultJson(s);
                     o["Id"] = id;
                     out["Successful"].push_back(o);
                 }
                 for (const auto& f : r->failed) {
                     bool replaced = false;
                     for (const auto& e : early)
                         if (e.id == f.id) {
                             out["Failed"].push_back(FailedJson(e));
                             replaced = true;
                             break;
                         }
                     if (!replaced) out["Failed"].push_back(FailedJson(f));
                 }
                 done(std::nullopt, out);
             }},
            {"ReceiveMessage",
             [](Impl& self, const Json& in, const Ctx& ctx, Done& done) {
                 std::string queue = self.Queue(in, ctx);
                 ReceiveRequest req;
                 req.max_messages = Int(in, "MaxNumberOfMessages").value_or(1);
                 req.visibility_timeout = Int(in, "VisibilityTimeout");
                 req.wait_seconds = Int(in, "WaitTimeSeconds");
                 req.system_attribute_names = StrList(in, "AttributeNames");
                 for (auto& n : StrList(in, "MessageSystemAttributeNames")) req.system_attribute_names.push_back(n);
                 req.message_attribute_names = StrList(in, "MessageAttributeNames");
                 req.receive_request_attempt_id = Str(in, "ReceiveRequestAttemptId");
                 self.engine.ReceiveMessage(queue, req, [done](SqsResult<std::vector<ReceivedMessage>> r) mutable {
                     if (!r) return done(r.error(), Json());
                     Json out = Json::object();
                     if (!r->empty()) {
                         out["Messages"] = Json::array();
                         for (const auto& m : *r) {
                             Json o = {{"MessageId", m.message_id},
                                       {"ReceiptHandle", m.receipt_handle},
                                       {"MD5OfBody", m.md5_of_body},
                                       {"Body", m.body}};
                             if (!m.attributes.empty()) o["Attributes"] = m.attributes;
                             if (!m.message_attributes.empty()) {
                                 o["MessageAttributes"] = AttrsToJson(m.message_attributes);
                                 o["MD5OfMessageAttributes"] = m.md5_of_message_attributes;
                             }
                             out["Messages"].push_back(std::move(o));
                         }
                     }
                     done(std::nullopt, out);
                 });
             }},
            {"DeleteMessage",
             [](Impl& self, const Json& in, const Ctx& ctx, Done& done) {
                 std::string queue = self.Queue(in, ctx);
                 auto r = self.engine.DeleteMessage(queue, ReqStr(in, "ReceiptHandle"));
                 if (Check(r, done)) done(std::nullopt, Json::object());
             }},
            {"DeleteMessageBatch",
             [](Impl& self, const Json& in, const Ctx& ctx, Done& done) {
                 std::string queue = self.Queue(in, ctx);
                 auto it = in.find("Entries");
                 if (it == in.end()) Missing("Entries");
                 if (!it->is_array()) Throw(ErrorCode::kInvalidParameterValue, "Entries must be a list.");
                 std::vector<std::pair<std::string, std::string>> entries;
                 for (const auto& e : *it) entries.emplace_back(Str(e, "Id").value_or(""), Str(e, "ReceiptHandle").value_or(""));
                 auto r = self.engine.DeleteMessageBatch(queue, entries);
                 if (!Check(r, done)) return;
                 Json out = {{"Successful", Json::array()}, {"Failed", Json::array()}};
                 for (const auto& [id, u] : r->successful) out["Successful"].push_back({{"Id", id}});
                 for (const auto& f : r->failed) out["Failed"].push_back(FailedJson(f));
                 done(std::nullopt, out);
             }},
            {"ChangeMessageVisibility",
             [](Impl& self, const Json& in, const Ctx& ctx, Done& done) {
                 std::string queue = self.Queue(in, ctx);
                 std::string handle = ReqStr(in, "ReceiptHandle");
                 auto timeout = Int(in, "VisibilityTimeout");
                 if (!timeout) Missing("VisibilityTimeout");
                 auto r = self.engine.ChangeMessageVisibility(queue, handle, *timeout);
                 if (Check(r, done)) done(std::nullopt, Json::object());
             }},
            {"ChangeMessageVisibilityBatch",
             [](Impl& self, const Json& in, const Ctx& ctx, Done& done) {
                 std::string queue = self.Queue(in, ctx);
                 auto it = in.find("Entries");
                 if (it == in.end()) Missing("Entries");
                 if (!it->is_array()) Throw(ErrorCode::kInvalidParameterValue, "Entries must be a list.");
                 std::vector<VisibilityChange> entries;
                 for (const auto& e : *it)
                     entries.push_back({Str(e, "Id").value_or(""), Str(e, "ReceiptHandle").value_or(""),
                                        Int(e, "VisibilityTimeout").value_or(0)});
                 auto r = self.engine.ChangeMessageVisibilityBatch(queue, entries);
                 if (!Check(r, done)) return;
                 Json out = {{"Successful", Json::array()}, {"Failed", Json::array()}};
                 for (const auto& [id, u] : r->successful) out["Successful"].push_back({{"Id", id}});
                 for (const auto& f : r->failed) out["Failed"].push_back(FailedJson(f));
                 done(std::nullopt, out);
             }},
            {"StartMessageMoveTask",
             [](Impl& self, const Json& in, const Ctx&, Done& done) {
                 auto r = self.engine.StartMessageMoveTask(ReqStr(in, "SourceArn"), Str(in, "DestinationArn"),
                                                           Int(in, "MaxNumberOfMessagesPerSecond"));
                 if (Check(r, done)) done(std::nullopt, {{"TaskHandle", *r}});
             }},
            {"CancelMessageMoveTask",
             [](Impl& self, const Json& in, const Ctx&, Done& done) {
                 auto r = self.engine.CancelMessageMoveTask(ReqStr(in, "TaskHandle"));
                 if (Check(r, done)) done(std::nullopt, {{"ApproximateNumberOfMessagesMoved", *r}});
             }},
            {"ListMessageMoveTasks",
             [](Impl& self, const Json& in, const Ctx&, Done& done) {
                 auto r = self.engine.ListMessageMoveTasks(ReqStr(in, "SourceArn"), Int(in, "MaxResults"));
                 if (!Check(r, done)) return;
                 Json out = {{"Results", Json::array()}};
                 for (const auto& t : *r) {
                     Json o = {{"Status", t.status},
                               {"SourceArn", t.source_arn},
                               {"ApproximateNumberOfMessagesMoved", t.moved},
                               {"ApproximateNumberOfMessagesToMove", t.to_move},
                               {"StartedTimestamp", t.started_ms}};
                     if (!t.task_handle.empty()) o["TaskHandle"] = t.task_handle;
                     if (!t.destination_arn.empty()) o["DestinationArn"] = t.destination_arn;
                     if (t.max_per_second) o["MaxNumberOfMessagesPerSecond"] = *t.max_per_second;
                     if (!t.failure_reason.empty()) o["FailureReason"] = t.failure_reason;
                     out["Results"].push_back(std::move(o));
                 }
                 done(std::nullopt, out);
             }},
        };
        return ops;
    }

    Ctx MakeCtx(const Request& request) const {
        Ctx ctx;
        ctx.host = std::string(request.headers.Get("Host").value_or("localhost:4566"));
        ctx.region = protocol::RegionOf(request, engine.Options().default_region);
        auto scope = protocol::ParseCredentialScope(request);
        ctx.sender = scope ? scope->access_key : "";
        return ctx;
    }

    /// Runs `op` on `in`; `done` is called exactly once (maybe later, for long polls).
    void Run(const std::string& op, const Json& in, const Ctx& ctx, Done done) {
        auto it = Ops().find(op);
        try {
            it->second(*this, in, ctx, done);
        } catch (const BadInput& bad) {
            done(bad.error, Json());
        }
    }
};

SqsApi::SqsApi(SqsEngine& engine, std::uint64_t seed, std::uint64_t max_body_bytes)
    : impl_(new Impl{engine, core::IdGenerator(seed), max_body_bytes}) {}

SqsApi::~SqsApi() = default;

void SqsApi::Install(core::Router& router) {
    core::RouteOptions options;
    options.max_body_bytes = impl_->max_body_bytes;
    router.AddWhen("POST", "/{path...}", core::HeaderPrefix("X-Amz-Target", "AmazonSQS."),
                   [this](Request r, Respond respond) { HandleJson(std::move(r), std::move(respond)); }, options);
    // Query protocol: a form POST that is not signed for another service, or a GET naming an Action.
    auto is_query = [](const Request& r) {
        auto scope = protocol::ParseCredentialScope(r);
        if (scope && scope->service != "sqs") return false;
        if (r.method == "POST") {
            auto type = r.headers.Get("Content-Type");
            return type && core::StartsWithIgnoreCase(*type, "application/x-www-form-urlencoded");
        }
        return r.method == "GET" && r.QueryParam("Action").has_value();
    };
    router.AddWhen("*", "/{path...}", is_query,
                   [this](Request r, Respond respond) { HandleQuery(std::move(r), std::move(respond)); }, options);
    for (const char* path : {"/_sim/sqs/messages", "/_aws/sqs/messages"})
        router.Add("GET", path, core::FromSync([this](const Request& r) { return Inspect(r); }));
}

void SqsApi::HandleJson(Request request, Respond respond) {
    std::string request_id = impl_->ids.Uuid();
    auto target = request.headers.Get("X-Amz-Target").value_or("");
    std::string op(target.substr(target.find('.') + 1));
    auto json_error = [request_id](int status, const std::string& type, const std::string& message,
                                   const std::string& query_error = {}) {
        return protocol::JsonError(status, type, message, request_id, query_error, kJsonType);
    };
    if (!Impl::Ops().contains(op))
        return respond(json_error(400, "com.amazon.coral.service#UnknownOperationException",
                                  "The action or operation " + op + " is not valid for this web service.",
                                  "InvalidAction;Sender"));
    Json in = request.body.empty() ? Json::object() : Json::parse(request.body, nullptr, false);
    if (in.is_discarded() || !in.is_object())
        return respond(json_error(400, "com.amazon.coral.service#SerializationException",
                                  "The request body is not a JSON object."));
    try {
        impl_->Run(op, in, impl_->MakeCtx(request), [respond, request_id](std::optional<SqsError> err, Json out) {
            if (err) {
                WireError w = ToWire(err->code);
                return respond(protocol::JsonError(w.status, std::string("com.amazonaws.sqs#") + w.shape, err->message,
                                                   request_id,
                                                   std::string(w.query_code) + (w.status >= 500 ? ";Receiver" : ";Sender"),
                                                   kJsonType));
            }
            Response r;
            r.body = out.dump(-1, ' ', false, Json::error_handler_t::replace);
            r.headers.Set("Content-Type", kJsonType);
            r.headers.Set("x-amzn-RequestId", request_id);
            respond(std::move(r));
        });
    } catch (const std::exception& e) {
        spdlog::error("[sqs] {} failed: {} (request {})", op, e.what(), request_id);
        respond(json_error(500, "com.amazon.coral.service#InternalFailure", "We encountered an internal error.",
                           "InternalFailure;Receiver"));
    }
}

void SqsApi::HandleQuery(Request request, Respond respond) {
    std::string request_id = impl_->ids.Uuid();
    Params params;
    auto add = [&](std::string_view text) {
        for (auto& [k, v] : protocol::ParseForm(text)) params.emplace_back(k, v);
    };
    add(request.Query());
    if (request.method == "POST") add(request.body);
    std::string op;
    for (const auto& [k, v] : params)
        if (k == "Action") op = v;
    auto xml_error = [request_id](int status, std::string_view code, std::string_view message) {
        return protocol::QueryXmlError(status, code, message, request_id, kXmlNamespace);
    };
    if (op.empty()) return respond(xml_error(400, "MissingAction", "The request must contain the parameter Action."));
    if (!Impl::Ops().contains(op))
        return respond(xml_error(400, "InvalidAction", "The action " + op + " is not valid for this endpoint."));
    // Drop protocol and signature parameters; keep the operation's own.
    Params own;
    for (auto& [k, v] : params) {
        if (k == "Action" || k == "Version" || k == "AWSAccessKeyId" || k == "Signature" || k == "SignatureMethod" ||
            k == "SignatureVersion" || k == "Timestamp" || k == "Expires" || k == "SecurityToken" ||
            k.starts_with("X-Amz-"))
            continue;
        own.emplace_back(k, v);
    }
    Json in = FormToJson(own);
    Impl::Ctx ctx = impl_->MakeCtx(request);
    auto path = core::PercentDecode(request.Path());
    if (path != "/" && !path.empty()) {
        auto name = NameFromUrl(path, impl_->engine.AccountId());
        ctx.path_queue = name.value_or(std::string(1, '\0'));  // a foreign account path: no such queue
    }
    try {
        impl_->Run(op, in, ctx, [respond, request_id, op, xml_error](std::optional<SqsError> err, Json out) {
            if (err) {
                WireError w = ToWire(err->code);
                return respond(xml_error(w.status, w.query_code, err->message));
            }
            respond(QueryXmlResponse(op, out, request_id));
        });
    } catch (const std::exception& e) {
        spdlog::error("[sqs] {} failed: {} (request {})", op, e.what(), request_id);
        respond(xml_error(500, "InternalFailure", "We encountered an internal error."));
    }
}

Response SqsApi::Inspect(const Request& request) {
    auto url = request.QueryParam("QueueUrl");
    if (!url) return Response::Problem(400, "Bad Request", "give the queue as ?QueueUrl=...");
    auto name = NameFromUrl(*url, impl_->engine.AccountId());
    if (!name) return Response::Problem(404, "Not Found", "no such queue: " + *url);
    auto r = impl_->engine.InspectMessages(*name);
    if (!r) return Response::Problem(404, "Not Found", "no such queue: " + *url);
    Json out = {{"QueueUrl", *url}, {"Messages", Json::array()}};
    for (const auto& m : *r) {
        Json o = {{"MessageId", m.message_id},
                  {"Body", m.body},
                  {"MD5OfBody", m.md5_of_body},
                  {"Attributes", m.attributes},
                  {"State", m.state}};
        if (!m.message_attributes.empty()) o["MessageAttributes"] = AttrsToJson(m.message_attributes);
        out["Messages"].push_back(std::move(o));
    }
    Response resp;
    resp.body = out.dump(-1, ' ', false, Json::error_handler_t::replace);
    resp.headers.Set("Content-Type", "application/json");
    return resp;
}

}  // namespace sim::aws::sqs
