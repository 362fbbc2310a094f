#pragma once
// SQS event source mappings: a mapping feeds a queue's messages to a registered function in
// batches (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html). Delivery is driven by the
// queue's "messages available" notification, not by polling: a message sent is handed to the
// function on the same loop turn's follow-up, and everything happens in virtual time.
//
// Semantics reproduced: BatchSize (1-10000; more than 10 needs a batching window, as AWS);
// MaximumBatchingWindowInSeconds (a partial batch waits up to the window for more messages);
// FunctionResponseTypes ["ReportBatchItemFailures"] (only the listed itemIdentifiers stay on the
// queue; an invalid response fails the whole batch); ScalingConfig.MaximumConcurrency (2-1000,
// batches in flight at once; default 1000 here); Enabled. A successful batch is deleted; a failed
// one is left to return after its visibility timeout, and the queue's redrive policy moves it to
// the dead-letter queue after maxReceiveCount.
//
// Durability: with a database, every mapping is a row of `lambda_event_source_mappings` (module
// "lambda"), written under the runtime's GroupCommit on Create/Update/Delete; at start the
// mappings are loaded and resume consuming their queues. The function a mapping names need not be
// registered at load (functions are code, registered by the composition root after the engines are
// built): consuming starts on the loop, once everything is wired, and a batch for a name that is
// still unknown fails like any failed invocation (its messages return after their visibility
// timeout). LastProcessingResult is not kept across a restart.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/aws/lambda/engine/function_registry.hpp"
#include "sim/clock/clock.hpp"
#include "sim/core/event_loop.hpp"
#include "sim/core/page.hpp"
#include "sim/core/random.hpp"
#include "sim/store/database.hpp"
#include "sim/store/group_commit.hpp"

namespace sim::aws::lambda {

/// The queue side of a mapping, owned here and implemented by the composition root over SQS.
class QueueSource {
public:
    struct Message {
        std::string message_id;
        std::string receipt_handle;
        std::string body;
        std::string md5_of_body;
        std::map<std::string, std::string> attributes;  ///< ApproximateReceiveCount, SentTimestamp, ...
        Json message_attributes = Json::object();       ///< Lambda's shape: {"name":{"stringValue":..,"dataType":..}}
    };
    virtual ~QueueSource() = default;
    /// Whether the queue ARN names an existing queue.
    virtual bool Exists(const std::string& queue_arn) = 0;
    /// Receives up to `max` (1-10) messages without waiting; `done` may run synchronously.
    virtual void Receive(const std::string& queue_arn, int max, std::function<void(std::vector<Message>)> done) = 0;
    virtual void Delete(const std::string& queue_arn, const std::vector<std::string>& receipt_handles) = 0;
    /// `notify` runs (on the loop) whenever messages of the queue may have become receivable, until
    /// Unwatch with the same key.
    virtual void Watch(const std::string& queue_arn, const std::string& key, std::function<void()> notify) = 0;
    virtual void Unwatch(const std::string& queue_arn, const std::string& key) = 0;
};

enum class EsmErrorCode { kInvalidParameterValue, kResourceNotFound, kResourceConflict };
struct EsmError {
    EsmErrorCode code = EsmErrorCode::kInvalidParameterValue;
    std::string message;
};
template <typename T>
using EsmResult = core::Result<T, EsmError>;

struct MappingConfig {
    std::optional<std::string> function_name;  ///< name or ARN
    std::optional<int> batch_size;
    std::optional<int> maximum_batching_window_seconds;
    std::optional<bool> enabled;
    std::optional<bool> report_batch_item_failures;
    std::optional<int> maximum_concurrency;  ///< 0 clears it
};

struct MappingInfo {
    std::string uuid;
    std::string event_source_arn;
    std::string function_arn;
    std::string function_name;
    int batch_size = 10;
    int maximum_batching_window_seconds = 0;
    bool enabled = true;
    bool report_batch_item_failures = false;
    int maximum_concurrency = 0;  ///< 0: not set
    std::string state;            ///< Enabled, Disabled, Deleting
    core::TimePoint last_modified;
    std::string last_processing_result = "No records processed";
};

struct EsmStats {
    std::uint64_t batches = 0;
    std::uint64_t records = 0;
    std::uint64_t failed_batches = 0;
};

class EventSourceMappings {
public:
    /// In memory only. All references must outlive this object.
    EventSourceMappings(core::EventLoop& loop, clock::Clock& clock, FunctionRegistry& functions, QueueSource& queues,
                        std::string region, std::string account_id, std::uint64_t seed);
    /// Durable: migrates and loads `db` (module "lambda"), writes through `group`.
    EventSourceMappings(core::EventLoop& loop, clock::Clock& clock, FunctionRegistry& functions, QueueSource& queues,
                        store::Database& db, store::GroupCommit& group, std::string region, std::string account_id,
                        std::uint64_t seed);
    ~EventSourceMappings();

    EsmResult<MappingInfo> Create(const std::string& event_source_arn, const MappingConfig& config);
    EsmResult<MappingInfo> Get(const std::string& uuid) const;
    /// Filtered by source ARN and/or function (either may be empty).
    std::vector<MappingInfo> List(const std::string& event_source_arn, const std::string& function) const;
    /// The same, ordered by UUID, at most `limit`, after the page key `after` ("" for the first).
    core::Page<MappingInfo> List(const std::string& event_source_arn, const std::string& function,
                                 const std::string& after, std::size_t limit) const;
    EsmResult<MappingInfo> Update(const std::string& uuid, const MappingConfig& config);
    EsmResult<MappingInfo> Delete(const std::string& uuid);
    /// Deletes every mapping (in memory and on disk).
    void Reset();
    const EsmStats& Stats() const { return stats_; }

private:
    struct Mapping;
    void Load();
    void Save(const MappingInfo& info);
    void Erase(const std::string& uuid);
    void Start(const std::string& uuid);
    EsmResult<core::Unit> Validate(const MappingInfo& info) const;
    void Wake(const std::string& uuid);
    void Pump(Mapping& m);
    void Invoke(Mapping& m, std::vector<QueueSource::Message> batch);
    std::string FunctionArn(const std::string& name) const;

    core::EventLoop& loop_;
    clock::Clock& clock_;
    FunctionRegistry& functions_;
    QueueSource& queues_;
    store::Database* db_ = nullptr;     // null: in memory only
    store::GroupCommit* group_ = nullptr;
    std::string region_;
    std::string account_id_;
    core::IdGenerator ids_;
    std::map<std::string, std::shared_ptr<Mapping>> mappings_;
    EsmStats stats_;
};

/// Registers the built-in diagnostic functions: `cardsim-echo` (answers its event),
/// `cardsim-fail` (fails with errorType "CardsimTestError"), `cardsim-record` (answers
/// {"recorded":n}; its events are at GET /_sim/functions/cardsim-record/invocations like every
/// function's) and `cardsim-partial` (for SQS batches: reports every record whose body contains
/// "fail" in batchItemFailures).
void RegisterDiagnosticFunctions(FunctionRegistry& registry);

}  // namespace sim::aws::lambda
