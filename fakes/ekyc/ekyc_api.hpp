#pragma once
// HTTP API of the fake eKYC provider under /ekyc (see fakes/ekyc/README.md).
//
// Supported operations (fault operation names in brackets)
//   POST /ekyc/v1/verifications          [submit]
//   GET  /ekyc/v1/verifications/{id}     [get_verification]
//   outbound: POST <platform>/ext/v1/ekyc/verdicts   [callback_verdict]
// Limitations: document images are not inspected (only counted); no face matching.

#include <memory>

#include "fakes/common/fake_env.hpp"
#include "fakes/ekyc/ekyc.hpp"

namespace sim::fakes::ekyc {

class EkycApi {
public:
    EkycApi(common::FakeEnv& env, EkycOptions options);
    void Install(core::Router& router);
    EkycService& model() { return *model_; }

private:
    common::FakeEnv& env_;
    std::unique_ptr<EkycService> model_;
};

nlohmann::json ToJson(const Verification& v);

}  // namespace sim::fakes::ekyc
