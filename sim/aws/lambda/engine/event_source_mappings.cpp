#include "sim/aws/lambda/engine/event_source_mappings.hpp"

#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

#include "sim/store/migrations.hpp"

namespace sim::aws::lambda {

namespace {
constexpr int kDefaultConcurrency = 1000;
core::Failure<EsmError> Err(EsmErrorCode code, std::string message) { return core::Fail(EsmError{code, std::move(message)}); }

const store::Migration kMigrations[] = {
    {1, "CREATE TABLE lambda_event_source_mappings (uuid TEXT PRIMARY KEY, mapping TEXT NOT NULL)"},
};

std::int64_t StoredTime(core::TimePoint t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
}  // namespace

struct EventSourceMappings::Mapping {
    MappingInfo info;
    int in_flight = 0;
    bool receiving = false;
    bool wake_posted = false;
    bool deleted = false;
    std::vector<QueueSource::Message> buffer;  // gathered while a batching window is open
    clock::TimerId window_timer = 0;
};

EventSourceMappings::EventSourceMappings(core::EventLoop& loop, clock::Clock& clock, FunctionRegistry& functions,
                                         QueueSource& queues, std::string region, std::string account_id,
                                         std::uint64_t seed)
    : loop_(loop),
      clock_(clock),
      functions_(functions),
      queues_(queues),
      region_(std::move(region)),
      account_id_(std::move(account_id)),
      ids_(seed) {}

EventSourceMappings::EventSourceMappings(core::EventLoop& loop, clock::Clock& clock, FunctionRegistry& functions,
                                         QueueSource& queues, store::Database& db, store::GroupCommit& group,
                                         std::string region, std::string account_id, std::uint64_t seed)
    : EventSourceMappings(loop, clock, functions, queues, std::move(region), std::move(account_id), seed) {
    db_ = &db;
    group_ = &group;
    store::Migrate(db, "lambda", kMigrations);
    Load();
}

EventSourceMappings::~EventSourceMappings() {
    for (auto& [uuid, m] : mappings_) {
        m->deleted = true;
        if (m->window_timer) clock_.Cancel(m->window_timer);
        queues_.Unwatch(m->info.event_source_arn, uuid);
    }
}

void EventSourceMappings::Reset() {
    if (db_) {
        auto scope = group_->BeginWrite(*db_);
        db_->Prepare("DELETE FROM lambda_event_source_mappings").Execute();
        scope.Commit();
    }
    for (auto& [uuid, m] : mappings_) {
        m->deleted = true;
        if (m->window_timer) clock_.Cancel(m->window_timer);
        queues_.Unwatch(m->info.event_source_arn, uuid);
    }
    mappings_.clear();
}

void EventSourceMappings::Load() {
    auto& select = db_->Prepare("SELECT uuid, mapping FROM lambda_event_source_mappings");
    while (select.Step()) {
        auto j = Json::parse(select.Text(1));
        auto m = std::make_shared<Mapping>();
        MappingInfo& i = m->info;
        i.uuid = select.Text(0);
        i.event_source_arn = j.at("source").get<std::string>();
        i.function_name = j.at("function").get<std::string>();
        i.function_arn = FunctionArn(i.function_name);
        i.batch_size = j.at("batch_size").get<int>();
        i.maximum_batching_window_seconds = j.at("window").get<int>();
        i.enabled = j.at("enabled").get<bool>();
        i.report_batch_item_failures = j.at("report_failures").get<bool>();
        i.maximum_concurrency = j.at("concurrency").get<int>();
        i.state = i.enabled ? "Enabled" : "Disabled";
        i.last_modified = core::TimePoint(std::chrono::duration_cast<core::TimePoint::duration>(
            std::chrono::nanoseconds(j.at("modified").get<std::int64_t>())));
        mappings_[i.uuid] = std::move(m);
    }
    select.Reset();
    for (auto& [uuid, m] : mappings_) Start(uuid);
    if (!mappings_.empty()) spdlog::info("[lambda] loaded {} event source mappings", mappings_.size());
}

void EventSourceMappings::Save(const MappingInfo& i) {
    if (!db_) return;
    Json j = {{"source", i.event_source_arn},
              {"function", i.function_name},
              {"batch_size", i.batch_size},
              {"window", i.maximum_batching_window_seconds},
              {"enabled", i.enabled},
              {"report_failures", i.report_batch_item_failures},
              {"concurrency", i.maximum_concurrency},
              {"modified", StoredTime(i.last_modified)}};
    auto scope = group_->BeginWrite(*db_);
    db_->Prepare("INSERT OR REPLACE INTO lambda_event_source_mappings (uuid, mapping) VALUES (?1, ?2)")
        .BindAll(i.uuid, j.dump())
        .Execute();
    scope.Commit();
}

void EventSourceMappings::Erase(const std::string& uuid) {
    if (!db_) return;
    auto scope = group_->BeginWrite(*db_);
    db_->Prepare("DELETE FROM lambda_event_source_mappings WHERE uuid = ?1").BindAll(uuid).Execute();
    scope.Commit();
}

void EventSourceMappings::Start(const std::string& uuid) {
    const std::string& source = mappings_.at(uuid)->info.event_source_arn;
    queues_.Watch(source, uuid, [this, uuid] { Wake(uuid); });
    Wake(uuid);  // messages already waiting are delivered at once (on the loop)
}

std::string EventSourceMappings::FunctionArn(const std::string& name) const {
    return "arn:aws:lambda:" + region_ + ":" + account_id_ + ":function:" + name;
}

EsmResult<core::Unit> EventSourceMappings::Validate(const MappingInfo& i) const {
    if (i.batch_size < 1 || i.batch_size > 10000)
        return Err(EsmErrorCode::kInvalidParameterValue, "BatchSize must be between 1 and 10000 for SQS.");
    if (i.maximum_batching_window_seconds < 0 || i.maximum_batching_window_seconds > 300)
        return Err(EsmErrorCode::kInvalidParameterValue, "MaximumBatchingWindowInSeconds must be between 0 and 300.");
    if (i.batch_size > 10 && i.maximum_batching_window_seconds == 0)
        return Err(EsmErrorCode::kInvalidParameterValue,
                   "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10");
    if (i.maximum_concurrency != 0 && (i.maximum_concurrency < 2 || i.maximum_concurrency > 1000))
        return Err(EsmErrorCode::kInvalidParameterValue, "ScalingConfig.MaximumConcurrency must be between 2 and 1000.");
    return core::Unit{};
}

EsmResult<MappingInfo> EventSourceMappings::Create(const std::string& source, const MappingConfig& c) {
    if (source.rfind("arn:aws:sqs:", 0) != 0)
        return Err(EsmErrorCode::kInvalidParameterValue, "Unsupported event source " + source + ": only SQS queues are supported.");
    if (!queues_.Exists(source))
        return Err(EsmErrorCode::kInvalidParameterValue,
                   "Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. "
                   "SQS Error Message: The specified queue does not exist.");
    std::string name = functions_.NameOf(c.function_name.value_or(""));
    if (name.empty())
        return Err(EsmErrorCode::kResourceNotFound, "Function not found: " + c.function_name.value_or(""));
    for (const auto& [uuid, m] : mappings_)
        if (m->info.event_source_arn == source && m->info.function_name == name)
            return Err(EsmErrorCode::kResourceConflict, "An event source mapping with SQS arn (\" " + source +
                                                            " \") and function (\" " + name + " \") already exists. "
                                                            "Please update or delete the existing mapping with UUID " + uuid);
    auto m = std::make_shared<Mapping>();
    MappingInfo& i = m->info;
    // The same seed gives the same UUIDs after a restart: skip those already taken.
    do i.uuid = ids_.Uuid();
    while (mappings_.count(i.uuid));
    i.event_source_arn = source;
    i.function_name = name;
    i.function_arn = FunctionArn(name);
    i.batch_size = c.batch_size.value_or(10);
    i.maximum_batching_window_seconds = c.maximum_batching_window_seconds.value_or(0);
    i.enabled = c.enabled.value_or(true);
    i.report_batch_item_failures = c.report_batch_item_failures.value_or(false);
    i.maximum_concurrency = c.maximum_concurrency.value_or(0);
    i.state = i.enabled ? "Enabled" : "Disabled";
    i.last_modified = clock_.Now();
    if (auto v = Validate(i); !v) return core::Fail(v.error());
    Save(i);
    mappings_[i.uuid] = m;
    Start(i.uuid);
    return i;
}

EsmResult<MappingInfo> EventSourceMappings::Get(const std::string& uuid) const {
    auto it = mappings_.find(uuid);
    if (it == mappings_.end()) return Err(EsmErrorCode::kResourceNotFound, "The resource you requested does not exist.");
    return it->second->info;
}

std::vector<MappingInfo> EventSourceMappings::List(const std::string& source, const std::string& function) const {
    return List(source, function, "", mappings_.size()).items;
}

core::Page<MappingInfo> EventSourceMappings::List(const std::string& source, const std::string& function,
                                                  const std::string& after, std::size_t limit) const {
    std::string name = function.empty() ? "" : functions_.NameOf(function);
    return core::PageOf<MappingInfo>(
        mappings_, after, limit,
        [&](const auto& m) {
            return (source.empty() || m->info.event_source_arn == source) &&
                   (function.empty() || m->info.function_name == name);
        },
        [](const auto& m) { return m->info; });
}

EsmResult<MappingInfo> EventSourceMappings::Update(const std::string& uuid, const MappingConfig& c) {
    auto it = mappings_.find(uuid);
    if (it == mappings_.end()) return Err(EsmErrorCode::kResourceNotFound, "The resource you requested does not exist.");
    MappingInfo next = it->second->info;
    if (c.function_name) {
        std::string name = functions_.NameOf(*c.function_name);
        if (name.empty()) return Err(EsmErrorCode::kResourceNotFound, "Function not found: " + *c.function_name);
        next.function_name = name;
        next.function_arn = FunctionArn(name);
    }
    if (c.batch_size) next.batch_size = *c.batch_size;
    if (c.maximum_batching_window_seconds) next.maximum_batching_window_seconds = *c.maximum_batching_window_seconds;
    if (c.enabled) next.enabled = *c.enabled;
    if (c.report_batch_item_failures) next.report_batch_item_failures = *c.report_batch_item_failures;
    if (c.maximum_concurrency) next.maximum_concurrency = *c.maximum_concurrency;
    if (auto v = Validate(next); !v) return core::Fail(v.error());
    next.state = next.enabled ? "Enabled" : "Disabled";
    next.last_modified = clock_.Now();
    Save(next);
    it->second->info = next;
    Wake(uuid);
    return next;
}

EsmResult<MappingInfo> EventSourceMappings::Delete(const std::string& uuid) {
    auto it = mappings_.find(uuid);
    if (it == mappings_.end()) return Err(EsmErrorCode::kResourceNotFound, "The resource you requested does not exist.");
    Erase(uuid);
    auto m = it->second;
    m->deleted = true;
    if (m->window_timer) clock_.Cancel(m->window_timer);
    queues_.Unwatch(m->info.event_source_arn, uuid);
    mappings_.erase(it);
    MappingInfo out = m->info;
    out.state = "Deleting";
    return out;
}

void EventSourceMappings::Wake(const std::string& uuid) {
    auto it = mappings_.find(uuid);
    if (it == mappings_.end() || it->second->wake_posted) return;
    it->second->wake_posted = true;
    std::weak_ptr<Mapping> weak = it->second;
    loop_.Post([this, weak] {
        auto m = weak.lock();
        if (!m || m->deleted) return;
        m->wake_posted = false;
        Pump(*m);
    });
}

void EventSourceMappings::Pump(Mapping& m) {
    // Receive until the batch is full or the queue has nothing receivable, then invoke (or wait
    // out the batching window); repeat while concurrency allows.
    while (!m.deleted && m.info.enabled && !m.receiving) {
        int limit = m.info.maximum_concurrency ? m.info.maximum_concurrency : kDefaultConcurrency;
        if (m.in_flight >= limit) return;
        int want = m.info.batch_size - static_cast<int>(m.buffer.size());
        bool empty = false;
        m.receiving = true;
        std::vector<QueueSource::Message> got;
        bool answered = false;
        queues_.Receive(m.info.event_source_arn, std::min(want, 10), [&](std::vector<QueueSource::Message> msgs) {
            got = std::move(msgs);
            answered = true;
        });
        m.receiving = false;
        if (!answered) return;  // sources answer synchronously; anything else is retried on the next wake
        empty = got.empty();
        for (auto& g : got) m.buffer.push_back(std::move(g));
        if (m.buffer.empty()) return;
        bool full = static_cast<int>(m.buffer.size()) >= m.info.batch_size;
        if (!full && !empty) continue;  // more may be there: keep filling the batch
        if (!full && m.info.maximum_batching_window_seconds > 0) {
            if (!m.window_timer) {
                std::string uuid = m.info.uuid;
                m.window_timer = clock_.ScheduleAfter(std::chrono::seconds(m.info.maximum_batching_window_seconds), [this, uuid] {
                    auto it = mappings_.find(uuid);
                    if (it == mappings_.end()) return;
                    Mapping& mm = *it->second;
                    mm.window_timer = 0;
                    if (!mm.buffer.empty()) Invoke(mm, std::exchange(mm.buffer, {}));
                    Pump(mm);
                });
            }
            return;
        }
        if (m.window_timer) clock_.Cancel(m.window_timer);
        m.window_timer = 0;
        Invoke(m, std::exchange(m.buffer, {}));
        if (empty) return;
    }
}

void EventSourceMappings::Invoke(Mapping& m, std::vector<QueueSource::Message> batch) {
    Json records = Json::array();
    for (const auto& msg : batch) {
        Json attributes = Json::object();
        for (const auto& [k, v] : msg.attributes) attributes[k] = v;
        records.push_back(Json{{"messageId", msg.message_id},
                               {"receiptHandle", msg.receipt_handle},
                               {"body", msg.body},
                               {"attributes", attributes},
                               {"messageAttributes", msg.message_attributes},
                               {"md5OfBody", msg.md5_of_body},
                               {"eventSource", "aws:sqs"},
                               {"eventSourceARN", m.info.event_source_arn},
                               {"awsRegion", region_}});
    }
    ++m.in_flight;
    ++stats_.batches;
    stats_.records += batch.size();
    std::string uuid = m.info.uuid;
    auto shared = mappings_.at(uuid);
    functions_.Invoke(m.info.function_name, Json{{"Records", records}},
                      [this, shared, batch = std::move(batch)](FunctionOutcome outcome) {
                          Mapping& mm = *shared;
                          --mm.in_flight;
                          std::vector<std::string> handles;
                          if (outcome) {
                              std::set<std::string> failed;
                              bool valid = true;
                              const Json& r = outcome.value();
                              if (mm.info.report_batch_item_failures && r.is_object() && r.contains("batchItemFailures")) {
                                  // An identifier that is missing, empty or not in the batch fails the whole batch.
                                  if (!r["batchItemFailures"].is_array()) valid = false;
                                  else
                                      for (const auto& f : r["batchItemFailures"]) {
                                          std::string id = f.is_object() && f.contains("itemIdentifier") && f["itemIdentifier"].is_string()
                                                               ? f["itemIdentifier"].get<std::string>() : "";
                                          bool known = std::any_of(batch.begin(), batch.end(),
                                                                   [&](const auto& b) { return b.message_id == id; });
                                          if (!known) valid = false;
                                          failed.insert(id);
                                      }
                              }
                              if (valid)
                                  for (const auto& b : batch)
                                      if (!failed.count(b.message_id)) handles.push_back(b.receipt_handle);
                              if (!valid || !failed.empty()) ++stats_.failed_batches;
                              mm.info.last_processing_result = "OK";
                          } else {
                              ++stats_.failed_batches;
                              mm.info.last_processing_result = "PROBLEM: Function call failed";
                          }
                          if (!handles.empty() && !mm.deleted) queues_.Delete(mm.info.event_source_arn, handles);
                          if (!mm.deleted) Wake(mm.info.uuid);
                      });
}

void RegisterDiagnosticFunctions(FunctionRegistry& registry) {
    registry.Register("cardsim-echo", [](const Json& event, FunctionCallback done) { done(event); });
    registry.Register("cardsim-fail", [](const Json&, FunctionCallback done) {
        done(core::Fail(FunctionError{"CardsimTestError", "cardsim-fail always fails"}));
    });
    auto count = std::make_shared<std::uint64_t>(0);
    registry.Register("cardsim-record", [count](const Json&, FunctionCallback done) {
        done(Json{{"recorded", ++*count}});
    });
    registry.Register("cardsim-partial", [](const Json& event, FunctionCallback done) {
        Json failures = Json::array();
        if (event.contains("Records") && event["Records"].is_array())
            for (const auto& r : event["Records"])
                if (r.value("body", std::string()).find("fail") != std::string::npos)
                    failures.push_back({{"itemIdentifier", r.value("messageId", std::string())}});
        done(Json{{"batchItemFailures", failures}});
    });
}

}  // namespace sim::aws::lambda
