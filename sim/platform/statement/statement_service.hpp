#pragma once
// The statement service (docs/platform.md "Statement"; DOMAIN §3, §7): platform-statement.db with
// the statements, their lines, the staged cashflow postings, repayment allocations and each card's
// credit; the four batch tasks of the daily workflow `platform-statement-batch`; the statements'
// front and internal APIs. The rules are domain/statements.hpp; this file loads a card's
// statements, applies them and stores the result.
//
// Batch tasks (ecs:runTask.sync; inputs as container environment overrides):
//   statement-get-users       BUSINESS_DATE or SCHEDULED_AT, CHUNK_SIZE → {business_date, chunks, count}
//                             (the cards, from the payment service's internal API)
//   statement-fetch-cashflow  BUSINESS_DATE → reads the previous JST day's .done marker and .csv
//                             from the batch bucket; Cashflow.NotArrived while the marker is
//                             missing, Cashflow.Invalid when the file fails validation; stages the
//                             postings by txn_id → {file_date, key, records}
//   statement-update-usage    CARD_IDS → puts the staged postings of those cards on their
//                             statements (by posting date, each txn_id once) → {lines}
//   statement-update-repayment BUSINESS_DATE → closes last month on the 1st (any missed month
//                             too), accrues interest through the business date, sends the
//                             STATEMENT_CLOSED and first-overdue INTEREST_NOTICE pushes → {closed,
//                             interest_notices}
// APIs: GET /app/v1/statements, GET /app/v1/statements/{YYYY-MM}, GET
//   /internal/statement/statements?card_id=&status=, POST /internal/statement/allocations
//   {repayment_id, card_id, amount, paid_on?} (idempotent by repayment_id).
// Invariants: each statement's total = Σ its lines; paid ≤ total + interest; each allocation sums
//   to its repayment's amount; no txn_id on two statements.
//
// Limitations: Japanese bank holidays are not business-day exceptions (Mon-Fri only); revolving
// and instalment plans are shown as posted (fee 0, carried balance 0).

#include <memory>
#include <optional>
#include <string>

#include "sim/platform/common/service_db.hpp"
#include "sim/platform/service.hpp"
#include "sim/platform/statement/domain/statements.hpp"

namespace sim::platform::statement {

class StatementService final : public Service {
public:
    explicit StatementService(PlatformContext& ctx);
    ~StatementService() override;

    std::string_view Name() const override { return "statement"; }
    void Install(core::Router& router) override;
    void AddBatchTasks(std::map<std::string, BatchTask>& tasks) override;
    void Reset() override;

private:
    struct CardInfo {
        std::string card_id, member_id, card_token, last4;
    };

    void GetUsers(const Json& params, FunctionDone done);
    void FetchCashflow(const Json& params, FunctionDone done);
    void UpdateUsage(const Json& params, FunctionDone done);
    void UpdateRepayment(const Json& params, FunctionDone done);

    domain::CardStatements Load(const std::string& card_id);
    void Save(const std::string& card_id, const domain::CardStatements& statements);
    std::optional<CardInfo> Card(const std::string& card_id);
    void Notify(const std::string& member_id, const std::string& kind, const Json& data, const std::string& dedup_key);
    Json StatementJson(const domain::Statement& s, domain::Date today, bool with_lines) const;
    void WithMemberCard(const core::Request& r, std::function<void(std::optional<std::string> card_id)> then);

    void AppStatements(core::Request r, core::Respond respond);
    void AppStatement(core::Request r, core::Respond respond);
    core::Response InternalStatements(const core::Request& r);
    core::Response Allocate(const core::Request& r);
    void CheckInvariants(InvariantReport& report);

    PlatformContext& ctx_;
    std::unique_ptr<ServiceDb> db_;
    domain::InterestPolicy policy_;
    std::uint64_t generation_ = 0;
};

}  // namespace sim::platform::statement
