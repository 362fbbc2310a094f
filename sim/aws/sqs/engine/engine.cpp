#include "sim/aws/sqs/engine/engine.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "sim/aws/sqs/engine/checksum.hpp"
#include "sim/aws/sqs/engine/validation.hpp"
#include "sim/store/migrations.hpp"

namespace sim::aws::sqs {

namespace {

using Json = nlohmann::json;

const store::Migration kMigrations[] = {
    {1,
     "CREATE TABLE sqs_queues (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, region TEXT NOT NULL,"
     " fifo INTEGER NOT NULL, attributes TEXT NOT NULL, tags TEXT NOT NULL, created_ms INTEGER NOT NULL,"
     " modified_ms INTEGER NOT NULL, last_purge_ms INTEGER, next_seq INTEGER NOT NULL);"
     "CREATE TABLE sqs_messages (queue_id INTEGER NOT NULL, seq INTEGER NOT NULL, message_id TEXT NOT NULL,"
     " body BLOB NOT NULL, sent_ms INTEGER NOT NULL, visible_ms INTEGER NOT NULL, receive_count INTEGER NOT NULL,"
     " first_receive_ms INTEGER NOT NULL, nonce INTEGER NOT NULL, in_flight INTEGER NOT NULL, extra BLOB,"
     " PRIMARY KEY (queue_id, seq)) WITHOUT ROWID;"
     "CREATE TABLE sqs_dedup (queue_id INTEGER NOT NULL, key TEXT NOT NULL, message_id TEXT NOT NULL,"
     " seq INTEGER NOT NULL, expires_ms INTEGER NOT NULL, PRIMARY KEY (queue_id, key)) WITHOUT ROWID;"},
};

constexpr std::int64_t kDedupWindowMs = 5 * 60 * 1000;  // AWS: 5-minute deduplication interval
constexpr std::int64_t kPurgeIntervalMs = 60 * 1000;    // AWS: one PurgeQueue per 60 seconds
constexpr int kMaxVisibility = 43200;
constexpr std::uint64_t kSequenceBase = 10'000'000'000'000'000'000ull;
const char* const kDefaultSender = "AIDAIT2UOQQY3AUEKVGXU";

const std::set<std::string, std::less<>> kSettable = {
    "DelaySeconds",  "MaximumMessageSize", "MessageRetentionPeriod",       "Policy",
    "ReceiveMessageWaitTimeSeconds", "VisibilityTimeout", "RedrivePolicy", "RedriveAllowPolicy",
    "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled", "FifoQueue",
    "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"};
const std::set<std::string, std::less<>> kReadOnly = {
    "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp", "LastModifiedTimestamp", "QueueArn"};
const std::set<std::string, std::less<>> kFifoOnly = {"ContentBasedDeduplication", "DeduplicationScope",
                                                      "FifoThroughputLimit"};
const std::set<std::string, std::less<>> kSystemNames = {
    "All", "SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp",
    "SequenceNumber", "MessageDeduplicationId", "MessageGroupId", "AWSTraceHeader", "DeadLetterQueueSourceArn"};

std::optional<std::int64_t> ParseInt(std::string_view s) {
    std::int64_t v = 0;
    if (s.empty()) return std::nullopt;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

SqsError InvalidAttrValue(const std::string& name, const std::string& reason = {}) {
    return {ErrorCode::kInvalidAttributeValue,
            "Invalid value for the parameter " + name + "." + (reason.empty() ? "" : " Reason: " + reason)};
}

std::string ParamInvalid(const std::string& value, const std::string& param, const std::string& reason) {
    return "Value " + value + " for parameter " + param + " is invalid. Reason: " + reason;
}

Json EncodeAttributes(const AttributeMap& m) {
    Json o = Json::object();
    for (const auto& [k, v] : m) {
        o[k] = Json::array({v.data_type, v.is_binary,
                            v.is_binary ? Json::binary(std::vector<std::uint8_t>(v.binary.begin(), v.binary.end()))
                                        : Json(v.text)});
    }
    return o;
}

AttributeMap DecodeAttributes(const Json& o) {
    AttributeMap m;
    for (auto it = o.begin(); it != o.end(); ++it) {
        AttributeValue v;
        v.data_type = (*it)[0].get<std::string>();
        v.is_binary = (*it)[1].get<bool>();
        if (v.is_binary) {
            const auto& bin = (*it)[2].get_binary();
            v.binary.assign(bin.begin(), bin.end());
        } else {
            v.text = (*it)[2].get<std::string>();
        }
        m.emplace(it.key(), std::move(v));
    }
    return m;
}

std::string Hex16(std::uint64_t v) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s(16, '0');
    for (int i = 15; i >= 0; --i) {
        s[static_cast<std::size_t>(i)] = kHex[v & 15];
        v >>= 4;
    }
    return s;
}

std::optional<std::uint64_t> ParseHex16(std::string_view s) {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

}  // namespace

// --- internal state -----------------------------------------------------------------------------

struct MessageExtra {
    AttributeMap attributes;
    AttributeMap system_attributes;
    std::string group_id;
    std::string dedup_id;
    std::string sender_id;
    std::string dlq_source_arn;
};

struct SqsEngine::Message {
    std::uint64_t seq = 0;
    std::string message_id;
    std::string body;
    std::int64_t sent_ms = 0;
    core::TimePoint sent_at{};  ///< sent_ms at clock precision (queue dwell spans); not stored
    std::int64_t visible_ms = 0;
    std::int64_t first_receive_ms = 0;
    std::uint64_t nonce = 0;
    std::uint32_t receive_count = 0;
    bool pending = false;    ///< in Queue::pending (delayed or in flight)
    bool in_flight = false;  ///< received and not visible again yet
    std::unique_ptr<MessageExtra> extra;

    const std::string& GroupId() const {
        static const std::string kEmpty;
        return extra ? extra->group_id : kEmpty;
    }
};

struct SqsEngine::Group {
    std::set<std::uint64_t> seqs;
    std::uint32_t in_flight = 0;
};

struct SqsEngine::Waiter {
    std::uint64_t id = 0;
    ReceiveRequest request;
    ReceiveCallback done;
    clock::TimerId timer = 0;
};

struct SqsEngine::Queue {
    std::int64_t id = 0;
    std::string name;
    std::string region;
    bool fifo = false;
    std::map<std::string, std::string> attributes;  ///< settable attributes, normalized, defaults filled
    std::map<std::string, std::string> tags;
    std::int64_t created_ms = 0;
    std::int64_t modified_ms = 0;
    std::int64_t last_purge_ms = std::numeric_limits<std::int64_t>::min() / 2;
    std::uint64_t next_seq = 1;

    // settings parsed from `attributes`
    int delay_s = 0;
    int visibility_s = 30;
    int wait_s = 0;
    std::int64_t retention_ms = 345600ll * 1000;
    std::uint64_t max_size = 1024 * 1024;
    std::string dlq_name;
    int max_receive = 0;
    bool content_dedup = false;
    bool dedup_by_group = false;

    std::map<std::uint64_t, Message> messages;
    std::set<std::uint64_t> ready;                              ///< standard: visible, in order
    std::set<std::pair<std::int64_t, std::uint64_t>> pending;  ///< (visible_ms, seq): delayed or in flight
    std::map<std::string, Group> groups;                        ///< FIFO message groups

    struct Dedup {
        std::string message_id;
        std::uint64_t seq = 0;
        std::int64_t expires_ms = 0;
    };
    std::unordered_map<std::string, Dedup> dedup;
    std::deque<std::pair<std::int64_t, std::string>> dedup_order;

