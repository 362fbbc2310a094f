#pragma once
// HTTP API of the fake convenience-store ATM network under /atm (see fakes/atm/README.md).
//
// Supported operations (fault operation names in brackets)
//   POST /atm/simulate/repayments      [simulate_repayment]
//   GET  /atm/v1/repayments/{id}       [get_repayment]
//   POST /atm/simulate/tokens          [simulate_token]   sandbox only: signs a token as the platform would
//   POST /atm/simulate/recon-files     [simulate_recon_file]
//   outbound: POST <platform>/ext/v1/atm/repayments  [callback_repayment], retried 1 s, 2 s, 4 s ... 1 h until 2xx
//   outbound: PUT atm/recon/YYYYMMDD.csv into the batch bucket daily 05:00 JST  [recon_file]
// Limitations: no 企業番号/認証番号 entry step; no per-user 24 h / 30 day limits.

#include <memory>

#include "fakes/atm/atm.hpp"
#include "fakes/common/fake_env.hpp"

namespace sim::fakes::atm {

class AtmApi {
public:
    AtmApi(common::FakeEnv& env, AtmOptions options);
    void Install(core::Router& router);
    AtmNetwork& model() { return *model_; }

private:
    void Notify(const Repayment& r, const NotifyPlan& plan);

    common::FakeEnv& env_;
    std::unique_ptr<AtmNetwork> model_;
};

}  // namespace sim::fakes::atm
