#include "sim/platform/payment/domain/ledger.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace sim::platform::payment::domain {

namespace {

constexpr std::array<std::pair<FeedEventType, std::string_view>, 6> kTypeNames{{
    {FeedEventType::kAuthorization, "AUTHORIZATION"},
    {FeedEventType::kAuthorizationAdvice, "AUTHORIZATION_ADVICE"},
    {FeedEventType::kReversal, "REVERSAL"},
    {FeedEventType::kExpiry, "EXPIRY"},
    {FeedEventType::kClearing, "CLEARING"},
    {FeedEventType::kRefund, "REFUND"},
}};

}  // namespace

std::string_view FeedEventTypeName(FeedEventType type) {
    for (const auto& [t, name] : kTypeNames) {
        if (t == type) return name;
    }
    return "UNKNOWN";
}

core::Result<FeedEventType> ParseFeedEventType(std::string_view name) {
    for (const auto& [t, n] : kTypeNames) {
        if (n == name) return t;
    }
    return core::Fail(core::Error::InvalidArgument("unknown feed event type '" + std::string(name) + "'"));
}

Balance MakeBalance(Yen credit_limit, Yen holds, Yen posted_unpaid) {
    Balance b;
    b.credit_limit = credit_limit;
    b.holds = holds;
    b.posted_unpaid = posted_unpaid;
    b.outstanding = holds + posted_unpaid;
    b.available = credit_limit - b.outstanding;
    b.prepaid = std::max<Yen>(0, -posted_unpaid);
    return b;
}

core::Result<EventOutcome> CardLedger::Apply(const FeedEvent& e) {
    EventOutcome out;
    if (events_.count(e.event_id) != 0) {
        out.duplicate = true;
        return out;
    }
    if (e.event_id.empty()) return core::Fail(core::Error::InvalidArgument("event_id is empty"));
    if (e.amount <= 0) return core::Fail(core::Error::InvalidArgument("amount must be a positive number of yen"));
    const bool needs_txn = e.type == FeedEventType::kClearing || e.type == FeedEventType::kRefund;
    if (needs_txn && e.txn_id.empty()) {
        return core::Fail(core::Error::InvalidArgument(std::string(FeedEventTypeName(e.type)) + " without txn_id"));
    }
    const bool needs_auth = e.type == FeedEventType::kReversal || e.type == FeedEventType::kExpiry;
    if (needs_auth && e.authorization_id.empty()) {
        return core::Fail(core::Error::InvalidArgument(std::string(FeedEventTypeName(e.type)) +
                                                       " without authorization_id"));
    }

    switch (e.type) {
        case FeedEventType::kAuthorization:
        case FeedEventType::kAuthorizationAdvice:
            if (e.approved && !e.authorization_id.empty()) {
                holds_[e.authorization_id] += e.amount;
                out.hold_after = holds_[e.authorization_id];
            }
            break;
        case FeedEventType::kReversal: {
            // A reversal never takes a hold below zero (a late reversal after clearing changes nothing).
            Yen& hold = holds_[e.authorization_id];
            hold -= std::min(hold, e.amount);
            out.hold_after = hold;
            break;
        }
        case FeedEventType::kExpiry:
            holds_[e.authorization_id] = 0;
            out.hold_after = 0;
            break;
        case FeedEventType::kClearing:
        case FeedEventType::kRefund: {
            if (e.type == FeedEventType::kClearing && !e.authorization_id.empty()) {
                holds_[e.authorization_id] = 0;
                out.hold_after = 0;
            }
            if (postings_.count(e.txn_id) != 0) {
                out.duplicate_posting = true;
                break;
            }
            Posting p{e.txn_id, e.authorization_id, e.type == FeedEventType::kRefund, e.amount};
            postings_[e.txn_id] = p;
            out.new_posting = std::move(p);
            break;
        }
    }
    events_.insert(e.event_id);
    return out;
}

core::Result<RepaymentOutcome> CardLedger::ApplyRepayment(const std::string& repayment_id, Yen amount) {
    if (repayment_id.empty()) return core::Fail(core::Error::InvalidArgument("repayment_id is empty"));
    if (amount <= 0) return core::Fail(core::Error::InvalidArgument("amount must be a positive number of yen"));
    if (auto it = repayments_.find(repayment_id); it != repayments_.end()) {
        if (it->second != amount) {
            return core::Fail(core::Error::Conflict("repayment " + repayment_id + " was applied with amount " +
                                                    std::to_string(it->second)));
        }
        return RepaymentOutcome{true};
    }
    repayments_[repayment_id] = amount;
    return RepaymentOutcome{false};
}

core::Status<> CardLedger::SetCreditLimit(Yen credit_limit) {
    if (credit_limit <= 0) return core::Fail(core::Error::InvalidArgument("credit_limit must be positive"));
    credit_limit_ = credit_limit;
    return core::Ok();
}

Yen CardLedger::holds() const {
    Yen sum = 0;
    for (const auto& [id, hold] : holds_) sum += hold;
    return sum;
}

Yen CardLedger::posted_unpaid() const {
    Yen sum = 0;
    for (const auto& [id, p] : postings_) sum += p.Signed();
    for (const auto& [id, amount] : repayments_) sum -= amount;
    return sum;
}

Yen CardLedger::HoldOf(const std::string& authorization_id) const {
    auto it = holds_.find(authorization_id);
    return it == holds_.end() ? 0 : it->second;
}

Balance CardLedger::balance() const { return MakeBalance(credit_limit_, holds(), posted_unpaid()); }

}  // namespace sim::platform::payment::domain
