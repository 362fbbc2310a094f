#pragma once
// The SQS engine: standard and FIFO queues, messages, visibility, delays, retention, long polling,
// redrive to dead-letter queues, message move tasks, FIFO groups and deduplication, purge, tags and
// permissions. Pure state machine on the Clock: no HTTP, no wire format.
//
// State lives in memory (one event-loop thread, no locks) and is written through to SQLite inside
// GroupCommit write scopes, so a reply sent after the commit is durable: after a restart every
// acknowledged message is there and in-flight messages keep their receipt deadline.
//
// Every operation validates its whole input before changing anything: a rejected request changes
// nothing. Batch calls validate the batch as a whole first (empty, too many, ids), then each entry.

#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sim/aws/sqs/engine/types.hpp"
#include "sim/clock/clock.hpp"
#include "sim/core/random.hpp"
#include "sim/store/database.hpp"
#include "sim/store/group_commit.hpp"

namespace sim::aws::sqs {

struct EngineOptions {
    std::string account_id = "000000000000";
    std::string default_region = "us-east-1";
    Limits limits = Limits::Strict();
    std::uint64_t seed = 1;
};

class SqsEngine {
public:
    /// `db` must be attached to `group`; both, and `clock`, must outlive the engine. Creates the
    /// schema if needed and loads the stored queues and messages.
    SqsEngine(clock::Clock& clock, store::Database& db, store::GroupCommit& group, EngineOptions options = {});
    ~SqsEngine();
    SqsEngine(const SqsEngine&) = delete;
    SqsEngine& operator=(const SqsEngine&) = delete;

    const EngineOptions& Options() const { return options_; }
    const std::string& AccountId() const { return options_.account_id; }

    // --- queues -------------------------------------------------------------------------------
    /// Creates a queue, or returns normally when one with the same name and the same given
    /// attributes exists (kQueueNameExists when an attribute differs).
    SqsStatus CreateQueue(const std::string& name, const std::map<std::string, std::string>& attributes,
                          const std::map<std::string, std::string>& tags, const std::string& region);
    SqsStatus DeleteQueue(const std::string& name);
    bool QueueExists(const std::string& name) const;
    /// The queue's ARN (kQueueDoesNotExist when unknown).
    SqsResult<std::string> QueueArn(const std::string& name) const;
    /// `names` may contain "All". Unknown names: kInvalidAttributeName.
    SqsResult<std::map<std::string, std::string>> GetQueueAttributes(const std::string& name,
                                                                     const std::vector<std::string>& names);
    SqsStatus SetQueueAttributes(const std::string& name, const std::map<std::string, std::string>& attributes);
    /// Queue names in name order, filtered by prefix; `max_results` 1..1000 enables paging.
    SqsResult<QueuePage> ListQueues(const std::string& prefix, std::optional<int> max_results,
                                    const std::optional<std::string>& next_token) const;
    SqsResult<QueuePage> ListDeadLetterSourceQueues(const std::string& name, std::optional<int> max_results,
                                                    const std::optional<std::string>& next_token) const;
    /// Deletes every message; a second purge within 60 s is kPurgeQueueInProgress.
    SqsStatus PurgeQueue(const std::string& name);
    SqsResult<std::map<std::string, std::string>> ListQueueTags(const std::string& name) const;
    SqsStatus TagQueue(const std::string& name, const std::map<std::string, std::string>& tags);
    SqsStatus UntagQueue(const std::string& name, const std::vector<std::string>& keys);
    SqsStatus AddPermission(const std::string& name, const std::string& label, const std::vector<std::string>& accounts,
                            const std::vector<std::string>& actions);
    SqsStatus RemovePermission(const std::string& name, const std::string& label);

    // --- messages -----------------------------------------------------------------------------
    SqsResult<SendResult> SendMessage(const std::string& queue, const SendRequest& request);
    SqsResult<BatchResult<SendResult>> SendMessageBatch(const std::string& queue,
                                                        const std::vector<std::pair<std::string, SendRequest>>& entries);
    /// Calls `done` once: at once when messages are available or no wait applies; otherwise when a
    /// message becomes available or the wait (a clock timer) ends with an empty list.
    void ReceiveMessage(const std::string& queue, const ReceiveRequest& request, ReceiveCallback done);
    SqsStatus DeleteMessage(const std::string& queue, const std::string& receipt_handle);
    SqsResult<BatchResult<core::Unit>> DeleteMessageBatch(
        const std::string& queue, const std::vector<std::pair<std::string, std::string>>& entries);
    SqsStatus ChangeMessageVisibility(const std::string& queue, const std::string& receipt_handle, int timeout);
    SqsResult<BatchResult<core::Unit>> ChangeMessageVisibilityBatch(const std::string& queue,
                                                                   const std::vector<VisibilityChange>& entries);

    // --- message move tasks (DLQ redrive) -----------------------------------------------------
    SqsResult<std::string> StartMessageMoveTask(const std::string& source_arn,
                                                const std::optional<std::string>& destination_arn,
                                                std::optional<int> max_per_second);
    /// Returns the number of messages moved so far.
    SqsResult<std::int64_t> CancelMessageMoveTask(const std::string& task_handle);
    SqsResult<std::vector<MoveTaskInfo>> ListMessageMoveTasks(const std::string& source_arn,
                                                              std::optional<int> max_results);

