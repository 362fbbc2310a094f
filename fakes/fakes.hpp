#pragma once
// All fake external systems together (issue 7), for the composition root: one FakeEnv (journal,
// faults, idempotency, sender) and every system's model + api, installed on one router (the fakes
// port) with the control routes /_sim/journal and /_sim/faults added to any router.

#include <memory>
#include <string>

#include "fakes/common/fake_env.hpp"
#include "fakes/payment/payment_api.hpp"
#include "fakes/push/push_api.hpp"

namespace sim::fakes {

struct FakesOptions {
    common::FakeOptions env;
    payment::ProcessorOptions payment;
};

class Fakes {
public:
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

private:
    FakesOptions options_;
    std::unique_ptr<common::FakeEnv> env_;
    std::unique_ptr<payment::PaymentApi> payment_;
    std::unique_ptr<push::PushApi> push_;
};

}  // namespace sim::fakes
