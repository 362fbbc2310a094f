#pragma once
// The payment service (docs/platform.md "Card use"; DOMAIN §1-2): the card DB
// (platform-payment.db) with the card vault, cards, authorizations, postings, repayments and
// balances; the poller of the processor's authorization feed; the card's front and internal APIs.
//
// Supported
//   Feed poller on the Clock (every --platform-poll-interval; at once again while has_more): reads
//   GET /payment/v1/authorizations?after=CURSOR through the anti-corruption layer, records each
//   event exactly once (event_id primary key; the cursor is saved in the same commit), applies it
//   to the card ledger (domain/ledger.hpp) and, for authorizations and advices, queues a
//   notification request in an outbox flushed to SQS `platform-notifications` (sent at least once,
//   deduplicated downstream by dedup_key = event_id).
//   POST /internal/payment/cards (vault row + card row; idempotent by card_account_id; the PAN only
//   in the vault's AES-256-GCM ciphertext), GET /internal/payment/cards[?member_id=],
//   POST /internal/payment/cards/{card_id}/status (also at the processor),
//   POST /internal/payment/cards/{card_id}/repayments (idempotent by repayment_id),
//   GET /app/v1/card, /app/v1/balance, /app/v1/authorizations?limit=.
//   Invariants: per card, the stored holds and posted_unpaid equal the sums of their rows and
//   credit_limit = available + outstanding; no txn_id posted twice; no card number outside the
//   vault (cards, authorizations).
//
// Limitations: a feed event for a card account the platform does not know is recorded (so the
// cursor moves on) and counted as unattributed; an authorization older than the card's creation
// is not fetched back.

#include <memory>
#include <set>
#include <string>

#include "sim/core/random.hpp"
#include "sim/platform/common/service_db.hpp"
#include "sim/platform/service.hpp"

namespace sim::platform::payment {

class PaymentService final : public Service {
public:
    explicit PaymentService(PlatformContext& ctx);
    ~PaymentService() override;

    std::string_view Name() const override { return "payment"; }
    void Install(core::Router& router) override;
    void Start() override;
    void Reset() override;

    /// Polls the feed now (and keeps the regular schedule).
    void PollNow();

private:
    struct CardRow;
    void SchedulePoll();
    void Poll();
    /// `trace_id`: the poll's trace, carried on by the notification request (outbox -> SQS attribute).
    /// `answered`: when the feed page arrived (the end of the event's span "payment.feed_wait").
    void RecordEvent(const Json& item, const std::string& poll_trace, core::TimePoint answered);
    void FlushOutbox();
    void CheckInvariants(InvariantReport& report);

    core::Response CreateCard(const core::Request& r);
    core::Response ListCards(const core::Request& r);
    void SetStatus(core::Request r, core::Respond respond);
    core::Response Repay(const core::Request& r);
    core::Response AppCard(const core::Request& r);
    core::Response AppBalance(const core::Request& r);
    core::Response AppAuthorizations(const core::Request& r);

    std::optional<CardRow> CardById(const std::string& card_id);
    std::optional<CardRow> CardByAccount(const std::string& card_account_id);
    std::optional<CardRow> CardOfMember(const std::string& member_id);
    Json CardJson(const CardRow& c) const;

    PlatformContext& ctx_;
    std::unique_ptr<ServiceDb> db_;
    core::IdGenerator ids_;
    core::IdGenerator trace_ids_;  ///< one trace per poll (apart from ids_, so card ids stay as they were)
    clock::TimerId poll_timer_ = 0;
    bool polling_ = false;
    bool started_ = false;
    std::uint64_t generation_ = 0;
    std::set<std::int64_t> outbox_in_flight_;
};

}  // namespace sim::platform::payment