    std::list<Waiter> waiters;
    clock::TimerId wake_timer = 0;
    std::int64_t wake_at = 0;
    bool watched = false;  ///< an in-process consumer wants availability notifications
};

struct SqsEngine::MoveTask {
    MoveTaskInfo info;
    std::string task_id;
    clock::TimerId timer = 0;
};

/// The write scope of one operation, begun on the first write; queues whose waiters may now be
/// served are noted and served after the commit.
class SqsEngine::Tx {
public:
    explicit Tx(SqsEngine& engine) : engine_(engine) {}
    store::Database& Db() {
        if (!scope_) scope_.emplace(engine_.group_.BeginWrite(engine_.db_));
        return engine_.db_;
    }
    void Touch(std::int64_t queue_id) {
        if (std::find(touched_.begin(), touched_.end(), queue_id) == touched_.end()) touched_.push_back(queue_id);
    }
    /// Commits the writes, then serves long polls waiting on touched queues.
    void Finish() {
        if (scope_) scope_->Commit();
        scope_.reset();
        auto touched = std::move(touched_);
        touched_.clear();
        for (auto id : touched) engine_.ServeWaiters(id);
    }

private:
    SqsEngine& engine_;
    std::optional<store::WriteScope> scope_;
    std::vector<std::int64_t> touched_;
};

// --- construction and loading -------------------------------------------------------------------

SqsEngine::SqsEngine(clock::Clock& clock, store::Database& db, store::GroupCommit& group, EngineOptions options)
    : clock_(clock), db_(db), group_(group), options_(std::move(options)), ids_(options_.seed) {
    store::Migrate(db_, "sqs", kMigrations);
    Load();
}

SqsEngine::~SqsEngine() {
    for (auto& [name, q] : queues_) {
        for (auto& w : q->waiters) clock_.Cancel(w.timer);
        if (q->wake_timer) clock_.Cancel(q->wake_timer);
    }
    for (auto& t : move_tasks_)
        if (t->timer) clock_.Cancel(t->timer);
}

std::int64_t SqsEngine::NowMs() const { return core::ToEpochMillis(clock_.Now()); }

void SqsEngine::Load() {
    auto& qs = db_.Prepare(
        "SELECT id, name, region, fifo, attributes, tags, created_ms, modified_ms, last_purge_ms, next_seq FROM "
        "sqs_queues");
    while (qs.Step()) {
        auto q = std::make_unique<Queue>();
        q->id = qs.Int64(0);
        q->name = qs.Text(1);
        q->region = qs.Text(2);
        q->fifo = qs.Int64(3) != 0;
        q->attributes = Json::parse(qs.Text(4)).get<std::map<std::string, std::string>>();
        q->tags = Json::parse(qs.Text(5)).get<std::map<std::string, std::string>>();
        q->created_ms = qs.Int64(6);
        q->modified_ms = qs.Int64(7);
        if (!qs.IsNull(8)) q->last_purge_ms = qs.Int64(8);
        q->next_seq = static_cast<std::uint64_t>(qs.Int64(9));
        next_queue_id_ = std::max(next_queue_id_, q->id + 1);
        by_id_[q->id] = q.get();
        queues_[q->name] = std::move(q);
    }
    qs.Reset();
    for (auto& [name, q] : queues_) ApplySettings(*q);

    std::int64_t now = NowMs();
    auto& ms = db_.Prepare(
        "SELECT queue_id, seq, message_id, body, sent_ms, visible_ms, receive_count, first_receive_ms, nonce, "
        "in_flight, extra FROM sqs_messages ORDER BY queue_id, seq");
    std::size_t count = 0;
    while (ms.Step()) {
        Queue* q = FindById(ms.Int64(0));
        if (!q) continue;
        Message m;
        m.seq = static_cast<std::uint64_t>(ms.Int64(1));
        m.message_id = ms.Text(2);
        m.body = ms.Text(3);
        m.sent_ms = ms.Int64(4);
        m.sent_at = core::FromEpochMillis(m.sent_ms);
        m.visible_ms = ms.Int64(5);
        m.receive_count = static_cast<std::uint32_t>(ms.Int64(6));
        m.first_receive_ms = ms.Int64(7);
        m.nonce = static_cast<std::uint64_t>(ms.Int64(8));
        bool in_flight = ms.Int64(9) != 0;
        if (!ms.IsNull(10)) {
            auto blob = ms.Blob(10);
            std::vector<std::uint8_t> bytes(blob.size());
            std::memcpy(bytes.data(), blob.data(), blob.size());
            Json j = Json::from_msgpack(bytes);
            auto x = std::make_unique<MessageExtra>();
            if (j.contains("a")) x->attributes = DecodeAttributes(j["a"]);
            if (j.contains("s")) x->system_attributes = DecodeAttributes(j["s"]);
            x->group_id = j.value("g", "");
            x->dedup_id = j.value("d", "");
            x->sender_id = j.value("i", "");
            x->dlq_source_arn = j.value("q", "");
            m.extra = std::move(x);
        }
        q->next_seq = std::max(q->next_seq, m.seq + 1);
        std::uint64_t seq = m.seq;
        std::int64_t visible = m.visible_ms;
        const std::string group = m.GroupId();
        auto& stored = q->messages.emplace(seq, std::move(m)).first->second;
        if (q->fifo) q->groups[group].seqs.insert(seq);
        if (visible > now) {
            stored.pending = true;
            stored.in_flight = in_flight;
            q->pending.emplace(visible, seq);
            if (in_flight && q->fifo) q->groups[group].in_flight++;
        } else if (!q->fifo) {
            q->ready.insert(seq);
        }
        ++count;
    }
    ms.Reset();
    auto& ds = db_.Prepare("SELECT queue_id, key, message_id, seq, expires_ms FROM sqs_dedup ORDER BY expires_ms");
    while (ds.Step()) {
        Queue* q = FindById(ds.Int64(0));
        if (!q) continue;
        std::string key = ds.Text(1);
        auto seq = static_cast<std::uint64_t>(ds.Int64(3));
        q->dedup[key] = {ds.Text(2), seq, ds.Int64(4)};
        q->dedup_order.emplace_back(ds.Int64(4), key);
        q->next_seq = std::max(q->next_seq, seq + 1);
    }
    ds.Reset();
    if (!queues_.empty()) spdlog::info("[sqs] loaded {} queues, {} messages", queues_.size(), count);
}

// --- lookup -------------------------------------------------------------------------------------

SqsEngine::Queue* SqsEngine::Find(const std::string& name) const {
    auto it = queues_.find(name);
    return it == queues_.end() ? nullptr : it->second.get();
}

SqsEngine::Queue* SqsEngine::FindById(std::int64_t id) const {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second;
}

SqsResult<SqsEngine::Queue*> SqsEngine::Require(const std::string& name) const {
    Queue* q = Find(name);
    if (!q) return SqsFail(ErrorCode::kQueueDoesNotExist, "The specified queue does not exist.");
    return q;
}

bool SqsEngine::QueueExists(const std::string& name) const { return Find(name) != nullptr; }

std::string SqsEngine::ArnOf(const Queue& q) const {
    return "arn:aws:sqs:" + q.region + ":" + options_.account_id + ":" + q.name;
}

SqsResult<std::string> SqsEngine::QueueArn(const std::string& name) const {
    auto q = Require(name);
    if (!q) return core::Fail(q.error());
    return ArnOf(**q);
}

std::optional<std::string> SqsEngine::NameFromArn(std::string_view arn) const {
    std::vector<std::string_view> parts;
    while (true) {
        auto colon = arn.find(':');
        parts.push_back(arn.substr(0, colon));
        if (colon == std::string_view::npos) break;
        arn.remove_prefix(colon + 1);
    }
    if (parts.size() != 6 || parts[0] != "arn" || parts[2] != "sqs" || parts[4] != options_.account_id ||
        parts[5].empty())
        return std::nullopt;
    return std::string(parts[5]);
}

// --- queue attributes ---------------------------------------------------------------------------

SqsStatus SqsEngine::ValidateAttributes(const std::map<std::string, std::string>& attributes, bool fifo, bool creating,
                                        const Queue* self, std::map<std::string, std::string>* normalized) const {
    auto int_in = [&](const std::string& name, const std::string& value, std::int64_t lo,
                      std::int64_t hi) -> std::optional<SqsError> {
        auto v = ParseInt(value);
        if (!v || *v < lo || *v > hi) return InvalidAttrValue(name);
        (*normalized)[name] = std::to_string(*v);
        return std::nullopt;
    };
    for (const auto& [name, value] : attributes) {
        if (!kSettable.contains(name) || (!fifo && kFifoOnly.contains(name)))
            return core::Fail(SqsError{ErrorCode::kInvalidAttributeName, "Unknown Attribute " + name + "."});
        std::optional<SqsError> err;
        if (name == "DelaySeconds") {
            err = int_in(name, value, 0, 900);
        } else if (name == "MaximumMessageSize") {
            err = int_in(name, value, 1024, static_cast<std::int64_t>(options_.limits.max_message_size_cap));
        } else if (name == "MessageRetentionPeriod") {
            err = int_in(name, value, options_.limits.strict ? 60 : 1, 1209600);
        } else if (name == "ReceiveMessageWaitTimeSeconds") {
            err = int_in(name, value, 0, 20);
        } else if (name == "VisibilityTimeout") {
            err = int_in(name, value, 0, kMaxVisibility);
        } else if (name == "KmsDataKeyReusePeriodSeconds") {
            err = int_in(name, value, 60, 86400);
        } else if (name == "KmsMasterKeyId") {
            (*normalized)[name] = value;
        } else if (name == "SqsManagedSseEnabled" || name == "ContentBasedDeduplication" || name == "FifoQueue") {
            std::string b = Lower(value);
            if (b != "true" && b != "false") {
                err = InvalidAttrValue(name);
            } else if (name == "FifoQueue" && !creating) {
                err = InvalidAttrValue(name, "Modifying queue type is not supported.");
            } else if (name == "FifoQueue" && (b == "true") != fifo) {
                err = InvalidAttrValue(name);
            } else {
                (*normalized)[name] = b;
            }
        } else if (name == "DeduplicationScope") {
            if (value != "messageGroup" && value != "queue") err = InvalidAttrValue(name);
            else (*normalized)[name] = value;
        } else if (name == "FifoThroughputLimit") {
            if (value != "perQueue" && value != "perMessageGroupId") err = InvalidAttrValue(name);
            else (*normalized)[name] = value;
        } else if (name == "Policy") {
            if (value.empty()) {
                (*normalized)[name] = "";
            } else {
                Json j = Json::parse(value, nullptr, false);
                if (j.is_discarded() || !j.is_object())
                    err = InvalidAttrValue(name, "Policy is not a valid JSON object.");
                else
                    (*normalized)[name] = j.dump();
            }
        } else if (name == "RedrivePolicy") {
            if (value.empty()) {
                (*normalized)[name] = "";
                continue;
            }
            Json j = Json::parse(value, nullptr, false);
            // Init-captures: clang before 16 cannot capture structured bindings.
            auto invalid = [&v = value, &n = name](const std::string& reason) {
                return SqsError{ErrorCode::kInvalidParameterValue, ParamInvalid(v, n, reason)};
            };
            if (j.is_discarded() || !j.is_object()) {
                err = invalid("Redrive policy is not a valid JSON map.");
            } else if (!j.contains("deadLetterTargetArn") || !j["deadLetterTargetArn"].is_string()) {
                err = invalid("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.");
            } else if (!j.contains("maxReceiveCount")) {
                err = invalid("Redrive policy does not contain mandatory attribute: maxReceiveCount.");
            } else {
                std::optional<std::int64_t> count;
                if (j["maxReceiveCount"].is_number_integer()) count = j["maxReceiveCount"].get<std::int64_t>();
                if (j["maxReceiveCount"].is_string()) count = ParseInt(j["maxReceiveCount"].get<std::string>());
                std::string arn = j["deadLetterTargetArn"].get<std::string>();
                auto target_name = NameFromArn(arn);
                Queue* target = target_name ? Find(*target_name) : nullptr;
                if (!count || *count < 1 || *count > 1000) {
                    err = invalid("Invalid value for maxReceiveCount: " + j["maxReceiveCount"].dump() +
                                  ", valid values are from 1 to 1000 both inclusive.");
                } else if (!target) {
                    err = invalid("Dead-letter target does not exist.");
                } else if (target->fifo != fifo) {
                    err = invalid(fifo ? "Dead-letter queue must be same type of queue as the source."
                                       : "Dead-letter queue must be same type of queue as the source.");
                } else if (self && target == self) {
                    err = invalid("Dead-letter target cannot be the source queue.");
                } else {
                    // The target's RedriveAllowPolicy decides who may use it as a dead-letter queue.
                    auto allow = target->attributes.find("RedriveAllowPolicy");
                    if (allow != target->attributes.end() && !allow->second.empty()) {
                        Json a = Json::parse(allow->second);
                        std::string perm = a.value("redrivePermission", "allowAll");
                        std::string my_arn = self ? ArnOf(*self) : "";
                        bool listed = false;
                        if (a.contains("sourceQueueArns"))
                            for (const auto& s : a["sourceQueueArns"]) listed |= s.is_string() && s == my_arn;
                        if (perm == "denyAll" || (perm == "byQueue" && !listed))
                            err = invalid("Queue " + my_arn + " is not allowed to use " + arn +
                                          " as a dead-letter queue (RedriveAllowPolicy).");
                    }
                    if (!err)
                        (*normalized)[name] = Json{{"deadLetterTargetArn", arn}, {"maxReceiveCount", *count}}.dump();
                }
            }
        } else if (name == "RedriveAllowPolicy") {
            if (value.empty()) {
                (*normalized)[name] = "";
                continue;
            }
            Json j = Json::parse(value, nullptr, false);
            // Init-captures: clang before 16 cannot capture structured bindings.
            auto invalid = [&v = value, &n = name](const std::string& reason) {
                return SqsError{ErrorCode::kInvalidParameterValue, ParamInvalid(v, n, reason)};
            };
            if (j.is_discarded() || !j.is_object() || !j.contains("redrivePermission") ||
                !j["redrivePermission"].is_string()) {
                err = invalid("Amazon SQS can't create the redrive allow policy, as it's in an unsupported format.");
            } else {
                std::string perm = j["redrivePermission"];
                bool has_arns = j.contains("sourceQueueArns");
                if (perm != "allowAll" && perm != "denyAll" && perm != "byQueue") {
                    err = invalid("Redrive permission " + perm + " is not supported.");
                } else if (perm == "byQueue" &&
                           (!has_arns || !j["sourceQueueArns"].is_array() || j["sourceQueueArns"].empty() ||
                            j["sourceQueueArns"].size() > 10)) {
                    err = invalid("Specify 1 to 10 source queue ARNs when redrivePermission is byQueue.");
                } else if (perm != "byQueue" && has_arns) {
                    err = invalid("Only specify source queue ARNs when redrivePermission is byQueue.");
                } else {
                    (*normalized)[name] = j.dump();
                }
            }
        }
        if (err) return core::Fail(*err);
    }
    // FifoThroughputLimit=perMessageGroupId needs DeduplicationScope=messageGroup (AWS "high
    // throughput for FIFO queues").
    if (fifo) {
        auto effective = [&](const char* key, const char* fallback) {
            if (auto it = normalized->find(key); it != normalized->end()) return it->second;
            if (self)
                if (auto it = self->attributes.find(key); it != self->attributes.end()) return it->second;
            return std::string(fallback);
        };
        if (effective("FifoThroughputLimit", "perQueue") == "perMessageGroupId" &&
            effective("DeduplicationScope", "queue") != "messageGroup")
            return SqsFail(ErrorCode::kInvalidAttributeValue,
                           "Invalid value for the parameter FifoThroughputLimit. Reason: The perMessageGroupId value "
                           "is allowed only when the value for DeduplicationScope is messageGroup.");
    }
    return SqsOk();
}

void SqsEngine::ApplySettings(Queue& q) {
    auto get_int = [&](const char* key, std::int64_t fallback) {
        auto it = q.attributes.find(key);
        if (it == q.attributes.end()) return fallback;
        return ParseInt(it->second).value_or(fallback);
    };
    q.delay_s = static_cast<int>(get_int("DelaySeconds", 0));
    q.visibility_s = static_cast<int>(get_int("VisibilityTimeout", 30));
    q.wait_s = static_cast<int>(get_int("ReceiveMessageWaitTimeSeconds", 0));
    q.retention_ms = get_int("MessageRetentionPeriod", 345600) * 1000;
    q.max_size = static_cast<std::uint64_t>(get_int("MaximumMessageSize", 1024 * 1024));
    q.dlq_name.clear();
    q.max_receive = 0;
    if (auto it = q.attributes.find("RedrivePolicy"); it != q.attributes.end() && !it->second.empty()) {
        Json j = Json::parse(it->second);
        q.dlq_name = NameFromArn(j["deadLetterTargetArn"].get<std::string>()).value_or("");
        q.max_receive = j["maxReceiveCount"].get<int>();
    }
    q.content_dedup = q.attributes.count("ContentBasedDeduplication") && q.attributes["ContentBasedDeduplication"] == "true";
    q.dedup_by_group = q.attributes.count("DeduplicationScope") && q.attributes["DeduplicationScope"] == "messageGroup";
}

void SqsEngine::PersistQueue(Tx& tx, const Queue& q) {
    tx.Db()
        .Prepare(
            "INSERT INTO sqs_queues (id, name, region, fifo, attributes, tags, created_ms, modified_ms, last_purge_ms, "
            "next_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (id) DO UPDATE SET "
            "attributes = ?5, tags = ?6, modified_ms = ?8, last_purge_ms = ?9, next_seq = ?10")
        .BindAll(q.id, q.name, q.region, q.fifo, Json(q.attributes).dump(), Json(q.tags).dump(), q.created_ms,
                 q.modified_ms, q.last_purge_ms, static_cast<std::int64_t>(q.next_seq))
        .Execute();
}

SqsStatus SqsEngine::CreateQueue(const std::string& name, const std::map<std::string, std::string>& attributes,
                                 const std::map<std::string, std::string>& tags, const std::string& region) {
    bool fifo_attr = false;
    if (auto it = attributes.find("FifoQueue"); it != attributes.end()) fifo_attr = Lower(it->second) == "true";
    bool fifo_name = name.size() > 5 && name.ends_with(".fifo");
    if (auto s = ValidateQueueName(name, fifo_attr, options_.limits.name_rules); !s) return s;
    if (fifo_name && !fifo_attr && options_.limits.name_rules)
        return SqsFail(ErrorCode::kInvalidParameterValue,
                       "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length");
    std::map<std::string, std::string> normalized;
    if (Queue* existing = Find(name)) {
        if (auto s = ValidateAttributes(attributes, existing->fifo, true, existing, &normalized); !s) return s;
        for (const auto& [k, v] : normalized) {
            auto it = existing->attributes.find(k);
            std::string current = it == existing->attributes.end() ? "" : it->second;
            if (current != v)
                return SqsFail(ErrorCode::kQueueNameExists,
                               "A queue already exists with the same name and a different value for attribute " + k);
        }
        return SqsOk();
    }
    if (auto s = ValidateAttributes(attributes, fifo_attr, true, nullptr, &normalized); !s) return s;
    if (auto s = ValidateTags(tags, 0); !s) return s;

    auto q = std::make_unique<Queue>();
    q->id = next_queue_id_++;
    q->name = name;
    q->region = region.empty() ? options_.default_region : region;
    q->fifo = fifo_attr;
    q->attributes = {{"DelaySeconds", "0"},
                     {"MaximumMessageSize", "1048576"},
                     {"MessageRetentionPeriod", "345600"},
                     {"ReceiveMessageWaitTimeSeconds", "0"},
                     {"VisibilityTimeout", "30"},
                     {"SqsManagedSseEnabled", normalized.count("KmsMasterKeyId") ? "false" : "true"}};
    if (fifo_attr) {
        q->attributes["FifoQueue"] = "true";
        q->attributes["ContentBasedDeduplication"] = "false";
        q->attributes["DeduplicationScope"] = "queue";
        q->attributes["FifoThroughputLimit"] = "perQueue";
    }
    for (auto& [k, v] : normalized) {
        if (v.empty()) q->attributes.erase(k);
        else q->attributes[k] = v;
    }
    q->tags = tags;
    q->created_ms = q->modified_ms = NowMs();
    ApplySettings(*q);
    Tx tx(*this);
    PersistQueue(tx, *q);
    by_id_[q->id] = q.get();
    queues_[name] = std::move(q);
    tx.Finish();
    return SqsOk();
}

void SqsEngine::FinishWaiters(Queue& q) {
    auto waiters = std::move(q.waiters);
    q.waiters.clear();
    if (q.wake_timer) clock_.Cancel(q.wake_timer);
    q.wake_timer = 0;
    for (auto& w : waiters) {
        clock_.Cancel(w.timer);
        w.done(std::vector<ReceivedMessage>{});
    }
}

SqsStatus SqsEngine::DeleteQueue(const std::string& name) {
    auto r = Require(name);
    if (!r) return core::Fail(r.error());
    Queue& q = **r;
    Tx tx(*this);
    auto& db = tx.Db();
    db.Prepare("DELETE FROM sqs_messages WHERE queue_id = ?1").BindAll(q.id).Execute();
    db.Prepare("DELETE FROM sqs_dedup WHERE queue_id = ?1").BindAll(q.id).Execute();
    db.Prepare("DELETE FROM sqs_queues WHERE id = ?1").BindAll(q.id).Execute();
    tx.Finish();
    auto owned = std::move(queues_[name]);
    queues_.erase(name);
    by_id_.erase(owned->id);
    FinishWaiters(*owned);
    return SqsOk();
}

SqsResult<std::map<std::string, std::string>> SqsEngine::GetQueueAttributes(const std::string& name,
                                                                            const std::vector<std::string>& names) {
    auto r = Require(name);
    if (!r) return core::Fail(r.error());
    Queue& q = **r;
    bool all = false;
    for (const auto& n : names) {
        if (n == "All") all = true;
        else if (!kSettable.contains(n) && !kReadOnly.contains(n))
            return SqsFail(ErrorCode::kInvalidAttributeName, "Unknown Attribute " + n + ".");
    }
    Tx tx(*this);
    Maintain(tx, q);
    tx.Finish();
    std::int64_t visible = 0, not_visible = 0, delayed = 0;
    for (const auto& [at, seq] : q.pending) {
        if (q.messages.at(seq).in_flight) ++not_visible;
        else ++delayed;
    }
    visible = static_cast<std::int64_t>(q.messages.size()) - not_visible - delayed;
    std::map<std::string, std::string> values = q.attributes;
    values["ApproximateNumberOfMessages"] = std::to_string(visible);
    values["ApproximateNumberOfMessagesNotVisible"] = std::to_string(not_visible);
    values["ApproximateNumberOfMessagesDelayed"] = std::to_string(delayed);
    values["CreatedTimestamp"] = std::to_string(q.created_ms / 1000);
    values["LastModifiedTimestamp"] = std::to_string(q.modified_ms / 1000);
    values["QueueArn"] = ArnOf(q);
    if (all) return values;
    std::map<std::string, std::string> out;
    for (const auto& n : names)
        if (auto it = values.find(n); it != values.end()) out[n] = it->second;
    return out;
}

SqsStatus SqsEngine::SetQueueAttributes(const std::string& name, const std::map<std::string, std::string>& attributes) {
    auto r = Require(name);
    if (!r) return core::Fail(r.error());
    Queue& q = **r;
    std::map<std::string, std::string> normalized;
    if (auto s = ValidateAttributes(attributes, q.fifo, false, &q, &normalized); !s) return s;
    auto before = q.attributes;
    for (auto& [k, v] : normalized) {
        if (v.empty()) q.attributes.erase(k);
        else q.attributes[k] = v;
    }
    q.modified_ms = NowMs();
    ApplySettings(q);
    Tx tx(*this);
    try {
        PersistQueue(tx, q);
    } catch (...) {
        q.attributes = std::move(before);
        ApplySettings(q);
        throw;
    }
    tx.Touch(q.id);
    tx.Finish();
    return SqsOk();
}

SqsResult<QueuePage> SqsEngine::ListQueues(const std::string& prefix, std::optional<int> max_results,
                                           const std::optional<std::string>& next_token) const {
    if (max_results && (*max_results < 1 || *max_results > 1000))
        return SqsFail(ErrorCode::kInvalidParameterValue,
                       ParamInvalid(std::to_string(*max_results), "MaxResults",
                                    "MaxResults must be an integer between 1 and 1000."));
    QueuePage page;
    auto it = next_token ? queues_.upper_bound(*next_token) : queues_.lower_bound(prefix);
    std::size_t limit = max_results ? static_cast<std::size_t>(*max_results) : 1000;
    for (; it != queues_.end() && it->first.starts_with(prefix); ++it) {
        if (page.names.size() == limit) {
            if (max_results) page.next_token = page.names.back();
            break;
        }
        page.names.push_back(it->first);
    }
    return page;
}

SqsResult<QueuePage> SqsEngine::ListDeadLetterSourceQueues(const std::string& name, std::optional<int> max_results,
                                                           const std::optional<std::string>& next_token) const {
    auto r = Require(name);
    if (!r) return core::Fail(r.error());
    if (max_results && (*max_results < 1 || *max_results > 1000))
        return SqsFail(ErrorCode::kInvalidParameterValue,
                       ParamInvalid(std::to_string(*max_results), "MaxResults",
                                    "MaxResults must be an integer between 1 and 1000."));
    QueuePage page;
    std::size_t limit = max_results ? static_cast<std::size_t>(*max_results) : 1000;
    for (const auto& [n, q] : queues_) {
        if (q->dlq_name != name || (next_token && n <= *next_token)) continue;
        if (page.names.size() == limit) {
            if (max_results) page.next_token = page.names.back();
            break;
        }
        page.names.push_back(n);
    }
    return page;
}

SqsStatus SqsEngine::PurgeQueue(const std::string& name) {
    auto r = Require(name);
    if (!r) return core::Fail(r.error());
    Queue& q = **r;
    std::int64_t now = NowMs();
    if (now - q.last_purge_ms < kPurgeIntervalMs)
        return SqsFail(ErrorCode::kPurgeQueueInProgress,
                       "Only one PurgeQueue operation on " + name + " is allowed every 60 seconds.");
    Tx tx(*this);
    tx.Db().Prepare("DELETE FROM sqs_messages WHERE queue_id = ?1").BindAll(q.id).Execute();
    q.last_purge_ms = now;
    PersistQueue(tx, q);
    tx.Finish();
    q.messages.clear();
    q.ready.clear();
    q.pending.clear();
    q.groups.clear();
    ArmWake(q);
    return SqsOk();
}

SqsResult<std::map<std::string, std::string>> SqsEngine::ListQueueTags(const std::string& name) const {
    auto r = Require(name);
    if (!r) return core::Fail(r.error());
    return (*r)->tags;
}

SqsStatus SqsEngine::TagQueue(const std::string& name, const std::map<std::string, std::string>& tags) {
    auto r = Require(name);
    if (!r) return core::Fail(r.error());
    Queue& q = **r;
    std::size_t added = 0;
    for (const auto& [k, v] : tags) added += q.tags.count(k) ? 0 : 1;
    if (tags.empty())
        return SqsFail(ErrorCode::kMissingParameter, "The request must contain the parameter Tags.");
    if (auto s = ValidateTags(tags, q.tags.size() + added - tags.size()); !s) return s;
    for (const auto& [k, v] : tags) q.tags[k] = v;
    Tx tx(*this);
    PersistQueue(tx, q);
    tx.Finish();
    return SqsOk();
}

SqsStatus SqsEngine::UntagQueue(const std::string& name, const std::vector<std::string>& keys) {
    auto r = Require(name);
    if (!r) return core::Fail(r.error());
    Queue& q = **r;
    if (keys.empty()) return SqsFail(ErrorCode::kMissingParameter, "The request must contain the parameter TagKeys.");
    for (const auto& k : keys) q.tags.erase(k);
    Tx tx(*this);
    PersistQueue(tx, q);
    tx.Finish();
    return SqsOk();
}

SqsStatus SqsEngine::AddPermission(const std::string& name, const std::string& label,
                                   const std::vector<std::string>& accounts, const std::vector<std::string>& actions) {
    auto r = Require(name);
    if (!r) return core::Fail(r.error());
    Queue& q = **r;
    static const std::set<std::string, std::less<>> kActions = {
        "*", "SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility", "GetQueueAttributes",
        "GetQueueUrl", "ListDeadLetterSourceQueues", "PurgeQueue", "ListQueueTags"};
    if (label.empty()) return SqsFail(ErrorCode::kMissingParameter, "The request must contain the parameter Label.");
    if (!IsValidBatchId(label))
        return SqsFail(ErrorCode::kInvalidParameterValue,
                       ParamInvalid(label, "Label", "Can only include alphanumeric characters, hyphens, or "
                                                    "underscores. 1 to 80 in length"));
    if (accounts.empty())
        return SqsFail(ErrorCode::kMissingParameter, "The request must contain the parameter AWSAccountIds.");
    if (actions.empty())
        return SqsFail(ErrorCode::kMissingParameter, "The request must contain the parameter Actions.");
    if (actions.size() > 7)
        return SqsFail(ErrorCode::kOverLimit, std::to_string(actions.size()) + " Actions were found, maximum allowed is 7.");
    for (const auto& a : actions)
        if (!kActions.contains(a))
            return SqsFail(ErrorCode::kInvalidParameterValue,
                           ParamInvalid("SQS:" + a, "ActionName", "Only the queue owner is allowed to invoke this action."));
    Json policy = Json::object();
    if (auto it = q.attributes.find("Policy"); it != q.attributes.end()) policy = Json::parse(it->second);
    if (!policy.contains("Statement")) {
        policy = {{"Version", "2012-10-17"}, {"Id", ArnOf(q) + "/SQSDefaultPolicy"}, {"Statement", Json::array()}};
    }
    for (const auto& st : policy["Statement"])
        if (st.value("Sid", "") == label)
            return SqsFail(ErrorCode::kInvalidParameterValue, ParamInvalid(label, "Label", "Already exists."));
    Json principals = Json::array();
    for (const auto& a : accounts) principals.push_back("arn:aws:iam::" + a + ":root");
    Json acts = Json::array();
    for (const auto& a : actions) acts.push_back("SQS:" + a);
    policy["Statement"].push_back({{"Sid", label},
                                   {"Effect", "Allow"},
                                   {"Principal", {{"AWS", principals.size() == 1 ? principals[0] : principals}}},
                                   {"Action", acts.size() == 1 ? acts[0] : acts},
                                   {"Resource", ArnOf(q)}});
    q.attributes["Policy"] = policy.dump();
    Tx tx(*this);
    PersistQueue(tx, q);
    tx.Finish();
    return SqsOk();
}

SqsStatus SqsEngine::RemovePermission(const std::string& name, const std::string& label) {
    auto r = Require(name);
    if (!r) return core::Fail(r.error());
    Queue& q = **r;
    if (label.empty()) return SqsFail(ErrorCode::kMissingParameter, "The request must contain the parameter Label.");
    Json policy = Json::object();
    if (auto it = q.attributes.find("Policy"); it != q.attributes.end()) policy = Json::parse(it->second);
    Json kept = Json::array();
    bool found = false;
    if (policy.contains("Statement") && policy["Statement"].is_array())
        for (const auto& st : policy["Statement"]) {
            if (st.value("Sid", "") == label) found = true;
            else kept.push_back(st);
        }
    if (!found)
        return SqsFail(ErrorCode::kInvalidParameterValue,
                       ParamInvalid(label, "Label", "can't find label on existing policy."));
    if (kept.empty()) {
        q.attributes.erase("Policy");
    } else {
        policy["Statement"] = kept;
        q.attributes["Policy"] = policy.dump();
    }
    Tx tx(*this);
    PersistQueue(tx, q);
    tx.Finish();
    return SqsOk();
}

// --- message bookkeeping ------------------------------------------------------------------------

void SqsEngine::MakePending(Queue& q, Message& m, std::int64_t visible_ms) {
    if (m.pending) q.pending.erase({m.visible_ms, m.seq});
    else if (!q.fifo) q.ready.erase(m.seq);
    m.pending = true;
    m.visible_ms = visible_ms;
    q.pending.emplace(visible_ms, m.seq);
}

void SqsEngine::Promote(Queue& q, std::int64_t now) {
    while (!q.pending.empty() && q.pending.begin()->first <= now) {
        std::uint64_t seq = q.pending.begin()->second;
        q.pending.erase(q.pending.begin());
        Message& m = q.messages.at(seq);
        m.pending = false;
        if (m.in_flight) {
            m.in_flight = false;
            if (q.fifo) q.groups[m.GroupId()].in_flight--;
        }
        if (!q.fifo) q.ready.insert(seq);
    }
}

void SqsEngine::ExpireDedup(Queue& q, std::int64_t now) {
    while (!q.dedup_order.empty() && q.dedup_order.front().first <= now) {
        auto it = q.dedup.find(q.dedup_order.front().second);
        if (it != q.dedup.end() && it->second.expires_ms <= now) q.dedup.erase(it);
        q.dedup_order.pop_front();
    }
}

void SqsEngine::Maintain(Tx& tx, Queue& q) {
    std::int64_t now = NowMs();
    // Retention: messages older than MessageRetentionPeriod are deleted (in send order).
    while (!q.messages.empty() && q.messages.begin()->second.sent_ms + q.retention_ms <= now)
        RemoveMessage(tx, q, q.messages.begin()->first);
    Promote(q, now);
    if (q.fifo && !q.dedup_order.empty() && q.dedup_order.front().first <= now) {
        ExpireDedup(q, now);
        tx.Db().Prepare("DELETE FROM sqs_dedup WHERE queue_id = ?1 AND expires_ms <= ?2").BindAll(q.id, now).Execute();
    }
}

void SqsEngine::RemoveMessage(Tx& tx, Queue& q, std::uint64_t seq) {
    auto it = q.messages.find(seq);
    if (it == q.messages.end()) return;
    Message& m = it->second;
    if (m.pending) q.pending.erase({m.visible_ms, seq});
    if (q.fifo) {
        auto g = q.groups.find(m.GroupId());
        if (g != q.groups.end()) {
            if (m.in_flight) g->second.in_flight--;
            g->second.seqs.erase(seq);
            if (g->second.seqs.empty()) q.groups.erase(g);
        }
    } else {
        q.ready.erase(seq);
    }
    q.messages.erase(it);
    tx.Db()
        .Prepare("DELETE FROM sqs_messages WHERE queue_id = ?1 AND seq = ?2")
        .BindAll(q.id, static_cast<std::int64_t>(seq))
        .Execute();
    tx.Touch(q.id);
}

void SqsEngine::PersistMessage(Tx& tx, const Queue& q, const Message& m) {
    std::optional<std::vector<std::byte>> extra;
    if (m.extra) {
        Json j = Json::object();
        const MessageExtra& x = *m.extra;
        if (!x.attributes.empty()) j["a"] = EncodeAttributes(x.attributes);
        if (!x.system_attributes.empty()) j["s"] = EncodeAttributes(x.system_attributes);
        if (!x.group_id.empty()) j["g"] = x.group_id;
        if (!x.dedup_id.empty()) j["d"] = x.dedup_id;
        if (!x.sender_id.empty()) j["i"] = x.sender_id;
        if (!x.dlq_source_arn.empty()) j["q"] = x.dlq_source_arn;
        auto bytes = Json::to_msgpack(j);
        extra.emplace(bytes.size());
        std::memcpy(extra->data(), bytes.data(), bytes.size());
    }
    tx.Db()
        .Prepare(
            "INSERT INTO sqs_messages (queue_id, seq, message_id, body, sent_ms, visible_ms, receive_count, "
            "first_receive_ms, nonce, in_flight, extra) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")
        .BindAll(q.id, static_cast<std::int64_t>(m.seq), m.message_id, store::AsBlob(m.body), m.sent_ms, m.visible_ms,
                 m.receive_count, m.first_receive_ms, static_cast<std::int64_t>(m.nonce), m.in_flight, extra)
        .Execute();
}

void SqsEngine::PersistVisibility(Tx& tx, const Queue& q, const Message& m) {
    tx.Db()
        .Prepare(
            "UPDATE sqs_messages SET visible_ms = ?3, receive_count = ?4, first_receive_ms = ?5, nonce = ?6, "
            "in_flight = ?7 WHERE queue_id = ?1 AND seq = ?2")
        .BindAll(q.id, static_cast<std::int64_t>(m.seq), m.visible_ms, m.receive_count, m.first_receive_ms,
                 static_cast<std::int64_t>(m.nonce), m.in_flight)
        .Execute();
}

void SqsEngine::InsertMessage(Tx& tx, Queue& q, std::unique_ptr<Message> owned) {
    std::uint64_t seq = owned->seq;
    std::int64_t visible = owned->visible_ms;
    auto& m = q.messages.emplace(seq, std::move(*owned)).first->second;
    if (q.fifo) q.groups[m.GroupId()].seqs.insert(seq);
    if (visible > NowMs()) {
        m.pending = true;
        q.pending.emplace(visible, seq);
    } else if (!q.fifo) {
        q.ready.insert(seq);
    }
    PersistMessage(tx, q, m);
    tx.Touch(q.id);
}

// --- send ---------------------------------------------------------------------------------------

SqsResult<SendResult> SqsEngine::ValidateSend(const Queue& q, const SendRequest& req) const {
    if (auto s = ValidateMessage(req, q.fifo, q.max_size, options_.limits); !s) return core::Fail(s.error());
    if (q.fifo) {
        if (!req.deduplication_id && !q.content_dedup)
            return SqsFail(ErrorCode::kInvalidParameterValue,
                           "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId "
                           "provided explicitly");
    }
    return SendResult{};
}

SendResult SqsEngine::DoSend(Tx& tx, Queue& q, const SendRequest& req) {
    std::int64_t now = NowMs();
    SendResult result;
    result.md5_of_body = Md5Hex(req.body);
    result.md5_of_message_attributes = AttributesMd5Hex(req.message_attributes);
    result.md5_of_message_system_attributes = AttributesMd5Hex(req.system_attributes);
    std::string dedup_key;
    std::string dedup_id;
    if (q.fifo) {
        ExpireDedup(q, now);
        dedup_id = req.deduplication_id ? *req.deduplication_id : Sha256Hex(req.body);
        dedup_key = q.dedup_by_group ? *req.group_id + '\n' + dedup_id : dedup_id;
        if (auto it = q.dedup.find(dedup_key); it != q.dedup.end()) {
            // A duplicate within the 5-minute window is accepted but not enqueued again.
            result.message_id = it->second.message_id;
            result.sequence_number = std::to_string(kSequenceBase + it->second.seq);
            return result;
        }
    }
    auto m = std::make_unique<Message>();
    m->seq = q.next_seq++;
    m->message_id = ids_.Uuid();
    m->body = req.body;
    m->sent_ms = now;
    m->sent_at = clock_.Now();
    int delay = req.delay_seconds.value_or(q.delay_s);
    if (q.fifo) delay = q.delay_s;
    m->visible_ms = now + static_cast<std::int64_t>(delay) * 1000;
    bool has_sender = !req.sender_id.empty() && req.sender_id != kDefaultSender;
    if (!req.message_attributes.empty() || !req.system_attributes.empty() || req.group_id || q.fifo || has_sender) {
        auto x = std::make_unique<MessageExtra>();
        x->attributes = req.message_attributes;
        x->system_attributes = req.system_attributes;
        if (req.group_id) x->group_id = *req.group_id;
        x->dedup_id = dedup_id;
        if (has_sender) x->sender_id = req.sender_id;
        m->extra = std::move(x);
    }
    result.message_id = m->message_id;
    std::uint64_t seq = m->seq;
    if (q.fifo) result.sequence_number = std::to_string(kSequenceBase + seq);
    InsertMessage(tx, q, std::move(m));
    if (q.fifo) {
        std::int64_t expires = now + kDedupWindowMs;
        q.dedup[dedup_key] = {result.message_id, seq, expires};
        q.dedup_order.emplace_back(expires, dedup_key);
        tx.Db()
            .Prepare(
                "INSERT INTO sqs_dedup (queue_id, key, message_id, seq, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5) "
                "ON CONFLICT (queue_id, key) DO UPDATE SET message_id = ?3, seq = ?4, expires_ms = ?5")
            .BindAll(q.id, dedup_key, result.message_id, static_cast<std::int64_t>(seq), expires)
            .Execute();
        tx.Db()
            .Prepare("UPDATE sqs_queues SET next_seq = ?2 WHERE id = ?1")
            .BindAll(q.id, static_cast<std::int64_t>(q.next_seq))
            .Execute();
    }
    return result;
}

SqsResult<SendResult> SqsEngine::SendMessage(const std::string& queue, const SendRequest& request) {
    auto r = Require(queue);
    if (!r) return core::Fail(r.error());
    Queue& q = **r;
    if (auto v = ValidateSend(q, request); !v) return v;
    Tx tx(*this);
    Maintain(tx, q);
    SendResult result = DoSend(tx, q, request);
    tx.Finish();
    return result;
}

SqsResult<BatchResult<SendResult>> SqsEngine::SendMessageBatch(
    const std::string& queue, const std::vector<std::pair<std::string, SendRequest>>& entries) {
    auto r = Require(queue);
    if (!r) return core::Fail(r.error());
    Queue& q = **r;
    std::vector<std::string> ids;
    std::uint64_t total = 0;
    for (const auto& [id, req] : entries) {
        ids.push_back(id);
        total += MessageSize(req);
    }
    if (auto s = ValidateBatchIds(ids, "SendMessageBatchRequestEntry", options_.limits); !s) return core::Fail(s.error());
    if (options_.limits.strict && total > q.max_size)
        return SqsFail(ErrorCode::kBatchRequestTooLong, "Batch requests cannot be longer than " +
                                                            std::to_string(q.max_size) + " bytes. You have sent " +
                                                            std::to_string(total) + " bytes.");
    BatchResult<SendResult> out;
    Tx tx(*this);
    Maintain(tx, q);
    for (const auto& [id, req] : entries) {
        if (auto v = ValidateSend(q, req); !v) {
            out.failed.push_back({id, v.error().code, v.error().message, true});
            continue;
        }
        out.successful.emplace_back(id, DoSend(tx, q, req));
    }
    tx.Finish();
    return out;
}

// --- receive ------------------------------------------------------------------------------------

std::string SqsEngine::MakeHandle(const Queue& q, const Message& m) const {
    return "AQEB" + Hex16(static_cast<std::uint64_t>(q.id)) + Hex16(m.seq) + Hex16(m.nonce);
}

std::optional<SqsEngine::HandleParts> SqsEngine::ParseHandle(const std::string& handle) const {
    if (handle.size() != 52 || !handle.starts_with("AQEB")) return std::nullopt;
    auto a = ParseHex16(std::string_view(handle).substr(4, 16));
    auto b = ParseHex16(std::string_view(handle).substr(20, 16));
    auto c = ParseHex16(std::string_view(handle).substr(36, 16));
    if (!a || !b || !c) return std::nullopt;
    return HandleParts{static_cast<std::int64_t>(*a), *b, *c};
}

ReceivedMessage SqsEngine::MakeReceived(const Queue& q, const Message& m, const ReceiveRequest& request) const {
    ReceivedMessage out;
    out.message_id = m.message_id;
    out.receipt_handle = MakeHandle(q, m);
    out.md5_of_body = Md5Hex(m.body);
    out.body = m.body;
    bool all = false;
    std::set<std::string_view> wanted;
    for (const auto& n : request.system_attribute_names) {
        if (n == "All") all = true;
        wanted.insert(n);
    }
    auto want = [&](std::string_view n) { return all || wanted.contains(n); };
    const MessageExtra* x = m.extra.get();
    if (want("SenderId")) out.attributes["SenderId"] = x && !x->sender_id.empty() ? x->sender_id : kDefaultSender;
    if (want("SentTimestamp")) out.attributes["SentTimestamp"] = std::to_string(m.sent_ms);
    if (want("ApproximateReceiveCount")) out.attributes["ApproximateReceiveCount"] = std::to_string(m.receive_count);
    if (want("ApproximateFirstReceiveTimestamp"))
        out.attributes["ApproximateFirstReceiveTimestamp"] = std::to_string(m.first_receive_ms);
    if (q.fifo && want("SequenceNumber")) out.attributes["SequenceNumber"] = std::to_string(kSequenceBase + m.seq);
    if (x) {
        if (q.fifo && want("MessageDeduplicationId")) out.attributes["MessageDeduplicationId"] = x->dedup_id;
        if (!x->group_id.empty() && want("MessageGroupId")) out.attributes["MessageGroupId"] = x->group_id;
        if (auto it = x->system_attributes.find("AWSTraceHeader");
            it != x->system_attributes.end() && want("AWSTraceHeader"))
            out.attributes["AWSTraceHeader"] = it->second.text;
        if (!x->dlq_source_arn.empty() && want("DeadLetterQueueSourceArn"))
            out.attributes["DeadLetterQueueSourceArn"] = x->dlq_source_arn;
        if (!x->attributes.empty()) {
            for (const auto& [name, value] : x->attributes) {
                bool take = false;
                for (const auto& pattern : request.message_attribute_names) {
                    if (pattern == "All" || pattern == ".*" || pattern == name ||
                        (pattern.size() > 2 && pattern.ends_with(".*") &&
                         name.starts_with(std::string_view(pattern).substr(0, pattern.size() - 1)))) {
                        take = true;
                        break;
                    }
                }
                if (take) out.message_attributes[name] = value;
            }
            out.md5_of_message_attributes = AttributesMd5Hex(out.message_attributes);
        }
    }
    return out;
}

std::string_view SqsEngine::TraceOf(const Message& m) {
    if (!m.extra) return {};
    if (auto it = m.extra->attributes.find("trace_id"); it != m.extra->attributes.end() && !it->second.is_binary)
        return it->second.text;
    if (auto it = m.extra->system_attributes.find("AWSTraceHeader"); it != m.extra->system_attributes.end())
        return it->second.text;
    return {};
}

std::vector<ReceivedMessage> SqsEngine::Collect(Tx& tx, Queue& q, const ReceiveRequest& request) {
    std::vector<ReceivedMessage> out;
    std::int64_t now = NowMs();
    int vt = request.visibility_timeout.value_or(q.visibility_s);
    Queue* dlq = q.dlq_name.empty() ? nullptr : Find(q.dlq_name);
    auto take = [&](Message& m) -> bool {
        // Redrive: a message received maxReceiveCount times moves to the dead-letter queue instead of
        // being delivered again (AWS "Using dead-letter queues").
        if (dlq && q.max_receive > 0 && m.receive_count >= static_cast<std::uint32_t>(q.max_receive)) {
            MoveToQueue(tx, q, m.seq, *dlq, true);
            return false;
        }
        m.receive_count++;
        if (m.first_receive_ms == 0) m.first_receive_ms = now;
        if (m.receive_count == 1 && receive_listener_) receive_listener_(q.name, TraceOf(m), m.sent_at, clock_.Now());
        m.nonce = ids_.random().NextU64() | 1;
        if (vt > 0) {
            MakePending(q, m, now + static_cast<std::int64_t>(vt) * 1000);
            m.in_flight = true;
            if (q.fifo) q.groups[m.GroupId()].in_flight++;
        } else {
            m.visible_ms = now;
        }
        PersistVisibility(tx, q, m);
        out.push_back(MakeReceived(q, m, request));
        return true;
    };
    auto max = static_cast<std::size_t>(request.max_messages);
    if (!q.fifo) {
        for (auto it = q.ready.begin(); it != q.ready.end() && out.size() < max;) {
            std::uint64_t seq = *it++;
            take(q.messages.at(seq));
        }
        return out;
    }
    // FIFO: oldest groups first; a group with a message in flight is blocked; within a group,
    // messages in order and only while they are visible.
    std::vector<std::pair<std::uint64_t, std::string>> heads;
    for (const auto& [g, group] : q.groups)
        if (group.in_flight == 0 && !group.seqs.empty()) heads.emplace_back(*group.seqs.begin(), g);
    std::sort(heads.begin(), heads.end());
    for (const auto& [head, g] : heads) {
        std::uint64_t after = 0;
        bool first = true;
        while (out.size() < max) {
            auto git = q.groups.find(g);
            if (git == q.groups.end()) break;
            auto& seqs = git->second.seqs;
            auto sit = first ? seqs.begin() : seqs.upper_bound(after);
            if (sit == seqs.end()) break;
            Message& m = q.messages.at(*sit);
            if (m.pending) break;  // delayed or in flight: the rest of the group waits
            after = *sit;
            first = false;
            take(m);
        }
    }
    return out;
}

void SqsEngine::ReceiveMessage(const std::string& queue, const ReceiveRequest& request, ReceiveCallback done) {
    auto r = Require(queue);
    if (!r) return done(core::Fail(r.error()));
    Queue& q = **r;
    if (request.max_messages < 1 || request.max_messages > 10)
        return done(SqsFail(ErrorCode::kInvalidParameterValue,
                            ParamInvalid(std::to_string(request.max_messages), "MaxNumberOfMessages",
                                         "Must be between 1 and 10, if provided.")));
    if (request.visibility_timeout && (*request.visibility_timeout < 0 || *request.visibility_timeout > kMaxVisibility))
        return done(SqsFail(ErrorCode::kInvalidParameterValue,
                            ParamInvalid(std::to_string(*request.visibility_timeout), "VisibilityTimeout",
                                         "Must be >= 0 and <= 43200, if provided.")));
    if (request.wait_seconds && (*request.wait_seconds < 0 || *request.wait_seconds > 20))
        return done(SqsFail(ErrorCode::kInvalidParameterValue,
                            ParamInvalid(std::to_string(*request.wait_seconds), "WaitTimeSeconds",
                                         "Must be >= 0 and <= 20, if provided.")));
    for (const auto& n : request.system_attribute_names)
        if (!kSystemNames.contains(n))
            return done(SqsFail(ErrorCode::kInvalidAttributeName, "Unknown Attribute " + n + "."));
    if (request.receive_request_attempt_id && !IsValidDedupId(*request.receive_request_attempt_id))
        return done(SqsFail(ErrorCode::kInvalidParameterValue,
                            ParamInvalid(*request.receive_request_attempt_id, "ReceiveRequestAttemptId",
                                         "ReceiveRequestAttemptId can only include alphanumeric and punctuation "
                                         "characters. 1 to 128 in length.")));
    Tx tx(*this);
    Maintain(tx, q);
    auto messages = Collect(tx, q, request);
    int wait = request.wait_seconds.value_or(q.wait_s);
    if (!messages.empty() || wait == 0) {
        tx.Finish();
        if (q.watched) ArmWake(q);  // received messages come back when their visibility ends
        return done(std::move(messages));
    }
    tx.Finish();
    // Long poll: a clock timer ends the wait; a message becoming available ends it earlier.
    Waiter w;
    w.id = next_waiter_id_++;
    w.request = request;
    w.done = std::move(done);
    std::int64_t queue_id = q.id;
    std::uint64_t waiter_id = w.id;
    w.timer = clock_.ScheduleAfter(std::chrono::seconds(wait), [this, queue_id, waiter_id] {
        Queue* wq = FindById(queue_id);
        if (!wq) return;
        for (auto it = wq->waiters.begin(); it != wq->waiters.end(); ++it) {
            if (it->id != waiter_id) continue;
            auto cb = std::move(it->done);
            wq->waiters.erase(it);
            ArmWake(*wq);
            cb(std::vector<ReceivedMessage>{});
            return;
        }
    });
    q.waiters.push_back(std::move(w));
    ArmWake(q);
}

void SqsEngine::ArmWake(Queue& q) {
    bool listening = q.watched && availability_listener_;
    if ((q.waiters.empty() && !listening) || q.pending.empty()) {
        if (q.wake_timer) clock_.Cancel(q.wake_timer);
        q.wake_timer = 0;
        return;
    }
    std::int64_t at = q.pending.begin()->first;
    if (q.wake_timer && q.wake_at <= at) return;
    if (q.wake_timer) clock_.Cancel(q.wake_timer);
    q.wake_at = at;
    std::int64_t queue_id = q.id;
    q.wake_timer = clock_.Schedule(core::FromEpochMillis(at), [this, queue_id] {
        Queue* wq = FindById(queue_id);
        if (!wq) return;
        wq->wake_timer = 0;
        ServeWaiters(queue_id);
    });
}

void SqsEngine::ServeWaiters(std::int64_t queue_id) {
    Queue* q = FindById(queue_id);
    if (!q) return;
    if (q->watched && availability_listener_) {
        // Tell in-process consumers (they receive on a later loop turn); long polls are served below.
        Promote(*q, NowMs());  // due messages become ready, so the wake timer moves on
        if (q->waiters.empty()) ArmWake(*q);
        availability_listener_(q->name);
        q = FindById(queue_id);
        if (!q) return;
    }
    if (q->waiters.empty()) return;
    std::vector<std::pair<ReceiveCallback, std::vector<ReceivedMessage>>> answers;
    Tx tx(*this);
    Maintain(tx, *q);
    while (!q->waiters.empty()) {
        auto msgs = Collect(tx, *q, q->waiters.front().request);
        if (msgs.empty()) break;
        Waiter& w = q->waiters.front();
        clock_.Cancel(w.timer);
        answers.emplace_back(std::move(w.done), std::move(msgs));
        q->waiters.pop_front();
    }
    tx.Finish();
    ArmWake(*q);
    for (auto& [cb, msgs] : answers) cb(std::move(msgs));
}

void SqsEngine::SetAvailabilityListener(std::function<void(const std::string& queue)> listener) {
    availability_listener_ = std::move(listener);
}

SqsStatus SqsEngine::WatchQueue(const std::string& name, bool watched) {
    auto q = Require(name);
    if (!q) return SqsFail(q.error().code, q.error().message);
    (*q)->watched = watched;
    ArmWake(**q);
    return SqsOk();
}

std::size_t SqsEngine::WaitingReceives() const {
    std::size_t n = 0;
    for (const auto& [name, q] : queues_) n += q->waiters.size();
    return n;
}

// --- delete and visibility ----------------------------------------------------------------------

SqsStatus SqsEngine::DeleteOne(Tx& tx, Queue& q, const std::string& handle) {
    auto parts = ParseHandle(handle);
    if (!parts || parts->queue_id != q.id)
        return SqsFail(ErrorCode::kReceiptHandleIsInvalid,
                       "The input receipt handle \"" + handle + "\" is not a valid receipt handle.");
    auto it = q.messages.find(parts->seq);
    if (it == q.messages.end()) return SqsOk();  // already deleted: AWS answers success
    if (it->second.nonce != parts->nonce && q.fifo)
        return SqsFail(ErrorCode::kInvalidParameterValue,
                       ParamInvalid(handle, "ReceiptHandle", "The receipt handle has expired."));
    RemoveMessage(tx, q, parts->seq);
    return SqsOk();
}

SqsStatus SqsEngine::DeleteMessage(const std::string& queue, const std::string& receipt_handle) {
    auto r = Require(queue);
    if (!r) return core::Fail(r.error());
    if (receipt_handle.empty())
        return SqsFail(ErrorCode::kMissingParameter, "The request must contain the parameter ReceiptHandle.");
    Tx tx(*this);
    auto s = DeleteOne(tx, **r, receipt_handle);
    if (!s) return s;
    tx.Finish();
    return s;
}

SqsResult<BatchResult<core::Unit>> SqsEngine::DeleteMessageBatch(
    const std::string& queue, const std::vector<std::pair<std::string, std::string>>& entries) {
    auto r = Require(queue);
    if (!r) return core::Fail(r.error());
    std::vector<std::string> ids;
    for (const auto& e : entries) ids.push_back(e.first);
    if (auto s = ValidateBatchIds(ids, "DeleteMessageBatchRequestEntry", options_.limits); !s)
        return core::Fail(s.error());
    BatchResult<core::Unit> out;
    Tx tx(*this);
    for (const auto& [id, handle] : entries) {
        auto s = DeleteOne(tx, **r, handle);
        if (s) out.successful.emplace_back(id, core::Unit{});
        else out.failed.push_back({id, s.error().code, s.error().message, true});
    }
    tx.Finish();
    return out;
}

SqsStatus SqsEngine::ChangeOne(Tx& tx, Queue& q, const std::string& handle, int timeout, bool apply) {
    if (timeout < 0 || timeout > kMaxVisibility)
        return SqsFail(ErrorCode::kInvalidParameterValue,
                       ParamInvalid(std::to_string(timeout), "VisibilityTimeout",
                                    "VisibilityTimeout must be an integer between 0 and 43200"));
    auto parts = ParseHandle(handle);
    if (!parts || parts->queue_id != q.id)
        return SqsFail(ErrorCode::kReceiptHandleIsInvalid,
                       "The input receipt handle \"" + handle + "\" is not a valid receipt handle.");
    auto it = q.messages.find(parts->seq);
    if (it == q.messages.end() || it->second.nonce != parts->nonce)
        return SqsFail(ErrorCode::kInvalidParameterValue,
                       ParamInvalid(handle, "ReceiptHandle", "The receipt handle has expired."));
    Message& m = it->second;
    std::int64_t now = NowMs();
    if (!m.in_flight || m.visible_ms <= now)
        return SqsFail(ErrorCode::kMessageNotInflight,
                       "Message does not exist or is not available for visibility timeout change.");
    if (!apply) return SqsOk();
    if (timeout == 0) {
        q.pending.erase({m.visible_ms, m.seq});
        m.pending = false;
        m.in_flight = false;
        m.visible_ms = now;
        if (q.fifo) q.groups[m.GroupId()].in_flight--;
        else q.ready.insert(m.seq);
    } else {
        MakePending(q, m, now + static_cast<std::int64_t>(timeout) * 1000);
    }
    PersistVisibility(tx, q, m);
    tx.Touch(q.id);
    return SqsOk();
}

SqsStatus SqsEngine::ChangeMessageVisibility(const std::string& queue, const std::string& receipt_handle, int timeout) {
    auto r = Require(queue);
    if (!r) return core::Fail(r.error());
    if (receipt_handle.empty())
        return SqsFail(ErrorCode::kMissingParameter, "The request must contain the parameter ReceiptHandle.");
    Tx tx(*this);
    Promote(**r, NowMs());
    auto s = ChangeOne(tx, **r, receipt_handle, timeout, true);
    if (!s) return s;
    tx.Finish();
    ArmWake(**r);
    return s;
}

SqsResult<BatchResult<core::Unit>> SqsEngine::ChangeMessageVisibilityBatch(const std::string& queue,
                                                                          const std::vector<VisibilityChange>& entries) {
    auto r = Require(queue);
    if (!r) return core::Fail(r.error());
    std::vector<std::string> ids;
    for (const auto& e : entries) ids.push_back(e.id);
    if (auto s = ValidateBatchIds(ids, "ChangeMessageVisibilityBatchRequestEntry", options_.limits); !s)
        return core::Fail(s.error());
    BatchResult<core::Unit> out;
    Tx tx(*this);
    Promote(**r, NowMs());
    for (const auto& e : entries) {
        auto s = ChangeOne(tx, **r, e.receipt_handle, e.visibility_timeout, true);
        if (s) out.successful.emplace_back(e.id, core::Unit{});
        else out.failed.push_back({e.id, s.error().code, s.error().message, true});
    }
    tx.Finish();
    ArmWake(**r);
    return out;
}

// --- dead-letter moves --------------------------------------------------------------------------

void SqsEngine::MoveToQueue(Tx& tx, Queue& from, std::uint64_t seq, Queue& to, bool record_source) {
    auto it = from.messages.find(seq);
    if (it == from.messages.end()) return;
    auto m = std::make_unique<Message>();
    Message& src = it->second;
    m->message_id = src.message_id;
    m->body = std::move(src.body);
    m->sent_ms = src.sent_ms;
    m->sent_at = src.sent_at;
    m->receive_count = src.receive_count;
    m->first_receive_ms = src.first_receive_ms;
    m->extra = std::move(src.extra);
    if (record_source) {
        if (!m->extra) m->extra = std::make_unique<MessageExtra>();
        m->extra->dlq_source_arn = ArnOf(from);
    }
    // Put the group back on `src` so RemoveMessage finds the group bookkeeping.
    if (from.fifo && m->extra) {
        src.extra = std::make_unique<MessageExtra>();
        src.extra->group_id = m->extra->group_id;
    }
    RemoveMessage(tx, from, seq);
    m->seq = to.next_seq++;
    m->visible_ms = NowMs();
    InsertMessage(tx, to, std::move(m));
}

SqsResult<std::string> SqsEngine::StartMessageMoveTask(const std::string& source_arn,
                                                       const std::optional<std::string>& destination_arn,
                                                       std::optional<int> max_per_second) {
    auto source_name = NameFromArn(source_arn);
    Queue* source = source_name ? Find(*source_name) : nullptr;
    if (!source)
        return SqsFail(ErrorCode::kResourceNotFound,
                       "The resource that you specified for the SourceArn parameter doesn't exist.");
    bool is_dlq = false;
    for (const auto& [n, q] : queues_) is_dlq |= q->dlq_name == source->name;
    if (!is_dlq)
        return SqsFail(ErrorCode::kInvalidParameterValue, "Source queue must be configured as a Dead Letter Queue.");
    if (destination_arn) {
        auto dest_name = NameFromArn(*destination_arn);
        Queue* dest = dest_name ? Find(*dest_name) : nullptr;
        if (!dest)
            return SqsFail(ErrorCode::kResourceNotFound,
                           "The resource that you specified for the DestinationArn parameter doesn't exist.");
        if (dest->fifo != source->fifo)
            return SqsFail(ErrorCode::kInvalidParameterValue,
                           "The source queue and destination queue must be of the same queue type.");
    }
    if (max_per_second && (*max_per_second < 1 || *max_per_second > 500))
        return SqsFail(ErrorCode::kInvalidParameterValue,
                       ParamInvalid(std::to_string(*max_per_second), "MaxNumberOfMessagesPerSecond",
                                    "Must be between 1 and 500."));
    for (const auto& t : move_tasks_)
        if (t->info.source_arn == source_arn && t->info.status == "RUNNING")
            return SqsFail(ErrorCode::kUnsupportedOperation,
                           "There is already a task running. Only one active task is allowed for a source queue arn "
                           "at a given time.");
    Tx tx(*this);
    Maintain(tx, *source);
    tx.Finish();
    auto task = std::make_unique<MoveTask>();
    task->task_id = ids_.Uuid();
    task->info.task_handle = task->task_id;
    task->info.status = "RUNNING";
    task->info.source_arn = source_arn;
    task->info.destination_arn = destination_arn.value_or("");
    task->info.max_per_second = max_per_second;
    task->info.started_ms = NowMs();
    std::int64_t available = 0;
    for (const auto& [seq, m] : source->messages) available += m.pending ? 0 : 1;
    task->info.to_move = available;
    move_tasks_.push_back(std::move(task));
    std::string handle = move_tasks_.back()->task_id;
    RunMoveTask(move_tasks_.size() - 1);
    return handle;
}

void SqsEngine::RunMoveTask(std::size_t index) {
    MoveTask& t = *move_tasks_[index];
    t.timer = 0;
    if (t.info.status != "RUNNING") return;
    auto source_name = NameFromArn(t.info.source_arn);
    Queue* source = source_name ? Find(*source_name) : nullptr;
    if (!source) {
        t.info.status = "FAILED";
        t.info.failure_reason = "AWS.SimpleQueueService.NonExistentQueue";
        return;
    }
    int budget = t.info.max_per_second.value_or(500);
    Tx tx(*this);
    Maintain(tx, *source);
    while (budget > 0 && t.info.moved < t.info.to_move) {
        Message* next = nullptr;
        for (auto& [seq, m] : source->messages)
            if (!m.pending) {
                next = &m;
                break;
            }
        if (!next) break;
        std::string dest_arn = t.info.destination_arn;
        if (dest_arn.empty() && next->extra) dest_arn = next->extra->dlq_source_arn;
        auto dest_name = NameFromArn(dest_arn);
        Queue* dest = dest_name ? Find(*dest_name) : nullptr;
        if (!dest) {
            t.info.status = "FAILED";
            t.info.failure_reason = "AWS.SimpleQueueService.NonExistentQueue";
            break;
        }
        MoveToQueue(tx, *source, next->seq, *dest, false);
        --budget;
        ++t.info.moved;
    }
    tx.Finish();
    if (t.info.status != "RUNNING") return;
    bool any_left = false;
    for (const auto& [seq, m] : source->messages) any_left |= !m.pending;
    if (t.info.moved >= t.info.to_move || !any_left) {
        t.info.status = "COMPLETED";
        return;
    }
    t.timer = clock_.ScheduleAfter(std::chrono::seconds(1), [this, index] { RunMoveTask(index); });
}

SqsResult<std::int64_t> SqsEngine::CancelMessageMoveTask(const std::string& task_handle) {
    for (auto& t : move_tasks_) {
        if (t->task_id != task_handle) continue;
        if (t->info.status != "RUNNING")
            return SqsFail(ErrorCode::kUnsupportedOperation, "Only active tasks can be cancelled.");
        if (t->timer) clock_.Cancel(t->timer);
        t->timer = 0;
        t->info.status = "CANCELLED";
        return t->info.moved;
    }
    return SqsFail(ErrorCode::kResourceNotFound, "Task does not exist.");
}

SqsResult<std::vector<MoveTaskInfo>> SqsEngine::ListMessageMoveTasks(const std::string& source_arn,
                                                                     std::optional<int> max_results) {
    auto name = NameFromArn(source_arn);
    if (!name || !Find(*name))
        return SqsFail(ErrorCode::kResourceNotFound,
                       "The resource that you specified for the SourceArn parameter doesn't exist.");
    if (max_results && (*max_results < 1 || *max_results > 10))
        return SqsFail(ErrorCode::kInvalidParameterValue,
                       ParamInvalid(std::to_string(*max_results), "MaxResults", "Must be between 1 and 10."));
    std::vector<MoveTaskInfo> out;
    std::size_t limit = static_cast<std::size_t>(max_results.value_or(1));
    for (auto it = move_tasks_.rbegin(); it != move_tasks_.rend() && out.size() < limit; ++it) {
        if ((*it)->info.source_arn != source_arn) continue;
        MoveTaskInfo info = (*it)->info;
        if (info.status != "RUNNING") info.task_handle.clear();
        out.push_back(std::move(info));
    }
    return out;
}

// --- inspection and reset -----------------------------------------------------------------------

SqsResult<std::vector<InspectedMessage>> SqsEngine::InspectMessages(const std::string& queue) {
    auto r = Require(queue);
    if (!r) return core::Fail(r.error());
    Queue& q = **r;
    Tx tx(*this);
    Maintain(tx, q);
    tx.Finish();
    ReceiveRequest all;
    all.system_attribute_names = {"All"};
    all.message_attribute_names = {"All"};
    std::vector<InspectedMessage> out;
    for (const auto& [seq, m] : q.messages) {
        ReceivedMessage view = MakeReceived(q, m, all);
        InspectedMessage im;
        im.message_id = m.message_id;
        im.body = m.body;
        im.attributes = std::move(view.attributes);
        im.message_attributes = std::move(view.message_attributes);
        im.md5_of_body = std::move(view.md5_of_body);
        im.state = m.in_flight ? "inflight" : (m.pending ? "delayed" : "available");
        out.push_back(std::move(im));
    }
    return out;
}

void SqsEngine::Reset() {
    for (auto& [name, q] : queues_) FinishWaiters(*q);
    for (auto& t : move_tasks_)
        if (t->timer) clock_.Cancel(t->timer);
    move_tasks_.clear();
    queues_.clear();
    by_id_.clear();
    Tx tx(*this);
    auto& db = tx.Db();
    db.Exec("DELETE FROM sqs_messages; DELETE FROM sqs_dedup; DELETE FROM sqs_queues;");
    tx.Finish();
}

}  // namespace sim::aws::sqs