    // --- inspection and control ---------------------------------------------------------------
    /// Every message of the queue in order, visibility untouched.
    SqsResult<std::vector<InspectedMessage>> InspectMessages(const std::string& queue);
    /// Wipes all queues and messages (POST /_sim/reset). Pending long polls complete empty.
    void Reset();
    /// In-process consumers (Lambda event source mappings): `listener(queue)` runs whenever
    /// messages of a watched queue may have become receivable — after a send or a visibility change
    /// is committed, and when a delay or visibility timeout ends (a clock timer) — so consumers
    /// receive at once instead of polling. It runs synchronously at the end of an engine call:
    /// it must not call the engine itself (post to the loop instead).
    void SetAvailabilityListener(std::function<void(const std::string& queue)> listener);
    /// Queue dwell of traced work (DESIGN "Observability"): `listener(queue, trace_id, sent, received)`
    /// runs for every message at its first receive (redeliveries are not dwell). `trace_id` is the
    /// message's String attribute "trace_id", else its AWSTraceHeader system attribute, else empty;
    /// `sent` is the clock time of SendMessage (a message loaded from disk keeps millisecond
    /// precision). Runs synchronously inside the receive: it must not call the engine.
    using ReceiveListener = std::function<void(const std::string& queue, std::string_view trace_id,
                                               core::TimePoint sent, core::TimePoint received)>;
    void SetReceiveListener(ReceiveListener listener) { receive_listener_ = std::move(listener); }
    /// Turns notifications for `name` on or off (kQueueDoesNotExist when unknown).
    SqsStatus WatchQueue(const std::string& name, bool watched);
    /// Number of waiting long polls over all queues (tests).
    std::size_t WaitingReceives() const;

    /// The name in an ARN of this account ("arn:aws:sqs:region:account:name"), if it is one.
    std::optional<std::string> NameFromArn(std::string_view arn) const;

private:
    struct Message;
    struct Group;
    struct Waiter;
    struct Queue;
    struct MoveTask;
    class Tx;

    /// The trace id a message carries (see SetReceiveListener).
    static std::string_view TraceOf(const Message& m);

    Queue* Find(const std::string& name) const;
    Queue* FindById(std::int64_t id) const;
    SqsResult<Queue*> Require(const std::string& name) const;
    std::string ArnOf(const Queue& q) const;

    SqsStatus ValidateAttributes(const std::map<std::string, std::string>& attributes, bool fifo, bool creating,
                                 const Queue* self, std::map<std::string, std::string>* normalized) const;
    void ApplySettings(Queue& q);
    SqsResult<SendResult> ValidateSend(const Queue& q, const SendRequest& request) const;
    SendResult DoSend(Tx& tx, Queue& q, const SendRequest& request);
    void InsertMessage(Tx& tx, Queue& q, std::unique_ptr<Message> m);
    std::vector<ReceivedMessage> Collect(Tx& tx, Queue& q, const ReceiveRequest& request);
    ReceivedMessage MakeReceived(const Queue& q, const Message& m, const ReceiveRequest& request) const;
    void RemoveMessage(Tx& tx, Queue& q, std::uint64_t seq);
    void MoveToQueue(Tx& tx, Queue& from, std::uint64_t seq, Queue& to, bool record_source);
    void MakePending(Queue& q, Message& m, std::int64_t visible_ms);
    void Maintain(Tx& tx, Queue& q);
    void Promote(Queue& q, std::int64_t now);
    void ExpireDedup(Queue& q, std::int64_t now);
    void ServeWaiters(std::int64_t queue_id);
    void ArmWake(Queue& q);
    void FinishWaiters(Queue& q);
    struct HandleParts {
        std::int64_t queue_id;
        std::uint64_t seq;
        std::uint64_t nonce;
    };
    std::optional<HandleParts> ParseHandle(const std::string& handle) const;
    std::string MakeHandle(const Queue& q, const Message& m) const;
    SqsStatus DeleteOne(Tx& tx, Queue& q, const std::string& handle);
    SqsStatus ChangeOne(Tx& tx, Queue& q, const std::string& handle, int timeout, bool apply);
    void PersistQueue(Tx& tx, const Queue& q);
    void PersistMessage(Tx& tx, const Queue& q, const Message& m);
    void PersistVisibility(Tx& tx, const Queue& q, const Message& m);
    void Load();
    void RunMoveTask(std::size_t index);
    std::int64_t NowMs() const;

    clock::Clock& clock_;
    store::Database& db_;
    store::GroupCommit& group_;
    EngineOptions options_;
    core::IdGenerator ids_;
    std::map<std::string, std::unique_ptr<Queue>> queues_;
    std::unordered_map<std::int64_t, Queue*> by_id_;
    std::int64_t next_queue_id_ = 1;
    std::uint64_t next_waiter_id_ = 1;
    std::vector<std::unique_ptr<MoveTask>> move_tasks_;
    std::function<void(const std::string& queue)> availability_listener_;
    ReceiveListener receive_listener_;
};

}  // namespace sim::aws::sqs
