#pragma once
// S3 event notifications (https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventNotifications.html):
// PUT/GET /{bucket}?notification (REST-XML) and delivery of object events from the S3 engine's
// observer to SQS queues (AWS's `Records[]` message, eventVersion 2.1) and to EventBridge
// ("Object Created" / "Object Deleted" events from source aws.s3 on the default bus), both as an
// honest client over the transport's "aws" service.
//
// Supported: QueueConfiguration (Id, Queue, Event: s3:ObjectCreated:* | :Put | :Post | :Copy |
// :CompleteMultipartUpload, s3:ObjectRemoved:* | :Delete | :DeleteMarkerCreated; Filter S3Key
// prefix/suffix rules), EventBridgeConfiguration. Saving a configuration sends s3:TestEvent to
// each queue; a queue that cannot be reached fails the PUT with InvalidArgument and nothing is
// saved (as AWS validates destinations).
//
// Limitations: TopicConfiguration (SNS) and CloudFunctionConfiguration are refused;
// s3:ObjectCreated:Post is accepted in configurations but never sent (cardsim's S3 has no
// browser-form POST uploads); no ExpectedBucketOwner checks.
//
// Durability: a bucket's configuration is a row of `s3_notifications` in the S3 database (module
// "s3_notifications"), written under the runtime's GroupCommit before the PUT is answered and
// loaded at start. A configuration belongs to the bucket it was saved on: deleting the bucket (and
// creating one of the same name) leaves the new bucket without one, as in AWS (buckets are told
// apart by creation time, so one deleted and re-created at the same virtual instant keeps it).

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/aws/s3/engine/s3_engine.hpp"
#include "sim/clock/clock.hpp"
#include "sim/core/random.hpp"
#include "sim/core/router.hpp"
#include "sim/core/transport.hpp"
#include "sim/store/database.hpp"
#include "sim/store/group_commit.hpp"

namespace sim::aws::s3::notifications {

struct QueueConfiguration {
    std::string id;
    std::string queue_arn;
    std::vector<std::string> events;  ///< "s3:ObjectCreated:*", ...
    std::string prefix;
    std::string suffix;
};

struct BucketNotification {
    std::vector<QueueConfiguration> queues;
    bool event_bridge = false;
    core::TimePoint bucket_created;  ///< which incarnation of the bucket the configuration belongs to
};

/// True when `event_name` ("ObjectCreated:Put") is selected by `pattern` ("s3:ObjectCreated:*").
bool EventSelected(const std::string& pattern, const std::string& event_name);
/// AWS's Records[] message for one event (sequencer and request id supplied by the caller).
nlohmann::ordered_json RecordsMessage(const engine::ObjectEvent& e, const std::string& configuration_id,
                                      const std::string& region, core::TimePoint time, const std::string& sequencer,
                                      const std::string& request_id);

class S3Notifications {
public:
    /// Registers itself as `engine`'s object observer; migrates and loads `db` (the S3 database),
    /// writes through `group`. All references must outlive this object.
    S3Notifications(engine::S3Engine& engine, clock::Clock& clock, core::Transport& transport, store::Database& db,
                    store::GroupCommit& group, std::string region, std::string account_id, std::uint64_t seed);
    ~S3Notifications();

    /// Adds GET/PUT /{bucket}?notification (before S3's catch-all routes).
    void Install(core::Router& router);
    void OnObjectEvent(const engine::ObjectEvent& e);
    /// Forgets every configuration (in memory and on disk).
    void Reset();

private:
    /// The configuration of `bucket` if it belongs to the bucket that exists now (a stale one,
    /// left by a deleted bucket, is dropped).
    const BucketNotification* ConfigOf(const std::string& bucket);
    void Save(const std::string& bucket, const BucketNotification& config);
    void Erase(const std::string& bucket);
    void Put(const core::Request& request, core::Respond respond);
    void Get(const core::Request& request, core::Respond respond);
    void SendToQueue(const std::string& queue_arn, const std::string& body, std::function<void(bool, std::string)> done);

    engine::S3Engine& engine_;
    clock::Clock& clock_;
    core::Transport& transport_;
    store::Database& db_;
    store::GroupCommit& group_;
    std::string region_;
    std::string account_id_;
    core::IdGenerator ids_;
    std::uint64_t sequencer_ = 0;
    std::map<std::string, BucketNotification> configs_;
};

}  // namespace sim::aws::s3::notifications
