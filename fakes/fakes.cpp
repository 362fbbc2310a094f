#include "fakes/fakes.hpp"

namespace sim::fakes {

Fakes::Fakes(clock::Clock& clock, core::Transport& transport, FakesOptions options) : options_(std::move(options)) {
    std::uint64_t seed = options_.env.seed;
    env_ = std::make_unique<common::FakeEnv>(clock, transport, options_.env);
    options_.payment.seed = seed;
    payment_ = std::make_unique<payment::PaymentApi>(*env_, options_.payment);
    push_ = std::make_unique<push::PushApi>(*env_, seed);
    options_.ekyc.seed = seed;
    ekyc_ = std::make_unique<ekyc::EkycApi>(*env_, options_.ekyc);
    bureau_ = std::make_unique<bureau::BureauApi>(*env_, seed);
    screening_ = std::make_unique<screening::ScreeningApi>(*env_, options_.screening_list);
    options_.printing.seed = seed;
    printing_ = std::make_unique<printing::PrintingApi>(*env_, options_.printing);
    atm::AtmOptions ao;
    ao.seed = seed;
    ao.hmac_secret = options_.atm_hmac_secret;
    ao.issuer_id = options_.payment.issuer_id;
    atm_ = std::make_unique<atm::AtmApi>(*env_, ao);
}

Fakes::~Fakes() = default;

void Fakes::Install(core::Router& router) {
    payment_->Install(router);
    push_->Install(router);
    ekyc_->Install(router);
    bureau_->Install(router);
    screening_->Install(router);
    printing_->Install(router);
    atm_->Install(router);
}

void Fakes::AddControlRoutes(core::Router& router) { common::AddControlRoutes(router, *env_); }

void Fakes::Reset() {
    env_->Reset();
    payment_->model().Reset();
    push_->model().Reset();
    ekyc_->model().Reset();
    bureau_->model().Reset();
    screening_->Reset();
    printing_->model().Reset();
    atm_->model().Reset();
}

}  // namespace sim::fakes
