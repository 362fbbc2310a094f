#include "sim/platform/statement/domain/statements.hpp"

#include <algorithm>

namespace sim::platform::statement::domain {

Yen Statement::total() const {
    Yen sum = 0;
    for (const StatementLine& l : lines) sum += l.payment_this_month;
    return sum;
}

std::string Statement::StatusOn(Date today) const {
    if (status == StatementStatus::kOpen) return "OPEN";
    if (unpaid_principal() <= 0 && unpaid_interest() <= 0) return "PAID";
    return DaysBetween(due_date(), today) > 0 ? "OVERDUE" : "CLOSED";
}

Yen Allocation::InterestTotal() const {
    Yen sum = 0;
    for (const AllocationPart& p : parts) sum += p.interest;
    return sum;
}

const Statement* CardStatements::Find(Period period) const {
    auto it = statements_.find(period);
    return it == statements_.end() ? nullptr : &it->second;
}

core::Result<bool> CardStatements::AddPosting(const StatementLine& line) {
    if (line.txn_id.empty()) return core::Fail(core::Error::InvalidArgument("txn_id is empty"));
    for (const auto& [p, s] : statements_) {
        for (const StatementLine& l : s.lines) {
            if (l.txn_id == line.txn_id) return false;
        }
    }
    Period period = line.posting_date.year() / line.posting_date.month();
    // A posting for a period already closed lands on the next open statement (as issuers bill a
    // late presentment on the following statement).
    while (true) {
        auto it = statements_.find(period);
        if (it == statements_.end() || it->second.status == StatementStatus::kOpen) break;
        period += std::chrono::months{1};
    }
    Statement& s = statements_[period];
    s.period = period;
    s.lines.push_back(line);
    return true;
}

std::vector<Closing> CardStatements::CloseThrough(Date business_date) {
    std::vector<Closing> out;
    for (auto& [period, s] : statements_) {
        if (s.status != StatementStatus::kOpen || DaysBetween(s.closing_date(), business_date) <= 0) continue;
        s.status = StatementStatus::kClosed;
        Yen total = s.total();
        if (total <= 0) {
            s.billed = 0;
            credit_ += -total;
        } else {
            s.credit_applied = std::min(credit_, total);
            credit_ -= s.credit_applied;
            s.billed = total - s.credit_applied;
        }
        out.push_back(Closing{period, total, s.billed, s.due_date()});
    }
    return out;
}

void CardStatements::AccrueOne(Statement& s, Date through) {
    if (s.status != StatementStatus::kClosed) return;
    Date due = s.due_date();
    Date last = s.interest_through && DaysBetween(due, *s.interest_through) > 0 ? *s.interest_through : due;
    std::int64_t days = DaysBetween(last, through);
    if (days <= 0) return;
    PrincipalSpan span{s.unpaid_principal(), days};
    s.interest_numerator += InterestNumerator(std::span<const PrincipalSpan>(&span, 1), policy_);
    s.interest = InterestFromNumerator(s.interest_numerator, policy_);
    s.interest_through = through;
}

std::vector<Period> CardStatements::AccrueInterest(Date through) {
    std::vector<Period> first_overdue;
    for (auto& [period, s] : statements_) {
        if (s.status != StatementStatus::kClosed) continue;
        bool overdue = DaysBetween(s.due_date(), through) > 0 && s.unpaid_principal() > 0;
        AccrueOne(s, through);
        if (overdue && !s.overdue_notified) {
            s.overdue_notified = true;
            first_overdue.push_back(period);
        }
    }
    return first_overdue;
}

core::Result<Allocation> CardStatements::Allocate(const std::string& repayment_id, Yen amount, Date paid_on) {
    if (repayment_id.empty()) return core::Fail(core::Error::InvalidArgument("repayment_id is empty"));
    if (amount <= 0) return core::Fail(core::Error::InvalidArgument("amount must be a positive number of yen"));
    if (auto it = allocations_.find(repayment_id); it != allocations_.end()) {
        if (it->second.amount != amount) {
            return core::Fail(core::Error::Conflict("repayment " + repayment_id + " was allocated with amount " +
                                                    std::to_string(it->second.amount)));
        }
        Allocation again = it->second;
        again.duplicate = true;
        return again;
    }
    // The payment day counts at the old principal; the new principal runs from the next day.
    for (auto& [period, s] : statements_) AccrueOne(s, paid_on);

    Allocation a;
    a.repayment_id = repayment_id;
    a.amount = amount;
    a.paid_on = paid_on;
    Yen left = amount;
    // Oldest due first (statements_ is ordered by period, hence by due date).
    for (auto& [period, s] : statements_) {
        if (left == 0) break;
        if (s.status != StatementStatus::kClosed) continue;
        AllocationPart part{period, 0, 0};
        part.interest = std::min(left, s.unpaid_interest());
        left -= part.interest;
        part.principal = std::min(left, s.unpaid_principal());
        left -= part.principal;
        if (part.interest == 0 && part.principal == 0) continue;
        s.interest_paid += part.interest;
        s.paid_principal += part.principal;
        a.parts.push_back(part);
    }
    Yen open_total = 0;
    for (const auto& [period, s] : statements_) {
        if (s.status == StatementStatus::kOpen) open_total += s.total();
    }
    Yen unbilled_room = std::max<Yen>(0, open_total - credit_);
    a.unbilled = std::min(left, unbilled_room);
    a.prepayment = left - a.unbilled;
    credit_ += left;
    allocations_[repayment_id] = a;
    return a;
}

Yen CardStatements::PostedUnpaid() const {
    Yen sum = -credit_;
    for (const auto& [period, s] : statements_) sum += s.status == StatementStatus::kOpen ? s.total() : s.unpaid_principal();
    return sum;
}

Yen CardStatements::InterestOwed() const {
    Yen sum = 0;
    for (const auto& [period, s] : statements_) sum += s.unpaid_interest();
    return sum;
}

}  // namespace sim::platform::statement::domain
