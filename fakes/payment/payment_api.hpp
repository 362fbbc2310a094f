#pragma once
// HTTP API of the fake payment processor under /payment (see fakes/payment/README.md).
//
// Supported operations (operation names for fault injection in brackets)
//   POST /payment/v1/card-accounts                      [register_account]
//   GET  /payment/v1/card-accounts/{id}                 [get_account]
//   POST /payment/v1/card-accounts/{id}/limit           [set_limit]
//   POST /payment/v1/card-accounts/{id}/repayments      [restore_credit]
//   POST /payment/v1/card-accounts/{id}/status          [set_status]
//   GET  /payment/v1/authorizations?after=&limit=       [poll_authorizations]
//   GET  /payment/v1/authorizations/{id}                [get_authorization]
//   POST /payment/simulate/authorizations               [simulate_authorization]
//   POST /payment/simulate/reversals                    [simulate_reversal]
//   POST /payment/simulate/clearings                    [simulate_clearing]
//   POST /payment/simulate/refunds                      [simulate_refund]
//   POST /payment/simulate/cashflow-files               [simulate_cashflow_file]
//   outbound: cashflow file and marker PUT into the batch bucket [cashflow_file]
// Limitations: JPY only; no incremental authorizations; the cp932 file encoding option of
// DOMAIN.md §7 is not implemented (UTF-8 only).

#include <memory>

#include "fakes/common/fake_env.hpp"
#include "fakes/payment/processor.hpp"

namespace sim::fakes::payment {

class PaymentApi {
public:
    /// Creates the model; its daily files go into the batch bucket through `env`.
    PaymentApi(common::FakeEnv& env, ProcessorOptions options);

    void Install(core::Router& router);
    PaymentProcessor& model() { return *model_; }
    /// Delivers a cashflow file (then its marker) into the batch bucket.
    void Deliver(const CashflowFile& file);

private:
    common::FakeEnv& env_;
    std::unique_ptr<PaymentProcessor> model_;
};

nlohmann::json ToJson(const Account& a, bool with_pan);
nlohmann::json ToJson(const Authorization& a);
nlohmann::json ToJson(const Posting& p);

}  // namespace sim::fakes::payment
