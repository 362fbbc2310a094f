#pragma once
// The card ledger (payment service domain, docs/platform.md "Card use"): holds per authorization,
// postings keyed by txn_id, refunds, repayments keyed by repayment id, and the balance derived from
// them. Pure C++: no SQLite, no HTTP; the payment service loads a card's ledger, applies events and
// persists what changed (the Apply* results say what that is).
//
// Balance rules (integer yen):
//   outstanding = holds + posted_unpaid, available = credit_limit - outstanding (so
//   credit_limit = available + outstanding always), posted_unpaid = posted purchases - refunds -
//   repayments applied (negative = prepaid), prepaid = max(0, -posted_unpaid).
// Feed events (the processor's at-least-once feed, applied exactly once by event_id):
//   AUTHORIZATION / AUTHORIZATION_ADVICE approved: hold +amount on that authorization (declined:
//   nothing held, still recorded); REVERSAL: hold -amount (never below 0); EXPIRY: hold released;
//   CLEARING: the authorization's remaining hold released and a debit posting +amount keyed by
//   txn_id (force posts have no authorization); REFUND: a credit posting keyed by txn_id.
//   A txn_id seen before under another event id is counted once (duplicate clearing).

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/result.hpp"

namespace sim::platform::payment::domain {

using Yen = std::int64_t;

enum class FeedEventType { kAuthorization, kAuthorizationAdvice, kReversal, kExpiry, kClearing, kRefund };
std::string_view FeedEventTypeName(FeedEventType type);  ///< wire names: AUTHORIZATION, ...
core::Result<FeedEventType> ParseFeedEventType(std::string_view name);

/// One event of the processor's feed, reduced to what the ledger needs.
struct FeedEvent {
    std::string event_id;          ///< "EV" + 12 digits; the dedup key
    FeedEventType type = FeedEventType::kAuthorization;
    std::string authorization_id;  ///< empty for force posts and unlinked refunds
    std::string txn_id;            ///< CLEARING / REFUND only
    Yen amount = 0;                ///< what the event concerns (> 0)
    bool approved = true;          ///< AUTHORIZATION only: false = declined
};

/// A posted transaction (debit = purchase, credit = refund).
struct Posting {
    std::string txn_id;
    std::string authorization_id;
    bool credit = false;
    Yen amount = 0;  ///< > 0; the sign comes from `credit`
    Yen Signed() const { return credit ? -amount : amount; }
};

struct Balance {
    Yen credit_limit = 0;
    Yen holds = 0;
    Yen posted_unpaid = 0;
    Yen outstanding = 0;
    Yen available = 0;
    Yen prepaid = 0;
};

/// What applying an event did, for persistence and notifications.
struct EventOutcome {
    bool duplicate = false;                 ///< event_id already applied: nothing changed
    std::optional<Yen> hold_after;          ///< the authorization's hold after the event, when touched
    std::optional<Posting> new_posting;     ///< a posting that did not exist before
    bool duplicate_posting = false;         ///< txn_id already posted under another event id
};

/// What applying a repayment did.
struct RepaymentOutcome {
    bool duplicate = false;  ///< repayment_id already applied (same amount): nothing changed
};

/// One card's ledger. Not thread-safe (the event-loop thread owns it).
class CardLedger {
public:
    explicit CardLedger(Yen credit_limit = 0) : credit_limit_(credit_limit) {}

    /// Applies one feed event exactly once. Errors (kInvalidArgument): amount <= 0, CLEARING or
    /// REFUND without a txn_id, REVERSAL/EXPIRY without an authorization id.
    core::Result<EventOutcome> Apply(const FeedEvent& event);

    /// Lowers posted_unpaid by `amount` (> 0) once per repayment id. The same id with another
    /// amount is a conflict (kConflict).
    core::Result<RepaymentOutcome> ApplyRepayment(const std::string& repayment_id, Yen amount);

    /// A new limit (> 0). Lowering it below outstanding is allowed (available goes negative), as an
    /// issuer may cut a limit; nothing else changes.
    core::Status<> SetCreditLimit(Yen credit_limit);

    Balance balance() const;
    Yen credit_limit() const { return credit_limit_; }
    Yen holds() const;
    Yen posted_unpaid() const;
    /// Remaining hold of an authorization (0 when unknown or released).
    Yen HoldOf(const std::string& authorization_id) const;
    const std::map<std::string, Posting>& postings() const { return postings_; }
    const std::map<std::string, Yen>& repayments() const { return repayments_; }
    const std::map<std::string, Yen>& holds_by_authorization() const { return holds_; }
    bool HasEvent(const std::string& event_id) const { return events_.count(event_id) != 0; }

    // --- rebuilding from storage (the service loads rows; no dedup or checks here) -------------
    void RestoreHold(const std::string& authorization_id, Yen hold) { holds_[authorization_id] = hold; }
    void RestorePosting(Posting posting) { postings_[posting.txn_id] = std::move(posting); }
    void RestoreRepayment(const std::string& repayment_id, Yen amount) { repayments_[repayment_id] = amount; }
    void RestoreEvent(const std::string& event_id) { events_.insert(event_id); }

private:
    Yen credit_limit_;
    std::map<std::string, Yen> holds_;  ///< authorization id -> still held
    std::map<std::string, Posting> postings_;
    std::map<std::string, Yen> repayments_;
    std::set<std::string> events_;
};

/// Computes the derived balance from its parts (the single formula the service, the API and the
/// invariants use).
Balance MakeBalance(Yen credit_limit, Yen holds, Yen posted_unpaid);

}  // namespace sim::platform::payment::domain
