#pragma once
// All fake external systems together (issue 7), for the composition root: one FakeEnv (journal,
// faults, idempotency, sender) and every system's model + api, installed on one router (the fakes
// port) with the control routes /_sim/journal and /_sim/faults added to any router.

#include <memory>
#include <string>

#include "fakes/atm/atm_api.hpp"
#include "fakes/bureau/bureau_api.hpp"
#include "fakes/common/fake_env.hpp"
#include "fakes/ekyc/ekyc_api.hpp"
#include "fakes/payment/payment_api.hpp"
#include "fakes/printing/printing_api.hpp"
#include "fakes/push/push_api.hpp"
#include "fakes/screening/screening_api.hpp"

namespace sim::fakes {

struct FakesOptions {
    common::FakeOptions env;
    payment::ProcessorOptions payment;
    ekyc::EkycOptions ekyc;
    printing::PrinterOptions printing;
    /// HMAC-SHA256 key the platform signs ATM repayment tokens with.
    std::string atm_hmac_secret = "cardsim-atm-qr-secret";
    /// Screening watch list file (JSON); empty = the shipped default list.
    std::string screening_list;
};

class Fakes {
public:
    /// Throws std::runtime_error when a configured file (screening list) cannot be loaded.
    Fakes(clock::Clock& clock, core::Transport& transport, FakesOptions options);
    ~Fakes();

    /// Installs every system's routes under its prefix.
    void Install(core::Router& fakes_router);
    /// Adds /_sim/journal and /_sim/faults to `router` (every port).
    void AddControlRoutes(core::Router& router);
    /// Wipes every fake's state, the journal, the faults and pending deliveries (POST /_sim/reset).
    void Reset();

    common::FakeEnv& env() { return *env_; }
    payment::PaymentApi& payment() { return *payment_; }
    push::PushApi& push() { return *push_; }
    ekyc::EkycApi& ekyc() { return *ekyc_; }
    bureau::BureauApi& bureau() { return *bureau_; }
    screening::ScreeningApi& screening() { return *screening_; }
    printing::PrintingApi& printing() { return *printing_; }
    atm::AtmApi& atm() { return *atm_; }

private:
    FakesOptions options_;
    std::unique_ptr<common::FakeEnv> env_;
    std::unique_ptr<payment::PaymentApi> payment_;
    std::unique_ptr<push::PushApi> push_;
    std::unique_ptr<ekyc::EkycApi> ekyc_;
    std::unique_ptr<bureau::BureauApi> bureau_;
    std::unique_ptr<screening::ScreeningApi> screening_;
    std::unique_ptr<printing::PrintingApi> printing_;
    std::unique_ptr<atm::AtmApi> atm_;
};

}  // namespace sim::fakes
