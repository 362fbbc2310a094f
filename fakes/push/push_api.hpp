#pragma once
// HTTP API of the fake push gateway under /push (see fakes/push/README.md).
//
// Supported operations (fault operation names in brackets)
//   POST /push/v1/send                                   [send]
//   GET  /push/v1/deliveries?token=&after=&limit=        [list_deliveries]
//   GET  /push/v1/deliveries/await?token=&after=&count=&timeout=   [await_deliveries]
//   POST /push/simulate/unregister                       [simulate_unregister]
// Limitations: one endpoint for both platforms (not APNs' HTTP/2 /3/device/<token> nor FCM's
// messages:send); no provider tokens (403s), topics or collapse ids.

#include "fakes/common/fake_env.hpp"
#include "fakes/push/gateway.hpp"

namespace sim::fakes::push {

class PushApi {
public:
    PushApi(common::FakeEnv& env, std::uint64_t seed) : env_(env), model_(env.clock(), seed) {}
    void Install(core::Router& router);
    PushGateway& model() { return model_; }

private:
    common::FakeEnv& env_;
    PushGateway model_;
};

}  // namespace sim::fakes::push
