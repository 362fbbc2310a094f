#pragma once
// HTTP API of the fake credit bureau under /bureau (see fakes/bureau/README.md).
//
// Supported operations (fault operation names in brackets)
//   POST /bureau/v1/inquiries                        [inquire]
//   GET  /bureau/v1/inquiries?inquirer=              [list_inquiries]
//   POST /bureau/v1/contracts                        [register_contract]
//   GET  /bureau/v1/contracts/{id}                   [get_contract]
//   POST /bureau/v1/contracts/{id}/payment-status    [update_payment_status]
// Limitations: one bureau (CIC-like); no JICC/KSC exchange; no 本人開示.

#include "fakes/bureau/bureau.hpp"
#include "fakes/common/fake_env.hpp"

namespace sim::fakes::bureau {

class BureauApi {
public:
    BureauApi(common::FakeEnv& env, std::uint64_t seed) : env_(env), model_(env.clock(), seed) {}
    void Install(core::Router& router);
    CreditBureau& model() { return model_; }

private:
    common::FakeEnv& env_;
    CreditBureau model_;
};

}  // namespace sim::fakes::bureau
