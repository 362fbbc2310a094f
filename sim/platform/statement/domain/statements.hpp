#pragma once
// One card's statements (statement service domain, docs/platform.md "Statement", DOMAIN.md §3):
// the cycle by posting date, month-end closing with amount due and due date, daily interest on
// overdue principal, and the allocation of repayments (oldest due first; interest, then principal,
// 民法 489; the rest to the unbilled balance, the excess as prepayment; once per repayment id).
// Pure C++: the service loads a card's statements, calls these, and persists the result.
//
// Money model (integer yen):
//   total        Σ lines' 当月支払額 (refunds negative)
//   billed       amount due at closing = total − credit applied at closing (≥ 0)
//   credit       payments not yet on a closed statement (unbilled + prepayment) and negative
//                closed totals; applied to the next statement that closes with a positive total
//   paid         credit_applied + paid_principal + interest_paid ≤ total + interest
// Interest: from the day after the due date, on billed − paid_principal, accrued per day through a
// given date (a repayment accrues through its own day first: the payment day counts, DOMAIN §3)
// as the exact numerator Σ principal × rate_bp × days; interest = floor(numerator / (10000 ×
// day_count)). Interest is owed on the statement; it is not part of the card's credit line, so
// only the principal part of a repayment (amount − interest) lowers the card's posted balance.
// Identity kept by these rules (when the card ledger has seen the same postings):
//   ledger posted_unpaid = Σ open totals + Σ closed (billed − paid_principal) − credit.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/result.hpp"
#include "sim/platform/statement/domain/calendar.hpp"
#include "sim/platform/statement/domain/interest.hpp"

namespace sim::platform::statement::domain {

using Period = std::chrono::year_month;

/// One line of a statement (DOMAIN §3: 利用日, 確定日, 利用店名, 支払区分, 利用金額, 手数料,
/// 当月支払額, 繰越残高).
struct StatementLine {
    std::string txn_id;
    std::string txn_date;       ///< 利用日 YYYY-MM-DD (JST)
    Date posting_date{};        ///< 確定日
    std::string merchant_name;  ///< 利用店名
    std::string payment_plan = "ONE_TIME";  ///< 支払区分
    Yen amount = 0;              ///< 利用金額, signed (refund < 0)
    Yen fee = 0;                 ///< 手数料 (0 for 1回払い)
    Yen payment_this_month = 0;  ///< 当月支払額 (= amount + fee for 1回払い)
    Yen carried_balance = 0;     ///< 繰越残高 (0 for 1回払い)
};

enum class StatementStatus { kOpen, kClosed };

struct Statement {
    Period period{};
    StatementStatus status = StatementStatus::kOpen;
    std::vector<StatementLine> lines;
    Yen billed = 0;
    Yen credit_applied = 0;
    Yen paid_principal = 0;
    std::int64_t interest_numerator = 0;
    std::optional<Date> interest_through;  ///< last day interest was accrued for
    Yen interest = 0;
    Yen interest_paid = 0;
    bool overdue_notified = false;

    Yen total() const;
    Date closing_date() const { return Date{period / std::chrono::last}; }
    Date due_date() const { return DueDate(period); }
    Yen unpaid_principal() const { return status == StatementStatus::kClosed ? billed - paid_principal : 0; }
    Yen unpaid_interest() const { return interest - interest_paid; }
    Yen paid() const { return credit_applied + paid_principal + interest_paid; }
    /// "OPEN", "CLOSED" (amount due outstanding, not yet overdue on `today`), "OVERDUE", "PAID".
    std::string StatusOn(Date today) const;
};

/// Where one repayment went.
struct AllocationPart {
    Period period{};
    Yen interest = 0;
    Yen principal = 0;
};
struct Allocation {
    std::string repayment_id;
    Yen amount = 0;
    Date paid_on{};
    std::vector<AllocationPart> parts;
    Yen unbilled = 0;    ///< towards statements not closed yet
    Yen prepayment = 0;  ///< beyond everything owed
    bool duplicate = false;
    Yen InterestTotal() const;
    /// What lowers the card's posted balance: amount − interest.
    Yen PrincipalTotal() const { return amount - InterestTotal(); }
};

/// What a closing run did for one statement.
struct Closing {
    Period period{};
    Yen total = 0;
    Yen billed = 0;
    Date due_date{};
};

class CardStatements {
public:
    explicit CardStatements(InterestPolicy policy = {}) : policy_(policy) {}

    /// Adds a posted transaction to the statement of its posting date's period; when that period
    /// has already closed, to the next open period. Returns false (and changes nothing) for a
    /// txn_id already on a statement. Error: empty txn_id.
    core::Result<bool> AddPosting(const StatementLine& line);

    /// Closes every open statement whose closing day is before `business_date` (the run on the
    /// 1st closes last month; a missed run catches up). Returns what closed, oldest first.
    std::vector<Closing> CloseThrough(Date business_date);

    /// Accrues interest through `through` (inclusive) on every overdue statement. Returns the
    /// periods that are overdue for the first time (interest notices to send).
    std::vector<Period> AccrueInterest(Date through);

    /// Allocates a repayment received on `paid_on`. Idempotent by repayment id (the stored
    /// allocation comes back with duplicate = true); the same id with another amount is kConflict;
    /// amount ≤ 0 is kInvalidArgument.
    core::Result<Allocation> Allocate(const std::string& repayment_id, Yen amount, Date paid_on);

    const std::map<Period, Statement>& statements() const { return statements_; }
    const Statement* Find(Period period) const;
    const std::map<std::string, Allocation>& allocations() const { return allocations_; }
    Yen credit() const { return credit_; }
    const InterestPolicy& policy() const { return policy_; }
    /// Σ open totals + Σ closed unpaid principal − credit (equals the ledger's posted_unpaid).
    Yen PostedUnpaid() const;
    /// Σ unpaid interest.
    Yen InterestOwed() const;

    // --- rebuilding from storage ----------------------------------------------------------------
    void Restore(Statement statement) { statements_[statement.period] = std::move(statement); }
    void RestoreAllocation(Allocation allocation) { allocations_[allocation.repayment_id] = std::move(allocation); }
    void RestoreCredit(Yen credit) { credit_ = credit; }

private:
    void AccrueOne(Statement& s, Date through);

    InterestPolicy policy_;
    std::map<Period, Statement> statements_;
    std::map<std::string, Allocation> allocations_;
    Yen credit_ = 0;
};

}  // namespace sim::platform::statement::domain
