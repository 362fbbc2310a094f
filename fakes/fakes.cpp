#include "fakes/fakes.hpp"

namespace sim::fakes {

Fakes::Fakes(clock::Clock& clock, core::Transport& transport, FakesOptions options) : options_(std::move(options)) {
    std::uint64_t seed = options_.env.seed;
    env_ = std::make_unique<common::FakeEnv>(clock, transport, options_.env);
    options_.payment.seed = seed;
    payment_ = std::make_unique<payment::PaymentApi>(*env_, options_.payment);
    push_ = std::make_unique<push::PushApi>(*env_, seed);
}

Fakes::~Fakes() = default;

void Fakes::Install(core::Router& router) {
    payment_->Install(router);
    push_->Install(router);
}

void Fakes::AddControlRoutes(core::Router& router) { common::AddControlRoutes(router, *env_); }

void Fakes::Reset() {
    env_->Reset();
    payment_->model().Reset();
    push_->model().Reset();
}

}  // namespace sim::fakes
