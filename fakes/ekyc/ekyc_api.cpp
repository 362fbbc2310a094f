#include "fakes/ekyc/ekyc_api.hpp"

#include "sim/core/trace.hpp"

namespace sim::fakes::ekyc {

using common::JsonReader;
using common::ToResponse;
using core::Request;
using core::Response;

namespace {
constexpr const char* kSystem = "ekyc";
}

nlohmann::json ToJson(const Verification& v) {
    nlohmann::json j = {{"verification_id", v.id},
                        {"applicant_ref", v.applicant_ref},
                        {"method", v.method},
                        {"status", ToString(v.status)},
                        {"submitted_at", core::FormatIso8601(v.submitted_at)}};
    if (v.status == VerificationStatus::kRejected) j["reason"] = v.reason;
    if (v.decided_at) j["decided_at"] = core::FormatIso8601(*v.decided_at);
    if (v.status == VerificationStatus::kVerified)
        j["extracted"] = {{"family_name", v.applicant.family_name},
                          {"given_name", v.applicant.given_name},
                          {"family_name_kana", v.applicant.family_name_kana},
                          {"given_name_kana", v.applicant.given_name_kana},
                          {"birth_date", v.applicant.birth_date},
                          {"address", v.applicant.address}};
    return j;
}

EkycApi::EkycApi(common::FakeEnv& env, EkycOptions options) : env_(env) {
    model_ = std::make_unique<EkycService>(env.clock(), std::move(options), [this](const Verification& v) {
        env_.Callback(kSystem, "callback_verdict", "/ext/v1/ekyc/verdicts", ToJson(v),
                      v.id + ":" + std::string(ToString(v.status)), {}, nullptr, v.trace_id);
    });
}

void EkycApi::Install(core::Router& router) {
    EkycService& m = *model_;
    env_.Route(router, "POST", "/ekyc/v1/verifications", kSystem, "submit", [&m](const Request& r) {
        JsonReader in(r);
        SubmitInput input;
        input.trace_id = core::TraceIdOf(r);
        input.applicant_ref = in.String("applicant_ref", true, 64);
        input.method = in.Enum("method", {"HO", "HE", "TO", "WA"});
        nlohmann::json applicant = in.Object("applicant", true);
        nlohmann::json documents = in.Array("documents");
        if (in.failed()) return in.problem();
        JsonReader a(applicant, "applicant.");
        input.applicant.family_name = a.String("family_name", true, 100);
        input.applicant.given_name = a.String("given_name", true, 100);
        input.applicant.family_name_kana = a.String("family_name_kana", true, 100);
        input.applicant.given_name_kana = a.String("given_name_kana", true, 100);
        input.applicant.birth_date = a.Date("birth_date");
        input.applicant.address = a.String("address", true, 300);
        if (a.failed()) return a.problem();
        for (std::size_t i = 0; i < documents.size(); ++i) {
            JsonReader d(documents[i], "documents[" + std::to_string(i) + "].");
            d.Enum("type", {"FRONT", "BACK", "THICKNESS", "SELFIE", "IC_CHIP", "JPKI"});
            if (d.failed()) return d.problem();
        }
        input.documents = documents.size();
        auto v = m.Submit(input);
        if (!v) return ToResponse(v.error());
        return Response::Json(202, ToJson(*v));
    });
    env_.Route(router, "GET", "/ekyc/v1/verifications/{id}", kSystem, "get_verification", [&m](const Request& r) {
        auto v = m.Get(r.path_params.at("id"));
        return v ? Response::Json(200, ToJson(*v)) : ToResponse(v.error());
    });
}

}  // namespace sim::fakes::ekyc
