#pragma once
// The repayment service (docs/platform.md "ATM repayment"; DOMAIN §6): platform-repayment.db with
// the QR tokens issued and the repayments received; the ATM callback; the follow-up of each
// repayment through the other services.
//
// Supported
//   POST /app/v1/repayments/qr {amount?} → 201 {repay_token, exp, company_number} (domain/
//   repay_token.hpp, signed with --atm-hmac-secret, 5 minutes), GET /app/v1/repayments.
//   POST /ext/v1/atm/repayments {atm_txn_id, member_ref, amount, store_code, received_at}
//   (HMAC-checked by the gateway): recorded once by atm_txn_id and acknowledged (200) as soon as
//   it is committed; a repeat gets 200 with duplicate: true and changes nothing. Then, step by
//   step, each idempotent by the repayment id and retried on the Clock with backoff (1 min
//   doubling, at most 1 h) until it succeeds: allocation by the statement service (oldest due
//   first, interest then principal), the principal part to the payment service's balance,
//   available credit restored at the processor (Idempotency-Key = repayment id), a push request.
//   A repayment for a member without a card is kept as UNMATCHED (the money was received).
//   Trace: each repayment keeps the X-Cardsim-Trace-Id of the callback that recorded it (the ATM
//   sends the cash-in's; a repeat does not change it) and every step's call carries it — internal
//   calls and the processor as the header, the push request as the SQS attribute `trace_id`.
//   Invariants: each atm_txn_id once; a finished repayment's interest + principal = its amount.
//
// Limitations: the ATM network's daily reconciliation file is not matched yet; per-member ATM
// limits (¥500k / 24 h) are not enforced by the platform.

#include <memory>
#include <set>
#include <string>

#include "sim/core/random.hpp"
#include "sim/platform/common/service_db.hpp"
#include "sim/platform/service.hpp"

namespace sim::platform::repayment {

class RepaymentService final : public Service {
public:
    static constexpr const char* kCompanyNumber = "8439";

    explicit RepaymentService(PlatformContext& ctx);
    ~RepaymentService() override;

    std::string_view Name() const override { return "repayment"; }
    void Install(core::Router& router) override;
    void Start() override;
    void Reset() override;

private:
    struct Row;
    std::optional<Row> Find(const std::string& repayment_id);
    void Advance(const std::string& repayment_id);
    void StepDone(const std::string& repayment_id, const std::string& next_step, const Json& updates);
    void StepFailed(const std::string& repayment_id, const std::string& error);
    void CheckInvariants(InvariantReport& report);

    core::Response IssueQr(const core::Request& r);
    core::Response List(const core::Request& r);
    core::Response AtmCallback(const core::Request& r);

    PlatformContext& ctx_;
    std::unique_ptr<ServiceDb> db_;
    core::IdGenerator ids_;
    std::set<std::string> in_flight_;
    std::map<std::string, clock::TimerId> retry_timers_;
    std::uint64_t generation_ = 0;
};

}  // namespace sim::platform::repayment
