#include "fakes/bureau/bureau_api.hpp"

namespace sim::fakes::bureau {

using common::JsonReader;
using common::ToResponse;
using core::Request;
using core::Response;

namespace {

constexpr const char* kSystem = "bureau";

nlohmann::json ToJson(const Contract& c) {
    return {{"contract_id", c.id},         {"company", c.company},       {"contract_type", c.type},
            {"contract_date", c.contract_date}, {"limit", c.limit},      {"balance", c.balance},
            {"annual_billing", c.annual_billing}, {"payment_history", c.payment_history}, {"status", c.status}};
}

// Reads the "subject" object; false (with `in` failed) on a bad field.
bool ReadSubject(JsonReader& in, Identity* id) {
    nlohmann::json subject = in.Object("subject", true);
    if (in.failed()) return false;
    JsonReader s(subject, "subject.");
    id->family_name_kana = s.String("family_name_kana", true, 100);
    id->given_name_kana = s.String("given_name_kana", true, 100);
    id->birth_date = s.Date("birth_date");
    id->phone = s.String("phone", true, 20);
    if (!s.failed() && id->phone.find_first_not_of("0123456789-+") != std::string::npos)
        s.Reject("phone", "must hold digits, '-' and '+' only");
    id->name = s.String("name", false, 100);
    if (s.failed()) {
        in.Reject(s.error()->field, s.error()->reason);
        return false;
    }
    return true;
}

}  // namespace

void BureauApi::Install(core::Router& router) {
    CreditBureau& m = model_;
    env_.Route(router, "POST", "/bureau/v1/inquiries", kSystem, "inquire", [&m](const Request& r) {
        JsonReader in(r);
        std::string inquirer = in.String("inquirer", true, 64);
        std::string purpose = in.Enum("purpose", {"NEW_CONTRACT", "LIMIT_INCREASE", "RENEWAL", "MONITORING"},
                                      "NEW_CONTRACT");
        Identity id;
        if (!in.failed()) ReadSubject(in, &id);
        if (in.failed()) return in.problem();
        auto rep = m.Inquire(id, inquirer, purpose);
        if (!rep) return ToResponse(rep.error());
        nlohmann::json contracts = nlohmann::json::array();
        for (const auto& c : rep->contracts) contracts.push_back(ToJson(c));
        nlohmann::json body = {{"inquiry_id", rep->inquiry_id},
                               {"found", rep->found},
                               {"contracts", contracts},
                               {"incident", rep->incident},
                               {"inquiries_6m", rep->inquiries_6m},
                               {"score", rep->score},
                               {"total_balance", rep->total_balance},
                               {"total_annual_billing", rep->total_annual_billing},
                               {"reported_at", core::FormatIso8601(rep->at)}};
        if (rep->incident) body["incident_detail"] = {{"since", rep->incident_since}, {"reason", rep->incident_reason}};
        return Response::Json(200, body);
    });
    env_.Route(router, "GET", "/bureau/v1/inquiries", kSystem, "list_inquiries", [&m](const Request& r) {
        std::string inquirer = r.QueryParam("inquirer").value_or("");
        nlohmann::json list = nlohmann::json::array();
        for (const auto& q : m.inquiries()) {
            if (!inquirer.empty() && q.inquirer != inquirer) continue;
            list.push_back({{"inquiry_id", q.inquiry_id},
                            {"inquirer", q.inquirer},
                            {"purpose", q.purpose},
                            {"family_name_kana", q.identity.family_name_kana},
                            {"given_name_kana", q.identity.given_name_kana},
                            {"birth_date", q.identity.birth_date},
                            {"at", core::FormatIso8601(q.at)}});
        }
        return Response::Json(200, {{"inquiries", list}});
    });
    env_.Route(router, "POST", "/bureau/v1/contracts", kSystem, "register_contract", [&m](const Request& r) {
        JsonReader in(r);
        ContractInput c;
        c.company = in.String("company", true, 64);
        c.type = in.Enum("contract_type", {"REVOLVING", "INSTALLMENT", "LOAN"});
        c.contract_date = in.Date("contract_date");
        c.limit = in.Int("limit", 1, 100'000'000);
        if (!in.failed()) ReadSubject(in, &c.identity);
        if (in.failed()) return in.problem();
        auto k = m.RegisterContract(c);
        return k ? Response::Json(201, ToJson(*k)) : ToResponse(k.error());
    });
    env_.Route(router, "GET", "/bureau/v1/contracts/{id}", kSystem, "get_contract", [&m](const Request& r) {
        auto k = m.GetContract(r.path_params.at("id"));
        return k ? Response::Json(200, ToJson(*k)) : ToResponse(k.error());
    });
    env_.Route(router, "POST", "/bureau/v1/contracts/{id}/payment-status", kSystem, "update_payment_status",
               [&m](const Request& r) {
                   JsonReader in(r);
                   std::string symbol = in.Enum("symbol", {"$", "P", "R", "A", "B", "C", "-"});
                   auto balance = in.Int("balance", 0, 100'000'000);
                   if (in.failed()) return in.problem();
                   auto k = m.UpdatePaymentStatus(r.path_params.at("id"), symbol[0], balance);
                   return k ? Response::Json(200, ToJson(*k)) : ToResponse(k.error());
               });
}

}  // namespace sim::fakes::bureau
