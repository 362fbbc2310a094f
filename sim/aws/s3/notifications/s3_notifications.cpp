#include "sim/aws/s3/notifications/s3_notifications.hpp"

#include <spdlog/spdlog.h>

#include "sim/aws/protocol/errors.hpp"
#include "sim/aws/protocol/xml.hpp"
#include "sim/store/migrations.hpp"

namespace sim::aws::s3::notifications {

namespace {

using Json = nlohmann::ordered_json;
constexpr const char* kNamespace = "http://s3.amazonaws.com/doc/2006-03-01/";

const char* const kEvents[] = {"s3:ObjectCreated:*",      "s3:ObjectCreated:Put",
                               "s3:ObjectCreated:Post",   "s3:ObjectCreated:Copy",
                               "s3:ObjectCreated:CompleteMultipartUpload",
                               "s3:ObjectRemoved:*",      "s3:ObjectRemoved:Delete",
                               "s3:ObjectRemoved:DeleteMarkerCreated"};

const store::Migration kMigrations[] = {
    {1, "CREATE TABLE s3_notifications (bucket TEXT PRIMARY KEY, bucket_created_ns INTEGER NOT NULL,"
        " configuration TEXT NOT NULL)"},
};

std::int64_t StoredTime(core::TimePoint t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

std::string EncodeKey(const std::string& key) {
    // Keys in notifications are URL-encoded as in an HTML form: spaces become '+'.
    std::string enc = core::PercentEncode(key, true);
    std::string out;
    for (std::size_t i = 0; i < enc.size(); ++i) {
        if (enc.compare(i, 3, "%20") == 0) {
            out += '+';
            i += 2;
        } else {
            out += enc[i];
        }
    }
    return out;
}

core::Request SqsSend(const std::string& queue_arn, const std::string& body) {
    // arn:aws:sqs:<region>:<account>:<name>
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (int i = 0; i < 5; ++i) {
        auto colon = queue_arn.find(':', start);
        if (colon == std::string::npos) break;
        parts.push_back(queue_arn.substr(start, colon - start));
        start = colon + 1;
    }
    std::string name = queue_arn.substr(start);
    std::string account = parts.size() == 5 ? parts[4] : "000000000000";
    core::Request r;
    r.method = "POST";
    r.target = "/";
    r.headers.Set("Host", "localhost");
    r.headers.Set("X-Amz-Target", "AmazonSQS.SendMessage");
    r.headers.Set("Content-Type", "application/x-amz-json-1.0");
    r.body = Json{{"QueueUrl", "http://localhost/" + account + "/" + name}, {"MessageBody", body}}.dump();
    return r;
}

}  // namespace

bool EventSelected(const std::string& pattern, const std::string& event_name) {
    std::string full = "s3:" + event_name;
    if (pattern == full) return true;
    if (pattern.size() >= 2 && pattern.compare(pattern.size() - 2, 2, ":*") == 0)
        return full.rfind(pattern.substr(0, pattern.size() - 1), 0) == 0;
    return false;
}

Json RecordsMessage(const engine::ObjectEvent& e, const std::string& configuration_id, const std::string& region,
                    core::TimePoint time, const std::string& sequencer, const std::string& request_id) {
    Json object = {{"key", EncodeKey(e.key)}};
    if (e.name.rfind("ObjectCreated", 0) == 0) {
        object["size"] = e.size;
        object["eTag"] = e.etag;
    }
    if (!e.version_id.empty()) object["versionId"] = e.version_id;
    object["sequencer"] = sequencer;
    Json record = {{"eventVersion", "2.1"},
                   {"eventSource", "aws:s3"},
                   {"awsRegion", region},
                   {"eventTime", core::FormatIso8601(time)},
                   {"eventName", e.name},
                   {"userIdentity", {{"principalId", "AWS:CARDSIM"}}},
                   {"requestParameters", {{"sourceIPAddress", "127.0.0.1"}}},
                   {"responseElements", {{"x-amz-request-id", request_id}, {"x-amz-id-2", request_id}}},
                   {"s3",
                    {{"s3SchemaVersion", "1.0"},
                     {"configurationId", configuration_id},
                     {"bucket", {{"name", e.bucket}, {"ownerIdentity", {{"principalId", "CARDSIM"}}}, {"arn", "arn:aws:s3:::" + e.bucket}}},
                     {"object", object}}}};
    return Json{{"Records", Json::array({record})}};
}

S3Notifications::S3Notifications(engine::S3Engine& engine, clock::Clock& clock, core::Transport& transport,
                                 store::Database& db, store::GroupCommit& group, std::string region,
                                 std::string account_id, std::uint64_t seed)
    : engine_(engine),
      clock_(clock),
      transport_(transport),
      db_(db),
      group_(group),
      region_(std::move(region)),
      account_id_(std::move(account_id)),
      ids_(seed) {
    store::Migrate(db_, "s3_notifications", kMigrations);
    auto& select = db_.Prepare("SELECT bucket, bucket_created_ns, configuration FROM s3_notifications");
    while (select.Step()) {
        Json j = Json::parse(select.Text(2));
        BucketNotification config;
        config.bucket_created = core::TimePoint(std::chrono::duration_cast<core::TimePoint::duration>(
            std::chrono::nanoseconds(select.Int64(1))));
        config.event_bridge = j.at("event_bridge").get<bool>();
        for (const auto& q : j.at("queues"))
            config.queues.push_back({q.at("id").get<std::string>(), q.at("queue").get<std::string>(),
                                     q.at("events").get<std::vector<std::string>>(), q.at("prefix").get<std::string>(),
                                     q.at("suffix").get<std::string>()});
        configs_[select.Text(0)] = std::move(config);
    }
    select.Reset();
    engine_.SetObjectObserver([this](const engine::ObjectEvent& e) { OnObjectEvent(e); });
}

void S3Notifications::Reset() {
    auto scope = group_.BeginWrite(db_);
    db_.Prepare("DELETE FROM s3_notifications").Execute();
    scope.Commit();
    configs_.clear();
}

void S3Notifications::Save(const std::string& bucket, const BucketNotification& config) {
    Json queues = Json::array();
    for (const auto& q : config.queues)
        queues.push_back({{"id", q.id}, {"queue", q.queue_arn}, {"events", q.events}, {"prefix", q.prefix}, {"suffix", q.suffix}});
    auto scope = group_.BeginWrite(db_);
    db_.Prepare("INSERT OR REPLACE INTO s3_notifications (bucket, bucket_created_ns, configuration) VALUES (?1, ?2, ?3)")
        .BindAll(bucket, StoredTime(config.bucket_created),
                 Json{{"queues", queues}, {"event_bridge", config.event_bridge}}.dump())
        .Execute();
    scope.Commit();
}

void S3Notifications::Erase(const std::string& bucket) {
    auto scope = group_.BeginWrite(db_);
    db_.Prepare("DELETE FROM s3_notifications WHERE bucket = ?1").BindAll(bucket).Execute();
    scope.Commit();
}

const BucketNotification* S3Notifications::ConfigOf(const std::string& bucket) {
    auto it = configs_.find(bucket);
    if (it == configs_.end()) return nullptr;
    auto b = engine_.GetBucket(bucket);
    if (b && b->created == it->second.bucket_created) return &it->second;
    Erase(bucket);
    configs_.erase(it);
    return nullptr;
}

S3Notifications::~S3Notifications() { engine_.SetObjectObserver(nullptr); }

void S3Notifications::Install(core::Router& router) {
    auto is_notification = [](const core::Request& r) { return r.QueryParam("notification").has_value(); };
    router.AddWhen("PUT", "/{bucket}", is_notification, [this](core::Request r, core::Respond d) { Put(r, std::move(d)); });
    router.AddWhen("GET", "/{bucket}", is_notification, [this](core::Request r, core::Respond d) { Get(r, std::move(d)); });
}

void S3Notifications::SendToQueue(const std::string& queue_arn, const std::string& body,
                                  std::function<void(bool, std::string)> done) {
    transport_.Send("aws", SqsSend(queue_arn, body), [done = std::move(done)](core::Response r) {
        done(r.status / 100 == 2, r.body);
    });
}

void S3Notifications::OnObjectEvent(const engine::ObjectEvent& e) {
    const BucketNotification* config = ConfigOf(e.bucket);
    if (!config) return;
    char seq[17];
    std::snprintf(seq, sizeof seq, "%016llX", static_cast<unsigned long long>(++sequencer_));
    std::string request_id = ids_.Hex(8);
    for (const auto& q : config->queues) {
        bool selected = false;
        for (const auto& ev : q.events) selected = selected || EventSelected(ev, e.name);
        if (!selected || e.key.rfind(q.prefix, 0) != 0) continue;
        if (!q.suffix.empty() && (e.key.size() < q.suffix.size() ||
                                  e.key.compare(e.key.size() - q.suffix.size(), q.suffix.size(), q.suffix) != 0))
            continue;
        std::string body = RecordsMessage(e, q.id, region_, clock_.Now(), seq, request_id).dump();
        SendToQueue(q.queue_arn, body, [arn = q.queue_arn, bucket = e.bucket](bool ok, std::string error) {
            if (!ok) spdlog::warn("[s3] notification for bucket {} to {} failed: {}", bucket, arn, error);
        });
    }
    if (config->event_bridge) {
        bool created = e.name.rfind("ObjectCreated", 0) == 0;
        Json object = {{"key", e.key}};
        if (created) object["size"] = e.size, object["etag"] = e.etag;
        if (!e.version_id.empty()) object["version-id"] = e.version_id;
        object["sequencer"] = seq;
        std::string reason = e.name == "ObjectCreated:Copy" ? "CopyObject"
                             : e.name == "ObjectCreated:CompleteMultipartUpload" ? "CompleteMultipartUpload"
                             : created ? "PutObject" : "DeleteObject";
        Json detail = {{"version", "0"}, {"bucket", {{"name", e.bucket}}}, {"object", object}, {"request-id", request_id},
                       {"requester", account_id_}, {"source-ip-address", "127.0.0.1"}, {"reason", reason}};
        if (e.name == "ObjectRemoved:DeleteMarkerCreated") detail["deletion-type"] = "Delete Marker Created";
        else if (!created) detail["deletion-type"] = "Permanently Deleted";
        core::Request r;
        r.method = "POST";
        r.target = "/";
        r.headers.Set("Host", "localhost");
        r.headers.Set("X-Amz-Target", "AWSEvents.PutEvents");
        r.headers.Set("Content-Type", "application/x-amz-json-1.1");
        r.body = Json{{"Entries", Json::array({{{"Source", "aws.s3"},
                                                {"DetailType", created ? "Object Created" : "Object Deleted"},
                                                {"Resources", Json::array({"arn:aws:s3:::" + e.bucket})},
                                                {"Detail", detail.dump()}}})}}
                     .dump();
        transport_.Send("aws", std::move(r), [bucket = e.bucket](core::Response resp) {
            if (resp.status / 100 != 2) spdlog::warn("[s3] EventBridge notification for bucket {} failed: {}", bucket, resp.body);
        });
    }
}

void S3Notifications::Get(const core::Request& request, core::Respond respond) {
    std::string bucket = request.path_params.at("bucket");
    std::string rid = ids_.Hex(8);
    if (!engine_.GetBucket(bucket))
        return respond(protocol::RestXmlError(404, "NoSuchBucket", "The specified bucket does not exist", "/" + bucket, rid));
    protocol::XmlWriter w;
    w.Declaration().Open("NotificationConfiguration", kNamespace);
    if (const BucketNotification* config = ConfigOf(bucket)) {
        for (const auto& q : config->queues) {
            w.Open("QueueConfiguration").Element("Id", q.id).Element("Queue", q.queue_arn);
            for (const auto& e : q.events) w.Element("Event", e);
            if (!q.prefix.empty() || !q.suffix.empty()) {
                w.Open("Filter").Open("S3Key");
                if (!q.prefix.empty()) w.Open("FilterRule").Element("Name", "Prefix").Element("Value", q.prefix).Close();
                if (!q.suffix.empty()) w.Open("FilterRule").Element("Name", "Suffix").Element("Value", q.suffix).Close();
                w.Close().Close();
            }
            w.Close();
        }
        if (config->event_bridge) w.Open("EventBridgeConfiguration").Close();
    }
    core::Response r;
    r.body = w.Finish();
    r.headers.Set("Content-Type", "application/xml");
    r.headers.Set("x-amz-request-id", rid);
    respond(std::move(r));
}

void S3Notifications::Put(const core::Request& request, core::Respond respond) {
    std::string bucket = request.path_params.at("bucket");
    std::string rid = ids_.Hex(8);
    auto error = [&](int status, const std::string& code, const std::string& message) {
        respond(protocol::RestXmlError(status, code, message, "/" + bucket, rid));
    };
    auto existing = engine_.GetBucket(bucket);
    if (!existing) return error(404, "NoSuchBucket", "The specified bucket does not exist");
    auto doc = protocol::ParseXml(request.body);
    if (!doc || doc->name.find("NotificationConfiguration") == std::string::npos)
        return error(400, "MalformedXML",
                     "The XML you provided was not well-formed or did not validate against our published schema");
    BucketNotification config;
    if (!doc->Children("TopicConfiguration").empty() || !doc->Children("CloudFunctionConfiguration").empty())
        return error(400, "InvalidArgument", "Only QueueConfiguration and EventBridgeConfiguration are supported by cardsim");
    for (const auto* qc : doc->Children("QueueConfiguration")) {
        QueueConfiguration q;
        q.id = qc->ChildText("Id").value_or(ids_.Uuid());
        q.queue_arn = qc->ChildText("Queue").value_or("");
        if (q.queue_arn.rfind("arn:aws:sqs:", 0) != 0)
            return error(400, "InvalidArgument", "The ARN is not well formed: " + q.queue_arn);
        for (const auto* ev : qc->Children("Event")) {
            if (std::find(std::begin(kEvents), std::end(kEvents), ev->text) == std::end(kEvents))
                return error(400, "InvalidArgument", "The event is not supported for notifications: " + ev->text);
            q.events.push_back(ev->text);
        }
        if (q.events.empty()) return error(400, "InvalidArgument", "A notification configuration needs at least one Event");
        if (const auto* filter = qc->Child("Filter")) {
            if (const auto* key = filter->Child("S3Key")) {
                for (const auto* rule : key->Children("FilterRule")) {
                    std::string name = rule->ChildText("Name").value_or("");
                    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                    std::string value = rule->ChildText("Value").value_or("");
                    if (name == "prefix") q.prefix = value;
                    else if (name == "suffix") q.suffix = value;
                    else return error(400, "InvalidArgument", "filter rule name must be either prefix or suffix");
                }
            }
        }
        config.queues.push_back(std::move(q));
    }
    config.event_bridge = doc->Child("EventBridgeConfiguration") != nullptr;
    config.bucket_created = existing->created;
    // Validate destinations with s3:TestEvent; save only if every queue accepted it.
    Json test = {{"Service", "Amazon S3"}, {"Event", "s3:TestEvent"}, {"Time", core::FormatIso8601(clock_.Now())},
                 {"Bucket", bucket}, {"RequestId", rid}, {"HostId", rid}};
    struct Pending {
        std::size_t left;
        std::vector<std::string> failed;
    };
    auto pending = std::make_shared<Pending>(Pending{config.queues.size(), {}});
    auto finish = [this, bucket, rid, pending, config, respond]() {
        if (!pending->failed.empty()) {
            std::string list;
            for (const auto& f : pending->failed) list += (list.empty() ? "" : ", ") + f;
            return respond(protocol::RestXmlError(400, "InvalidArgument",
                                                  "Unable to validate the following destination configurations: " + list,
                                                  "/" + bucket, rid));
        }
        // The bucket may have gone while the test events were on their way.
        auto now = engine_.GetBucket(bucket);
        if (!now || now->created != config.bucket_created)
            return respond(protocol::RestXmlError(404, "NoSuchBucket", "The specified bucket does not exist", "/" + bucket, rid));
        if (config.queues.empty() && !config.event_bridge) {
            Erase(bucket);
            configs_.erase(bucket);
        } else {
            Save(bucket, config);
            configs_[bucket] = config;
        }
        core::Response r;
        r.headers.Set("x-amz-request-id", rid);
        respond(std::move(r));
    };
    if (config.queues.empty()) return finish();
    for (const auto& q : config.queues) {
        SendToQueue(q.queue_arn, test.dump(), [pending, finish, arn = q.queue_arn](bool ok, std::string) {
            if (!ok) pending->failed.push_back(arn);
            if (--pending->left == 0) finish();
        });
    }
}

}  // namespace sim::aws::s3::notifications
