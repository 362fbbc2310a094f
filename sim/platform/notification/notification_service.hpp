#pragma once
// The notification service (docs/platform.md "Card use"; DOMAIN §9): platform-notification.db
// with device tokens, the inbox and per-token deliveries; the function `platform-notify` behind the
// SQS event source mapping on `platform-notifications` (ReportBatchItemFailures).
//
// Supported
//   platform-notify: for each record {member_id, kind, data, dedup_key[, title, body]} renders
//   the text (domain/render.hpp: last 4 and amount at most, any card number masked), stores it in
//   the inbox once per dedup_key, and sends it through the push gateway to every device token of
//   the member that has not had it yet. BadDeviceToken / Unregistered / FCM UNREGISTERED drop the
//   token; 429, 5xx and transport failures fail the record (batchItemFailures: SQS redelivers
//   after the visibility timeout, the DLQ takes it after 5 receives); other 4xx are recorded as
//   failed deliveries and not retried. A malformed request fails its record (it ends in the DLQ).
//   POST /app/v1/devices {token} (201; 200 when already registered), DELETE
//   /app/v1/devices/{token} (204; 404 when not the member's), GET /app/v1/notifications?limit=
//   (newest first).
//
// Limitations: one push attempt per token per delivery of the message (the retry is SQS's);
// APNs/FCM-specific headers (collapse id, priority) are not sent.

#include <memory>
#include <string>

#include "sim/platform/common/service_db.hpp"
#include "sim/platform/service.hpp"

namespace sim::platform::notification {

class NotificationService final : public Service {
public:
    explicit NotificationService(PlatformContext& ctx);
    ~NotificationService() override;

    std::string_view Name() const override { return "notification"; }
    void Install(core::Router& router) override;
    void AddFunctions(std::map<std::string, PlatformFunction>& functions) override;
    void Reset() override;

private:
    struct Batch;
    void Notify(const Json& event, FunctionDone done);
    void HandleRecord(const std::shared_ptr<Batch>& batch, const Json& record);
    /// `trace_id`: the message's trace (its "trace_id" attribute), carried on to the push gateway.
    void Push(const std::shared_ptr<Batch>& batch, std::string message_id, std::string dedup_key, std::string token,
              Json payload, const std::string& trace_id);
    void CheckInvariants(InvariantReport& report);

    core::Response RegisterDevice(const core::Request& r);
    core::Response DeleteDevice(const core::Request& r);
    core::Response Inbox(const core::Request& r);

    PlatformContext& ctx_;
    std::unique_ptr<ServiceDb> db_;
    std::uint64_t generation_ = 0;
};

}  // namespace sim::platform::notification
